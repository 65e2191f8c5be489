//! `/api/v1/conversations`: the inbox (filtered, keyset-paged), one conversation with its
//! thread, changes (one or many), notes and replies.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chorus_app::conversations::changes::{self, ChangeFields};
use chorus_app::conversations::replies::{self, ReplyFields};
use chorus_app::conversations::{ConversationRow, Reply, StoredPost, inbox};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dto::market_code;
use super::json::ApiJson;
use crate::auth::ApiUser;
use crate::error::{AppError, ErrorBody};
use crate::state::AppState;
use crate::ui::conversations::inbox::InboxParams;
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
    /// The language the post is filed under (what the `lang` filter and `lang:` read): the
    /// detected one unless the server is configured to file by the source's label.
    pub lang: String,
    /// The language detector's answer (`und`: it could not tell); absent for posts stored
    /// before Chorus kept it apart.
    pub detected_lang: Option<String>,
    /// The language the source declared (a client's setting, an import's column), if any.
    pub source_lang: Option<String>,
    /// The detector's confidence in `detected_lang`, 0…1.
    pub lang_confidence: Option<f64>,
    /// Sentiment score, -1…1: negative at or below -0.05, positive at or above 0.05. The
    /// sentiment model's P(positive) − P(negative) (or VADER's compound score in VADER mode).
    pub sentiment: f64,
    /// The sentiment model's probability of the label the score falls in (absent in VADER
    /// mode).
    pub sentiment_confidence: Option<f64>,
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
            detected_lang: p.labels.detected_lang.clone(),
            source_lang: p.labels.source_lang.clone(),
            lang_confidence: p.labels.lang_confidence,
            sentiment: p.sentiment,
            sentiment_confidence: p.labels.sentiment_confidence,
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
    /// The language shown: a person's correction where there is one, else `post.lang`.
    pub lang: String,
    /// The sentiment shown (negative, neutral or positive): a person's correction where there
    /// is one, else the band of `post.sentiment`.
    pub sentiment: String,
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
            lang: c.lang.clone(),
            sentiment: chorus_core::conversations::Sentiment::of(c.sentiment)
                .as_str()
                .to_owned(),
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

impl From<&Reply> for ReplyDto {
    fn from(r: &Reply) -> Self {
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
    fn fields(&self) -> ChangeFields {
        ChangeFields {
            status: self.status.clone().unwrap_or_default(),
            assignee: match self.assignee_id {
                None => String::new(),
                Some(None) => "nobody".into(),
                Some(Some(u)) => u.to_string(),
            },
            add_tags: self.add_tags.clone(),
            remove_tags: self.remove_tags.clone(),
        }
    }
}

/// The inbox: conversations of the caller's markets, newest first, 50 a page.
#[utoipa::path(get, path = "/api/v1/conversations", tag = "conversations", params(InboxParams),
    responses((status = 200, body = InboxPage), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Query(p): Query<InboxParams>,
) -> Result<Json<InboxPage>, AppError> {
    let list = inbox::list(&state.app, &id.caller, &p.filters()).await?;
    Ok(Json(InboxPage {
        conversations: list
            .rows
            .iter()
            .map(|c| ConversationDto::of(c, &list.visible.all))
            .collect(),
        next: list.next,
    }))
}

#[utoipa::path(get, path = "/api/v1/conversations/{id}", tag = "conversations",
    params(("id" = i64, Path)), responses((status = 200, body = ConversationDetailDto), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(cid): Path<i64>,
) -> Result<Json<ConversationDetailDto>, AppError> {
    let c = inbox::conversation(&state.app, &id.caller, cid).await?;
    let d = c.detail;
    Ok(Json(ConversationDetailDto {
        conversation: ConversationDto::of(&d.row, &c.markets),
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
    let changed = changes::change(&state.app, &id.caller, cid, &body.fields()).await?;
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
    let changed = changes::bulk(&state.app, &id.caller, &body.ids, &body.change.fields()).await?;
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
    changes::add_note(&state.app, &id.caller, cid, &body.body).await?;
    Ok(StatusCode::CREATED)
}

/// Replies through a connected Bluesky account, threaded under the post. The answer tells
/// whether it was published (`sent`) or why not (`failed`, retry from the UI).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/replies", tag = "conversations", request_body = ReplyBody,
    params(("id" = i64, Path)), responses((status = 201, body = ReplyDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reply(
    State(state): State<AppState>,
    ApiUser(id): ApiUser,
    Path(cid): Path<i64>,
    ApiJson(body): ApiJson<ReplyBody>,
) -> Result<(StatusCode, Json<ReplyDto>), AppError> {
    let fields = ReplyFields {
        account: body.account_id.to_string(),
        body: body.body.clone(),
    };
    let r = replies::send(&state.app, &id.caller, cid, &fields).await?;
    Ok((StatusCode::CREATED, Json(ReplyDto::from(&r))))
}
