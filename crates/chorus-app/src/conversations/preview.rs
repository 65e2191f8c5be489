//! The preview of a draft listening query: what it would have matched among the posts stored
//! in the last days, matched exactly as the live pipeline matches them
//! ([`chorus_query::Post::listened`], over what ingest stored of each post: its language,
//! country, network, author and link domains).
//!
//! What the caller sees: the counts cover every stored post in the window (how much a query
//! would bring in is the point of a preview; a count names no one's data), but the sample posts
//! are only those the caller could read anyway: posts that reached no inbox (no query of any
//! market matched them), and conversations of a market where the caller reads conversations.
//! A post only other markets' queries found is counted, never shown: it would tell what those
//! markets listen for.

use std::collections::HashMap;

use chorus_core::conversations::effective_query;

use super::queries::{Draft, check};
use super::{StoredPost, Visible, visible};
use crate::{App, Caller, Error, Result};

/// What a draft query would have matched.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    pub days: i64,
    /// Stored posts looked at.
    pub scanned: usize,
    /// Posts the draft matches, readable by the caller or not.
    pub matched: usize,
    /// The newest matches the caller may read, at most [`SAMPLES`].
    pub samples: Vec<StoredPost>,
    /// True when the window held more posts than a preview reads (the counts are a lower bound).
    pub truncated: bool,
}

/// Posts a preview reads at most.
pub const PREVIEW_MAX_POSTS: usize = 500_000;
/// Sample posts a preview returns at most.
pub const SAMPLES: usize = 20;
/// The window when the caller does not say, and its bounds.
pub const DEFAULT_DAYS: i64 = 7;
const MAX_DAYS: i64 = 30;
/// Posts read per store call.
const PAGE: i64 = 5000;

/// Runs a draft over the posts stored in the last `days` days (default 7, at most 30), for
/// someone who reads conversations somewhere.
pub async fn preview(
    app: &App,
    caller: &Caller,
    draft: &Draft,
    days: Option<i64>,
) -> Result<Preview> {
    let visible = visible(app, caller).await?;
    let (languages, networks) = draft.narrowing()?;
    let query = draft.query.trim();
    if let Some(e) = check(query, &languages, &networks).error {
        return Err(Error::invalid("query", e.message));
    }
    let mut matcher = chorus_query::Matcher::new();
    matcher
        .add_str(1, &effective_query(query, &languages, &networks))
        .map_err(|e| Error::invalid("query", e.kind.to_string()))?;
    let days = days.unwrap_or(DEFAULT_DAYS).clamp(1, MAX_DAYS);
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
        let page = app.store.posts_received_since(since, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        out.scanned += page.len();
        let mut matched = Vec::new();
        for p in page {
            let domains: Vec<&str> = p.domains.iter().map(String::as_str).collect();
            let post = chorus_query::Post::listened(
                &p.body,
                &p.lang,
                p.country.as_deref(),
                &p.network,
                &p.author,
                p.author_handle.as_deref(),
                &domains,
            );
            if !matcher.matches(&post, &mut scratch).is_empty() {
                matched.push(p);
            }
        }
        out.matched += matched.len();
        for p in readable(app, &visible, matched).await? {
            keep_newest(&mut out.samples, p);
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

/// The posts of `posts` the caller may read: all for someone who reads every market; otherwise
/// those no query matched and the conversations of a market they read.
async fn readable(app: &App, visible: &Visible, posts: Vec<StoredPost>) -> Result<Vec<StoredPost>> {
    if visible.ids.is_none() || posts.is_empty() {
        return Ok(posts);
    }
    let ids: Vec<i64> = posts.iter().map(|p| p.id).collect();
    // Per conversation: whether the caller reads one of its markets.
    let mut conversations: HashMap<i64, bool> = HashMap::new();
    for (id, market) in app.store.markets_of_posts(&ids).await? {
        *conversations.entry(id).or_default() |= visible.reads(market);
    }
    Ok(posts
        .into_iter()
        .filter(|p| conversations.get(&p.id).copied().unwrap_or(true))
        .collect())
}

/// Adds `p` to `samples`, keeping the newest [`SAMPLES`] by post time.
fn keep_newest(samples: &mut Vec<StoredPost>, p: StoredPost) {
    samples.push(p);
    if samples.len() > SAMPLES
        && let Some((oldest, _)) = samples
            .iter()
            .enumerate()
            .min_by_key(|(_, s)| (s.posted_at_ms, s.id))
    {
        samples.swap_remove(oldest);
    }
}
