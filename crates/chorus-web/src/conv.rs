//! What the Conversations pages and API share: who sees which markets, the live syntax check,
//! the 7-day preview of a draft query, and filters read from query strings.

use chorus_core::conversations::{
    AssigneeFilter, NetworkName, QueryId, RawQuery, Sentiment, Status, effective_query,
};
use chorus_core::org::Market;
use chorus_core::permission::allows;
use chorus_core::{Action, Actor, MarketId, Scope, TeamId, UserId};
use chorus_store::{InboxQuery, Store, StoredPost};
use serde::{Deserialize, Serialize};

use crate::auth::Identity;
use crate::error::AppError;
use crate::state::AppState;
use chorus_core::conversations::{ConversationId, reply_text};

/// The markets where `actor` may do `action`: `None` means every market (a global grant).
pub fn markets_for(actor: &Actor, action: Action, markets: &[Market]) -> Option<Vec<MarketId>> {
    if allows(actor, action, Scope::Global) {
        return None;
    }
    Some(
        markets
            .iter()
            .filter(|m| allows(actor, action, Scope::Market(m.id)))
            .map(|m| m.id)
            .collect(),
    )
}

/// Whether `actor` may do `action` for a conversation found in `markets`: in any of them.
pub fn allowed_in_any(actor: &Actor, action: Action, markets: &[MarketId]) -> bool {
    allows(actor, action, Scope::Global)
        || markets
            .iter()
            .any(|m| allows(actor, action, Scope::Market(*m)))
}

/// The answer of the live syntax check.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Check {
    pub valid: bool,
    /// The canonical form of a valid query.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canonical: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<CheckError>,
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct CheckError {
    pub message: String,
    /// Byte range of the problem in the query.
    pub start: usize,
    pub end: usize,
    pub hint: String,
    /// The query line with carets under the problem.
    pub rendered: String,
}

/// Parses `query` with the query engine (and with the language/network narrowing, which can
/// only fail if those values are bad).
pub fn check(query: &str, languages: &[String], networks: &[NetworkName]) -> Check {
    if query.trim().is_empty() {
        return Check {
            valid: false,
            canonical: None,
            error: Some(CheckError {
                message: "the query is empty".into(),
                start: 0,
                end: 0,
                hint: "write a word, a \"phrase\" or a field such as lang:en".into(),
                rendered: String::new(),
            }),
        };
    }
    match chorus_query::parse(query) {
        Err(e) => Check {
            valid: false,
            canonical: None,
            error: Some(CheckError {
                message: e.kind.to_string(),
                start: e.span.start,
                end: e.span.end,
                hint: e.hint().to_owned(),
                rendered: e.render(query),
            }),
        },
        Ok(node) => match chorus_query::parse(&effective_query(query, languages, networks)) {
            Ok(_) => Check {
                valid: true,
                canonical: Some(node.to_string()),
                error: None,
            },
            Err(e) => Check {
                valid: false,
                canonical: None,
                error: Some(CheckError {
                    message: format!("languages or networks: {}", e.kind),
                    start: 0,
                    end: 0,
                    hint: "use language codes such as fi and network names such as bluesky".into(),
                    rendered: String::new(),
                }),
            },
        },
    }
}

/// What a draft query would have matched.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    pub days: i64,
    /// Stored posts looked at.
    pub scanned: usize,
    pub matched: usize,
    /// The newest matches, at most `samples`.
    pub samples: Vec<StoredPost>,
    /// True when the window held more posts than a preview reads (the counts are a lower bound).
    pub truncated: bool,
}

/// Posts a preview reads at most.
pub const PREVIEW_MAX_POSTS: usize = 500_000;

