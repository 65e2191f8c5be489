//! `/api/v1/webhooks`: the outbound webhooks (admins only), translated to
//! `chorus_app::webhooks`. A webhook's signing secret is in the answer to creating it, reading
//! it and rotating it; the delivery log comes with `GET /api/v1/webhooks/{id}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chorus_app::webhooks::{self, Webhook, WebhookFields};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::json::ApiJson;
use crate::auth::ApiUser;
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/webhooks", get(list).post(create))
        .route("/v1/webhooks/{id}", get(get_one).put(update))
        .route("/v1/webhooks/{id}/test", post(send_test))
        .route("/v1/webhooks/{id}/secret", post(rotate_secret))
}

#[derive(Serialize, ToSchema)]
pub struct WebhookDto {
    pub id: i64,
    pub name: String,
    pub url: String,
    /// A market's code, or `null` for every market.
    pub market: Option<String>,
    /// Event types, e.g. `story.published`, `reach.lead_confirmed`.
    pub events: Vec<String>,
    pub enabled: bool,
    /// Why it is off (turned off by an admin, or after 20 failed attempts in a row).
    pub disabled_reason: Option<String>,
    /// Failed attempts since the last success.
    pub consecutive_failures: i64,
    /// RFC 3339.
    pub created_at: String,
}

