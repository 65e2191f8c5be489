//! `/api/v1/principles` and `/api/v1/playbook/search`: JSON in and out of the use cases in
//! `chorus_app::playbook`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use chorus_app::org;
use chorus_app::playbook::{self, MarketExampleFields, PrincipleFields};
use serde::Deserialize;

use super::dto::{PrincipleBody, PrincipleDto, SearchHitDto};
use super::json::ApiJson;
use crate::auth::ApiUser;
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/principles", get(list).post(create))
        .route(
            "/v1/principles/{slug}",
            get(get_one).put(update).delete(delete),
        )
        .route("/v1/playbook/search", get(search))
}

/// Every principle, in playbook order.
#[utoipa::path(get, path = "/api/v1/principles", tag = "playbook",
    responses((status = 200, body = Vec<PrincipleDto>), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
) -> Result<Json<Vec<PrincipleDto>>, AppError> {
    let book = playbook::playbook(&state.app, &id.caller).await?;
    Ok(Json(
        book.principles
            .iter()
            .map(|p| PrincipleDto::of(p, &book.markets))
            .collect(),
    ))
}

/// One principle by slug.
#[utoipa::path(get, path = "/api/v1/principles/{slug}", tag = "playbook",
    params(("slug" = String, Path)),
    responses((status = 200, body = PrincipleDto), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(slug): Path<String>,
) -> Result<Json<PrincipleDto>, AppError> {
    let view = playbook::principle(&state.app, &id.caller, &slug).await?;
    Ok(Json(PrincipleDto::of(&view.principle, &view.markets)))
}

/// The body as the use case takes it (it parses and names the field).
fn fields(body: PrincipleBody) -> PrincipleFields {
    PrincipleFields {
        number: body.number.to_string(),
        slug: body.slug.unwrap_or_default(),
        pillar: body.pillar,
        title: body.title,
        statement: body.statement,
        implications: body.implications,
        examples: body.examples,
        case_studies: body.case_studies,
        market_examples: body
            .market_examples
            .into_iter()
            .map(|e| MarketExampleFields {
                market: e.market,
                body: e.body,
            })
            .collect(),
    }
}

/// Creates a principle (global leads and admins).
#[utoipa::path(post, path = "/api/v1/principles", tag = "playbook", request_body = PrincipleBody,
    responses((status = 201, body = PrincipleDto), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    ApiJson(body): ApiJson<PrincipleBody>,
) -> Result<(StatusCode, Json<PrincipleDto>), AppError> {
    let p = playbook::create_principle(&state.app, &id.caller, &fields(body)).await?;
    let markets = org::markets(&state.app, &id.caller).await?;
    Ok((StatusCode::CREATED, Json(PrincipleDto::of(&p, &markets))))
}

/// Replaces a principle's content (global leads and admins).
#[utoipa::path(put, path = "/api/v1/principles/{slug}", tag = "playbook", request_body = PrincipleBody,
    params(("slug" = String, Path)),
    responses((status = 200, body = PrincipleDto), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<PrincipleBody>,
) -> Result<Json<PrincipleDto>, AppError> {
    let p = playbook::update_principle(&state.app, &id.caller, &slug, &fields(body)).await?;
    let markets = org::markets(&state.app, &id.caller).await?;
    Ok(Json(PrincipleDto::of(&p, &markets)))
}

/// Deletes a principle (global leads and admins); the audit log keeps its last text.
#[utoipa::path(delete, path = "/api/v1/principles/{slug}", tag = "playbook",
    params(("slug" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(slug): Path<String>,
) -> Result<StatusCode, AppError> {
    playbook::delete_principle(&state.app, &id.caller, &slug).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct SearchParams {
    /// Words that must all appear (as word prefixes, any case).
    #[serde(default)]
    q: String,
}

/// Searches every principle's text, best match first.
#[utoipa::path(get, path = "/api/v1/playbook/search", tag = "playbook", params(SearchParams),
    responses((status = 200, body = Vec<SearchHitDto>)))]
pub async fn search(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Query(params): Query<SearchParams>,
) -> Result<Json<Vec<SearchHitDto>>, AppError> {
    Ok(Json(
        playbook::search(&state.app, &id.caller, &params.q)
            .await?
            .into_iter()
            .map(|h| SearchHitDto {
                slug: h.slug,
                number: h.number,
                title: h.title,
                pillar: h.pillar.as_str().to_owned(),
                score: h.score,
                field: h.field.to_owned(),
                matched: h
                    .snippet
                    .iter()
                    .filter(|s| s.highlight)
                    .map(|s| s.text.clone())
                    .collect(),
                snippet: h.snippet.into_iter().map(|s| s.text).collect(),
            })
            .collect(),
    ))
}
