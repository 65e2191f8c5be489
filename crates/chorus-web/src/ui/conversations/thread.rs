//! One conversation: the post in its thread, the queries that found it, status, assignee,
//! tags, internal notes, replies (through the market's Bluesky account), first-response time
//! against the market's target, and its history from the audit log.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_core::audit::AuditEntry;
use chorus_core::conversations::{ConversationId, Status, note};
use chorus_store::{Account, AuditQuery, ConversationDetail, StoredPost};
use serde::Deserialize;

use super::inbox::{Item, parse_change};
use super::{Tabs, minutes_text, sentiment_badge};
use crate::auth::{Identity, PageUser};
use crate::conv::{allowed_in_any, check_work, post_url, publish_reply, send_reply};
use crate::error::{AppError, PageError};
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
    replies: Vec<(chorus_store::Reply, String)>,
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

async fn load(
    state: &AppState,
    id: &Identity,
    cid: i64,
) -> Result<(ConversationDetail, Vec<chorus_core::MarketId>), AppError> {
    let c = ConversationId(cid);
    let markets = state.store.conversation_markets(c).await?;
    if !allowed_in_any(
        &id.caller.actor,
        chorus_core::Action::ReadConversations,
        &markets,
    ) {
        return Err(AppError::NotFound("conversation"));
    }
    Ok((state.store.conversation(c).await?, markets))
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

fn describe(e: &AuditEntry) -> String {
    let after = e.after.as_ref();
    match e.action.as_str() {
        "conversation.note" => "added a note".into(),
        "conversation.reply" => "wrote a reply".into(),
        "conversation.reply_sent" => "reply published".into(),
        "conversation.update" => chorus_core::audit::diff(e.before.as_ref(), after)
            .iter()
            .map(|c| {
                format!(
                    "{}: {} → {}",
                    c.field,
                    c.before.as_deref().unwrap_or("—"),
                    c.after.as_deref().unwrap_or("—")
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_owned(),
    }
}

async fn show(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(cid): Path<i64>,
    Query(d): Query<Done>,
) -> Result<Response, PageError> {
    let (detail, market_ids) = load(&state, &id, cid).await?;
    let all = state.store.markets().await?;
    let can_work = allowed_in_any(
        &id.caller.actor,
        chorus_core::Action::WorkConversations,
        &market_ids,
    );
    let mut accounts = Vec::new();
    for m in &market_ids {
        accounts.extend(
            state
                .store
                .accounts(Some(*m))
                .await?
                .into_iter()
                .filter(|a| a.network == "bluesky"),
        );
    }
    let is_bluesky = detail.row.post.network == "bluesky";
    let reply_note = if !is_bluesky {
        format!(
            "Replies go out through Bluesky; this post came from {}, answer it there.",
            detail.row.post.network
        )
    } else if accounts.is_empty() {
        "No Bluesky account is connected for this conversation's markets yet.".into()
    } else if state.secret_key.is_none() {
        "Replying is not configured on this server.".into()
    } else {
        String::new()
    };
    let target = match market_ids.first() {
        Some(m) => state.store.response_target(*m).await?,
        None => None,
    };
    let first_response = match detail.row.first_response_at_ms {
        Some(at) => {
            let mins = (at - detail.row.created_at_ms) as f64 / 60_000.0;
            let verdict = match target {
                Some(t) if mins <= t as f64 => " (within target)",
                Some(_) => " (over target)",
                None => "",
            };
            format!("{}{verdict}", minutes_text(mins))
        }
        None => {
            let waited = (chorus_store::now_ms() - detail.row.created_at_ms) as f64 / 60_000.0;
            match target {
                Some(t) if waited > t as f64 => {
                    format!("none yet: overdue by {}", minutes_text(waited - t as f64))
                }
                _ => format!("none yet ({} waiting)", minutes_text(waited)),
            }
        }
    };
    let history = state
        .store
        .audit_entries(&AuditQuery {
            subject_type: Some("conversation".into()),
            subject_id: Some(cid.to_string()),
            limit: 50,
            ..AuditQuery::default()
        })
        .await?
        .iter()
        .map(|e| HistoryLine {
            when: format_time(e.at_ms),
            who: e.actor_label.clone(),
            what: describe(e),
        })
        .collect();
    let visible = super::readable_markets(&id, &all)?;
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
    let shell = Shell::new(&state, &id, "conversations", title)
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
        can_reply: can_work && reply_note.is_empty(),
        reply_note,
        accounts,
        statuses: Status::ALL
            .iter()
            .map(|s| (s.as_str(), s.label()))
            .collect(),
        assignees: super::inbox::assignees(&state, &visible).await?,
        can_work,
        first_response,
        target: target.map(|t| minutes_text(t as f64)).unwrap_or_default(),
        history,
    }))
}

async fn change(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(cid): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    let c = ConversationId(cid);
    check_work(&state, &id, c).await?;
    let change = parse_change(&id, &form)?;
    state
        .store
        .change_conversations(&id.author(), &[c], &change)
        .await?;
    Ok(Redirect::to(&format!("/conversations/{cid}?done=changed")).into_response())
}

async fn add_note(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(cid): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    let c = ConversationId(cid);
    check_work(&state, &id, c).await?;
    let body = note(form.get("body")).map_err(|e| e.at("body"))?;
    state.store.add_note(&id.author(), c, &body).await?;
    Ok(Redirect::to(&format!("/conversations/{cid}?done=noted")).into_response())
}

async fn reply(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path(cid): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    let account: i64 = form
        .get("account")
        .parse()
        .map_err(|_| AppError::invalid("account", "choose the account to reply from"))?;
    let r = send_reply(&state, &id, cid, account, form.get("body")).await?;
    let done = if r.state == "sent" { "sent" } else { "failed" };
    Ok(Redirect::to(&format!("/conversations/{cid}?done={done}")).into_response())
}

async fn retry(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Path((cid, reply_id)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    check_work(&state, &id, ConversationId(cid)).await?;
    let r = state.store.reply(reply_id).await?;
    if r.conversation_id.0 != cid {
        return Err(AppError::NotFound("reply").into());
    }
    let key = state.secret_key.clone().ok_or_else(|| AppError::Invalid {
        field: None,
        message: "replying is not configured on this server".into(),
    })?;
    state.store.retry_reply(reply_id).await?;
    let r = publish_reply(&state, &key, reply_id).await?;
    let done = if r.state == "sent" { "sent" } else { "failed" };
    Ok(Redirect::to(&format!("/conversations/{cid}?done={done}")).into_response())
}
