//! `/api/v1/me`, `/api/v1/users` with memberships, and `/api/v1/audit`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chorus_core::org::{Market, MarketCode};
use chorus_core::permission::{allows, authorize, may_grant};
use chorus_core::user::{Email, Membership, check_new_password};
use chorus_core::{Action, Role, Scope, UserId};
use chorus_store::{AuditQuery, NewUser};
use serde::Deserialize;

use super::dto::{AuditEntryDto, MembershipDto, NewUserBody, UserDto, market_code};
use super::json::ApiJson;
use crate::auth::ApiUser;
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/me", get(me))
        .route("/v1/users", get(list).post(create))
        .route("/v1/users/{id}/memberships", post(grant))
        .route("/v1/users/{id}/memberships/revoke", post(revoke))
        .route("/v1/audit", get(audit))
}

fn user_dto(u: &chorus_core::user::User, ms: &[Membership], markets: &[Market]) -> UserDto {
    UserDto {
        id: u.id.0,
        email: u.email.to_string(),
        display_name: u.display_name.clone(),
        active: u.active,
        memberships: ms.iter().map(|m| MembershipDto::of(m, markets)).collect(),
    }
}

/// The caller.
#[utoipa::path(get, path = "/api/v1/me", tag = "users", responses((status = 200, body = UserDto)))]
pub async fn me(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
) -> Result<Json<UserDto>, AppError> {
    let markets = state.store.markets().await?;
    Ok(Json(user_dto(
        &id.user,
        &id.caller.actor.memberships,
        &markets,
    )))
}

/// Users the caller may see: everyone for admins and global leads; for market leads, the people
/// of their markets.
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, body = Vec<UserDto>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
) -> Result<Json<Vec<UserDto>>, AppError> {
    let markets = state.store.markets().await?;
    let global = allows(&id.caller.actor, Action::ReadMembers, Scope::Global);
    let readable: Vec<_> = markets
        .iter()
        .filter(|m| allows(&id.caller.actor, Action::ReadMembers, Scope::Market(m.id)))
        .map(|m| m.id)
        .collect();
    if !global && readable.is_empty() {
        return Err(AppError::Forbidden(
            "you may not see users and memberships".into(),
        ));
    }
    let users = state.store.users(None).await?;
    Ok(Json(
        users
            .iter()
            .filter(|u| {
                global
                    || u.memberships
                        .iter()
                        .any(|m| matches!(m.scope, Scope::Market(mid) if readable.contains(&mid)))
            })
            .map(|u| user_dto(&u.user, &u.memberships, &markets))
            .collect(),
    ))
}

fn to_membership(
    dto: &MembershipDto,
    markets: &[Market],
    field: &str,
) -> Result<Membership, AppError> {
    let role = Role::parse(&dto.role)
        .map_err(|e| AppError::invalid(format!("{field}.role"), e.message))?;
    let market = match dto.market.as_deref() {
        None => None,
        Some(code) => {
            let code = MarketCode::parse(code)
                .map_err(|e| AppError::invalid(format!("{field}.market"), e.message))?;
            Some(
                markets
                    .iter()
                    .find(|m| m.code == code)
                    .ok_or_else(|| {
                        AppError::invalid(
                            format!("{field}.market"),
                            format!("no market has the code {code}"),
                        )
                    })?
                    .id,
            )
        }
    };
    Membership::new(role, market)
        .map_err(|e| AppError::invalid(format!("{field}.market"), e.message))
}

fn check_grant(id: &crate::auth::Identity, m: &Membership) -> Result<(), AppError> {
    if may_grant(&id.caller.actor, m.role, m.scope) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "you may not grant or revoke the {} role there",
            m.role.label()
        )))
    }
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
    let markets = state.store.markets().await?;
    let email = Email::parse(&body.email).map_err(|e| e.at("email"))?;
    let display_name =
        chorus_core::validate::text(&body.display_name, 100).map_err(|e| e.at("display_name"))?;
    check_new_password(&body.password).map_err(|e| e.at("password"))?;
    if body.memberships.is_empty() {
        return Err(AppError::invalid("memberships", "give at least one role"));
    }
    let mut memberships = Vec::new();
    for (i, m) in body.memberships.iter().enumerate() {
        let m = to_membership(m, &markets, &format!("memberships[{i}]"))?;
        check_grant(&id, &m)?;
        memberships.push(m);
    }
    let hash = chorus_core::password::hash(&body.password)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let user = state
        .store
        .create_user(
            &id.author(),
            &NewUser {
                email,
                display_name,
                password_hash: Some(hash),
                memberships: memberships.clone(),
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(user_dto(&user, &memberships, &markets)),
    ))
}

async fn change_membership(
    state: &AppState,
    id: &crate::auth::Identity,
    user: i64,
    body: &MembershipDto,
    grant: bool,
) -> Result<Json<UserDto>, AppError> {
    let markets = state.store.markets().await?;
    let target = state.store.user(UserId(user)).await?;
    let m = to_membership(body, &markets, "membership")?;
    check_grant(id, &m)?;
    if grant {
        state.store.grant(&id.author(), target.id, m).await?;
    } else {
        if target.id == id.user.id && m.role == Role::Admin {
            return Err(AppError::invalid(
                "role",
                "you cannot remove your own admin role",
            ));
        }
        state.store.revoke(&id.author(), target.id, m).await?;
    }
    let ms = state.store.memberships(target.id).await?;
    Ok(Json(user_dto(&target, &ms, &markets)))
}

/// Grants a membership.
#[utoipa::path(post, path = "/api/v1/users/{id}/memberships", tag = "users", request_body = MembershipDto,
    params(("id" = i64, Path)),
    responses((status = 200, body = UserDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn grant(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(user): Path<i64>,
    ApiJson(body): ApiJson<MembershipDto>,
) -> Result<Json<UserDto>, AppError> {
    change_membership(&state, &id, user, &body, true).await
}

/// Revokes a membership.
#[utoipa::path(post, path = "/api/v1/users/{id}/memberships/revoke", tag = "users", request_body = MembershipDto,
    params(("id" = i64, Path)),
    responses((status = 200, body = UserDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(user): Path<i64>,
    ApiJson(body): ApiJson<MembershipDto>,
) -> Result<Json<UserDto>, AppError> {
    change_membership(&state, &id, user, &body, false).await
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct AuditParams {
    /// e.g. `principle`, `user`, `market`, `team`.
    subject_type: Option<String>,
    subject_id: Option<String>,
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
    authorize(&id.caller.actor, Action::ReadAuditLog, Scope::Global)?;
    let markets = state.store.markets().await?;
    let entries = state
        .store
        .audit_entries(&AuditQuery {
            subject_type: p.subject_type,
            subject_id: p.subject_id,
            actor_id: None,
            before_id: p.before,
            limit: p.limit.unwrap_or(50),
        })
        .await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| AuditEntryDto {
                id: e.id,
                at: crate::ui::iso_time(e.at_ms),
                actor: e.actor_label,
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
