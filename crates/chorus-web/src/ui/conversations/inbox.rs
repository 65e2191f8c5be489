//! The inbox: conversations of the viewer's markets, newest first, filtered by query, market,
//! team, network, language, sentiment, status, assignee, tag and time; bulk actions.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_core::conversations::{ConversationId, ListeningQuery, Sentiment, Status};
use chorus_core::org::{Market, Team};
use chorus_core::{Action, Role};
use chorus_store::{ConversationChange, ConversationRow};

use super::{Tabs, market_code, readable_markets, sentiment_badge, status_badge};
use crate::auth::{Identity, PageUser};
use crate::conv::{InboxParams, check_work, markets_for};
use crate::error::{AppError, PageError};
use crate::state::AppState;
use crate::ui::{FormData, Shell, format_time, iso_time, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/conversations", get(inbox))
        .route("/conversations/bulk", post(bulk))
}

pub struct Item {
    pub c: ConversationRow,
    pub when: String,
    pub iso: String,
    pub sentiment: (&'static str, &'static str),
    pub status: &'static str,
    pub markets: Vec<String>,
}

impl Item {
    pub fn of(c: ConversationRow, markets: &[Market]) -> Item {
        Item {
            when: format_time(c.post.posted_at_ms),
            iso: iso_time(c.post.posted_at_ms),
            sentiment: sentiment_badge(c.post.sentiment),
            status: status_badge(c.status),
            markets: c
                .markets()
                .into_iter()
                .map(|m| market_code(markets, m))
                .collect(),
            c,
        }
    }
}

#[derive(Template)]
#[template(path = "conversations/inbox.html")]
struct InboxPage {
    shell: Shell,
    tabs: Tabs,
    items: Vec<Item>,
    f: InboxParams,
    markets: Vec<Market>,
    /// The query filter's menu; `None` when the viewer's markets have more than
    /// [`QUERY_MENU_MAX`] queries, and the filter is a name search instead.
    query_menu: Option<Vec<ListeningQuery>>,
    /// With the name search: the query a link selected, by id and name.
    selected_query: Option<(i64, String)>,
    teams: Vec<(Team, String)>,
    assignees: Vec<(i64, String)>,
    statuses: Vec<(&'static str, &'static str)>,
    sentiments: Vec<&'static str>,
    can_work: bool,
    /// Query string for the next page, when there may be one.
    older: Option<String>,
    filtered: bool,
    /// Where bulk actions return to: this page.
    back: String,
}

/// Most queries the filter lists as a menu. Beyond it a menu is no help to anyone, and
/// rendering it made the page with 10,000 queries 400 KB and 60 ms; the filter is then a search
/// on the query's name.
const QUERY_MENU_MAX: i64 = 200;

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("")
}

/// The filter query string without the paging cursor.
fn filter_query(f: &InboxParams) -> String {
    let pairs = [
        ("query", &f.query),
        ("query_name", &f.query_name),
        ("market", &f.market),
        ("team", &f.team),
        ("network", &f.network),
        ("lang", &f.lang),
        ("sentiment", &f.sentiment),
        ("status", &f.status),
        ("assignee", &f.assignee),
        ("tag", &f.tag),
        ("since", &f.since),
        ("until", &f.until),
    ];
    let kept: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|(_, v)| !opt(v).trim().is_empty())
        .map(|(k, v)| (*k, opt(v)))
        .collect();
    serde_urlencoded::to_string(kept).unwrap_or_default()
}

/// People the viewer can assign to: those who work the inbox in a market the viewer sees.
pub async fn assignees(
    state: &AppState,
    visible: &[Market],
) -> Result<Vec<(i64, String)>, AppError> {
    let markets: Vec<_> = visible.iter().map(|m| m.id).collect();
    Ok(state
        .store
        .users_holding(
            &[Role::CommunityManager, Role::MarketLead, Role::Admin],
            &markets,
        )
        .await?
        .into_iter()
        .map(|(id, name)| (id.0, name))
        .collect())
}

