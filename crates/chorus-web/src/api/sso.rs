//! `/api/v1/sso`: the single sign-on providers configured (read-only: they live in config) and
//! the rules that map their groups onto memberships (admins only), translated to
//! `chorus_app::sso`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use chorus_app::sso::{self, NewRule};
use chorus_core::sso::{GroupRule, RuleScope};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::json::ApiJson;
use crate::auth::ApiUser;
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/sso/providers", get(providers))
        .route("/v1/sso/rules", get(list_rules).post(create_rule))
        .route("/v1/sso/rules/{id}", delete(delete_rule))
}

#[derive(Serialize, ToSchema)]
pub struct ProviderDto {
    /// The provider's short name (its sign-in starts at `/login/sso/{id}`).
    pub id: String,
    pub display_name: String,
    pub issuer: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    /// The claim the person's groups are read from.
    pub groups_claim: String,
    /// The redirect URI to register at the provider.
    pub redirect_uri: String,
}

#[derive(Serialize, ToSchema)]
pub struct RuleDto {
    pub id: i64,
    /// A group name, or a prefix ending in `*`.
    pub group: String,
    /// `admin`, `global_lead`, `market_lead`, `editor`, `contributor`, `community_manager`,
    /// `analyst`.
    pub role: String,
    /// A market's code; `null` with `market_from_suffix: false` for every market.
    pub market: Option<String>,
    /// The market is the one whose code the group's `*` matched.
    pub market_from_suffix: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleBody {
    pub group: String,
    pub role: String,
    /// A market's code; absent or `null` for every market (or with `market_from_suffix`).
    #[serde(default)]
    pub market: Option<String>,
    #[serde(default)]
    pub market_from_suffix: bool,
}

/// The identity providers people may sign in with (admins).
#[utoipa::path(get, path = "/api/v1/sso/providers", tag = "sso",
    responses((status = 200, body = Vec<ProviderDto>), (status = 403, body = ErrorBody)))]
pub async fn providers(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
) -> Result<Json<Vec<ProviderDto>>, AppError> {
    let list = sso::configured(&state.app, &id.caller)?
        .into_iter()
        .map(|p| ProviderDto {
            redirect_uri: p.redirect_uri,
            id: p.id,
            display_name: p.display_name,
            issuer: p.issuer,
            client_id: p.client_id,
            scopes: p.scopes,
            groups_claim: p.groups_claim,
        })
        .collect();
    Ok(Json(list))
}

async fn dto(
    state: &AppState,
    id: &crate::auth::Identity,
    rule: &GroupRule,
) -> Result<RuleDto, AppError> {
    let market = match rule.scope {
        RuleScope::Market(m) => chorus_app::org::markets(&state.app, &id.caller)
            .await?
            .into_iter()
            .find(|x| x.id == m)
            .map(|x| x.code.to_string()),
        _ => None,
    };
    Ok(RuleDto {
        id: rule.id,
        group: rule.group.as_str().to_owned(),
        role: rule.role.as_str().to_owned(),
        market,
        market_from_suffix: rule.scope == RuleScope::FromSuffix,
    })
}

/// The rules mapping groups onto memberships, oldest first (admins).
#[utoipa::path(get, path = "/api/v1/sso/rules", tag = "sso",
    responses((status = 200, body = Vec<RuleDto>), (status = 403, body = ErrorBody)))]
pub async fn list_rules(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
) -> Result<Json<Vec<RuleDto>>, AppError> {
    let rules = sso::rules(&state.app, &id.caller).await?;
    let mut out = Vec::with_capacity(rules.len());
    for r in &rules {
        out.push(dto(&state, &id, r).await?);
    }
    Ok(Json(out))
}

/// Adds a rule (admins); it applies from each person's next sign-in.
#[utoipa::path(post, path = "/api/v1/sso/rules", tag = "sso", request_body = RuleBody,
    responses((status = 201, body = RuleDto), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_rule(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    ApiJson(body): ApiJson<RuleBody>,
) -> Result<(StatusCode, Json<RuleDto>), AppError> {
    let rule = sso::create_rule(
        &state.app,
        &id.caller,
        &NewRule {
            group: body.group,
            role: body.role,
            market: body.market,
            market_from_suffix: body.market_from_suffix,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(dto(&state, &id, &rule).await?)))
}

/// Deletes a rule (admins); what it gave is taken back at each holder's next sign-in.
#[utoipa::path(delete, path = "/api/v1/sso/rules/{id}", tag = "sso", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_rule(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(rule): Path<i64>,
) -> Result<StatusCode, AppError> {
    sso::delete_rule(&state.app, &id.caller, rule).await?;
    Ok(StatusCode::NO_CONTENT)
}
