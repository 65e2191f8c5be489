//! `/api/v1/campaigns`: campaigns with objectives, markets, period and principles; activation
//! needs an objective with a target (principle 5).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chorus_core::stories::CampaignState;
use chorus_store::Campaign;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::json::ApiJson;
use crate::auth::ApiUser;
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;
use crate::ui::stories::campaigns::{RawCampaign, may_manage, may_see, parse_campaign};
use crate::ui::stories::service::Lookup;

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
}

fn dto(c: &Campaign, lookup: &Lookup) -> CampaignDto {
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
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    Ok(Json(
        lookup
            .campaigns
            .iter()
            .filter(|c| may_see(&id.caller.actor, c))
            .map(|c| dto(c, &lookup))
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
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let input = parse_campaign(&raw(&body), &lookup)?;
    if !may_manage(&id.caller.actor, &input.markets) {
        return Err(AppError::Forbidden(
            "you may not run campaigns in every market you chose".into(),
        ));
    }
    let c = state.store.create_campaign(&id.author(), &input).await?;
    Ok((StatusCode::CREATED, Json(dto(&c, &lookup))))
}

async fn visible(
    state: &AppState,
    id: &crate::auth::Identity,
    cid: i64,
) -> Result<Campaign, AppError> {
    let c = state.store.campaign(cid).await?;
    if may_see(&id.caller.actor, &c) {
        Ok(c)
    } else {
        Err(AppError::NotFound("campaign"))
    }
}

/// One campaign.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "campaigns", params(("id" = i64, Path)),
    responses((status = 200, body = CampaignDto), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(cid): Path<i64>,
) -> Result<Json<CampaignDto>, AppError> {
    let c = visible(&state, &id, cid).await?;
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    Ok(Json(dto(&c, &lookup)))
}

/// Replaces a campaign's fields.
#[utoipa::path(put, path = "/api/v1/campaigns/{id}", tag = "campaigns", request_body = CampaignBody,
    params(("id" = i64, Path)),
    responses((status = 200, body = CampaignDto), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(cid): Path<i64>,
    ApiJson(body): ApiJson<CampaignBody>,
) -> Result<Json<CampaignDto>, AppError> {
    let c = visible(&state, &id, cid).await?;
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let input = parse_campaign(&raw(&body), &lookup)?;
    if !may_manage(&id.caller.actor, &c.markets) || !may_manage(&id.caller.actor, &input.markets) {
        return Err(AppError::Forbidden(
            "you may not manage campaigns in every market of this one".into(),
        ));
    }
    let c = state
        .store
        .update_campaign(&id.author(), cid, &input)
        .await?;
    Ok(Json(dto(&c, &lookup)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StateBody {
    /// `planning`, `active` or `ended`.
    pub state: String,
}

/// Moves a campaign to another state; activation needs an objective with a target.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/state", tag = "campaigns",
    request_body = StateBody, params(("id" = i64, Path)),
    responses((status = 200, body = CampaignDto), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn set_state(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(cid): Path<i64>,
    ApiJson(body): ApiJson<StateBody>,
) -> Result<Json<CampaignDto>, AppError> {
    let c = visible(&state, &id, cid).await?;
    if !may_manage(&id.caller.actor, &c.markets) {
        return Err(AppError::Forbidden(
            "you may not manage campaigns in every market of this one".into(),
        ));
    }
    let to =
        CampaignState::parse(&body.state).map_err(|e| AppError::invalid("state", e.message))?;
    let c = state
        .store
        .set_campaign_state(&id.author(), cid, to)
        .await
        .map_err(|e| match AppError::from(e) {
            AppError::Invalid { message, .. } => AppError::invalid("objectives", message),
            other => other,
        })?;
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    Ok(Json(dto(&c, &lookup)))
}
