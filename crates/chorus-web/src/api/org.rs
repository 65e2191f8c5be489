//! `/api/v1/markets` and their teams.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete as delete_route, get, put};
use axum::{Json, Router};
use chorus_app::org;
use chorus_core::TeamId;

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

fn fields(b: &MarketBody) -> org::MarketFields {
    org::MarketFields {
        code: b.code.clone(),
        name: b.name.clone(),
        country: b.country.clone(),
        locales: b.locales.clone(),
        timezone: b.timezone.clone(),
    }
}

/// Every market (any signed-in user may see the list: it names no people).
#[utoipa::path(get, path = "/api/v1/markets", tag = "organization",
    responses((status = 200, body = Vec<MarketDto>)))]
pub async fn list_markets(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
) -> Result<Json<Vec<MarketDto>>, AppError> {
    let markets = org::markets(&state.app, &id.caller).await?;
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
    let m = org::create_market(&state.app, &id.caller, &fields(&body)).await?;
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
    let m = org::update_market(&state.app, &id.caller, &code, &fields(&body)).await?;
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
    let market = org::market(&state.app, &id.caller, &code).await?;
    let teams = org::teams(&state.app, &id.caller, &code).await?;
    Ok(Json(
        teams
            .iter()
            .map(|t| TeamDto::of(t, std::slice::from_ref(&market)))
            .collect(),
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
    let team = org::create_team(&state.app, &id.caller, &code, &body.name).await?;
    let market = org::market(&state.app, &id.caller, &code).await?;
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
    org::delete_team(&state.app, &id.caller, TeamId(team)).await?;
    Ok(StatusCode::NO_CONTENT)
}
