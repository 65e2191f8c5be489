//! The inbox: conversations of the viewer's markets, newest first (open work unless the status
//! filter asks otherwise), filtered by query, market, team, network, language, sentiment,
//! status, assignee, tag and time, with counts per status; bulk actions. At desktop widths it is
//! three panes: the filters folded into one bar, the list, and the selected conversation
//! (`?c=ID` draws it; `static/inbox.js` loads others into the pane with htmx and adds the
//! keyboard: j/k, e, a, ?).

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chorus_app::conversations::ConversationRow;
use chorus_app::conversations::changes::{self, ChangeFields};
use chorus_app::conversations::inbox::{self, InboxFilters};
use chorus_core::conversations::{ListeningQuery, Sentiment, Status};
use chorus_core::org::{Market, Team};
use serde::Deserialize;

use super::thread::Body;
use super::{Tabs, market_code, sentiment_badge, status_badge};
use crate::auth::PageUser;
use crate::error::{AppError, PageError};
use crate::state::AppState;
use crate::ui::{FormData, Shell, format_time, iso_time, render_with_status};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/conversations", get(inbox))
        .route("/conversations/bulk", post(bulk))
}

/// Inbox filters as they come in a query string (the filter form here, and the API).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
pub struct InboxParams {
    /// Listening query id.
    pub query: Option<String>,
    /// Text the name of a matching listening query contains (case-insensitive).
    pub query_name: Option<String>,
    /// Market code.
    pub market: Option<String>,
    pub team: Option<String>,
    pub network: Option<String>,
    /// Language: a code (`fi`, `fin`), its English name (`Finnish`) or its own (`suomi`), or
    /// `und` (not told); another value is refused naming `lang`.
    pub lang: Option<String>,
    /// negative, neutral or positive.
    pub sentiment: Option<String>,
    /// new, open, waiting or done; `active` for every status but done, `all` (or nothing) for
    /// any. The inbox page lists `active` when no status is given.
    pub status: Option<String>,
    /// A user id, `me` or `nobody`.
    pub assignee: Option<String>,
    pub tag: Option<String>,
    /// Earliest post date, `YYYY-MM-DD` (UTC) or RFC 3339.
    pub since: Option<String>,
    /// Post date before which to stop, same forms.
    pub until: Option<String>,
    /// Paging cursor from the previous page: `posted_at_ms:id`.
    pub before: Option<String>,
    pub limit: Option<i64>,
}

impl InboxParams {
    pub fn filters(&self) -> InboxFilters {
        InboxFilters {
            query: self.query.clone(),
            query_name: self.query_name.clone(),
            market: self.market.clone(),
            team: self.team.clone(),
            network: self.network.clone(),
            lang: self.lang.clone(),
            sentiment: self.sentiment.clone(),
            status: self.status.clone(),
            assignee: self.assignee.clone(),
            tag: self.tag.clone(),
            since: self.since.clone(),
            until: self.until.clone(),
            before: self.before.clone(),
            limit: self.limit,
        }
    }
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
            sentiment: sentiment_badge(c.sentiment),
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
    /// The status filter in force: `active` (open work, the default), `all` or a status.
    status_now: String,
    /// The counts per status: value, label, how many, whether it is the filter in force.
    counts: Vec<(&'static str, &'static str, i64, bool)>,
    /// How many conversations the filters select (every page of them).
    total: i64,
    /// The filters other than status in force (the bar says how many).
    active_filters: usize,
    /// The filters as a query string with a trailing `&` (or empty), to add `c=ID` or a status.
    select_base: String,
    /// The same without the status, for the count links.
    status_base: String,
    /// The selected conversation (`?c=ID`), drawn in the pane.
    selected: Option<i64>,
    pane: Option<Body>,
    /// A refusal to show instead of the pane (the selected conversation is not one to see).
    pane_error: Option<String>,
}

/// The conversation selected in the inbox.
#[derive(Debug, Default, Deserialize)]
struct Selected {
    c: Option<i64>,
}

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

/// `base` with a trailing `&` when it is not empty.
fn with_amp(mut base: String) -> String {
    if !base.is_empty() {
        base.push('&');
    }
    base
}

