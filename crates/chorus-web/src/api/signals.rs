//! `/api/v1/signals/…` and `/api/v1/response-times`: the figures behind the Signals and
//! Response times pages (the charts draw from these).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use chorus_core::conversations::{QueryId, response_target_minutes};
use chorus_core::org::MarketCode;
use chorus_core::permission::authorize;
use chorus_core::{Action, Scope};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::market_code;
use super::json::ApiJson;
use crate::auth::ApiUser;
use crate::conv::{ShareOfVoice, VolumeSeries, markets_for, share_of_voice, volume_series};
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

#[derive(Deserialize, utoipa::IntoParams)]
pub struct VolumeParams {
    /// Listening query id.
    query: i64,
    /// Days to show (1–90, default 14), ending at the query's latest hour with posts or now.
    days: Option<i64>,
}

/// Posts per hour of one query, with the trailing one-week baseline and the spike hours.
#[utoipa::path(get, path = "/api/v1/signals/volume", tag = "conversations", params(VolumeParams),
    responses((status = 200, body = VolumeSeries), (status = 404, body = ErrorBody)))]
pub async fn volume(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Query(p): Query<VolumeParams>,
) -> Result<Json<VolumeSeries>, AppError> {
    let q = state.store.listening_query(QueryId(p.query)).await?;
    authorize(
        &id.caller.actor,
        Action::ReadConversations,
        Scope::Market(q.market_id),
    )
    .map_err(|_| AppError::NotFound("listening query"))?;
    Ok(Json(
        volume_series(&state.store, &q, p.days.unwrap_or(14), None).await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct SovParams {
    /// Market code.
    market: String,
    /// Days (default 30), ending at the market's latest data or now.
    days: Option<i64>,
}

/// Posts per `us` and `competitor` query of a market, with shares.
#[utoipa::path(get, path = "/api/v1/signals/share-of-voice", tag = "conversations", params(SovParams),
    responses((status = 200, body = ShareOfVoice), (status = 404, body = ErrorBody)))]
pub async fn sov(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Query(p): Query<SovParams>,
) -> Result<Json<ShareOfVoice>, AppError> {
    let code = MarketCode::parse(&p.market).map_err(|_| AppError::NotFound("market"))?;
    let market = state.store.market_by_code(&code).await?;
    authorize(
        &id.caller.actor,
        Action::ReadConversations,
        Scope::Market(market.id),
    )
    .map_err(|_| AppError::NotFound("market"))?;
    Ok(Json(
        share_of_voice(&state.store, &market, p.days.unwrap_or(30)).await?,
    ))
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
    responses((status = 200, body = Vec<AlertDto>)))]
pub async fn alerts(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
) -> Result<Json<Vec<AlertDto>>, AppError> {
    let markets = state.store.markets().await?;
    let visible = markets_for(&id.caller.actor, Action::ReadConversations, &markets);
    let list = state.store.spike_alerts(visible.as_deref(), 100).await?;
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
    responses((status = 200, body = Vec<ResponseTimesDto>)))]
pub async fn response_times(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Query(p): Query<TimesParams>,
) -> Result<Json<Vec<ResponseTimesDto>>, AppError> {
    let markets = state.store.markets().await?;
    let visible = markets_for(&id.caller.actor, Action::ReadConversations, &markets);
    let since = chorus_store::now_ms() - p.days.unwrap_or(30).clamp(1, 366) * 86_400_000;
    let stats = state
        .store
        .response_stats(visible.as_deref(), since)
        .await?;
    Ok(Json(
        stats
            .into_iter()
            .map(|s| ResponseTimesDto {
                market: market_code(&markets, s.market_id),
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
    params(("code" = String, Path)), responses((status = 204), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_target(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<TargetBody>,
) -> Result<StatusCode, AppError> {
    let code = MarketCode::parse(&code).map_err(|_| AppError::NotFound("market"))?;
    let market = state.store.market_by_code(&code).await?;
    authorize(
        &id.caller.actor,
        Action::SetResponseTarget,
        Scope::Market(market.id),
    )?;
    let minutes = response_target_minutes(body.minutes).map_err(|e| e.at("minutes"))?;
    state
        .store
        .set_response_target(&id.author(), market.id, minutes)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
