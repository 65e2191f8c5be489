//! `/api/v1/markets` and their teams.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete as delete_route, get, put};
use axum::{Json, Router};
use chorus_core::org::{Market, MarketCode, MarketInput, team_name};
use chorus_core::permission::{allows, authorize};
use chorus_core::{Action, Scope, TeamId};

use super::dto::{MarketBody, MarketDto, TeamBody, TeamDto};
use super::json::ApiJson;
use crate::auth::ApiUser;
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/markets", get(list_markets).post(create_market))
        .route("/v1/markets/{code}", put(update_market))
        .route(
            "/v1/markets/{code}/teams",
            get(list_teams).post(create_team),
        )
        .route("/v1/teams/{id}", delete_route(delete_team))
}

fn parse_body(b: &MarketBody) -> Result<MarketInput, AppError> {
    Ok(MarketInput::parse(
        &b.code,
        &b.name,
        &b.country,
        &b.locales,
        &b.timezone,
    )?)
}

async fn find(state: &AppState, code: &str) -> Result<Market, AppError> {
    let code = MarketCode::parse(code).map_err(|_| AppError::NotFound("market"))?;
    Ok(state.store.market_by_code(&code).await?)
}

/// Every market (any signed-in user may see the list: it names no people).
#[utoipa::path(get, path = "/api/v1/markets", tag = "organization",
    responses((status = 200, body = Vec<MarketDto>)))]
pub async fn list_markets(
    State(state): State<AppState>,
    ApiUser(_id): ApiUser,
) -> Result<Json<Vec<MarketDto>>, AppError> {
    let markets = state.store.markets().await?;
    Ok(Json(markets.iter().map(MarketDto::from).collect()))
}

/// Creates a market (admins).
#[utoipa::path(post, path = "/api/v1/markets", tag = "organization", request_body = MarketBody,
    responses((status = 201, body = MarketDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_market(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    ApiJson(body): ApiJson<MarketBody>,
) -> Result<(StatusCode, Json<MarketDto>), AppError> {
    authorize(&id.actor, Action::ManageMarkets, Scope::Global)?;
    let input = parse_body(&body)?;
    let m = state.store.create_market(&id.author(), &input).await?;
    Ok((StatusCode::CREATED, Json(MarketDto::from(&m))))
}

/// Changes a market's settings (admins; its market leads, who cannot change the code).
#[utoipa::path(put, path = "/api/v1/markets/{code}", tag = "organization", request_body = MarketBody,
    params(("code" = String, Path)),
    responses((status = 200, body = MarketDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_market(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<MarketBody>,
) -> Result<Json<MarketDto>, AppError> {
    let market = find(&state, &code).await?;
    authorize(&id.actor, Action::EditMarket, Scope::Market(market.id))?;
    let input = parse_body(&body)?;
    if input.code != market.code && !id.actor.is_admin() {
        return Err(AppError::Forbidden(
            "only admins change a market's code".into(),
        ));
    }
    let m = state
        .store
        .update_market(&id.author(), market.id, &input)
        .await?;
    Ok(Json(MarketDto::from(&m)))
}

/// A market's teams.
#[utoipa::path(get, path = "/api/v1/markets/{code}/teams", tag = "organization",
    params(("code" = String, Path)), responses((status = 200, body = Vec<TeamDto>)))]
pub async fn list_teams(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(code): Path<String>,
) -> Result<Json<Vec<TeamDto>>, AppError> {
    let market = find(&state, &code).await?;
    if !allows(&id.actor, Action::ReadMembers, Scope::Market(market.id))
        && !allows(&id.actor, Action::ReadPlaybook, Scope::Market(market.id))
    {
        return Err(AppError::Forbidden(
            "you may not see this market's teams".into(),
        ));
    }
    let markets = [market.clone()];
    let teams = state.store.teams(Some(market.id)).await?;
    Ok(Json(
        teams.iter().map(|t| TeamDto::of(t, &markets)).collect(),
    ))
}

/// Creates a team in a market (admins, that market's leads).
#[utoipa::path(post, path = "/api/v1/markets/{code}/teams", tag = "organization", request_body = TeamBody,
    params(("code" = String, Path)),
    responses((status = 201, body = TeamDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_team(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<TeamBody>,
) -> Result<(StatusCode, Json<TeamDto>), AppError> {
    let market = find(&state, &code).await?;
    authorize(&id.actor, Action::ManageTeams, Scope::Market(market.id))?;
    let name = team_name(&body.name).map_err(|e| e.at("name"))?;
    let team = state
        .store
        .create_team(&id.author(), market.id, &name)
        .await?;
    Ok((StatusCode::CREATED, Json(TeamDto::of(&team, &[market]))))
}

/// Deletes a team (admins, its market's leads).
#[utoipa::path(delete, path = "/api/v1/teams/{id}", tag = "organization", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_team(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(team): Path<i64>,
) -> Result<StatusCode, AppError> {
    let team = state.store.team(TeamId(team)).await?;
    authorize(
        &id.actor,
        Action::ManageTeams,
        Scope::Market(team.market_id),
    )?;
    state.store.delete_team(&id.author(), team.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
