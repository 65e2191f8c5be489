//! `/api/v1/stories`: stories, their variants, the live checks, workflow transitions and
//! comments. The same rules as the pages (`ui::stories::service`): a story outside the
//! caller's markets does not exist for them (404); a transition they may not make is 403; one
//! from the wrong state is 409; a failed check names the field (422).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chorus_core::MarketId;
use chorus_core::stories::workflow::{self, StoryState, Transition};
use chorus_core::validate::text;
use chorus_store::{Story, Variant};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::json::ApiJson;
use crate::auth::ApiUser;
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;
use crate::ui::stories::composer::checks;
use crate::ui::stories::service::{
    Lookup, RawStory, RawVariant, apply_transition, check_open_for_variants, editable_story, facts,
    parse_story, parse_variant, readable_story,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/stories", get(list).post(create))
        .route("/v1/stories/{id}", get(get_one).put(update))
        .route("/v1/stories/{id}/variants", post(create_variant))
        .route(
            "/v1/stories/{id}/variants/{vid}",
            put(update_variant).delete(delete_variant),
        )
        .route("/v1/stories/{id}/check", post(check))
        .route("/v1/stories/{id}/transitions", post(transition))
        .route("/v1/stories/{id}/comments", get(comments).post(comment))
}

#[derive(Serialize, ToSchema)]
pub struct VariantDto {
    pub id: i64,
    pub account_id: i64,
    pub locale: String,
    pub text: String,
    /// RFC 3339 instant (UTC), if the variant has a time.
    pub scheduled_at: Option<String>,
    /// The same time on the market's wall clock, `YYYY-MM-DDTHH:MM`.
    pub market_time: Option<String>,
    /// `pending`, `publishing`, `published` or `failed`.
    pub publication: String,
    pub published_uri: Option<String>,
    pub last_error: Option<String>,
    pub images: Vec<ImageDto>,
}

#[derive(Serialize, ToSchema)]
pub struct ImageDto {
    pub id: i64,
    pub name: String,
    pub alt: String,
}

#[derive(Serialize, ToSchema)]
pub struct StoryDto {
    pub id: i64,
    pub market: String,
    pub campaign_id: Option<i64>,
    pub title: String,
    pub brief: String,
    /// `draft`, `in_review`, `rejected`, `approved`, `scheduled`, `publishing`, `published`,
    /// `failed`.
    pub state: String,
    pub author_id: i64,
    pub reject_reason: Option<String>,
    /// Principle numbers.
    pub principles: Vec<i64>,
    /// The transitions the caller may make now.
    pub available: Vec<String>,
    pub variants: Vec<VariantDto>,
}

fn variant_dto(v: &Variant, zone: Option<&chorus_core::org::TimeZoneName>) -> VariantDto {
    let at = v
        .scheduled_at_ms
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok());
    VariantDto {
        id: v.id,
        account_id: v.account_id,
        locale: v.locale.clone(),
        text: v.body.clone(),
        scheduled_at: at.map(|t| t.to_string()),
        market_time: at
            .zip(zone)
            .map(|(t, z)| chorus_core::stories::schedule::input_value(t, &z.zone())),
        publication: v.pub_state.as_str().to_owned(),
        published_uri: v.published_uri.clone(),
        last_error: v.last_error.clone(),
        images: v
            .images
            .iter()
            .map(|i| ImageDto {
                id: i.id,
                name: i.name.clone(),
                alt: i.alt.clone(),
            })
            .collect(),
    }
}

async fn story_dto(
    state: &AppState,
    actor: &chorus_core::Actor,
    s: &Story,
    lookup: &Lookup,
) -> Result<StoryDto, AppError> {
    let zone = lookup.market(s.market_id).map(|m| &m.timezone);
    let variants = state.store.variants(s.id).await?;
    Ok(StoryDto {
        id: s.id,
        market: lookup.market_code(s.market_id),
        campaign_id: s.campaign_id,
        title: s.title.clone(),
        brief: s.brief.clone(),
        state: s.state.as_str().to_owned(),
        author_id: s.author_id.0,
        reject_reason: s.reject_reason.clone(),
        principles: s
            .principles
            .iter()
            .filter_map(|p| lookup.principle(*p))
            .map(|p| p.number)
            .collect(),
        available: workflow::available(actor, &facts(s))
            .iter()
            .map(|t| t.as_str().to_owned())
            .collect(),
        variants: variants.iter().map(|v| variant_dto(v, zone)).collect(),
    })
}

