//! `/api/v1/stories`: stories, their variants, the live checks, workflow transitions and
//! comments. Every route is one use case of `chorus_app::stories` (the same the pages call), so
//! the answers are the pages': a story outside the caller's markets does not exist for them
//! (404); a change they may not make is 403; a transition from the wrong state, or a change to
//! a story or variant that is publishing or published, is 409 on `state` and changes nothing; a
//! failed check names the field (422).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chorus_app::stories::story::{self, ListFilter, StoryDetail};
use chorus_app::stories::variants::{self, Typed};
use chorus_app::stories::{Lookup, RawStory, RawVariant, Variant, comments};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::json::ApiJson;
use crate::auth::ApiUser;
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;

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
    /// Whether the caller may change or delete it now (not once it, or its story, is
    /// publishing or published).
    pub can_edit: bool,
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
    /// Changes whenever the story changes; give it back with a transition (`version`) so that
    /// it applies only to the story as you read it.
    pub version: i64,
    /// The transitions the caller may make now.
    pub available: Vec<String>,
    /// When the caller reviews this market's stories but may not approve this one (they wrote
    /// it, or changed its content since it was last approved): why, and who may instead.
    pub approval_refused: Option<String>,
    /// Whether the caller may change its fields and add variants now (not once it is
    /// publishing or published).
    pub can_edit: bool,
    pub variants: Vec<VariantDto>,
}

fn variant_dto(
    v: &Variant,
    zone: Option<&chorus_core::org::TimeZoneName>,
    can_edit: bool,
) -> VariantDto {
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
        can_edit,
    }
}

fn story_dto(d: &StoryDetail, lookup: &Lookup) -> StoryDto {
    let s = &d.story;
    let zone = lookup.market(s.market_id).map(|m| &m.timezone);
    StoryDto {
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
        version: s.updated_at_ms,
        available: d.available.iter().map(|t| t.as_str().to_owned()).collect(),
        approval_refused: d.approval_refused.clone(),
        can_edit: d.can_edit,
        variants: d
            .variants
            .iter()
            .map(|v| variant_dto(&v.variant, zone, v.can_edit))
            .collect(),
    }
}

/// One story as the caller sees it now.
async fn story_now(
    state: &AppState,
    id: &crate::auth::Identity,
    sid: i64,
) -> Result<StoryDto, AppError> {
    let (d, lookup) = story::get(&state.app, &id.caller, sid).await?;
    Ok(story_dto(&d, &lookup))
}

#[derive(Deserialize, IntoParams)]
pub struct ListQuery {
    /// A market code.
    pub market: Option<String>,
    /// A story state.
    pub state: Option<String>,
    /// A campaign id.
    pub campaign: Option<String>,
}

