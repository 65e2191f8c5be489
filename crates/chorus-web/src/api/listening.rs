//! `/api/v1/listening-queries`: listening queries per market, the syntax check and the 7-day
//! preview.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chorus_app::conversations::preview;
use chorus_app::conversations::queries::{self, Check, Draft, QueryFields};
use chorus_core::conversations::ListeningQuery;
use chorus_core::org::Market;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::market_code;
use super::json::ApiJson;
use crate::auth::ApiUser;
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/listening-queries", get(list).post(create))
        .route("/v1/listening-queries/check", post(check_query))
        .route("/v1/listening-queries/preview", post(preview_query))
        .route(
            "/v1/listening-queries/{id}",
            get(get_one).put(update).delete(delete),
        )
}

#[derive(Serialize, ToSchema)]
pub struct QueryDto {
    pub id: i64,
    /// Market code.
    pub market: String,
    pub team_id: Option<i64>,
    pub name: String,
    pub query: String,
    pub languages: Vec<String>,
    pub networks: Vec<String>,
    /// `us`, `competitor` or `topic`.
    pub side: String,
    pub spike_factor: f64,
    pub active: bool,
}

impl QueryDto {
    fn of(q: &ListeningQuery, markets: &[Market]) -> Self {
        QueryDto {
            id: q.id.0,
            market: market_code(markets, q.market_id),
            team_id: q.team_id.map(|t| t.0),
            name: q.name.clone(),
            query: q.query.clone(),
            languages: q.languages.clone(),
            networks: q.networks.iter().map(|n| n.to_string()).collect(),
            side: q.side.as_str().to_owned(),
            spike_factor: q.spike_factor,
            active: q.active,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryBody {
    /// Market code, e.g. `FI`.
    pub market: String,
    #[serde(default)]
    pub team_id: Option<i64>,
    pub name: String,
    pub query: String,
    /// Languages by code (`fi`), English name (`Finnish`) or own name (`suomi`); stored and
    /// answered as codes. Empty: any language.
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub networks: Vec<String>,
    /// `us`, `competitor` or `topic` (default).
    #[serde(default)]
    pub side: Option<String>,
    #[serde(default)]
    pub spike_factor: Option<f64>,
    #[serde(default)]
    pub active: Option<bool>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftBody {
    pub query: String,
    /// Languages by code or name, as in a query's `languages`.
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub networks: Vec<String>,
    /// Preview window in days (1–30, default 7).
    #[serde(default)]
    pub days: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct PreviewDto {
    pub days: i64,
    pub scanned: usize,
    pub matched: usize,
    pub truncated: bool,
    /// The newest matches the caller may read (at most 20).
    pub samples: Vec<PreviewPost>,
}

#[derive(Serialize, ToSchema)]
pub struct PreviewPost {
    pub uri: String,
    pub network: String,
    pub author: String,
    pub text: String,
    pub lang: String,
    pub sentiment: f64,
    /// RFC 3339.
    pub posted_at: String,
}

/// The answer of the live syntax check.
#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
#[schema(as = Check)]
pub struct CheckDto {
    pub valid: bool,
    /// The canonical form of a valid query.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canonical: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<CheckErrorDto>,
}

#[derive(Debug, Clone, Serialize, PartialEq, ToSchema)]
#[schema(as = CheckError)]
pub struct CheckErrorDto {
    pub message: String,
    /// Byte range of the problem in the query.
    pub start: usize,
    pub end: usize,
    pub hint: String,
    /// The query line with carets under the problem.
    pub rendered: String,
}

impl From<Check> for CheckDto {
    fn from(c: Check) -> Self {
        CheckDto {
            valid: c.valid,
            canonical: c.canonical,
            error: c.error.map(|e| CheckErrorDto {
                message: e.message,
                start: e.start,
                end: e.end,
                hint: e.hint,
                rendered: e.rendered,
            }),
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// Market code.
    market: Option<String>,
}

impl QueryBody {
    fn fields(&self) -> QueryFields {
        QueryFields {
            market: self.market.clone(),
            team: self.team_id.map(|t| t.to_string()).unwrap_or_default(),
            name: self.name.clone(),
            query: self.query.clone(),
            languages: self.languages.clone(),
            networks: self.networks.clone(),
            side: self.side.clone().unwrap_or_default(),
            spike_factor: self.spike_factor.map(|f| f.to_string()).unwrap_or_default(),
            active: self.active,
        }
    }
}

impl DraftBody {
    fn draft(&self) -> Draft {
        Draft {
            query: self.query.clone(),
            languages: self.languages.clone(),
            networks: self.networks.clone(),
        }
    }
}

/// The body's field is `team_id` where the form's is `team`.
fn body_error(e: chorus_app::Error) -> AppError {
    match e {
        chorus_app::Error::Invalid {
            field: Some(f),
            message,
        } if f == "team" => AppError::invalid("team_id", message),
        other => other.into(),
    }
}

async fn markets(state: &AppState, id: &crate::auth::Identity) -> Result<Vec<Market>, AppError> {
    Ok(chorus_app::org::markets(&state.app, &id.caller).await?)
}

/// Listening queries of the markets the caller reads (optionally one market).
#[utoipa::path(get, path = "/api/v1/listening-queries", tag = "conversations", params(ListParams),
    responses((status = 200, body = Vec<QueryDto>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Query(p): Query<ListParams>,
) -> Result<Json<Vec<QueryDto>>, AppError> {
    let (qs, markets) = queries::all(&state.app, &id.caller, p.market.as_deref()).await?;
    Ok(Json(qs.iter().map(|q| QueryDto::of(q, &markets)).collect()))
}

/// Creates a listening query (market leads of its market, admins).
#[utoipa::path(post, path = "/api/v1/listening-queries", tag = "conversations", request_body = QueryBody,
    responses((status = 201, body = QueryDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    ApiJson(body): ApiJson<QueryBody>,
) -> Result<(StatusCode, Json<QueryDto>), AppError> {
    let q = queries::create(&state.app, &id.caller, &body.fields())
        .await
        .map_err(body_error)?;
    let markets = markets(&state, &id).await?;
    Ok((StatusCode::CREATED, Json(QueryDto::of(&q, &markets))))
}

#[utoipa::path(get, path = "/api/v1/listening-queries/{id}", tag = "conversations",
    params(("id" = i64, Path)), responses((status = 200, body = QueryDto), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(qid): Path<i64>,
) -> Result<Json<QueryDto>, AppError> {
    let view = queries::get(&state.app, &id.caller, qid).await?;
    Ok(Json(QueryDto::of(
        &view.query,
        std::slice::from_ref(&view.market),
    )))
}

/// Replaces a query's fields.
#[utoipa::path(put, path = "/api/v1/listening-queries/{id}", tag = "conversations", request_body = QueryBody,
    params(("id" = i64, Path)),
    responses((status = 200, body = QueryDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(qid): Path<i64>,
    ApiJson(body): ApiJson<QueryBody>,
) -> Result<Json<QueryDto>, AppError> {
    let q = queries::update(&state.app, &id.caller, qid, &body.fields())
        .await
        .map_err(body_error)?;
    let markets = markets(&state, &id).await?;
    Ok(Json(QueryDto::of(&q, &markets)))
}

#[utoipa::path(delete, path = "/api/v1/listening-queries/{id}", tag = "conversations",
    params(("id" = i64, Path)), responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(qid): Path<i64>,
) -> Result<StatusCode, AppError> {
    queries::delete(&state.app, &id.caller, qid).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Checks a draft's syntax: the canonical form, or the error with its byte span, a hint and
/// the query with carets under the problem.
#[utoipa::path(post, path = "/api/v1/listening-queries/check", tag = "conversations", request_body = DraftBody,
    responses((status = 200, body = CheckDto), (status = 422, body = ErrorBody)))]
pub async fn check_query(
    ApiUser(_id): ApiUser,
    ApiJson(body): ApiJson<DraftBody>,
) -> Result<Json<CheckDto>, AppError> {
    Ok(Json(queries::check_draft(&body.draft())?.into()))
}

/// Runs a draft over the posts stored in the last days (7 by default): how many it matches,
/// and the newest of them the caller may read (posts only other markets' queries found are
/// counted, not shown).
#[utoipa::path(post, path = "/api/v1/listening-queries/preview", tag = "conversations", request_body = DraftBody,
    responses((status = 200, body = PreviewDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn preview_query(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    ApiJson(body): ApiJson<DraftBody>,
) -> Result<Json<PreviewDto>, AppError> {
    let p = preview::preview(&state.app, &id.caller, &body.draft(), body.days).await?;
    Ok(Json(PreviewDto {
        days: p.days,
        scanned: p.scanned,
        matched: p.matched,
        truncated: p.truncated,
        samples: p
            .samples
            .into_iter()
            .map(|s| PreviewPost {
                posted_at: crate::ui::iso_time(s.posted_at_ms),
                uri: s.uri,
                network: s.network,
                author: s.author_handle.unwrap_or(s.author),
                text: s.body,
                lang: s.lang,
                sentiment: s.sentiment,
            })
            .collect(),
    }))
}