/// Runs a draft query over the posts stored in the last `days` days.
pub async fn preview(
    store: &Store,
    raw: &RawQuery,
    days: i64,
    samples: usize,
) -> Result<Preview, AppError> {
    let languages: Vec<String> = raw
        .languages
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| chorus_core::conversations::language_code(l).map_err(|e| e.at("languages")))
        .collect::<Result<_, _>>()?;
    let networks: Vec<NetworkName> = raw
        .networks
        .iter()
        .filter(|n| !n.trim().is_empty())
        .map(|n| NetworkName::parse(n).map_err(|e| e.at("networks")))
        .collect::<Result<_, _>>()?;
    let text = effective_query(raw.query.trim(), &languages, &networks);
    let mut matcher = chorus_query::Matcher::new();
    matcher
        .add_str(1, &text)
        .map_err(|e| AppError::invalid("query", e.kind.to_string()))?;
    let since = chorus_store::now_ms() - days * 86_400_000;
    let mut scratch = chorus_query::Scratch::new();
    let mut after = 0;
    let mut out = Preview {
        days,
        scanned: 0,
        matched: 0,
        samples: Vec::new(),
        truncated: false,
    };
    loop {
        let page = store.posts_received_since(since, after, 5000).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for p in page {
            let post = chorus_query::Post {
                text: &p.body,
                lang: Some(&p.lang),
                country: None,
                network: Some(&p.network),
                author: Some(p.author_handle.as_deref().unwrap_or(&p.author)),
                domains: &[],
            };
            out.scanned += 1;
            if !matcher.matches(&post, &mut scratch).is_empty() {
                out.matched += 1;
                // Keep the newest `samples` by post time.
                out.samples.push(p);
                if out.samples.len() > samples
                    && let Some((oldest, _)) = out
                        .samples
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, s)| (s.posted_at_ms, s.id))
                {
                    out.samples.swap_remove(oldest);
                }
            }
        }
        if out.scanned >= PREVIEW_MAX_POSTS {
            out.truncated = true;
            break;
        }
    }
    out.samples
        .sort_by_key(|s| std::cmp::Reverse((s.posted_at_ms, s.id)));
    Ok(out)
}

/// Inbox filters as they come in a query string (the UI's filter form and the API).
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
    /// Language code, e.g. `fi`, or `und`.
    pub lang: Option<String>,
    /// negative, neutral or positive.
    pub sentiment: Option<String>,
    /// new, open, waiting or done.
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

/// Longest `query_name` filter accepted (query names are shorter still).
const QUERY_NAME_MAX: usize = 200;

fn some(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn date_ms(field: &'static str, raw: &str) -> Result<i64, AppError> {
    if let Ok(t) = raw.parse::<jiff::Timestamp>() {
        return Ok(t.as_millisecond());
    }
    raw.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp().as_millisecond())
        .ok_or_else(|| AppError::invalid(field, format!("{raw:?} is not a date, e.g. 2026-11-26")))
}

impl InboxParams {
    /// Validates the filters into a store query (visibility is added by the caller).
    pub fn parse(&self, me: UserId, markets: &[Market]) -> Result<InboxQuery, AppError> {
        let id = |field: &'static str, raw: &str| -> Result<i64, AppError> {
            raw.parse()
                .map_err(|_| AppError::invalid(field, format!("{raw:?} is not an id")))
        };
        let market = match some(&self.market) {
            None => None,
            Some(code) => Some(
                markets
                    .iter()
                    .find(|m| m.code.as_str().eq_ignore_ascii_case(code))
                    .map(|m| m.id)
                    .ok_or_else(|| AppError::invalid("market", format!("no market {code:?}")))?,
            ),
        };
        let before = match some(&self.before) {
            None => None,
            Some(b) => {
                let (at, cid) = b
                    .split_once(':')
                    .and_then(|(a, c)| Some((a.parse().ok()?, c.parse().ok()?)))
                    .ok_or_else(|| AppError::invalid("before", "expected posted_at:id"))?;
                Some((at, cid))
            }
        };
        Ok(InboxQuery {
            visible_markets: None,
            market,
            query: some(&self.query)
                .map(|q| id("query", q))
                .transpose()?
                .map(QueryId),
            query_name: match some(&self.query_name) {
                Some(n) if n.chars().count() > QUERY_NAME_MAX => {
                    return Err(AppError::invalid(
                        "query_name",
                        format!("at most {QUERY_NAME_MAX} characters"),
                    ));
                }
                n => n.map(str::to_owned),
            },
            team: some(&self.team)
                .map(|t| id("team", t))
                .transpose()?
                .map(TeamId),
            network: some(&self.network)
                .map(|n| NetworkName::parse(n).map_err(|e| e.at("network")))
                .transpose()?
                .map(|n| n.as_str().to_owned()),
            lang: some(&self.lang)
                .map(|l| chorus_core::conversations::language_code(l).map_err(|e| e.at("lang")))
                .transpose()?,
            sentiment: some(&self.sentiment)
                .map(|s| Sentiment::parse(s).map_err(|e| e.at("sentiment")))
                .transpose()?,
            status: some(&self.status)
                .map(|s| Status::parse(s).map_err(|e| e.at("status")))
                .transpose()?,
            assignee: match some(&self.assignee) {
                None => None,
                Some("me") => Some(AssigneeFilter::User(me)),
                Some("nobody") => Some(AssigneeFilter::Nobody),
                Some(u) => Some(AssigneeFilter::User(UserId(id("assignee", u)?))),
            },
            tag: some(&self.tag)
                .map(|t| chorus_core::conversations::tag(t).map_err(|e| e.at("tag")))
                .transpose()?,
            since_ms: some(&self.since).map(|s| date_ms("since", s)).transpose()?,
            until_ms: some(&self.until).map(|s| date_ms("until", s)).transpose()?,
            before,
            limit: self.limit.unwrap_or(50).clamp(1, 200),
        })
    }
}