#[derive(Deserialize, IntoParams)]
pub struct ListQuery {
    /// A market code.
    pub market: Option<String>,
    /// A story state.
    pub state: Option<String>,
}

/// Stories in the caller's markets, newest first (at most 500).
#[utoipa::path(get, path = "/api/v1/stories", tag = "stories", params(ListQuery),
    responses((status = 200, body = Vec<StoryDto>), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<StoryDto>>, AppError> {
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let mut markets: Vec<MarketId> = lookup
        .readable_markets(&id.caller.actor)
        .iter()
        .map(|m| m.id)
        .collect();
    if let Some(code) = q.market.as_deref().filter(|c| !c.is_empty()) {
        let m = lookup
            .market_by_code(code)
            .ok_or_else(|| AppError::invalid("market", format!("no market {code:?}")))?;
        markets.retain(|x| *x == m.id);
    }
    let st = match q.state.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(StoryState::parse(s).map_err(|e| AppError::invalid("state", e.message))?),
        None => None,
    };
    let mut out = Vec::new();
    // The store applies its limit before filtering markets: ask for its maximum, keep 500.
    for s in state
        .store
        .stories(Some(&markets), st, 10_000)
        .await?
        .into_iter()
        .take(500)
    {
        out.push(story_dto(&state, &id.caller.actor, &s, &lookup).await?);
    }
    Ok(Json(out))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StoryBody {
    /// Market code (ignored when updating: a story stays in its market).
    pub market: String,
    pub title: String,
    #[serde(default)]
    pub brief: String,
    #[serde(default)]
    pub campaign_id: Option<i64>,
    /// Principle numbers or slugs.
    #[serde(default)]
    pub principles: Vec<String>,
}

fn raw_story(b: &StoryBody) -> RawStory {
    RawStory {
        market: b.market.clone(),
        title: b.title.clone(),
        brief: b.brief.clone(),
        campaign: b.campaign_id.map(|c| c.to_string()).unwrap_or_default(),
        principles: b.principles.clone(),
    }
}

/// Creates a draft story (contributors, editors and leads of the market).
#[utoipa::path(post, path = "/api/v1/stories", tag = "stories", request_body = StoryBody,
    responses((status = 201, body = StoryDto), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    ApiJson(body): ApiJson<StoryBody>,
) -> Result<(StatusCode, Json<StoryDto>), AppError> {
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let input = parse_story(&raw_story(&body), &lookup, &id.caller.actor)?;
    let s = state.store.create_story(&id.author(), &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(story_dto(&state, &id.caller.actor, &s, &lookup).await?),
    ))
}

/// One story with its variants and the transitions the caller may make.
#[utoipa::path(get, path = "/api/v1/stories/{id}", tag = "stories", params(("id" = i64, Path)),
    responses((status = 200, body = StoryDto), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(sid): Path<i64>,
) -> Result<Json<StoryDto>, AppError> {
    let s = readable_story(&state, &id, sid).await?;
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    Ok(Json(
        story_dto(&state, &id.caller.actor, &s, &lookup).await?,
    ))
}

