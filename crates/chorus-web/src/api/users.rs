//! `/api/v1/me`, `/api/v1/users` with memberships, and `/api/v1/audit`: the JSON face of
//! `chorus_app::users` and `chorus_app::audit` (the admin pages call the same use cases).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chorus_app::audit::{self, AuditFilter};
use chorus_app::org;
use chorus_app::users::{
    self, MembershipFields, NewUserFields, ProfileFields, UserWithMemberships,
};
use chorus_core::UserId;
use chorus_core::org::Market;
use serde::Deserialize;
use utoipa::ToSchema;

use super::dto::{AuditEntryDto, MembershipDto, NewUserBody, UserDto, market_code};
use super::json::ApiJson;
use crate::auth::ApiUser;
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/me", get(me))
        .route("/v1/users", get(list).post(create))
        .route("/v1/users/{id}", get(get_one).patch(update))
        .route("/v1/users/{id}/memberships", post(grant))
        .route("/v1/users/{id}/memberships/revoke", post(revoke))
        .route("/v1/audit", get(audit))
}

fn user_dto(u: &UserWithMemberships, markets: &[Market]) -> UserDto {
    UserDto {
        id: u.user.id.0,
        email: u.user.email.to_string(),
        display_name: u.user.display_name.clone(),
        active: u.user.active,
        memberships: u
            .memberships
            .iter()
            .map(|m| MembershipDto::of(m, markets))
            .collect(),
    }
}

fn membership_fields(dto: &MembershipDto) -> MembershipFields {
    MembershipFields {
        role: dto.role.clone(),
        market: dto.market.clone().unwrap_or_default(),
    }
}

/// The caller.
#[utoipa::path(get, path = "/api/v1/me", tag = "users", responses((status = 200, body = UserDto)))]
pub async fn me(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
) -> Result<Json<UserDto>, AppError> {
    let markets = org::markets(&state.app, &id.caller).await?;
    let me = UserWithMemberships {
        user: id.user.clone(),
        memberships: id.caller.actor.memberships.clone(),
    };
    Ok(Json(user_dto(&me, &markets)))
}

/// Users the caller may see: everyone for admins and global leads; for market leads, the people
/// holding a role in a market they lead.
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, body = Vec<UserDto>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
) -> Result<Json<Vec<UserDto>>, AppError> {
    let users = users::list(&state.app, &id.caller).await?;
    let markets = org::markets(&state.app, &id.caller).await?;
    Ok(Json(users.iter().map(|u| user_dto(u, &markets)).collect()))
}

/// One user the caller may see (anyone else: 404, as for an id nobody has).
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = UserDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(user): Path<i64>,
) -> Result<Json<UserDto>, AppError> {
    let found = users::user(&state.app, &id.caller, UserId(user)).await?;
    let markets = org::markets(&state.app, &id.caller).await?;
    Ok(Json(user_dto(&found, &markets)))
}

/// Creates a user with memberships (admins; market leads for working roles in their markets).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUserBody,
    responses((status = 201, body = UserDto), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    ApiJson(body): ApiJson<NewUserBody>,
) -> Result<(StatusCode, Json<UserDto>), AppError> {
    let fields = NewUserFields {
        email: body.email,
        display_name: body.display_name,
        password: body.password,
        memberships: body.memberships.iter().map(membership_fields).collect(),
    };
    let user = users::create(&state.app, &id.caller, &fields).await?;
    let markets = org::markets(&state.app, &id.caller).await?;
    Ok((StatusCode::CREATED, Json(user_dto(&user, &markets))))
}

/// Changes to a user; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatchBody {
    pub display_name: Option<String>,
    /// `false` deactivates: every session and API token of theirs stops working at once.
    pub active: Option<bool>,
    /// A new password (at least 10 characters): every session of theirs ends, and every API
    /// token of theirs is revoked unless `keep_api_tokens` is true.
    pub password: Option<String>,
    /// With `password`: let their API tokens keep working (default false).
    #[serde(default)]
    pub keep_api_tokens: bool,
}