async fn inbox(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    Query(f): Query<InboxParams>,
    Query(sel): Query<Selected>,
) -> Result<Response, PageError> {
    let (list, menus) = inbox::page(&state.app, &id.caller, &f.filters()).await?;
    let status_now = inbox::page_filters(&f.filters())
        .status
        .unwrap_or_else(|| inbox::ACTIVE.to_owned())
        .trim()
        .to_ascii_lowercase();
    let counts: Vec<(&'static str, &'static str, i64, bool)> = menus
        .counts
        .iter()
        .map(|(s, n)| (s.as_str(), s.label(), *n, status_now == s.as_str()))
        .collect();
    let total = counts
        .iter()
        .filter(|(v, _, _, _)| match status_now.as_str() {
            "all" => true,
            inbox::ACTIVE => *v != Status::Done.as_str(),
            s => *v == s,
        })
        .map(|c| c.2)
        .sum();
    let no_status = InboxParams {
        status: None,
        ..f.clone()
    };
    let status_base = with_amp(filter_query(&no_status));
    let active_filters = filter_query(&no_status).matches('=').count();
    let csrf = id.csrf.clone().unwrap_or_default();
    let (pane, pane_error, pane_status) = match sel.c {
        None => (None, None, StatusCode::OK),
        Some(cid) => match inbox::thread(&state.app, &id.caller, cid).await {
            Ok(view) => (
                Some(Body::of(view, &csrf, None, None)),
                None,
                StatusCode::OK,
            ),
            Err(chorus_app::Error::NotFound(_)) => (
                None,
                Some("That conversation is not in your inbox.".to_owned()),
                StatusCode::NOT_FOUND,
            ),
            Err(e) => return Err(AppError::from(e).into()),
        },
    };
    let older = list.next.as_ref().map(|cursor| {
        let base = filter_query(&f);
        let sep = if base.is_empty() { "" } else { "&" };
        format!("{base}{sep}before={cursor}")
    });
    // With a name search, the name of a query a link selected is on the conversations it
    // matched.
    let selected_query = some(&f.query)
        .and_then(|q| q.parse::<i64>().ok())
        .filter(|_| menus.queries.is_none())
        .map(|qid| {
            let name = list
                .rows
                .iter()
                .flat_map(|r| &r.queries)
                .find(|(id, _, _)| id.0 == qid)
                .map_or_else(|| format!("query {qid}"), |(_, name, _)| name.clone());
            (qid, name)
        });
    let all = list.visible.all;
    let items = list.rows.into_iter().map(|c| Item::of(c, &all)).collect();
    let shell = Shell::with_markets(&state, &id, &all, "conversations", "Conversations").await?;
    Ok(render_with_status(
        pane_status,
        &InboxPage {
            shell,
            status_now,
            counts,
            total,
            active_filters,
            select_base: with_amp(filter_query(&f)),
            status_base,
            selected: pane.as_ref().map(|b| b.item.c.id.0),
            pane,
            pane_error,
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
            assignees: menus
                .assignees
                .into_iter()
                .map(|(u, name)| (u.0, name))
                .collect(),
            markets: list.visible.markets,
            query_menu: menus.queries,
            selected_query,
            teams: menus.teams,
            statuses: Status::ALL
                .iter()
                .map(|s| (s.as_str(), s.label()))
                .collect(),
            sentiments: Sentiment::ALL.iter().map(|s| s.as_str()).collect(),
            can_work: menus.can_work,
            older,
        },
    ))
}

fn some(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Applies one change to every selected conversation the viewer may work on.
async fn bulk(
    State(state): State<AppState>,
    PageUser(id): PageUser,
    form: FormData,
) -> Result<Response, PageError> {
    let ids: Vec<i64> = form
        .0
        .iter()
        .filter(|(k, _)| k == "id")
        .map(|(_, v)| v.parse())
        .collect::<Result<_, _>>()
        .map_err(|_| AppError::invalid("id", "not a conversation id"))?;
    // Checked before anything changes: a `back` that leaves the site is a 400.
    let back = crate::redirect::local_target(form.get("back"), "/conversations")?;
    let n = changes::bulk(&state.app, &id.caller, &ids, &change_fields(&form)).await?;
    let back = if back.starts_with("/conversations") {
        back
    } else {
        "/conversations".to_owned()
    };
    tracing::debug!(changed = n, "bulk change");
    Ok(Redirect::to(&back).into_response())
}

/// A change from a form: `action` = `status:open`, `assign:me`, `assign:nobody`, `assign:ID`,
/// `tag:NAME`, `untag:NAME`; or the separate `status`, `assignee`, `add_tag`, `remove_tag`
/// fields (the use case validates them).
pub fn change_fields(form: &FormData) -> ChangeFields {
    let mut fields = ChangeFields::default();
    let mut apply = |kind: &str, value: &str| {
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        match kind {
            "status" => fields.status = value.to_owned(),
            "assign" => fields.assignee = value.to_owned(),
            "tag" => fields.add_tags.push(value.to_owned()),
            "untag" => fields.remove_tags.push(value.to_owned()),
            _ => {}
        }
    };
    if let Some((kind, value)) = form.get("action").split_once(':') {
        apply(kind, value);
    }
    apply("status", form.get("status"));
    apply("assign", form.get("assignee"));
    apply("tag", form.get("add_tag"));
    apply("untag", form.get("remove_tag"));
    fields
}