/// Changes a story's title, brief, campaign and principles. Approved work goes back to draft.
#[utoipa::path(put, path = "/api/v1/stories/{id}", tag = "stories", request_body = StoryBody,
    params(("id" = i64, Path)),
    responses((status = 200, body = StoryDto), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(sid): Path<i64>,
    ApiJson(body): ApiJson<StoryBody>,
) -> Result<Json<StoryDto>, AppError> {
    let s = editable_story(&state, &id, sid).await?;
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let mut raw = raw_story(&body);
    raw.market = lookup.market_code(s.market_id);
    let input = parse_story(&raw, &lookup, &id.caller.actor)?;
    let (s, _) = state.store.update_story(&id.author(), sid, &input).await?;
    Ok(Json(
        story_dto(&state, &id.caller.actor, &s, &lookup).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariantBody {
    /// An account id or handle of the story's market.
    pub account: String,
    pub locale: String,
    pub text: String,
    /// The market's wall-clock time, `YYYY-MM-DD HH:MM`; empty or absent for none.
    #[serde(default)]
    pub time: String,
}

#[derive(Serialize, ToSchema)]
pub struct SavedVariantDto {
    pub variant: VariantDto,
    /// The story's state after the save (approved work goes back to `draft`).
    pub story_state: String,
    /// Set when the local time happens twice and the first was taken.
    pub note: Option<String>,
}

async fn save_variant(
    state: &AppState,
    id: &crate::auth::Identity,
    sid: i64,
    vid: Option<i64>,
    body: &VariantBody,
) -> Result<SavedVariantDto, AppError> {
    let s = editable_story(state, id, sid).await?;
    check_open_for_variants(&s)?;
    if let Some(v) = vid {
        let existing = state.store.variant(v).await?;
        if existing.story_id != sid {
            return Err(AppError::NotFound("variant"));
        }
    }
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let rules = state.store.post_rules().await?;
    let raw = RawVariant {
        account: body.account.clone(),
        locale: body.locale.clone(),
        body: body.text.clone(),
        time: body.time.clone(),
    };
    let parsed = parse_variant(&raw, &s, &lookup, &rules)?;
    let v = state
        .store
        .save_variant(&id.author(), sid, vid, &parsed.input)
        .await?;
    let after = state.store.story(sid).await?;
    let zone = lookup.market(s.market_id).map(|m| &m.timezone);
    Ok(SavedVariantDto {
        variant: variant_dto(&v, zone),
        story_state: after.state.as_str().to_owned(),
        note: parsed.note,
    })
}

/// Adds a variant (one per account and locale); links are UTM-tagged when the rules ask for it.
#[utoipa::path(post, path = "/api/v1/stories/{id}/variants", tag = "stories",
    request_body = VariantBody, params(("id" = i64, Path)),
    responses((status = 201, body = SavedVariantDto), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_variant(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(sid): Path<i64>,
    ApiJson(body): ApiJson<VariantBody>,
) -> Result<(StatusCode, Json<SavedVariantDto>), AppError> {
    let saved = save_variant(&state, &id, sid, None, &body).await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// Changes a variant. Changing content of approved work sends the story back to draft.
#[utoipa::path(put, path = "/api/v1/stories/{id}/variants/{vid}", tag = "stories",
    request_body = VariantBody, params(("id" = i64, Path), ("vid" = i64, Path)),
    responses((status = 200, body = SavedVariantDto), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_variant(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path((sid, vid)): Path<(i64, i64)>,
    ApiJson(body): ApiJson<VariantBody>,
) -> Result<Json<SavedVariantDto>, AppError> {
    Ok(Json(
        save_variant(&state, &id, sid, Some(vid), &body).await?,
    ))
}

/// Deletes a variant that is not published.
#[utoipa::path(delete, path = "/api/v1/stories/{id}/variants/{vid}", tag = "stories",
    params(("id" = i64, Path), ("vid" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_variant(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path((sid, vid)): Path<(i64, i64)>,
) -> Result<StatusCode, AppError> {
    editable_story(&state, &id, sid).await?;
    let v = state.store.variant(vid).await?;
    if v.story_id != sid {
        return Err(AppError::NotFound("variant"));
    }
    state.store.delete_variant(&id.author(), vid).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckBody {
    /// An account id of the story's market (decides the network and its limit).
    pub account_id: Option<i64>,
    pub text: String,
}

#[derive(Serialize, ToSchema)]
pub struct FindingDto {
    /// `error` (blocks submitting and scheduling) or `info`.
    pub severity: String,
    pub message: String,
    pub fix: String,
    /// The principle the rule serves: number, slug, title.
    pub principle: Option<PrincipleRef>,
}

#[derive(Serialize, ToSchema)]
pub struct PrincipleRef {
    pub number: i64,
    pub slug: String,
    pub title: String,
}

#[derive(Serialize, ToSchema)]
pub struct CheckDto {
    pub network: String,
    pub length: usize,
    pub limit: usize,
    pub passes: bool,
    pub findings: Vec<FindingDto>,
}

/// Checks text as typed against the network's limit and the playbook's rules.
#[utoipa::path(post, path = "/api/v1/stories/{id}/check", tag = "stories",
    request_body = CheckBody, params(("id" = i64, Path)),
    responses((status = 200, body = CheckDto), (status = 404, body = ErrorBody)))]
pub async fn check(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(sid): Path<i64>,
    ApiJson(body): ApiJson<CheckBody>,
) -> Result<Json<CheckDto>, AppError> {
    let s = readable_story(&state, &id, sid).await?;
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    let rules = state.store.post_rules().await?;
    let c = checks(
        &s,
        &lookup,
        &rules,
        body.account_id,
        &body.text,
        &[],
        vec![],
    );
    Ok(Json(CheckDto {
        network: c.network.to_ascii_lowercase(),
        length: c.length,
        limit: c.limit,
        passes: c.blocking == 0,
        findings: c
            .findings
            .iter()
            .map(|f| FindingDto {
                severity: if f.error { "error" } else { "info" }.into(),
                message: f.message.clone(),
                fix: f.fix.clone(),
                principle: f.principle.as_ref().map(|(n, slug, title)| PrincipleRef {
                    number: *n,
                    slug: slug.clone(),
                    title: title.clone(),
                }),
            })
            .collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionBody {
    /// `submit`, `approve`, `reject`, `reopen`, `schedule`, `unschedule` or `retry`.
    pub transition: String,
    /// Required to reject.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Moves a story through the workflow (see the story's `available` transitions).
#[utoipa::path(post, path = "/api/v1/stories/{id}/transitions", tag = "stories",
    request_body = TransitionBody, params(("id" = i64, Path)),
    responses((status = 200, body = StoryDto), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn transition(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(sid): Path<i64>,
    ApiJson(body): ApiJson<TransitionBody>,
) -> Result<Json<StoryDto>, AppError> {
    let s = readable_story(&state, &id, sid).await?;
    let t = Transition::parse(&body.transition)
        .map_err(|e| AppError::invalid("transition", e.message))?;
    let after = apply_transition(&state, &id, &s, t, body.reason.as_deref()).await?;
    let lookup = Lookup::load(&state.app, &id.caller).await?;
    Ok(Json(
        story_dto(&state, &id.caller.actor, &after, &lookup).await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct CommentDto {
    pub author_id: i64,
    pub body: String,
    pub at: String,
}

/// A story's comments, oldest first.
#[utoipa::path(get, path = "/api/v1/stories/{id}/comments", tag = "stories",
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<CommentDto>), (status = 404, body = ErrorBody)))]
pub async fn comments(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(sid): Path<i64>,
) -> Result<Json<Vec<CommentDto>>, AppError> {
    readable_story(&state, &id, sid).await?;
    Ok(Json(
        state
            .store
            .comments(sid)
            .await?
            .into_iter()
            .map(|(u, body, at)| CommentDto {
                author_id: u.0,
                body,
                at: crate::ui::iso_time(at),
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    pub body: String,
}

/// Adds a comment (anyone who may read the story).
#[utoipa::path(post, path = "/api/v1/stories/{id}/comments", tag = "stories",
    request_body = CommentBody, params(("id" = i64, Path)),
    responses((status = 201), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn comment(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(sid): Path<i64>,
    ApiJson(body): ApiJson<CommentBody>,
) -> Result<StatusCode, AppError> {
    readable_story(&state, &id, sid).await?;
    let text = text(&body.body, 4000).map_err(|e| e.at("body"))?;
    state.store.add_comment(&id.author(), sid, &text).await?;
    Ok(StatusCode::CREATED)
}
