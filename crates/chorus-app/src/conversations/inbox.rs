//! The inbox: conversations of the caller's markets, newest first, filtered and keyset-paged;
//! the menus its filter form offers; one conversation with its thread, and everything its page
//! shows (what the caller may do there, the accounts to reply from, the first-response clock,
//! the history).

use chorus_core::conversations::{
    AssigneeFilter, ConversationId, ListeningQuery, NetworkName, QueryId, Sentiment, Status,
    first_response, tag,
};
use chorus_core::org::{Market, Team};
use chorus_core::permission::{allows, markets_where};
use chorus_core::user::Membership;
use chorus_core::validate::quoted;
use chorus_core::{Action, Actor, MarketId, Role, Scope, TeamId, UserId};
use chorus_store::{AuditQuery, InboxQuery};

use super::queries::code_of;
use super::{
    Access, Account, ConversationDetail, ConversationRow, Visible, access, scoped, visible,
};
use crate::{App, Caller, Error, Result};

/// Inbox filters as typed (a query string); empty means "any".
#[derive(Debug, Clone, Default)]
pub struct InboxFilters {
    /// Listening query id.
    pub query: Option<String>,
    /// Text the name of a matching query contains (any case).
    pub query_name: Option<String>,
    /// Market code.
    pub market: Option<String>,
    /// Team id.
    pub team: Option<String>,
    pub network: Option<String>,
    /// Language code, e.g. `fi`, or `und`.
    pub lang: Option<String>,
    /// negative, neutral or positive.
    pub sentiment: Option<String>,
    /// new, open, waiting or done; `active` for all but done, `all` (or empty) for any.
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
    /// Conversations per page, 1–200 (default 50).
    pub limit: Option<i64>,
}

/// The status filter for open work: every status but done (the inbox page's default).
pub const ACTIVE: &str = "active";

/// Longest `query_name` filter accepted (query names are shorter still).
const QUERY_NAME_MAX: usize = 200;

fn some(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn id(field: &'static str, raw: &str) -> Result<i64> {
    raw.parse()
        .map_err(|_| Error::invalid(field, format!("{} is not an id", quoted(raw))))
}

fn date_ms(field: &'static str, raw: &str) -> Result<i64> {
    if let Ok(t) = raw.parse::<jiff::Timestamp>() {
        return Ok(t.as_millisecond());
    }
    raw.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp().as_millisecond())
        .ok_or_else(|| {
            Error::invalid(
                field,
                format!("{} is not a date, e.g. 2026-11-26", quoted(raw)),
            )
        })
}

impl InboxFilters {
    /// Validates the filters into a store query (visibility is the caller's to add).
    fn parse(&self, me: UserId, markets: &[Market]) -> Result<InboxQuery> {
        let market = match some(&self.market) {
            None => None,
            Some(code) => Some(
                markets
                    .iter()
                    .find(|m| m.code.as_str().eq_ignore_ascii_case(code))
                    .map(|m| m.id)
                    .ok_or_else(|| {
                        Error::invalid("market", format!("no market {}", quoted(code)))
                    })?,
            ),
        };
        let before = match some(&self.before) {
            None => None,
            Some(b) => Some(
                b.split_once(':')
                    .and_then(|(a, c)| Some((a.parse().ok()?, c.parse().ok()?)))
                    .ok_or_else(|| Error::invalid("before", "expected posted_at:id"))?,
            ),
        };
        let query_name = match some(&self.query_name) {
            Some(n) if n.chars().count() > QUERY_NAME_MAX => {
                return Err(Error::invalid(
                    "query_name",
                    format!("at most {QUERY_NAME_MAX} characters"),
                ));
            }
            n => n.map(str::to_owned),
        };
        Ok(InboxQuery {
            visible_markets: None,
            market,
            query: some(&self.query)
                .map(|q| id("query", q))
                .transpose()?
                .map(QueryId),
            query_name,
            team: some(&self.team)
                .map(|t| id("team", t))
                .transpose()?
                .map(TeamId),
            network: some(&self.network)
                .map(|n| NetworkName::parse(n).map_err(|e| e.at("network")))
                .transpose()?
                .map(|n| n.as_str().to_owned()),
            lang: some(&self.lang)
                .map(|l| {
                    super::language::language(l)
                        .map(str::to_owned)
                        .map_err(|e| e.at("lang"))
                })
                .transpose()?,
            sentiment: some(&self.sentiment)
                .map(|s| Sentiment::parse(s).map_err(|e| e.at("sentiment")))
                .transpose()?,
            status: match some(&self.status) {
                None | Some("all") | Some(ACTIVE) => None,
                Some(s) => Some(Status::parse(s).map_err(|e| e.at("status"))?),
            },
            exclude_done: some(&self.status) == Some(ACTIVE),
            assignee: match some(&self.assignee) {
                None => None,
                Some("me") => Some(AssigneeFilter::User(me)),
                Some("nobody") => Some(AssigneeFilter::Nobody),
                Some(u) => Some(AssigneeFilter::User(UserId(id("assignee", u)?))),
            },
            tag: some(&self.tag)
                .map(|t| tag(t).map_err(|e| e.at("tag")))
                .transpose()?,
            since_ms: some(&self.since).map(|s| date_ms("since", s)).transpose()?,
            until_ms: some(&self.until).map(|s| date_ms("until", s)).transpose()?,
            before,
            limit: self.limit.unwrap_or(50).clamp(1, 200),
        })
    }
}

