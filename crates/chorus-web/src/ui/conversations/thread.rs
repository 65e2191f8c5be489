//! One conversation: the post in its thread, the queries that found it, status, assignee,
//! tags, internal notes, replies (through the market's Bluesky account), first-response time
//! against the market's target, and its history from the audit log.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_app::conversations::inbox::{self, FirstResponse, ReplyBlocked};
use chorus_app::conversations::replies::{self, ReplyFields};
use chorus_app::conversations::{Account, Reply, StoredPost, changes, post_url};
use chorus_core::conversations::Status;
use serde::Deserialize;

use super::inbox::{Item, change_fields};
use super::{Tabs, minutes_text, sentiment_badge};
use crate::auth::PageUser;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::{Flash, FormData, Shell, format_time, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/conversations/{id}", get(show))
        .route("/conversations/{id}/change", post(change))
        .route("/conversations/{id}/notes", post(add_note))
        .route("/conversations/{id}/replies", post(reply))
        .route("/conversations/{id}/replies/{reply}/retry", post(retry))
}

struct ThreadPost {
    post: StoredPost,
    when: String,
    url: Option<String>,
    sentiment: (&'static str, &'static str),
    is_this: bool,
    depth: usize,
}

struct HistoryLine {
    when: String,
    who: String,
    what: String,
}

#[derive(Template)]
#[template(path = "conversations/thread.html")]
struct ThreadPage {
    shell: Shell,
    tabs: Tabs,
    item: Item,
    url: Option<String>,
    thread: Vec<ThreadPost>,
    notes: Vec<(String, String, String)>,
    replies: Vec<(Reply, String)>,
    accounts: Vec<Account>,
    statuses: Vec<(&'static str, &'static str)>,
    assignees: Vec<(i64, String)>,
    can_work: bool,
    can_reply: bool,
    reply_note: String,
    first_response: String,
    target: String,
    history: Vec<HistoryLine>,
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

async fn show(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(cid): Path<i64>,
    Query(d): Query<Done>,
) -> Result<Response, PageError> {
    let view = inbox::thread(&state.app, &id.caller, cid).await?;
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
            is_this: p.id == detail.row.id.0,
            depth: depth(&p, &thread_posts),
            post: p,
        })
        .collect();
    let title = format!(
        "Conversation with {}",
        detail
            .row
            .post
            .author_handle
            .clone()
            .unwrap_or_else(|| detail.row.post.author.clone())
    );
    let shell = Shell::with_markets(&state, &id, &all, "conversations", title)
        .await?
        .with_flash(match d.done.as_deref() {
            Some("changed") => Flash::success("Saved. The change is recorded in the audit log."),
            Some("noted") => Flash::success("Note added."),
            Some("sent") => Flash::success("Reply published."),
            Some("failed") => {
                Flash::error("The reply was not published; see the reason below and retry.")
            }
            _ => None,
        });
    let url = post_url(&detail.row.post);
    Ok(render(&ThreadPage {
        shell,
        tabs: Tabs { active: "inbox" },
        url,
        item: Item::of(detail.row, &all),
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
        statuses: Status::ALL
            .iter()
            .map(|s| (s.as_str(), s.label()))
            .collect(),
        assignees: view
            .assignees
            .into_iter()
            .map(|(u, name)| (u.0, name))
            .collect(),
        can_work,
        first_response: first_response_text(view.first_response),
        target: view
            .target_minutes
            .map(|t| minutes_text(t as f64))
            .unwrap_or_default(),
        history,
    }))
}

async fn change(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(cid): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    changes::change(&state.app, &id.caller, cid, &change_fields(&form)).await?;
    Ok(Redirect::to(&format!("/conversations/{cid}?done=changed")).into_response())
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
