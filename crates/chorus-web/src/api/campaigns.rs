//! `/api/v1/campaigns`: campaigns with objectives, markets, period and principles; activation
//! needs an objective with a target (principle 5). The use cases are
//! `chorus_app::stories::campaigns` (the same as the pages').

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chorus_app::stories::Lookup;
use chorus_app::stories::campaigns::{self, CampaignView, RawCampaign};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::json::ApiJson;
use crate::auth::ApiUser;
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/campaigns", get(list).post(create))
        .route("/v1/campaigns/{id}", get(get_one).put(update))
        .route("/v1/campaigns/{id}/state", post(set_state))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectiveDto {
    pub metric: String,
    pub target: f64,
    #[serde(default)]
    pub period: String,
}

#[derive(Serialize, ToSchema)]
pub struct CampaignDto {
    pub id: i64,
    pub name: String,
    pub slug: String,
    /// `planning`, `active` or `ended`.
    pub state: String,
    pub starts_on: String,
    pub ends_on: String,
    pub objectives: Vec<ObjectiveDto>,
    /// Market codes.
    pub markets: Vec<String>,
    /// Principle numbers.
    pub principles: Vec<i64>,
    /// Whether the caller may change it (they manage campaigns in every one of its markets).
    pub can_manage: bool,
    /// The states the caller may move it to now.
    pub next_states: Vec<String>,
}

fn dto(view: &CampaignView, lookup: &Lookup) -> CampaignDto {
    let c = &view.campaign;
    CampaignDto {
        id: c.id,
        name: c.name.clone(),
        slug: c.slug.clone(),
        state: c.state.as_str().to_owned(),
        starts_on: c.starts_on.to_string(),
        ends_on: c.ends_on.to_string(),
        objectives: c
            .objectives
            .iter()
            .map(|o| ObjectiveDto {
                metric: o.metric.clone(),
                target: o.target,
                period: o.period.clone(),
            })
            .collect(),
        markets: c.markets.iter().map(|m| lookup.market_code(*m)).collect(),
        principles: c
            .principles
            .iter()
            .filter_map(|p| lookup.principle(*p))
            .map(|p| p.number)
            .collect(),
        can_manage: view.can_manage,
        next_states: view
            .next_states
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect(),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignBody {
    pub name: String,
    #[serde(default)]
    pub objectives: Vec<ObjectiveDto>,
    /// Market codes.
    pub markets: Vec<String>,
    /// Principle numbers or slugs.
    #[serde(default)]
    pub principles: Vec<String>,
    /// `YYYY-MM-DD`.
    pub starts_on: String,
    pub ends_on: String,
}

fn raw(b: &CampaignBody) -> RawCampaign {
    RawCampaign {
        name: b.name.clone(),
        objectives: b
            .objectives
            .iter()
            .map(|o| (o.metric.clone(), o.target.to_string(), o.period.clone()))
            .collect(),
        markets: b.markets.clone(),
        principles: b.principles.clone(),
        starts_on: b.starts_on.clone(),
        ends_on: b.ends_on.clone(),
    }
}

/// Campaigns running in the caller's markets.
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campaigns",
    responses((status = 200, body = Vec<CampaignDto>), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
) -> Result<Json<Vec<CampaignDto>>, AppError> {
    let list = campaigns::campaigns(&state.app, &id.caller).await?;
    Ok(Json(
        list.campaigns
            .iter()
            .map(|view| dto(view, &list.lookup))
            .collect(),
    ))
}

/// Creates a campaign in planning (leads of every chosen market, global leads, admins).
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campaigns", request_body = CampaignBody,
    responses((status = 201, body = CampaignDto), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    ApiJson(body): ApiJson<CampaignBody>,
) -> Result<(StatusCode, Json<CampaignDto>), AppError> {
    let view = campaigns::create_campaign(&state.app, &id.caller, &raw(&body)).await?;
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    Ok((StatusCode::CREATED, Json(dto(&view, &lookup))))
}

/// One campaign.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "campaigns", params(("id" = i64, Path)),
    responses((status = 200, body = CampaignDto), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(cid): Path<i64>,
) -> Result<Json<CampaignDto>, AppError> {
    let view = campaigns::campaign(&state.app, &id.caller, cid).await?;
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    Ok(Json(dto(&view, &lookup)))
}

/// Replaces a campaign's fields (those who manage campaigns in every market it runs in, before
/// and after the change).
#[utoipa::path(put, path = "/api/v1/campaigns/{id}", tag = "campaigns", request_body = CampaignBody,
    params(("id" = i64, Path)),
    responses((status = 200, body = CampaignDto), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(cid): Path<i64>,
    ApiJson(body): ApiJson<CampaignBody>,
) -> Result<Json<CampaignDto>, AppError> {
    let view = campaigns::update_campaign(&state.app, &id.caller, cid, &raw(&body)).await?;
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    Ok(Json(dto(&view, &lookup)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StateBody {
    /// `planning`, `active` or `ended`.
    pub state: String,
}

/// Moves a campaign to another state: planning → active → ended (or back to planning), ended →
/// active. Activation needs an objective with a target (422 on `objectives`); any other move is
/// a 409 on `state`.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/state", tag = "campaigns",
    request_body = StateBody, params(("id" = i64, Path)),
    responses((status = 200, body = CampaignDto), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn set_state(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(cid): Path<i64>,
    ApiJson(body): ApiJson<StateBody>,
) -> Result<Json<CampaignDto>, AppError> {
    let view = campaigns::set_campaign_state(&state.app, &id.caller, cid, &body.state).await?;
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    Ok(Json(dto(&view, &lookup)))
}