/// A page of the inbox.
#[derive(Debug, Clone)]
pub struct InboxList {
    /// Each showing only the queries of markets the caller reads.
    pub rows: Vec<ConversationRow>,
    /// The cursor of the next page (`posted_at_ms:id`), when there may be one.
    pub next: Option<String>,
    pub visible: Visible,
}

/// Conversations of the markets where the caller reads them, newest first.
pub async fn list(app: &App, caller: &Caller, filters: &InboxFilters) -> Result<InboxList> {
    Ok(list_and_query(app, caller, filters).await?.0)
}

/// [`list`] and the store query it ran (the page counts with it).
async fn list_and_query(
    app: &App,
    caller: &Caller,
    filters: &InboxFilters,
) -> Result<(InboxList, InboxQuery)> {
    let visible = visible(app, caller).await?;
    let mut q = filters.parse(caller.user_id(), &visible.all)?;
    q.visible_markets = visible.ids.clone();
    let rows: Vec<ConversationRow> = app
        .store
        .inbox(&q)
        .await?
        .into_iter()
        .map(|r| scoped(r, &visible))
        .collect();
    let next = (rows.len() as i64 == q.limit)
        .then(|| {
            rows.last()
                .map(|l| format!("{}:{}", l.post.posted_at_ms, l.id.0))
        })
        .flatten();
    Ok((
        InboxList {
            rows,
            next,
            visible,
        },
        q,
    ))
}

/// Most queries the filter lists as a menu. Beyond it a menu is no help to anyone (10,000 made
/// the page 400 KB); the filter is then a search on the query's name.
pub const QUERY_MENU_MAX: i64 = 200;

/// What the inbox's filter form and bulk actions offer.
#[derive(Debug, Clone)]
pub struct InboxMenus {
    /// The query menu; `None` when the caller's markets have more than [`QUERY_MENU_MAX`].
    pub queries: Option<Vec<ListeningQuery>>,
    /// Teams of the caller's markets, with their market's code.
    pub teams: Vec<(Team, String)>,
    pub assignees: Vec<(UserId, String)>,
    /// Whether the caller works the inbox of any market (bulk actions).
    pub can_work: bool,
    /// How many conversations of each status the other filters select, in [`Status::ALL`]
    /// order (zeros included).
    pub counts: Vec<(Status, i64)>,
}

/// The inbox page's filters: as given, with open work (every status but done) when no status
/// is asked for.
pub fn page_filters(filters: &InboxFilters) -> InboxFilters {
    let mut f = filters.clone();
    if some(&f.status).is_none() {
        f.status = Some(ACTIVE.to_owned());
    }
    f
}

