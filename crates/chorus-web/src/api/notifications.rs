//! `/api/v1/notifications`: what the workflow told the caller, newest first.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chorus_app::notifications;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::ApiUser;
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/notifications", get(list))
}

#[derive(Serialize, ToSchema)]
pub struct NotificationDto {
    pub id: i64,
    pub message: String,
    pub link: String,
    pub at: String,
    pub read: bool,
}

/// The caller's notifications, newest first (at most 100).
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications",
    responses((status = 200, body = Vec<NotificationDto>), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
) -> Result<Json<Vec<NotificationDto>>, AppError> {
    Ok(Json(
        notifications::list(&state.app, &id.caller)
            .await?
            .into_iter()
            .map(|n| NotificationDto {
                id: n.id,
                message: n.message,
                link: n.link,
                at: crate::ui::iso_time(n.created_at_ms),
                read: n.read,
            })
            .collect(),
    ))
}