/// A web address where people can open a post on its network, when one is known.
pub fn post_url(post: &StoredPost) -> Option<String> {
    if let Some(l) = &post.link
        && (l.starts_with("https://") || l.starts_with("http://"))
    {
        return Some(l.clone());
    }
    let rest = post.uri.strip_prefix("at://")?;
    let mut parts = rest.split('/');
    let (did, collection, rkey) = (parts.next()?, parts.next()?, parts.next()?);
    let safe = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b":._-~".contains(&b))
    };
    (collection == "app.bsky.feed.post" && safe(did) && safe(rkey))
        .then(|| format!("https://bsky.app/profile/{did}/post/{rkey}"))
}

/// One query's hourly volume with its trailing baseline, ready for a chart.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct VolumeSeries {
    pub query_id: i64,
    pub name: String,
    /// Hour starts, seconds since the epoch (uPlot's x axis).
    pub hours: Vec<i64>,
    pub volume: Vec<i64>,
    /// Mean posts per hour over the week before each hour.
    pub baseline: Vec<f64>,
    /// Whether each hour is a spike (volume ≥ factor × baseline and ≥ the minimum).
    pub spike: Vec<bool>,
    pub spike_factor: f64,
}

const HOUR_MS: i64 = 3_600_000;

/// The hourly series of `query` over `days` days ending at `end_ms` (or at its latest hour
/// with posts, when that is earlier: imported history is charted where it is).
pub async fn volume_series(
    store: &Store,
    query: &chorus_core::conversations::ListeningQuery,
    days: i64,
    end_ms: Option<i64>,
) -> Result<VolumeSeries, AppError> {
    use chorus_core::conversations::{BASELINE_HOURS, SPIKE_MIN_VOLUME, is_spike};
    let latest = store.latest_volume_hour(&[query.id]).await?;
    let now_hour = chorus_store::now_ms().div_euclid(HOUR_MS) * HOUR_MS;
    let end = end_ms
        .map(|e| e.div_euclid(HOUR_MS) * HOUR_MS)
        .unwrap_or_else(|| latest.map_or(now_hour, |l| l.min(now_hour)));
    let hours = days.clamp(1, 90) * 24;
    let start = end - (hours - 1) * HOUR_MS;
    let raw = store
        .query_volume(query.id, start - BASELINE_HOURS * HOUR_MS, end + HOUR_MS)
        .await?;
    let total = (hours + BASELINE_HOURS) as usize;
    let mut dense = vec![0i64; total];
    let origin = start - BASELINE_HOURS * HOUR_MS;
    for (h, n) in raw {
        let i = ((h - origin) / HOUR_MS) as usize;
        if i < total {
            dense[i] = n;
        }
    }
    let mut out = VolumeSeries {
        query_id: query.id.0,
        name: query.name.clone(),
        hours: Vec::with_capacity(hours as usize),
        volume: Vec::with_capacity(hours as usize),
        baseline: Vec::with_capacity(hours as usize),
        spike: Vec::with_capacity(hours as usize),
        spike_factor: query.spike_factor,
    };
    let window = BASELINE_HOURS as usize;
    let mut sum: i64 = dense[..window].iter().sum();
    for i in window..total {
        let base = sum as f64 / BASELINE_HOURS as f64;
        let v = dense[i];
        out.hours.push((origin + i as i64 * HOUR_MS) / 1000);
        out.volume.push(v);
        out.baseline.push((base * 100.0).round() / 100.0);
        out.spike
            .push(is_spike(v, base, query.spike_factor, SPIKE_MIN_VOLUME));
        sum += v - dense[i - window];
    }
    Ok(out)
}

/// Share of voice of one market over `days` days ending at its latest data (or now).
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ShareOfVoice {
    pub market: String,
    /// Period start and end, RFC 3339.
    pub from: String,
    pub to: String,
    pub total: i64,
    pub entries: Vec<VoiceEntry>,
    /// Share of the "us" side, 0–1 (0 when there is no volume).
    pub us_share: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct VoiceEntry {
    pub query_id: i64,
    pub name: String,
    /// `us` or `competitor`.
    pub side: String,
    pub posts: i64,
    pub share: f64,
}

pub async fn share_of_voice(
    store: &Store,
    market: &Market,
    days: i64,
) -> Result<ShareOfVoice, AppError> {
    let now = chorus_store::now_ms();
    let end = store
        .latest_volume_hour_in_market(market.id)
        .await?
        .map_or(now, |h| (h + HOUR_MS).min(now));
    let from = end - days.clamp(1, 365) * 86_400_000;
    let rows = store.share_of_voice(market.id, from, end).await?;
    let total: i64 = rows.iter().map(|r| r.posts).sum();
    let share = |n: i64| {
        if total > 0 {
            n as f64 / total as f64
        } else {
            0.0
        }
    };
    let us: i64 = rows
        .iter()
        .filter(|r| r.side == chorus_core::conversations::Side::Us)
        .map(|r| r.posts)
        .sum();
    let iso = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .map(|t| t.to_string())
            .unwrap_or_default()
    };
    Ok(ShareOfVoice {
        market: market.code.to_string(),
        from: iso(from),
        to: iso(end),
        total,
        us_share: share(us),
        entries: rows
            .into_iter()
            .map(|r| VoiceEntry {
                query_id: r.query_id.0,
                share: share(r.posts),
                name: r.name,
                side: r.side.as_str().to_owned(),
                posts: r.posts,
            })
            .collect(),
    })
}

