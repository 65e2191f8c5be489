//! One conversation: the post in its thread, the queries that found it, status, assignee,
//! tags, internal notes, replies (through the market's Bluesky account), first-response time
//! against the market's target, and its history from the audit log. The same body
//! (`conversations/_conversation.html`) is the full page `/conversations/{id}` and the inbox's
//! pane `/conversations/{id}/pane` (an htmx fragment); its fields save one by one (`fields.rs`).

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_app::conversations::inbox::{self, FirstResponse, ReplyBlocked};
use chorus_app::conversations::replies::{self, ReplyFields};
use chorus_app::conversations::{Account, Reply, StoredPost, changes, post_url};
use serde::Deserialize;

use super::fields::{self, FieldView, Refused};
use super::inbox::Item;
use super::{Tabs, language_text, minutes_text, sentiment_badge};
use crate::auth::{Identity, PageUser};
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::{Flash, FormData, Shell, format_time, render, render_with_status};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/conversations/{id}", get(show))
        .route("/conversations/{id}/pane", get(pane))
        .route("/conversations/{id}/change", post(fields::change))
        .route("/conversations/{id}/notes", post(add_note))
        .route("/conversations/{id}/replies", post(reply))
        .route("/conversations/{id}/replies/{reply}/retry", post(retry))
}

pub(super) struct ThreadPost {
    pub(super) post: StoredPost,
    pub(super) when: String,
    pub(super) url: Option<String>,
    pub(super) sentiment: (&'static str, &'static str),
    /// The language in words ([`super::language_text`]).
    pub(super) language: String,
    pub(super) is_this: bool,
    pub(super) depth: usize,
}

pub(super) struct HistoryLine {
    pub(super) when: String,
    pub(super) who: String,
    pub(super) what: String,
}

/// Everything `conversations/_conversation.html` shows, for the page and the pane alike.
pub struct Body {
    pub item: Item,
    pub(super) url: Option<String>,
    pub(super) thread: Vec<ThreadPost>,
    pub(super) notes: Vec<(String, String, String)>,
    pub(super) replies: Vec<(Reply, String)>,
    pub(super) accounts: Vec<Account>,
    pub assignees: Vec<(i64, String)>,
    pub(super) fields: Vec<FieldView>,
    pub(super) can_work: bool,
    pub(super) can_reply: bool,
    pub(super) reply_note: String,
    pub(super) first_response: String,
    pub(super) target: String,
    pub(super) history: Vec<HistoryLine>,
    pub(super) csrf: String,
}

#[derive(Template)]
#[template(path = "conversations/thread.html")]
struct ThreadPage {
    shell: Shell,
    tabs: Tabs,
    b: Body,
}

/// The conversation in the inbox's pane (an htmx fragment).
#[derive(Template)]
#[template(path = "conversations/_pane.html")]
pub struct Pane {
    pub b: Body,
}

#[derive(Deserialize, Default)]
struct Done {
    done: Option<String>,
}

fn depth(post: &StoredPost, thread: &[StoredPost]) -> usize {
    let mut d = 0;
    let mut parent = post.reply_parent.clone();
    while let Some(p) = parent {
        match thread.iter().find(|x| x.uri == p) {
            Some(x) if d < 8 => {
                d += 1;
                parent = x.reply_parent.clone();
            }
            _ => break,
        }
    }
    d
}

/// The first response against the target, in words.
fn first_response_text(f: FirstResponse) -> String {
    match f {
        FirstResponse::Answered { minutes, within } => {
            let verdict = match within {
                Some(true) => " (within target)",
                Some(false) => " (over target)",
                None => "",
            };
            format!("{}{verdict}", minutes_text(minutes))
        }
        FirstResponse::Waiting {
            overdue_by: Some(over),
            ..
        } => format!("none yet: overdue by {}", minutes_text(over)),
        FirstResponse::Waiting { minutes, .. } => {
            format!("none yet ({} waiting)", minutes_text(minutes))
        }
        FirstResponse::Closed => "none: marked done without a reply, so it no longer counts".into(),
    }
}

fn reply_note(blocked: Option<&ReplyBlocked>) -> String {
    match blocked {
        None => String::new(),
        Some(ReplyBlocked::OtherNetwork(network)) => format!(
            "Replies go out through Bluesky; this post came from {network}, answer it there."
        ),
        Some(ReplyBlocked::NoAccount) => {
            "No Bluesky account is connected for this conversation's markets yet.".into()
        }
        Some(ReplyBlocked::NotConfigured) => "Replying is not configured on this server.".into(),
    }
}