/// The inbox page: a page of conversations (open work unless the filters ask for a status, see
/// [`page_filters`]), the filter menus and the counts per status.
pub async fn page(
    app: &App,
    caller: &Caller,
    filters: &InboxFilters,
) -> Result<(InboxList, InboxMenus)> {
    let (list, q) = list_and_query(app, caller, &page_filters(filters)).await?;
    let found = app.store.inbox_counts(&q).await?;
    let counts = Status::ALL
        .iter()
        .map(|s| {
            let n = found.iter().find(|(x, _)| x == s).map_or(0, |(_, n)| *n);
            (*s, n)
        })
        .collect();
    let ids = list.visible.market_ids();
    let (choices, total) = app
        .store
        .listening_queries_page(Some(&ids), None, 0, QUERY_MENU_MAX)
        .await?;
    let teams = app
        .store
        .teams(None)
        .await?
        .into_iter()
        .filter(|t| list.visible.reads(t.market_id))
        .map(|t| {
            let code = code_of(&list.visible.all, t.market_id);
            (t, code)
        })
        .collect();
    let can_work = markets_where(
        &caller.actor,
        Action::WorkConversations,
        list.visible.all.iter().map(|m| m.id),
    )
    .is_none_or(|m| !m.is_empty());
    let menus = InboxMenus {
        queries: (total <= QUERY_MENU_MAX).then_some(choices),
        teams,
        assignees: assignees(app, &list.visible).await?,
        can_work,
        counts,
    };
    Ok((list, menus))
}

/// The roles whose holders work a market's inbox, read from the rule table (the market leads,
/// community managers and admins of today's table).
fn working_roles() -> Vec<Role> {
    let market = MarketId(0);
    Role::ALL
        .into_iter()
        .filter(|r| {
            let scope = (!r.is_global_only()).then_some(market);
            Membership::new(*r, scope).is_ok_and(|m| {
                let holder = Actor {
                    user_id: UserId(0),
                    memberships: vec![m],
                };
                allows(&holder, Action::WorkConversations, Scope::Market(market))
            })
        })
        .collect()
}

/// People a conversation can be assigned to: those who work the inbox of a market the caller
/// reads, by name.
async fn assignees(app: &App, visible: &Visible) -> Result<Vec<(UserId, String)>> {
    Ok(app
        .store
        .users_holding(&working_roles(), &visible.market_ids())
        .await?)
}

/// One conversation, showing only the queries of markets the caller reads.
#[derive(Debug, Clone)]
pub struct Conversation {
    pub detail: ConversationDetail,
    /// Every market (to name them).
    pub markets: Vec<Market>,
    /// Whether the caller may work on it (assign, tag, note, reply).
    pub can_work: bool,
    pub(crate) visible: Visible,
}

/// A conversation the caller reads (otherwise not found).
pub async fn conversation(app: &App, caller: &Caller, id: i64) -> Result<Conversation> {
    let id = ConversationId(id);
    let markets = app.store.conversation_markets(id).await?;
    let can_work = match access(caller, &markets) {
        Access::None => return Err(Error::NotFound("conversation")),
        Access::Read => false,
        Access::Work => true,
    };
    let visible = visible(app, caller).await?;
    let mut detail = app.store.conversation(id).await?;
    detail.row = scoped(detail.row, &visible);
    Ok(Conversation {
        detail,
        markets: visible.all.clone(),
        can_work,
        visible,
    })
}

/// Why the caller cannot reply from the conversation's page, when they cannot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyBlocked {
    /// Replies go out through Bluesky; the post came from this network.
    OtherNetwork(String),
    /// No Bluesky account of a market where the caller works this conversation.
    NoAccount,
    /// The server has no key to unseal account credentials.
    NotConfigured,
}

pub use chorus_core::conversations::FirstResponse;

/// Everything the conversation's page shows.
#[derive(Debug, Clone)]
pub struct ThreadView {
    pub conversation: Conversation,
    /// Bluesky accounts of the conversation's markets where the caller works it.
    pub accounts: Vec<Account>,
    /// `None` when the caller can reply.
    pub reply_blocked: Option<ReplyBlocked>,
    /// The first-response target of the conversation's (first readable) market, in minutes.
    pub target_minutes: Option<i64>,
    pub first_response: FirstResponse,
    /// Its audit entries in words, newest first.
    pub history: Vec<crate::audit::AuditLine>,
    pub assignees: Vec<(UserId, String)>,
}