/// Stories in the caller's markets, newest first (at most 500). An unknown market, state or
/// campaign is 422; a market whose stories the caller may not read lists nothing.
#[utoipa::path(get, path = "/api/v1/stories", tag = "stories", params(ListQuery),
    responses((status = 200, body = Vec<StoryDto>), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<StoryDto>>, AppError> {
    let filter = ListFilter {
        market: q.market.unwrap_or_default(),
        state: q.state.unwrap_or_default(),
        campaign: q.campaign.unwrap_or_default(),
    };
    let (stories, lookup) = story::list_detailed(&state.app, &id.caller, &filter).await?;
    Ok(Json(
        stories.iter().map(|d| story_dto(d, &lookup)).collect(),
    ))
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
    let s = story::create(&state.app, &id.caller, &raw_story(&body)).await?;
    Ok((
        StatusCode::CREATED,
        Json(story_now(&state, &id, s.id).await?),
    ))
}

/// One story with its variants and what the caller may do with it.
#[utoipa::path(get, path = "/api/v1/stories/{id}", tag = "stories", params(("id" = i64, Path)),
    responses((status = 200, body = StoryDto), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(sid): Path<i64>,
) -> Result<Json<StoryDto>, AppError> {
    Ok(Json(story_now(&state, &id, sid).await?))
}

/// Changes a story's title, brief, campaign and principles. Approved work goes back to draft;
/// a story that is publishing or published does not change (409).
#[utoipa::path(put, path = "/api/v1/stories/{id}", tag = "stories", request_body = StoryBody,
    params(("id" = i64, Path)),
    responses((status = 200, body = StoryDto), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(sid): Path<i64>,
    ApiJson(body): ApiJson<StoryBody>,
) -> Result<Json<StoryDto>, AppError> {
    story::update(&state.app, &id.caller, sid, &raw_story(&body)).await?;
    Ok(Json(story_now(&state, &id, sid).await?))
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
    let raw = RawVariant {
        account: body.account.clone(),
        locale: body.locale.clone(),
        body: body.text.clone(),
        time: body.time.clone(),
    };
    let saved = variants::save(&state.app, &id.caller, sid, vid, &raw).await?;
    let (d, lookup) = story::get(&state.app, &id.caller, sid).await?;
    let zone = lookup.market(d.story.market_id).map(|m| &m.timezone);
    let can_edit = d
        .variants
        .iter()
        .find(|v| v.variant.id == saved.variant.id)
        .is_some_and(|v| v.can_edit);
    Ok(SavedVariantDto {
        variant: variant_dto(&saved.variant, zone, can_edit),
        story_state: saved.story.state.as_str().to_owned(),
        note: saved.note,
    })
}

/// Adds a variant (one per account and locale); links are UTM-tagged when the rules ask for it.
/// A story that is publishing or published takes no new variant (409).
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

/// Changes a variant. Changing content of approved work sends the story back to draft; a
/// variant that is publishing or published, or one of a story that is, does not change (409).
#[utoipa::path(put, path = "/api/v1/stories/{id}/variants/{vid}", tag = "stories",
    request_body = VariantBody, params(("id" = i64, Path), ("vid" = i64, Path)),
    responses((status = 200, body = SavedVariantDto), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
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

/// Deletes a variant that has not gone out, of a story that is not publishing or published
/// (409 otherwise). Approved work goes back to draft.
#[utoipa::path(delete, path = "/api/v1/stories/{id}/variants/{vid}", tag = "stories",
    params(("id" = i64, Path), ("vid" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn delete_variant(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path((sid, vid)): Path<(i64, i64)>,
) -> Result<StatusCode, AppError> {
    variants::delete(&state.app, &id.caller, sid, vid).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckBody {
    /// An account id of the story's market (decides the network and its limit).
    pub account_id: Option<i64>,
    pub text: String,
    /// A saved variant of the story whose images to check with the text (their alt text).
    #[serde(default)]
    pub variant_id: Option<i64>,
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
    let typed = Typed {
        account: body.account_id,
        body: body.text,
        variant: body.variant_id,
    };
    let (c, lookup) = variants::live_check(&state.app, &id.caller, sid, &typed).await?;
    Ok(Json(CheckDto {
        network: c.network.as_str().to_owned(),
        length: c.length,
        limit: c.limit,
        passes: c.passes(),
        findings: c
            .findings
            .iter()
            .map(|f| FindingDto {
                severity: match f.severity {
                    chorus_core::stories::rules::Severity::Error => "error",
                    _ => "info",
                }
                .into(),
                message: f.message.clone(),
                fix: f.fix.clone(),
                principle: f
                    .principle
                    .and_then(|p| lookup.principle(p))
                    .map(|p| PrincipleRef {
                        number: p.number,
                        slug: p.slug.clone(),
                        title: p.title.clone(),
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
    /// The story's `version` as you read it. When given and the story has changed since (for
    /// instance edited and submitted again), nothing happens: 409. Send it, so that what is
    /// approved is what was read.
    #[serde(default)]
    pub version: Option<i64>,
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
    let reason = body.reason.unwrap_or_default();
    let seen = body.version.map(|v| v.to_string()).unwrap_or_default();
    story::transition(
        &state.app,
        &id.caller,
        sid,
        &body.transition,
        &reason,
        &seen,
    )
    .await?;
    Ok(Json(story_now(&state, &id, sid).await?))
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
    Ok(Json(
        comments::list(&state.app, &id.caller, sid)
            .await?
            .into_iter()
            .map(|c| CommentDto {
                author_id: c.author_id.0,
                body: c.body,
                at: crate::ui::iso_time(c.at_ms),
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
    comments::add(&state.app, &id.caller, sid, &body.body).await?;
    Ok(StatusCode::CREATED)
}