impl Body {
    /// The body of a conversation's view for a session with `csrf`; `refused` puts a refused
    /// value back beside its field, `saved` marks a field just saved.
    pub fn of(
        view: inbox::ThreadView,
        csrf: &str,
        refused: Option<&Refused>,
        saved: Option<&str>,
    ) -> Body {
        let detail = view.conversation.detail;
        let all = view.conversation.markets;
        let can_work = view.conversation.can_work;
        let history = view
            .history
            .iter()
            .map(|line| HistoryLine {
                when: format_time(line.entry.at_ms),
                who: line.actor.clone(),
                what: line.sentence.clone(),
            })
            .collect();
        let thread_posts = detail.thread.clone();
        let thread = detail
            .thread
            .into_iter()
            .map(|p| ThreadPost {
                when: format_time(p.posted_at_ms),
                url: post_url(&p),
                sentiment: sentiment_badge(p.sentiment),
                language: language_text(&p),
                is_this: p.id == detail.row.id.0,
                depth: depth(&p, &thread_posts),
                post: p,
            })
            .collect();
        let url = post_url(&detail.row.post);
        let item = Item::of(detail.row, &all);
        let assignees: Vec<(i64, String)> = view
            .assignees
            .into_iter()
            .map(|(u, name)| (u.0, name))
            .collect();
        Body {
            fields: fields::fields(&item, &assignees, csrf, refused, saved),
            assignees,
            url,
            item,
            thread,
            notes: detail
                .notes
                .into_iter()
                .map(|n| (n.author, format_time(n.created_at_ms), n.body))
                .collect(),
            replies: detail
                .replies
                .into_iter()
                .map(|r| {
                    let when = format_time(r.created_at_ms);
                    (r, when)
                })
                .collect(),
            can_reply: can_work && view.reply_blocked.is_none(),
            reply_note: reply_note(view.reply_blocked.as_ref()),
            accounts: view.accounts,
            can_work,
            first_response: first_response_text(view.first_response),
            target: view
                .target_minutes
                .map(|t| minutes_text(t as f64))
                .unwrap_or_default(),
            history,
            csrf: csrf.to_owned(),
        }
    }

    /// "Conversation with @handle".
    fn title(&self) -> String {
        let post = &self.item.c.post;
        format!(
            "Conversation with {}",
            post.author_handle
                .clone()
                .unwrap_or_else(|| post.author.clone())
        )
    }
}

/// The full page of conversation `cid`, with `flash` and `refused` (a value refused beside
/// its field).
async fn full_page(
    state: &AppState,
    id: &Identity,
    cid: i64,
    flash: Option<Flash>,
    refused: Option<&Refused>,
) -> Result<ThreadPage, PageError> {
    let view = inbox::thread(&state.app, &id.caller, cid).await?;
    let all = view.conversation.markets.clone();
    let b = Body::of(view, id.csrf.as_deref().unwrap_or_default(), refused, None);
    let shell = Shell::with_markets(state, id, &all, "conversations", b.title())
        .await?
        .with_flash(flash);
    Ok(ThreadPage {
        shell,
        tabs: Tabs { active: "inbox" },
        b,
    })
}

async fn show(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(cid): Path<i64>,
    Query(d): Query<Done>,
) -> Result<Response, PageError> {
    let flash = match d.done.as_deref() {
        Some("changed") => Flash::success("Saved. The change is recorded in the audit log."),
        Some("noted") => Flash::success("Note added."),
        Some("sent") => Flash::success("Reply published."),
        Some("failed") => {
            Flash::error("The reply was not published; see the reason below and retry.")
        }
        _ => None,
    };
    Ok(render(&full_page(&state, &id, cid, flash, None).await?))
}

/// The conversation's page again with a refused value beside its field (a form sent without
/// JavaScript), answered 422.
pub async fn page_with_refusal(
    state: &AppState,
    id: &Identity,
    cid: i64,
    refused: Refused,
) -> Result<Response, PageError> {
    let page = full_page(state, id, cid, None, Some(&refused)).await?;
    Ok(render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

/// The conversation for the inbox's pane.
async fn pane(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(cid): Path<i64>,
) -> Result<Response, PageError> {
    let view = inbox::thread(&state.app, &id.caller, cid).await?;
    let b = Body::of(view, id.csrf.as_deref().unwrap_or_default(), None, None);
    Ok(render(&Pane { b }))
}

async fn add_note(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(cid): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    changes::add_note(&state.app, &id.caller, cid, form.get("body")).await?;
    Ok(Redirect::to(&format!("/conversations/{cid}?done=noted")).into_response())
}

async fn reply(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(cid): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    let fields = ReplyFields {
        account: form.get("account").to_owned(),
        body: form.get("body").to_owned(),
    };
    let r = replies::send(&state.app, &id.caller, cid, &fields).await?;
    Ok(Redirect::to(&format!("/conversations/{cid}?done={}", done(&r))).into_response())
}

async fn retry(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path((cid, reply_id)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    let r = replies::retry(&state.app, &id.caller, cid, reply_id).await?;
    Ok(Redirect::to(&format!("/conversations/{cid}?done={}", done(&r))).into_response())
}

/// The flash to show after a reply: published, or failed (the reason is on the page).
fn done(r: &Reply) -> &'static str {
    if r.state == "sent" { "sent" } else { "failed" }
}
