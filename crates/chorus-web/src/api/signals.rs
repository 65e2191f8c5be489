//! `/api/v1/signals/…` and `/api/v1/response-times`: the figures behind the Signals and
//! Response times pages (the charts draw from these).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use chorus_app::conversations::signals;
use chorus_core::conversations::period::RawPeriod;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::market_code;
use super::json::ApiJson;
use crate::auth::ApiUser;
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;
use crate::ui::iso_time;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/signals/volume", get(volume))
        .route("/v1/signals/share-of-voice", get(sov))
        .route("/v1/signals/alerts", get(alerts))
        .route("/v1/response-times", get(response_times))
        .route("/v1/markets/{code}/response-target", put(set_target))
}

/// One query's hourly volume with its trailing baseline, ready for a chart.
#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
#[schema(as = VolumeSeries)]
pub struct VolumeSeriesDto {
    pub query_id: i64,
    pub name: String,
    /// Hour starts, seconds since the epoch (uPlot's x axis).
    pub hours: Vec<i64>,
    pub volume: Vec<i64>,
    /// Mean posts per hour over the week before each hour.
    pub baseline: Vec<f64>,
    /// Whether each hour is a spike (volume ≥ factor × baseline and ≥ the minimum).
    pub spike: Vec<bool>,
    pub spike_factor: f64,
}

impl From<signals::VolumeSeries> for VolumeSeriesDto {
    fn from(v: signals::VolumeSeries) -> Self {
        VolumeSeriesDto {
            query_id: v.query_id,
            name: v.name,
            hours: v.hours,
            volume: v.volume,
            baseline: v.baseline,
            spike: v.spike,
            spike_factor: v.spike_factor,
        }
    }
}

/// Share of voice of one market over `days` days ending at its latest data (or now).
#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
#[schema(as = ShareOfVoice)]
pub struct ShareOfVoiceDto {
    pub market: String,
    /// Period start and end, RFC 3339.
    pub from: String,
    pub to: String,
    pub total: i64,
    pub entries: Vec<VoiceEntryDto>,
    /// Share of the "us" side, 0–1 (0 when there is no volume).
    pub us_share: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
#[schema(as = VoiceEntry)]
pub struct VoiceEntryDto {
    pub query_id: i64,
    pub name: String,
    /// `us` or `competitor`.
    pub side: String,
    pub posts: i64,
    pub share: f64,
}

impl From<signals::ShareOfVoice> for ShareOfVoiceDto {
    fn from(s: signals::ShareOfVoice) -> Self {
        ShareOfVoiceDto {
            market: s.market,
            from: iso_time(s.from_ms),
            to: iso_time(s.to_ms),
            total: s.total,
            us_share: s.us_share,
            entries: s
                .entries
                .into_iter()
                .map(|e| VoiceEntryDto {
                    query_id: e.query_id,
                    name: e.name,
                    side: e.side.as_str().to_owned(),
                    posts: e.posts,
                    share: e.share,
                })
                .collect(),
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct VolumeParams {
    /// Listening query id.
    query: i64,
    /// Days to show (1–366, default 14), ending at the query's latest hour with posts or now;
    /// ignored when `from` is given.
    days: Option<i64>,
    /// First day shown, `YYYY-MM-DD` (UTC).
    from: Option<String>,
    /// Last day shown, `YYYY-MM-DD` (UTC; default the day of the latest data).
    to: Option<String>,
}

/// Posts per hour of one query, with the trailing one-week baseline and the spike hours.
#[utoipa::path(get, path = "/api/v1/signals/volume", tag = "conversations", params(VolumeParams),
    responses((status = 200, body = VolumeSeriesDto), (status = 404, body = ErrorBody)))]
pub async fn volume(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Query(p): Query<VolumeParams>,
) -> Result<Json<VolumeSeriesDto>, AppError> {
    let period = RawPeriod {
        from: p.from,
        to: p.to,
        days: p.days,
    };
    let series = signals::volume(&state.app, &id.caller, p.query, &period).await?;
    Ok(Json(series.into()))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct SovParams {
    /// Market code.
    market: String,
    /// Days (1–366, default 30), ending at the market's latest data or now; ignored when
    /// `from` is given.
    days: Option<i64>,
    /// First day counted, `YYYY-MM-DD` (UTC).
    from: Option<String>,
    /// Last day counted, `YYYY-MM-DD` (UTC; default the day of the latest data).
    to: Option<String>,
}

/// Posts per `us` and `competitor` query of a market, with shares.
#[utoipa::path(get, path = "/api/v1/signals/share-of-voice", tag = "conversations", params(SovParams),
    responses((status = 200, body = ShareOfVoiceDto), (status = 404, body = ErrorBody)))]
pub async fn sov(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Query(p): Query<SovParams>,
) -> Result<Json<ShareOfVoiceDto>, AppError> {
    let period = RawPeriod {
        from: p.from,
        to: p.to,
        days: p.days,
    };
    let sov = signals::share_of_voice(&state.app, &id.caller, &p.market, &period).await?;
    Ok(Json(sov.into()))
}

#[derive(Serialize, ToSchema)]
pub struct AlertDto {
    pub query_id: i64,
    pub query: String,
    pub market: String,
    /// The hour's start, RFC 3339.
    pub hour: String,
    pub volume: i64,
    pub baseline: f64,
}

/// Recent spike alerts in the caller's markets.
#[utoipa::path(get, path = "/api/v1/signals/alerts", tag = "conversations",
    responses((status = 200, body = Vec<AlertDto>), (status = 403, body = ErrorBody)))]
