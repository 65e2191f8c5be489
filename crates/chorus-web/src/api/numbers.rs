//! `GET /api/v1/numbers` (figures grouped as asked, with each metric's definition and
//! availability) and `GET /api/v1/numbers.csv` (the same rows as CSV; also `?format=csv`).
//! Translates only: `chorus_app::numbers::report` decides what the caller reads.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chorus_app::numbers::{self, Report, ReportFilters};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::ApiUser;
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/numbers", get(report))
        .route("/v1/numbers.csv", get(report_csv))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct NumbersParams {
    /// `post`, `story`, `campaign`, `account`, `market` (default), `network` or `principle`;
    /// or one of them and `market`, e.g. `principle,market`.
    pub group_by: Option<String>,
    /// Metric names, comma separated (default: every metric), e.g. `likes,reposts`.
    pub metrics: Option<String>,
    /// First day, `YYYY-MM-DD`, inclusive (default: 29 days before `to`).
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD`, inclusive (default: today in `tz`).
    pub to: Option<String>,
    /// An IANA time zone, e.g. `Europe/Helsinki` (default `UTC`): what "today" means for the
    /// default `to` (and so the default range). Buckets and `from`/`to` stay in each market's
    /// own zone: a day is that market's local day whatever `tz` says. Returned as `tz`; a zone
    /// that is not an IANA name is 422 naming `tz`.
    pub tz: Option<String>,
    /// Bucket size: `day` (default), `week` or `month`, in each market's time zone.
    pub grain: Option<String>,
    /// A market's code. Combines with any one of `campaign`, `principle`, `account`, `network`.
    pub market: Option<String>,
    /// A campaign's id (then grouped by campaign or market).
    pub campaign: Option<String>,
    /// A principle's id or slug (then grouped by principle or market).
    pub principle: Option<String>,
    /// A network's name (then grouped by network or market). With `account`, only that
    /// account's own network (another is 422 naming `network`).
    pub network: Option<String>,
    /// An account's id (then grouped by account or market); an account in a market the caller
    /// may not read, or outside `market`, is 404. Only one of `campaign`, `principle`,
    /// `account` and `network` at a time (the rollups keep them apart): a second is 422 naming
    /// it.
    pub account: Option<String>,
    /// `true`: a row per bucket as well (a series).
    pub series: Option<String>,
    /// `csv`: the same rows as CSV.
    pub format: Option<String>,
}

impl NumbersParams {
    fn filters(self) -> ReportFilters {
        ReportFilters {
            group_by: self.group_by.unwrap_or_default(),
            metrics: self.metrics.unwrap_or_default(),
            from: self.from.unwrap_or_default(),
            to: self.to.unwrap_or_default(),
            grain: self.grain.unwrap_or_default(),
            market: self.market.unwrap_or_default(),
            campaign: self.campaign.unwrap_or_default(),
            principle: self.principle.unwrap_or_default(),
            network: self.network.unwrap_or_default(),
            account: self.account.unwrap_or_default(),
            tz: self.tz.unwrap_or_default(),
            series: self.series.unwrap_or_default(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SourceDto {
    pub network: String,
    pub available: bool,
    /// The call and field it is read from, or why it is not available.
    pub note: String,
    /// When it was last measured on this network in the report's scope (RFC 3339, UTC).
    pub last_measured_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MetricDto {
    pub name: String,
    pub definition: String,
    /// False: every figure of it is `null` ("not available", never 0).
    pub available: bool,
    /// When it was last measured in the report's scope, on any network (RFC 3339, UTC): the
    /// latest fetch of posts' counts or followers, the latest person's click, the latest
    /// matched post stored. `null`: never, or not available.
    pub last_measured_at: Option<String>,
    pub sources: Vec<SourceDto>,
}

#[derive(Serialize, ToSchema)]
pub struct RowDto {
    /// The market's code, when grouped by market too.
    pub market: Option<String>,
    /// The subject's id (a market's code, a network's name).
    pub subject: String,
    pub name: String,
    /// The bucket's first local date, in a series.
    pub bucket: Option<String>,
    /// Metric name → figure within the range; `null` is "not available".
    pub values: BTreeMap<String, Option<i64>>,
}

#[derive(Serialize, ToSchema)]
pub struct NumbersDto {
    pub group_by: String,
    pub by_market: bool,
    pub grain: String,
    pub from: String,
    /// Inclusive.
    pub to: String,
    /// The zone "today" was read in (the `tz` asked for, `UTC` by default).
    pub tz: String,
    pub metrics: Vec<MetricDto>,
    pub rows: Vec<RowDto>,
    /// When anything in the report's scope was last measured (RFC 3339), where known.
    pub last_fetched_at: Option<String>,
    /// True when the markets counted hold demo accounts, whose figures are generated
    /// (`chorus serve --demo`); false for real accounts only.
    pub demo: bool,
}

fn rfc3339(ms: Option<i64>) -> Option<String> {
    ms.and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map(|t| t.to_string())
}

fn dto(r: Report) -> NumbersDto {
    NumbersDto {
        demo: r.demo,
        group_by: r.group_by.name().to_owned(),
        by_market: r.by_market,
        grain: r.grain.name().to_owned(),
        from: r.from.to_string(),
        to: r.to.to_string(),
        tz: r.tz,
        rows: r
            .rows
            .into_iter()
            .map(|row| RowDto {
                market: row.market,
                subject: row.subject,
                name: row.label,
                bucket: row.bucket.map(|b| b.to_string()),
                values: r
                    .metrics
                    .iter()
                    .zip(row.values)
                    .map(|(m, v)| (m.metric.name().to_owned(), v))
                    .collect(),
            })
            .collect(),
        metrics: r
            .metrics
            .into_iter()
            .map(|m| MetricDto {
                name: m.metric.name().to_owned(),
                definition: m.definition.to_owned(),
                available: m.available,
                last_measured_at: rfc3339(m.last_measured_ms),
                sources: m
                    .sources
                    .into_iter()
                    .map(|s| SourceDto {
                        network: s.network.to_owned(),
                        available: s.available,
                        note: s.note.to_owned(),
                        last_measured_at: rfc3339(s.last_measured_ms),
                    })
                    .collect(),
            })
            .collect(),
        last_fetched_at: rfc3339(r.last_fetched_ms),
    }
}

/// Figures of the caller's markets grouped as asked. Only markets the caller reads numbers of
/// (analysts and leads: theirs) are counted; another market, campaign, principle or account is
/// 404. Each metric says when it was last measured in the report's scope, per network.
/// Filters combine where the rollups can answer: `market` with one of `campaign`,
/// `principle`, `account` and `network`; two of those four (or one with another `group_by`
/// than its own or `market`) is 422 naming the second.
#[utoipa::path(get, path = "/api/v1/numbers", tag = "numbers", params(NumbersParams),
    responses((status = 200, body = NumbersDto), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Query(mut p): Query<NumbersParams>,
) -> Result<Response, AppError> {
    if p.format.take().is_some_and(|f| f == "csv") {
        return csv(&state, &id.caller, p.filters()).await;
    }
    let r = numbers::report(&state.app, &id.caller, &p.filters()).await?;
    Ok(Json(dto(r)).into_response())
}

/// The same rows as `GET /api/v1/numbers`, as CSV ("not available" written out; a last column
/// `last_measured_at` with the scope's latest measurement; cells a spreadsheet would run as
/// formulas start with `'`).
#[utoipa::path(get, path = "/api/v1/numbers.csv", tag = "numbers", params(NumbersParams),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn report_csv(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Query(p): Query<NumbersParams>,
) -> Result<Response, AppError> {
    csv(&state, &id.caller, p.filters()).await
}

async fn csv(
    state: &AppState,
    caller: &chorus_app::Caller,
    filters: ReportFilters,
) -> Result<Response, AppError> {
    let file = numbers::report_csv(&state.app, caller, &filters).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", file.file_name),
            ),
        ],
        file.bytes,
    )
        .into_response())
}
