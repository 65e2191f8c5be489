//! `/api/v1/conversations`: the inbox (filtered, keyset-paged), one conversation with its
//! thread, changes (one or many), notes and replies.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chorus_core::conversations::{ConversationId, Status, note};
use chorus_core::{Action, UserId};
use chorus_store::{ConversationChange, ConversationRow, StoredPost};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::market_code;
use super::json::ApiJson;
use crate::auth::{ApiUser, Identity};
use crate::conv::{InboxParams, allowed_in_any, markets_for};
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;
use crate::ui::iso_time;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/conversations", get(list))
        .route("/v1/conversations/bulk", post(bulk))
        .route("/v1/conversations/{id}", get(get_one).patch(change))
        .route("/v1/conversations/{id}/notes", post(add_note))
        .route("/v1/conversations/{id}/replies", post(reply))
}

#[derive(Serialize, ToSchema)]
pub struct PostDto {
    pub uri: String,
    pub network: String,
    pub author: String,
    pub author_handle: Option<String>,
    /// Untrusted text as written.
    pub text: String,
    pub lang: String,
    /// VADER compound score, -1…1.
    pub sentiment: f64,
    pub posted_at: String,
    pub reply_parent: Option<String>,
    pub reply_root: Option<String>,
}

impl From<&StoredPost> for PostDto {
    fn from(p: &StoredPost) -> Self {
        PostDto {
            uri: p.uri.clone(),
            network: p.network.clone(),
            author: p.author.clone(),
            author_handle: p.author_handle.clone(),
            text: p.body.clone(),
            lang: p.lang.clone(),
            sentiment: p.sentiment,
            posted_at: iso_time(p.posted_at_ms),
            reply_parent: p.reply_parent.clone(),
            reply_root: p.reply_root.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MatchDto {
    pub query_id: i64,
    pub name: String,
    pub market: String,
}

#[derive(Serialize, ToSchema)]
pub struct ConversationDto {
    pub id: i64,
    pub post: PostDto,
    /// new, open, waiting or done.
    pub status: String,
    pub assignee_id: Option<i64>,
    pub queries: Vec<MatchDto>,
    pub tags: Vec<String>,
    pub received_at: String,
    pub first_response_at: Option<String>,
}

impl ConversationDto {
    fn of(c: &ConversationRow, markets: &[chorus_core::org::Market]) -> Self {
        ConversationDto {
            id: c.id.0,
            post: PostDto::from(&c.post),
            status: c.status.as_str().to_owned(),
            assignee_id: c.assignee.as_ref().map(|a| a.0.0),
            queries: c
                .queries
                .iter()
                .map(|(q, name, m)| MatchDto {
                    query_id: q.0,
                    name: name.clone(),
                    market: market_code(markets, *m),
                })
                .collect(),
            tags: c.tags.clone(),
            received_at: iso_time(c.created_at_ms),
            first_response_at: c.first_response_at_ms.map(iso_time),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct InboxPage {
    pub conversations: Vec<ConversationDto>,
    /// Pass as `before` for the next page; absent on the last page.
    pub next: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct NoteDto {
    pub author: String,
    pub body: String,
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReplyDto {
    pub id: i64,
    pub account_id: i64,
    pub body: String,
    /// sending, sent or failed.
    pub state: String,
    pub uri: Option<String>,
    pub error: Option<String>,
}

impl From<&chorus_store::Reply> for ReplyDto {
    fn from(r: &chorus_store::Reply) -> Self {
        ReplyDto {
            id: r.id,
            account_id: r.account_id,
            body: r.body.clone(),
            state: r.state.clone(),
            uri: r.uri.clone(),
            error: r.error.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ConversationDetailDto {
    pub conversation: ConversationDto,
    /// The thread around the post, oldest first.
    pub thread: Vec<PostDto>,
    pub notes: Vec<NoteDto>,
    pub replies: Vec<ReplyDto>,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ChangeBody {
    #[serde(default)]
    pub status: Option<String>,
    /// A user id; `null` unassigns; leave out to keep.
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub assignee_id: Option<Option<i64>>,
    #[serde(default)]
    pub add_tags: Vec<String>,
    #[serde(default)]
    pub remove_tags: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkBody {
    pub ids: Vec<i64>,
    #[serde(flatten)]
    pub change: ChangeBody,
}

#[derive(Serialize, ToSchema)]
pub struct BulkResult {
    pub changed: usize,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    pub body: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    /// A connected Bluesky account of one of the conversation's markets.
    pub account_id: i64,
    pub body: String,
}

mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
        Ok(Some(Option::<i64>::deserialize(d)?))
    }
}

impl ChangeBody {
    fn parse(&self) -> Result<ConversationChange, AppError> {
        let tags = |v: &[String], field: &'static str| -> Result<Vec<String>, AppError> {
            v.iter()
                .map(|t| {
                    chorus_core::conversations::tag(t).map_err(|e| AppError::from(e.at(field)))
                })
                .collect()
        };
        let change = ConversationChange {
            status: self
                .status
                .as_deref()
                .map(|s| Status::parse(s).map_err(|e| e.at("status")))
                .transpose()?,
            assignee: self.assignee_id.map(|a| a.map(UserId)),
            add_tags: tags(&self.add_tags, "add_tags")?,
            remove_tags: tags(&self.remove_tags, "remove_tags")?,
        };
        if change.is_empty() {
            return Err(AppError::Invalid {
                field: None,
                message: "nothing to change: give status, assignee_id, add_tags or remove_tags"
                    .into(),
            });
        }
        Ok(change)
    }
}

async fn readable(state: &AppState, id: &Identity, cid: i64) -> Result<(), AppError> {
    let markets = state
        .store
        .conversation_markets(ConversationId(cid))
        .await?;
    if allowed_in_any(&id.caller.actor, Action::ReadConversations, &markets) {
        Ok(())
    } else {
        Err(AppError::NotFound("conversation"))
    }
}

/// The inbox: conversations of the caller's markets, newest first, 50 a page.
#[utoipa::path(get, path = "/api/v1/conversations", tag = "conversations", params(InboxParams),
    responses((status = 200, body = InboxPage), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Query(p): Query<InboxParams>,
) -> Result<Json<InboxPage>, AppError> {
    let markets = state.store.markets().await?;
    let mut q = p.parse(id.user.id, &markets)?;
    q.visible_markets = markets_for(&id.caller.actor, Action::ReadConversations, &markets);
    let rows = state.store.inbox(&q).await?;
    let next = (rows.len() as i64 == q.limit)
        .then(|| {
            rows.last()
                .map(|l| format!("{}:{}", l.post.posted_at_ms, l.id.0))
        })
        .flatten();
    Ok(Json(InboxPage {
        conversations: rows
            .iter()
            .map(|c| ConversationDto::of(c, &markets))
            .collect(),
        next,
    }))
}

#[utoipa::path(get, path = "/api/v1/conversations/{id}", tag = "conversations",
    params(("id" = i64, Path)), responses((status = 200, body = ConversationDetailDto), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(cid): Path<i64>,
) -> Result<Json<ConversationDetailDto>, AppError> {
    readable(&state, &id, cid).await?;
    let d = state.store.conversation(ConversationId(cid)).await?;
    let markets = state.store.markets().await?;
    Ok(Json(ConversationDetailDto {
        conversation: ConversationDto::of(&d.row, &markets),
        thread: d.thread.iter().map(PostDto::from).collect(),
        notes: d
            .notes
            .iter()
            .map(|n| NoteDto {
                author: n.author.clone(),
                body: n.body.clone(),
                created_at: iso_time(n.created_at_ms),
            })
            .collect(),
        replies: d.replies.iter().map(ReplyDto::from).collect(),
    }))
}

/// Changes status, assignee and tags (audited).
#[utoipa::path(patch, path = "/api/v1/conversations/{id}", tag = "conversations", request_body = ChangeBody,
    params(("id" = i64, Path)), responses((status = 200, body = BulkResult), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(cid): Path<i64>,
    ApiJson(body): ApiJson<ChangeBody>,
) -> Result<Json<BulkResult>, AppError> {
    let change = body.parse()?;
    crate::conv::check_work(&state, &id, ConversationId(cid)).await?;
    let changed = state
        .store
        .change_conversations(&id.author(), &[ConversationId(cid)], &change)
        .await?;
    Ok(Json(BulkResult { changed }))
}

/// The same change to many conversations at once (all or none).
#[utoipa::path(post, path = "/api/v1/conversations/bulk", tag = "conversations", request_body = BulkBody,
    responses((status = 200, body = BulkResult), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn bulk(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    ApiJson(body): ApiJson<BulkBody>,
) -> Result<Json<BulkResult>, AppError> {
    if body.ids.is_empty() || body.ids.len() > 500 {
        return Err(AppError::invalid("ids", "give 1 to 500 conversation ids"));
    }
    let change = body.change.parse()?;
    let ids: Vec<ConversationId> = body.ids.iter().map(|i| ConversationId(*i)).collect();
    for c in &ids {
        crate::conv::check_work(&state, &id, *c).await?;
    }
    let changed = state
        .store
        .change_conversations(&id.author(), &ids, &change)
        .await?;
    Ok(Json(BulkResult { changed }))
}

#[utoipa::path(post, path = "/api/v1/conversations/{id}/notes", tag = "conversations", request_body = NoteBody,
    params(("id" = i64, Path)), responses((status = 201), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_note(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(cid): Path<i64>,
    ApiJson(body): ApiJson<NoteBody>,
) -> Result<StatusCode, AppError> {
    let c = ConversationId(cid);
    crate::conv::check_work(&state, &id, c).await?;
    let body = note(&body.body).map_err(|e| e.at("body"))?;
    state.store.add_note(&id.author(), c, &body).await?;
    Ok(StatusCode::CREATED)
}

/// Replies through a connected Bluesky account, threaded under the post. The answer tells
/// whether it was published (`sent`) or why not (`failed`, retry from the UI).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/replies", tag = "conversations", request_body = ReplyBody,
    params(("id" = i64, Path)), responses((status = 201, body = ReplyDto), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reply(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(cid): Path<i64>,
    ApiJson(body): ApiJson<ReplyBody>,
) -> Result<(StatusCode, Json<ReplyDto>), AppError> {
    let r = crate::conv::send_reply(&state, &id, cid, body.account_id, &body.body).await?;
    Ok((StatusCode::CREATED, Json(ReplyDto::from(&r))))
}