pub async fn alerts(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
) -> Result<Json<Vec<AlertDto>>, AppError> {
    let (list, markets) = signals::alerts(&state.app, &id.caller, 100).await?;
    Ok(Json(
        list.into_iter()
            .map(|a| AlertDto {
                query_id: a.query_id.0,
                query: a.query_name,
                market: market_code(&markets, a.market_id),
                hour: iso_time(a.hour_ms),
                volume: a.volume,
                baseline: a.baseline,
            })
            .collect(),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct TimesParams {
    /// Conversations that reached the inbox in the last N days (default 30).
    days: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct ResponseTimesDto {
    pub market: String,
    pub team_id: Option<i64>,
    pub conversations: i64,
    pub responded: i64,
    pub mean_minutes: Option<f64>,
    pub within_target: i64,
    pub overdue: i64,
    pub target_minutes: Option<i64>,
}

/// First-response figures per market and team against each market's target.
#[utoipa::path(get, path = "/api/v1/response-times", tag = "conversations", params(TimesParams),
    responses((status = 200, body = Vec<ResponseTimesDto>), (status = 403, body = ErrorBody)))]
pub async fn response_times(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Query(p): Query<TimesParams>,
) -> Result<Json<Vec<ResponseTimesDto>>, AppError> {
    let stats = signals::response_times(&state.app, &id.caller, p.days).await?;
    Ok(Json(
        stats
            .into_iter()
            .map(|t| (t.market, t.stats))
            .map(|(market, s)| ResponseTimesDto {
                market,
                team_id: s.team_id.map(|t| t.0),
                conversations: s.conversations,
                responded: s.responded,
                mean_minutes: s.mean_minutes,
                within_target: s.within_target,
                overdue: s.overdue,
                target_minutes: s.target_minutes,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetBody {
    /// First response within this many minutes (5–10080).
    pub minutes: i64,
}

/// Sets a market's first-response target (its market leads, admins).
#[utoipa::path(put, path = "/api/v1/markets/{code}/response-target", tag = "conversations", request_body = TargetBody,
    params(("code" = String, Path)), responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_target(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<TargetBody>,
) -> Result<StatusCode, AppError> {
    signals::set_response_target(&state.app, &id.caller, &code, &body.minutes.to_string()).await?;
    Ok(StatusCode::NO_CONTENT)
}