impl From<&Webhook> for WebhookDto {
    fn from(w: &Webhook) -> Self {
        let e = &w.endpoint;
        WebhookDto {
            id: e.id,
            name: e.name.clone(),
            url: e.url.clone(),
            market: w.market_code.clone(),
            events: e.events.clone(),
            enabled: e.enabled,
            disabled_reason: e.disabled_reason.clone(),
            consecutive_failures: e.consecutive_failures,
            created_at: rfc3339(e.created_at_ms),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct WebhookWithSecretDto {
    #[serde(flatten)]
    pub webhook: WebhookDto,
    /// The signing secret (`whsec_…`): the HMAC-SHA256 key of `Chorus-Signature`.
    pub secret: String,
}

#[derive(Serialize, ToSchema)]
pub struct WebhookAttemptDto {
    pub event_id: String,
    pub event_type: String,
    pub attempt: i64,
    /// RFC 3339.
    pub at: String,
    /// The HTTP status answered, or `null` when none came (refused address, timeout).
    pub status: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

#[derive(Serialize, ToSchema)]
pub struct WebhookDeliveryDto {
    pub event_id: String,
    pub event_type: String,
    /// `queued`, `delivered`, `failed` or `dropped` (the webhook was off when its turn came).
    pub state: String,
    pub attempts: i64,
    pub last_status: Option<i64>,
    /// RFC 3339.
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct WebhookDetailDto {
    #[serde(flatten)]
    pub webhook: WebhookDto,
    pub secret: String,
    /// The latest deliveries, newest first.
    pub deliveries: Vec<WebhookDeliveryDto>,
    /// The delivery log: the latest attempts, newest first.
    pub attempts: Vec<WebhookAttemptDto>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookBody {
    pub name: String,
    /// `https://…` (or `http://…`); a private address is refused unless the operator allows
    /// local networks (`[outbound] allow_private_addresses`).
    pub url: String,
    /// A market's code; absent or `null` for every market.
    #[serde(default)]
    pub market: Option<String>,
    pub events: Vec<String>,
    /// Default `true`.
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestEventBody {
    /// What the test event's `data.message` says (at most 500 characters; default a standard
    /// sentence).
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateSecretBody {
    /// Must be `true`: the old secret stops signing at once.
    pub confirm: bool,
}

#[derive(Serialize, ToSchema)]
pub struct TestEventDto {
    /// The queued test event's id (`Chorus-Event-Id`).
    pub event_id: String,
}

#[derive(Serialize, ToSchema)]
pub struct SecretDto {
    pub secret: String,
}

fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

fn fields(b: WebhookBody) -> WebhookFields {
    WebhookFields {
        name: b.name,
        url: b.url,
        market: b.market.unwrap_or_default(),
        events: b.events,
        enabled: b.enabled,
    }
}

/// Every webhook (admins).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses((status = 200, body = Vec<WebhookDto>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
) -> Result<Json<Vec<WebhookDto>>, AppError> {
    let hooks = webhooks::list(&state.app, &id.caller).await?;
    Ok(Json(hooks.iter().map(WebhookDto::from).collect()))
}

/// Subscribes an endpoint (admins); the answer carries its signing secret.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = WebhookBody,
    responses((status = 201, body = WebhookWithSecretDto), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    ApiJson(body): ApiJson<WebhookBody>,
) -> Result<(StatusCode, Json<WebhookWithSecretDto>), AppError> {
    let (hook, secret) = webhooks::create(&state.app, &id.caller, &fields(body)).await?;
    Ok((
        StatusCode::CREATED,
        Json(WebhookWithSecretDto {
            webhook: WebhookDto::from(&hook),
            secret,
        }),
    ))
}

/// A webhook with its secret, latest deliveries and attempts (admins).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 200, body = WebhookDetailDto), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(hook): Path<i64>,
) -> Result<Json<WebhookDetailDto>, AppError> {
    let d = webhooks::get(&state.app, &id.caller, hook).await?;
    Ok(Json(WebhookDetailDto {
        webhook: WebhookDto::from(&d.webhook),
        secret: d.secret,
        deliveries: d
            .deliveries
            .into_iter()
            .map(|x| WebhookDeliveryDto {
                state: x.state.as_str().to_owned(),
                created_at: rfc3339(x.created_at_ms),
                event_id: x.event_id,
                event_type: x.event_type,
                attempts: x.attempts,
                last_status: x.last_status,
            })
            .collect(),
        attempts: d
            .attempts
            .into_iter()
            .map(|a| WebhookAttemptDto {
                at: rfc3339(a.at_ms),
                event_id: a.event_id,
                event_type: a.event_type,
                attempt: a.attempt,
                status: a.status,
                error: a.error,
                duration_ms: a.duration_ms,
            })
            .collect(),
    }))
}

/// Changes a webhook (admins); `enabled: true` turns one that was off on again.
#[utoipa::path(put, path = "/api/v1/webhooks/{id}", tag = "webhooks", request_body = WebhookBody,
    params(("id" = i64, Path)),
    responses((status = 200, body = WebhookDto), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(hook): Path<i64>,
    ApiJson(body): ApiJson<WebhookBody>,
) -> Result<Json<WebhookDto>, AppError> {
    let w = webhooks::update(&state.app, &id.caller, hook, &fields(body)).await?;
    Ok(Json(WebhookDto::from(&w)))
}

/// Queues a `webhook.test` event to this webhook alone (admins).
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/test", tag = "webhooks",
    params(("id" = i64, Path)), request_body = TestEventBody,
    responses((status = 202, body = TestEventDto), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn send_test(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(hook): Path<i64>,
    ApiJson(body): ApiJson<TestEventBody>,
) -> Result<(StatusCode, Json<TestEventDto>), AppError> {
    let message = body.message.unwrap_or_default();
    let event_id = webhooks::send_test(&state.app, &id.caller, hook, &message).await?;
    Ok((StatusCode::ACCEPTED, Json(TestEventDto { event_id })))
}

/// Gives a webhook a new signing secret; the old one stops signing at once (admins).
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/secret", tag = "webhooks",
    params(("id" = i64, Path)), request_body = RotateSecretBody,
    responses((status = 200, body = SecretDto), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(hook): Path<i64>,
    ApiJson(body): ApiJson<RotateSecretBody>,
) -> Result<Json<SecretDto>, AppError> {
    if !body.confirm {
        return Err(AppError::invalid(
            "confirm",
            "send true to replace the secret (the old one stops signing at once)",
        ));
    }
    let secret = webhooks::rotate_secret(&state.app, &id.caller, hook).await?;
    Ok(Json(SecretDto { secret }))
}
