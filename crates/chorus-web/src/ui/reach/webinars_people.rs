//! A webinar's people, for staff: the registrants' rows on the webinar's page, their CSV
//! (`/reach/webinars/{id}/registrants.csv`), cancelling one seat
//! (`/reach/webinars/{id}/seats/{seat}/cancel`) and the attendance import
//! (`/reach/webinars/{id}/attendance`, a CSV file). Registrants are personal data: the use
//! cases answer them only to those who read leads in the webinar's market.

use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_app::reach::webinars_manage::{self as manage, Registrant};
use chorus_core::RegistrationId;
use chorus_core::reach::RegistrationState;

use super::webinars::{show_page, webinar_id};
use crate::auth::PageUser;
use crate::error::{AppError, PageError};
use crate::state::AppState;
use crate::ui::Flash;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reach/webinars/{id}/registrants.csv", get(csv))
        .route(
            "/reach/webinars/{id}/seats/{seat}/cancel",
            post(cancel_seat),
        )
        .route("/reach/webinars/{id}/attendance", post(attendance))
}

/// A registrant as the table shows them.
pub(crate) struct RegistrantRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub state: &'static str,
    pub tone: &'static str,
    /// "2nd in line" for the waiting.
    pub position: String,
    pub registered_at: String,
    pub attended: String,
    pub active: bool,
}

pub(crate) fn rows(list: &[Registrant]) -> Vec<RegistrantRow> {
    let mut waiting = 0;
    list.iter()
        .map(|r| {
            let (state, tone) = match r.state {
                RegistrationState::Registered => ("Registered", "success"),
                RegistrationState::Waitlisted => ("Waiting", "warning"),
                RegistrationState::Cancelled => ("Cancelled", "neutral"),
            };
            let position = if r.state == RegistrationState::Waitlisted {
                waiting += 1;
                format!("#{waiting} in line")
            } else {
                String::new()
            };
            RegistrantRow {
                id: r.id.0,
                name: r.name.clone().unwrap_or_else(|| "(erased)".into()),
                email: r.email.clone().unwrap_or_default(),
                state,
                tone,
                position,
                registered_at: crate::ui::format_time(r.registered_at.as_millisecond()),
                attended: match (r.attended, r.attended_minutes) {
                    (Some(true), Some(m)) => format!("Yes, {m} min"),
                    (Some(true), None) => "Yes".into(),
                    (Some(false), _) => "No".into(),
                    (None, _) => "—".into(),
                },
                active: r.state != RegistrationState::Cancelled,
            }
        })
        .collect()
}

async fn csv(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    let offer = webinar_id(&raw)?;
    let (name, bytes) = manage::registrants_csv(&state.app, &id.caller, offer).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

async fn cancel_seat(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path((raw, seat)): Path<(String, i64)>,
) -> Result<Response, PageError> {
    let offer = webinar_id(&raw)?;
    match manage::cancel_seat(&state.app, &id.caller, offer, RegistrationId(seat))
        .await
        .map_err(AppError::from)
    {
        Ok(()) => {
            Ok(Redirect::to(&format!("/reach/webinars/{}?done=seat", offer.0)).into_response())
        }
        Err(e @ AppError::Conflict { .. }) => {
            show_page(
                &state,
                &id,
                offer,
                None,
                None,
                Flash::error(e.public_message()),
            )
            .await
        }
        Err(e) => Err(PageError(e)),
    }
}

/// The largest attendance list read (a list of 100,000 people is a few MB).
const MAX_LIST_BYTES: usize = 8 * 1024 * 1024;

/// The `file` part of the attendance form, within [`MAX_LIST_BYTES`].
async fn list_file(mut parts: Multipart) -> Result<Vec<u8>, AppError> {
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        AppError::invalid("file", format!("the form could not be read: {e}"))
    };
    while let Some(mut field) = parts.next_field().await.map_err(unreadable)? {
        if field.name() != Some("file") {
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > MAX_LIST_BYTES {
                return Err(AppError::invalid("file", "the list is larger than 8 MB"));
            }
        }
        return Ok(bytes);
    }
    Err(AppError::invalid(
        "file",
        "choose the attendance list (a CSV file)",
    ))
}

async fn attendance(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(raw): Path<String>,
    parts: Multipart,
) -> Result<Response, PageError> {
    let offer = webinar_id(&raw)?;
    let bytes = match list_file(parts).await {
        Ok(b) => b,
        Err(e) => return show_page(&state, &id, offer, None, Some(e), None).await,
    };
    match manage::import_attendance(&state.app, &id.caller, offer, &bytes)
        .await
        .map_err(AppError::from)
    {
        Ok(report) if report.unknown.is_empty() => Ok(Redirect::to(&format!(
            "/reach/webinars/{}?done=attendance",
            offer.0
        ))
        .into_response()),
        Ok(report) => {
            let shown: Vec<&str> = report.unknown.iter().take(10).map(String::as_str).collect();
            let more = report.unknown.len().saturating_sub(shown.len());
            let flash = Flash::success(format!(
                "Attendance recorded for {} registrants. Not registrants, left out: {}{}",
                report.recorded,
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ));
            show_page(&state, &id, offer, None, None, flash).await
        }
        Err(e @ AppError::Invalid { .. }) => {
            show_page(&state, &id, offer, None, Some(e), None).await
        }
        Err(e) => Err(PageError(e)),
    }
}
