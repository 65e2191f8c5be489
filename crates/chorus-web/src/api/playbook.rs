//! `/api/v1/principles` and `/api/v1/playbook/search`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use chorus_core::org::{Market, MarketCode};
use chorus_core::permission::authorize;
use chorus_core::playbook::{MarketExample, PrincipleInput, RawPrinciple, search as find};
use chorus_core::{Action, Invalid, Scope};
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
    authorize(&id.caller.actor, Action::ReadPlaybook, Scope::Global)?;
    let markets = state.store.markets().await?;
    let all = state.store.principles().await?;
    Ok(Json(
        all.iter().map(|p| PrincipleDto::of(p, &markets)).collect(),
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
    authorize(&id.caller.actor, Action::ReadPlaybook, Scope::Global)?;
    let markets = state.store.markets().await?;
    let p = state.store.principle_by_slug(&slug).await?;
    Ok(Json(PrincipleDto::of(&p, &markets)))
}

fn to_input(body: PrincipleBody, markets: &[Market]) -> Result<PrincipleInput, AppError> {
    let mut examples = Vec::with_capacity(body.market_examples.len());
    for (i, ex) in body.market_examples.into_iter().enumerate() {
        let field = format!("market_examples[{i}].market");
        let code =
            MarketCode::parse(&ex.market).map_err(|e| AppError::invalid(&field, e.message))?;
        let market = markets.iter().find(|m| m.code == code).ok_or_else(|| {
            AppError::invalid(
                &field,
                Invalid::new(format!("no market has the code {code}")).message,
            )
        })?;
        examples.push(MarketExample {
            market_id: market.id,
            body: ex.body,
        });
    }
    Ok(PrincipleInput::parse(&RawPrinciple {
        number: body.number,
        slug: body.slug,
        pillar: body.pillar,
        title: body.title,
        statement: body.statement,
        implications: body.implications,
        examples: body.examples,
        case_studies: body.case_studies,
        market_examples: examples,
    })?)
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
    authorize(&id.caller.actor, Action::EditPlaybook, Scope::Global)?;
    let markets = state.store.markets().await?;
    let input = to_input(body, &markets)?;
    let p = state.store.create_principle(&id.author(), &input).await?;
    Ok((StatusCode::CREATED, Json(PrincipleDto::of(&p, &markets))))
}

/// Replaces a principle's content (global leads and admins).
#[utoipa::path(put, path = "/api/v1/principles/{slug}", tag = "playbook", request_body = PrincipleBody,
    params(("slug" = String, Path)),
    responses((status = 200, body = PrincipleDto), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<PrincipleBody>,
) -> Result<Json<PrincipleDto>, AppError> {
    authorize(&id.caller.actor, Action::EditPlaybook, Scope::Global)?;
    let existing = state.store.principle_by_slug(&slug).await?;
    let markets = state.store.markets().await?;
    let input = to_input(body, &markets)?;
    let p = state
        .store
        .update_principle(&id.author(), existing.id, &input)
        .await?;
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
    authorize(&id.caller.actor, Action::EditPlaybook, Scope::Global)?;
    let existing = state.store.principle_by_slug(&slug).await?;
    state
        .store
        .delete_principle(&id.author(), existing.id)
        .await?;
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
    authorize(&id.caller.actor, Action::ReadPlaybook, Scope::Global)?;
    let all = state.store.principles().await?;
    Ok(Json(
        find::search(&all, &params.q)
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
