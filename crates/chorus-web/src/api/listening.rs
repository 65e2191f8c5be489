//! `/api/v1/listening-queries`: listening queries per market, the syntax check and the 7-day
//! preview.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chorus_core::conversations::{ListeningQuery, QueryId, QueryInput, RawQuery};
use chorus_core::org::{Market, MarketCode};
use chorus_core::permission::authorize;
use chorus_core::{Action, Scope, TeamId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::market_code;
use super::json::ApiJson;
use crate::auth::ApiUser;
use crate::conv::{Check, check, markets_for, preview};
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
    /// The newest matches (at most 20).
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

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// Market code.
    market: Option<String>,
}

async fn parse_body(
    state: &AppState,
    b: &QueryBody,
) -> Result<(QueryInput, Vec<Market>), AppError> {
    let markets = state.store.markets().await?;
    let code = MarketCode::parse(&b.market).map_err(|e| e.at("market"))?;
    let market = markets
        .iter()
        .find(|m| m.code == code)
        .ok_or_else(|| AppError::invalid("market", format!("no market {code}")))?;
    let team = match b.team_id {
        None => None,
        Some(t) => {
            let team = state
                .store
                .team(TeamId(t))
                .await
                .map_err(|_| AppError::invalid("team_id", "no such team"))?;
            if team.market_id != market.id {
                return Err(AppError::invalid(
                    "team_id",
                    "the team belongs to another market",
                ));
            }
            Some(team.id)
        }
    };
    let raw = RawQuery {
        name: b.name.clone(),
        query: b.query.clone(),
        languages: b.languages.clone(),
        networks: b.networks.clone(),
        side: b.side.clone(),
        spike_factor: b.spike_factor,
        active: b.active,
    };
    let input = QueryInput::parse(market.id, team, &raw)?;
    if let Some(e) = check(&input.query, &input.languages, &input.networks).error {
        return Err(AppError::invalid(
            "query",
            format!("{} at byte {}; hint: {}", e.message, e.start, e.hint),
        ));
    }
    Ok((input, markets))
}

/// Listening queries of the markets the caller reads (optionally one market).
#[utoipa::path(get, path = "/api/v1/listening-queries", tag = "conversations", params(ListParams),
    responses((status = 200, body = Vec<QueryDto>)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Query(p): Query<ListParams>,
) -> Result<Json<Vec<QueryDto>>, AppError> {
    let markets = state.store.markets().await?;
    let visible = markets_for(&id.caller.actor, Action::ReadConversations, &markets);
    let only = match p.market.as_deref() {
        None => None,
        Some(c) => Some(
            markets
                .iter()
                .find(|m| m.code.as_str().eq_ignore_ascii_case(c))
                .ok_or(AppError::NotFound("market"))?
                .id,
        ),
    };
    let qs = state.store.listening_queries(only).await?;
    Ok(Json(
        qs.iter()
            .filter(|q| visible.as_ref().is_none_or(|v| v.contains(&q.market_id)))
            .map(|q| QueryDto::of(q, &markets))
            .collect(),
    ))
}

