//! `/api/v1/calendar` (the variants with a time, in market time and the viewer's) and
//! `/api/v1/variants/{id}/reschedule` (move one to another wall-clock time of its market).

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use chorus_app::stories::calendar as cal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::json::ApiJson;
use crate::auth::ApiUser;
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;
use crate::ui::stories::zones;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/calendar", get(calendar))
        .route("/v1/variants/{id}/reschedule", post(move_variant))
}

#[derive(Deserialize, IntoParams)]
pub struct CalendarParams {
    /// `month` (default) or `week`.
    pub view: Option<String>,
    /// A day in the month or week, `YYYY-MM-DD` (default: today).
    pub date: Option<String>,
    /// Market code.
    pub market: Option<String>,
    /// Account id.
    pub account: Option<String>,
    /// Campaign id.
    pub campaign: Option<String>,
    /// Story state.
    pub state: Option<String>,
    /// A post's own status: pending, scheduled, publishing, published or failed.
    pub status: Option<String>,
    /// The viewer's IANA zone (default: the `chorus_tz` cookie, else UTC).
    pub tz: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct EntryDto {
    pub variant_id: i64,
    pub story_id: i64,
    pub title: String,
    pub story_state: String,
    pub publication: String,
    /// Where this variant itself stands: `pending` (not scheduled yet), `scheduled`,
    /// `publishing`, `published` or `failed` (a story that failed elsewhere may still have
    /// posts scheduled).
    pub status: String,
    pub market: String,
    pub account: String,
    pub locale: String,
    /// RFC 3339 instant.
    pub utc: String,
    /// The market's zone.
    pub market_zone: String,
    /// e.g. "Sun 29 Mar 2026, 04:30 EEST".
    pub market_time: String,
    /// `YYYY-MM-DDTHH:MM` on the market's wall clock (what reschedule takes).
    pub market_local: String,
    /// The same instant in the viewer's zone, e.g. "03:30 CEST your time"; empty if the same.
    pub viewer_time: String,
    /// Set when the market's wall-clock time happens twice that day.
    pub fold_note: String,
    /// Whether the caller may move it (`/api/v1/variants/{id}/reschedule`).
    pub movable: bool,
}

#[derive(Serialize, ToSchema)]
pub struct CalendarDto {
    /// First day shown (market-local dates), inclusive.
    pub from: String,
    /// Last day shown, exclusive.
    pub to: String,
    pub viewer_zone: String,
    pub entries: Vec<EntryDto>,
}

/// Variants with a time in a month or week, in each market's zone with the viewer's alongside.
#[utoipa::path(get, path = "/api/v1/calendar", tag = "calendar", params(CalendarParams),
    responses((status = 200, body = CalendarDto), (status = 401, body = ErrorBody)))]
pub async fn calendar(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Query(p): Query<CalendarParams>,
    headers: HeaderMap,
) -> Result<Json<CalendarDto>, AppError> {
    let viewer = zones::viewer(p.tz.as_deref(), &headers);
    let q = cal::CalendarQuery {
        view: p.view,
        date: p.date,
        market: p.market,
        account: p.account,
        campaign: p.campaign,
        state: p.state,
        status: p.status,
    };
    let calendar = cal::calendar(&state.app, &id.caller, &q, &viewer.tz).await?;
    let entries = calendar
        .entries
        .iter()
        .filter_map(|item| {
            let e = &item.entry;
            let m = calendar.lookup.market(e.market_id)?;
            let shown = zones::show(e.scheduled_at_ms, &m.timezone, &viewer);
            Some(EntryDto {
                variant_id: e.variant_id,
                story_id: e.story_id,
                title: e.title.clone(),
                story_state: e.story_state.as_str().to_owned(),
                publication: e.pub_state.as_str().to_owned(),
                status: item.status.as_str().to_owned(),
                market: m.code.to_string(),
                account: e.account_handle.clone(),
                locale: e.locale.clone(),
                utc: shown.iso,
                market_zone: m.timezone.as_str().to_owned(),
                market_time: shown.market,
                market_local: shown.input,
                viewer_time: shown.viewer,
                fold_note: shown.fold_note,
                movable: item.movable,
            })
        })
        .collect();
    Ok(Json(CalendarDto {
        from: calendar.range.start.to_string(),
        to: calendar.range.end.to_string(),
        viewer_zone: viewer.name,
        entries,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleBody {
    /// The market's wall-clock time, `YYYY-MM-DDTHH:MM` (or with a space).
    pub local: String,
}

#[derive(Serialize, ToSchema)]
pub struct RescheduledDto {
    pub variant_id: i64,
    /// RFC 3339 instant.
    pub scheduled_at: String,
    /// Set when the local time happens twice and the first was taken.
    pub note: Option<String>,
}

/// Moves a variant that is not published to another time of its market's clock. A time the
/// clocks skip is refused (422 on `time`) with the reason, and so is a time that has passed for
/// a variant of a scheduled story (it would be published at once).
#[utoipa::path(post, path = "/api/v1/variants/{id}/reschedule", tag = "calendar",
    request_body = RescheduleBody, params(("id" = i64, Path)),
    responses((status = 200, body = RescheduledDto), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn move_variant(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(vid): Path<i64>,
    ApiJson(body): ApiJson<RescheduleBody>,
) -> Result<Json<RescheduledDto>, AppError> {
    let moved = cal::move_variant(&state.app, &id.caller, vid, &body.local).await?;
    Ok(Json(RescheduledDto {
        variant_id: moved.variant.id,
        scheduled_at: moved
            .variant
            .scheduled_at_ms
            .map(crate::ui::iso_time)
            .unwrap_or_default(),
        note: moved.note,
    }))
}