/// The viewer may work on this conversation (in one of the markets that found it).
pub async fn check_work(
    state: &AppState,
    id: &Identity,
    c: ConversationId,
) -> Result<(), AppError> {
    let markets = state.store.conversation_markets(c).await?;
    if allowed_in_any(&id.caller.actor, Action::WorkConversations, &markets) {
        Ok(())
    } else if allowed_in_any(&id.caller.actor, Action::ReadConversations, &markets) {
        Err(AppError::Forbidden(
            "you may not work on this conversation".into(),
        ))
    } else {
        Err(AppError::NotFound("conversation"))
    }
}

/// Records the reply, then publishes it; a failure is kept with its reason for a retry.
pub async fn send_reply(
    state: &AppState,
    id: &Identity,
    cid: i64,
    account_id: i64,
    body: &str,
) -> Result<chorus_store::Reply, AppError> {
    let c = ConversationId(cid);
    check_work(state, id, c).await?;
    let body = reply_text(body).map_err(|e| e.at("body"))?;
    let markets = state.store.conversation_markets(c).await?;
    let account = state.store.account(account_id).await?;
    if !markets.contains(&account.market_id) {
        return Err(AppError::invalid(
            "account",
            "choose an account of a market this conversation belongs to",
        ));
    }
    let key = state.secret_key.clone().ok_or_else(|| AppError::Invalid {
        field: None,
        message: "replying is not configured on this server".into(),
    })?;
    let reply = state
        .store
        .create_reply(&id.author(), c, account_id, &body)
        .await?;
    publish_reply(state, &key, reply.id).await
}

/// Publishes a recorded reply; returns it in its new state (sent, or failed with the reason).
pub async fn publish_reply(
    state: &AppState,
    key: &chorus_networks::bluesky::SecretKey,
    reply_id: i64,
) -> Result<chorus_store::Reply, AppError> {
    let http = state.app.outbound()?;
    if let Err(e) = chorus_jobs::send_reply_with(&state.store, key, &http, reply_id).await {
        tracing::warn!(reply = reply_id, error = %e, "reply not published");
    }
    Ok(state.store.reply(reply_id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_reports_carets_and_canonical_forms() {
        let ok = check("nokia  AND (phone OR lumia*)", &[], &[]);
        assert!(ok.valid);
        assert!(ok.canonical.is_some());
        let bad = check("nokia AND (phone", &[], &[]);
        assert!(!bad.valid);
        let e = bad.error.unwrap();
        assert_eq!(e.message, "unclosed parenthesis");
        assert!(e.rendered.contains('^'), "{}", e.rendered);
        assert!(!check("  ", &[], &[]).valid);
    }

    #[test]
    fn post_urls_only_for_known_safe_shapes() {
        let mut p = StoredPost {
            id: 1,
            uri: "at://did:plc:abc/app.bsky.feed.post/3kxyz".into(),
            network: "bluesky".into(),
            author: "did:plc:abc".into(),
            author_handle: None,
            body: String::new(),
            lang: "en".into(),
            sentiment: 0.0,
            posted_at_ms: 0,
            received_at_ms: 0,
            reply_parent: None,
            reply_root: None,
            cid: None,
            link: None,
        };
        assert_eq!(
            post_url(&p).as_deref(),
            Some("https://bsky.app/profile/did:plc:abc/post/3kxyz")
        );
        p.uri = "at://did:plc:abc/app.bsky.feed.post/x\"onmouseover".into();
        assert_eq!(post_url(&p), None);
        p.link = Some("javascript:alert(1)".into());
        assert_eq!(post_url(&p), None);
        p.link = Some("https://news.example/a".into());
        assert_eq!(post_url(&p).as_deref(), Some("https://news.example/a"));
        p.uri = "import:abc".into();
        p.link = None;
        assert_eq!(post_url(&p), None);
    }
}