/// The conversation's page.
pub async fn thread(app: &App, caller: &Caller, id: i64) -> Result<ThreadView> {
    let conversation = conversation(app, caller, id).await?;
    let row = &conversation.detail.row;
    let markets = row.markets();
    let mut accounts = Vec::new();
    for m in &markets {
        if allows(&caller.actor, Action::WorkConversations, Scope::Market(*m)) {
            accounts.extend(
                app.store
                    .accounts(Some(*m))
                    .await?
                    .into_iter()
                    .filter(|a| a.network == "bluesky"),
            );
        }
    }
    let reply_blocked = if row.post.network != "bluesky" {
        Some(ReplyBlocked::OtherNetwork(row.post.network.clone()))
    } else if accounts.is_empty() {
        Some(ReplyBlocked::NoAccount)
    } else if !app.has_secret_key() {
        Some(ReplyBlocked::NotConfigured)
    } else {
        None
    };
    let target_minutes = match markets.first() {
        Some(m) => app.store.response_target(*m).await?,
        None => None,
    };
    let first_response = first_response(
        row.created_at_ms,
        row.first_response_at_ms,
        row.status,
        chorus_store::now_ms(),
        target_minutes,
    );
    let history = app
        .store
        .audit_entries(&AuditQuery {
            subject_type: Some("conversation".into()),
            subject_id: Some(id.to_string()),
            limit: 50,
            ..AuditQuery::default()
        })
        .await?;
    let history = crate::audit::in_words(app, history, jiff::tz::TimeZone::UTC).await?;
    let assignees = assignees(app, &conversation.visible).await?;
    Ok(ThreadView {
        conversation,
        accounts,
        reply_blocked,
        target_minutes,
        first_response,
        history,
        assignees,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inbox_is_worked_by_leads_community_managers_and_admins() {
        let mut roles = working_roles();
        roles.sort_by_key(|r| r.as_str());
        let mut want = vec![Role::Admin, Role::CommunityManager, Role::MarketLead];
        want.sort_by_key(|r| r.as_str());
        assert_eq!(roles, want);
    }

    #[test]
    fn filters_name_the_field_they_refuse() {
        let markets = [];
        let parse = |f: InboxFilters| f.parse(UserId(7), &markets);
        let bad = |f: InboxFilters| parse(f).unwrap_err().field().map(str::to_owned);
        assert_eq!(
            bad(InboxFilters {
                status: Some("closed".into()),
                ..Default::default()
            })
            .as_deref(),
            Some("status")
        );
        assert_eq!(
            bad(InboxFilters {
                query_name: Some("x".repeat(201)),
                ..Default::default()
            })
            .as_deref(),
            Some("query_name")
        );
        let q = parse(InboxFilters {
            assignee: Some("me".into()),
            since: Some("2026-11-26".into()),
            limit: Some(1000),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(q.assignee, Some(AssigneeFilter::User(UserId(7))));
        assert!(!q.exclude_done, "the API lists every status unless asked");
        assert_eq!(q.limit, 200);
        assert!(q.since_ms.is_some());
    }

    #[test]
    fn the_page_shows_open_work_unless_a_status_is_asked_for() {
        let parsed = |status: Option<&str>| {
            page_filters(&InboxFilters {
                status: status.map(str::to_owned),
                ..Default::default()
            })
            .parse(UserId(7), &[])
            .unwrap()
        };
        for (status, exclude_done, only) in [
            (None, true, None),
            (Some(""), true, None),
            (Some("active"), true, None),
            (Some("all"), false, None),
            (Some("done"), false, Some(Status::Done)),
            (Some("new"), false, Some(Status::New)),
        ] {
            let q = parsed(status);
            assert_eq!(
                (q.exclude_done, q.status),
                (exclude_done, only),
                "{status:?}"
            );
        }
    }
}