/// Creates a listening query (market leads of its market, admins).
#[utoipa::path(post, path = "/api/v1/listening-queries", tag = "conversations", request_body = QueryBody,
    responses((status = 201, body = QueryDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    ApiJson(body): ApiJson<QueryBody>,
) -> Result<(StatusCode, Json<QueryDto>), AppError> {
    let (input, markets) = parse_body(&state, &body).await?;
    authorize(
        &id.caller.actor,
        Action::ManageListeningQueries,
        Scope::Market(input.market_id),
    )?;
    let q = state
        .store
        .create_listening_query(&id.author(), &input)
        .await?;
    Ok((StatusCode::CREATED, Json(QueryDto::of(&q, &markets))))
}

async fn readable(
    state: &AppState,
    id: &crate::auth::Identity,
    qid: i64,
) -> Result<ListeningQuery, AppError> {
    let q = state.store.listening_query(QueryId(qid)).await?;
    authorize(
        &id.caller.actor,
        Action::ReadConversations,
        Scope::Market(q.market_id),
    )
    .map_err(|_| AppError::NotFound("listening query"))?;
    Ok(q)
}

#[utoipa::path(get, path = "/api/v1/listening-queries/{id}", tag = "conversations",
    params(("id" = i64, Path)), responses((status = 200, body = QueryDto), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(qid): Path<i64>,
) -> Result<Json<QueryDto>, AppError> {
    let q = readable(&state, &id, qid).await?;
    let markets = state.store.markets().await?;
    Ok(Json(QueryDto::of(&q, &markets)))
}

/// Replaces a query's fields.
#[utoipa::path(put, path = "/api/v1/listening-queries/{id}", tag = "conversations", request_body = QueryBody,
    params(("id" = i64, Path)),
    responses((status = 200, body = QueryDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(qid): Path<i64>,
    ApiJson(body): ApiJson<QueryBody>,
) -> Result<Json<QueryDto>, AppError> {
    let before = readable(&state, &id, qid).await?;
    authorize(
        &id.caller.actor,
        Action::ManageListeningQueries,
        Scope::Market(before.market_id),
    )?;
    let (input, markets) = parse_body(&state, &body).await?;
    authorize(
        &id.caller.actor,
        Action::ManageListeningQueries,
        Scope::Market(input.market_id),
    )?;
    let q = state
        .store
        .update_listening_query(&id.author(), before.id, &input)
        .await?;
    Ok(Json(QueryDto::of(&q, &markets)))
}

#[utoipa::path(delete, path = "/api/v1/listening-queries/{id}", tag = "conversations",
    params(("id" = i64, Path)), responses((status = 204), (status = 403, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(qid): Path<i64>,
) -> Result<StatusCode, AppError> {
    let q = readable(&state, &id, qid).await?;
    authorize(
        &id.caller.actor,
        Action::ManageListeningQueries,
        Scope::Market(q.market_id),
    )?;
    state
        .store
        .delete_listening_query(&id.author(), q.id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Checks a draft's syntax: the canonical form, or the error with its byte span, a hint and
/// the query with carets under the problem.
#[utoipa::path(post, path = "/api/v1/listening-queries/check", tag = "conversations", request_body = DraftBody,
    responses((status = 200, body = Check)))]
pub async fn check_query(
    ApiUser(_id): ApiUser,
    ApiJson(body): ApiJson<DraftBody>,
) -> Result<Json<Check>, AppError> {
    let langs: Vec<String> = body
        .languages
        .iter()
        .map(|l| chorus_core::conversations::language_code(l).map_err(|e| e.at("languages")))
        .collect::<Result<_, _>>()?;
    let nets: Vec<_> = body
        .networks
        .iter()
        .map(|n| chorus_core::conversations::NetworkName::parse(n).map_err(|e| e.at("networks")))
        .collect::<Result<_, _>>()?;
    Ok(Json(check(&body.query, &langs, &nets)))
}

/// Runs a draft over the posts stored in the last days (7 by default).
#[utoipa::path(post, path = "/api/v1/listening-queries/preview", tag = "conversations", request_body = DraftBody,
    responses((status = 200, body = PreviewDto), (status = 422, body = ErrorBody)))]
pub async fn preview_query(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    ApiJson(body): ApiJson<DraftBody>,
) -> Result<Json<PreviewDto>, AppError> {
    let markets = state.store.markets().await?;
    if markets_for(&id.caller.actor, Action::ReadConversations, &markets)
        .is_some_and(|m| m.is_empty())
    {
        return Err(AppError::Forbidden("you may not see conversations".into()));
    }
    if let Some(e) = check(&body.query, &[], &[]).error {
        return Err(AppError::invalid("query", e.message));
    }
    let raw = RawQuery {
        query: body.query.clone(),
        languages: body.languages.clone(),
        networks: body.networks.clone(),
        ..RawQuery::default()
    };
    let p = preview(&state.store, &raw, body.days.unwrap_or(7).clamp(1, 30), 20).await?;
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