async fn inbox(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(f): Query<InboxParams>,
) -> Result<Response, PageError> {
    let all = state.store.markets().await?;
    let visible = readable_markets(&id, &all)?;
    let mut q = f.parse(id.user.id, &all)?;
    q.visible_markets = markets_for(&id.caller.actor, Action::ReadConversations, &all);
    let limit = q.limit;
    let rows = state.store.inbox(&q).await?;
    let older = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|l| (l.post.posted_at_ms, l.id.0)))
        .flatten()
        .map(|(at, cid)| {
            let base = filter_query(&f);
            let sep = if base.is_empty() { "" } else { "&" };
            format!("{base}{sep}before={at}:{cid}")
        });
    let visible_ids: Vec<_> = visible.iter().map(|m| m.id).collect();
    let (choices, total) = state
        .store
        .listening_queries_page(Some(&visible_ids), None, 0, QUERY_MENU_MAX)
        .await?;
    let query_menu = (total <= QUERY_MENU_MAX).then_some(choices);
    // The name of a query a link selected is on the conversations it matched.
    let selected_query = q.query.filter(|_| query_menu.is_none()).map(|qid| {
        let name = rows
            .iter()
            .flat_map(|r| &r.queries)
            .find(|(id, _, _)| *id == qid)
            .map_or_else(|| format!("query {qid}"), |(_, name, _)| name.clone());
        (qid.0, name)
    });
    let teams = state
        .store
        .teams(None)
        .await?
        .into_iter()
        .filter(|t| visible.iter().any(|m| m.id == t.market_id))
        .map(|t| {
            let code = market_code(&all, t.market_id);
            (t, code)
        })
        .collect();
    let items = rows.into_iter().map(|c| Item::of(c, &all)).collect();
    let shell = Shell::with_markets(&state, &id, &all, "conversations", "Conversations").await?;
    Ok(render(&InboxPage {
        shell,
        tabs: Tabs { active: "inbox" },
        items,
        filtered: !filter_query(&f).is_empty(),
        back: {
            let mut q = filter_query(&f);
            if let Some(b) = f.before.as_deref().filter(|b| !b.is_empty()) {
                if !q.is_empty() {
                    q.push('&');
                }
                q.push_str(&serde_urlencoded::to_string([("before", b)]).unwrap_or_default());
            }
            format!("/conversations?{q}")
        },
        f,
        assignees: assignees(&state, &visible).await?,
        markets: visible,
        query_menu,
        selected_query,
        teams,
        statuses: Status::ALL
            .iter()
            .map(|s| (s.as_str(), s.label()))
            .collect(),
        sentiments: Sentiment::ALL.iter().map(|s| s.as_str()).collect(),
        can_work: markets_for(&id.caller.actor, Action::WorkConversations, &all)
            .is_none_or(|m| !m.is_empty()),
        older,
    }))
}

/// Applies one change to every selected conversation the viewer may work on.
async fn bulk(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    form: FormData,
) -> Result<Response, PageError> {
    let ids: Vec<ConversationId> = form
        .0
        .iter()
        .filter(|(k, _)| k == "id")
        .map(|(_, v)| v.parse().map(ConversationId))
        .collect::<Result<_, _>>()
        .map_err(|_| AppError::invalid("id", "not a conversation id"))?;
    if ids.is_empty() {
        return Err(AppError::invalid("id", "select at least one conversation").into());
    }
    // Checked before anything changes: a `back` that leaves the site is a 400.
    let back = crate::redirect::local_target(form.get("back"), "/conversations")?;
    let change = parse_change(&id, &form)?;
    if change.is_empty() {
        return Err(AppError::invalid("action", "choose what to do with the selection").into());
    }
    for c in &ids {
        check_work(&state, &id, *c).await?;
    }
    let n = state
        .store
        .change_conversations(&id.author(), &ids, &change)
        .await?;
    let back = if back.starts_with("/conversations") {
        back
    } else {
        "/conversations".to_owned()
    };
    tracing::debug!(changed = n, "bulk change");
    Ok(Redirect::to(&back).into_response())
}

/// A change from a form: `action` = `status:open`, `assign:me`, `assign:nobody`, `assign:ID`,
/// `tag:NAME`, `untag:NAME`; or the separate `status`, `assignee`, `add_tag` fields.
pub fn parse_change(id: &Identity, form: &FormData) -> Result<ConversationChange, AppError> {
    let mut change = ConversationChange::default();
    let mut apply = |kind: &str, value: &str| -> Result<(), AppError> {
        let value = value.trim();
        match kind {
            "status" if !value.is_empty() => {
                change.status = Some(Status::parse(value).map_err(|e| e.at("status"))?);
            }
            "assign" if !value.is_empty() => {
                change.assignee = Some(match value {
                    "me" => Some(id.user.id),
                    "nobody" => None,
                    u => Some(chorus_core::UserId(u.parse().map_err(|_| {
                        AppError::invalid("assignee", format!("{u:?} is not a user id"))
                    })?)),
                });
            }
            "tag" if !value.is_empty() => change
                .add_tags
                .push(chorus_core::conversations::tag(value).map_err(|e| e.at("tag"))?),
            "untag" if !value.is_empty() => change
                .remove_tags
                .push(chorus_core::conversations::tag(value).map_err(|e| e.at("tag"))?),
            _ => {}
        }
        Ok(())
    };
    if let Some((kind, value)) = form.get("action").split_once(':') {
        apply(kind, value)?;
    }
    apply("status", form.get("status"))?;
    apply("assign", form.get("assignee"))?;
    apply("tag", form.get("add_tag"))?;
    apply("untag", form.get("remove_tag"))?;
    Ok(change)
}