/// Changes a user's name, whether they may sign in, or their password (admins; a market lead
/// for people who hold only working roles in markets they lead).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", request_body = UserPatchBody,
    params(("id" = i64, Path)),
    responses((status = 200, body = UserDto), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(user): Path<i64>,
    ApiJson(body): ApiJson<UserPatchBody>,
) -> Result<Json<UserDto>, AppError> {
    let fields = ProfileFields {
        display_name: body.display_name,
        active: body.active,
        password: body.password,
        keep_api_tokens: body.keep_api_tokens,
    };
    let updated = users::update(&state.app, &id.caller, UserId(user), &fields).await?;
    let markets = org::markets(&state.app, &id.caller).await?;
    Ok(Json(user_dto(&updated, &markets)))
}

/// Grants a membership (one the caller may grant there; someone they may not see: 404).
#[utoipa::path(post, path = "/api/v1/users/{id}/memberships", tag = "users", request_body = MembershipDto,
    params(("id" = i64, Path)),
    responses((status = 200, body = UserDto), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn grant(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(user): Path<i64>,
    ApiJson(body): ApiJson<MembershipDto>,
) -> Result<Json<UserDto>, AppError> {
    let fields = membership_fields(&body);
    let updated = users::grant(&state.app, &id.caller, UserId(user), &fields).await?;
    let markets = org::markets(&state.app, &id.caller).await?;
    Ok(Json(user_dto(&updated, &markets)))
}

/// Revokes a membership (one the caller may grant there; someone they may not see: 404).
#[utoipa::path(post, path = "/api/v1/users/{id}/memberships/revoke", tag = "users", request_body = MembershipDto,
    params(("id" = i64, Path)),
    responses((status = 200, body = UserDto), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(user): Path<i64>,
    ApiJson(body): ApiJson<MembershipDto>,
) -> Result<Json<UserDto>, AppError> {
    let fields = membership_fields(&body);
    let updated = users::revoke(&state.app, &id.caller, UserId(user), &fields).await?;
    let markets = org::markets(&state.app, &id.caller).await?;
    Ok(Json(user_dto(&updated, &markets)))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct AuditParams {
    /// e.g. `story`, `campaign`, `conversation`, `listening_query`, `principle`, `rule`,
    /// `user`, `team`, `market`, `account`, `api_token`, `organization`.
    subject_type: Option<String>,
    subject_id: Option<String>,
    /// Only changes made by this user (their id).
    actor: Option<String>,
    /// First day, YYYY-MM-DD (UTC), inclusive.
    from: Option<String>,
    /// Last day, YYYY-MM-DD (UTC), inclusive.
    to: Option<String>,
    /// Entries older than this id (paging).
    before: Option<i64>,
    /// At most 500; default 50.
    limit: Option<i64>,
}

/// The audit log, newest first (admins only).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditParams),
    responses((status = 200, body = Vec<AuditEntryDto>), (status = 403, body = ErrorBody)))]
pub async fn audit(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Query(p): Query<AuditParams>,
) -> Result<Json<Vec<AuditEntryDto>>, AppError> {
    let filter = AuditFilter {
        subject_type: p.subject_type,
        subject_id: p.subject_id,
        actor: p.actor,
        from: p.from,
        to: p.to,
        before: p.before,
        limit: p.limit,
        // The API's summaries keep times in UTC, as its other fields do.
        zone: None,
    };
    let log = audit::log(&state.app, &id.caller, &filter).await?;
    let markets = org::markets(&state.app, &id.caller).await?;
    Ok(Json(
        log.lines
            .into_iter()
            .map(|line| (line.sentence, line.entry))
            .map(|(summary, e)| AuditEntryDto {
                id: e.id,
                at: crate::ui::iso_time(e.at_ms),
                actor: e.actor_label,
                actor_id: e.actor_id.map(|u| u.0),
                summary,
                action: e.action,
                subject_type: e.subject_type,
                subject_id: e.subject_id,
                market: e.market_id.map(|m| market_code(&markets, m)),
                before: e.before,
                after: e.after,
            })
            .collect(),
    ))
}
