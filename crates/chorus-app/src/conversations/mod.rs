//! Conversations: listening queries ([`queries`], with the live syntax check, and [`preview`],
//! a draft run over the last days' posts), the inbox ([`inbox`]: filters, the list, one
//! conversation with its thread), working it ([`changes`]: assign, tag, note, status, in bulk;
//! [`replies`]; [`labels`]: language and sentiment corrected, and exported for training) and
//! what is read from it ([`signals`]: volume, share of voice, spike alerts,
//! first-response times and each market's target).
//!
//! Visibility, everywhere: a conversation belongs to every market whose queries matched it.
//! The caller reads it when they may read conversations in any of those markets, and sees of it
//! only the queries of the markets they read (a post that FI and US both listen for shows a US
//! community manager the US queries). A query, conversation or reply in markets the caller may
//! not read does not exist for them (`NotFound`); one they read but may not change is
//! `Forbidden`. Who may do what is `chorus_core::permission`'s table: `ReadConversations`,
//! `WorkConversations`, `ManageListeningQueries`, `SetResponseTarget`.

pub mod changes;
pub mod inbox;
pub mod labels;
pub mod language;
pub mod preview;
pub mod queries;
pub mod replies;
pub mod signals;

use chorus_core::org::Market;
use chorus_core::permission::{allows, allows_in_any, markets_where};
use chorus_core::{Action, MarketId, Scope};

pub use chorus_store::{
    Account, ConversationDetail, ConversationRow, Note, Reply, ResponseStats, SpikeAlert,
    StoredPost,
};

use crate::{App, Caller, Error, Result};

/// The markets a caller reads conversations in, with every market (to name them: market codes
/// are public).
#[derive(Debug, Clone)]
pub struct Visible {
    /// Every market.
    pub all: Vec<Market>,
    /// The markets where the caller reads conversations, in the order of `all`.
    pub markets: Vec<Market>,
    /// The same as ids, or `None` when the caller reads every market (a global grant), so the
    /// store need not filter.
    pub(crate) ids: Option<Vec<MarketId>>,
}

impl Visible {
    /// Whether the caller reads conversations in `market`.
    pub fn reads(&self, market: MarketId) -> bool {
        self.ids.as_ref().is_none_or(|ids| ids.contains(&market))
    }

    /// The ids of [`Visible::markets`].
    pub fn market_ids(&self) -> Vec<MarketId> {
        self.markets.iter().map(|m| m.id).collect()
    }

    /// The market with this code (any case) among those the caller reads.
    pub fn find(&self, code: &str) -> Option<&Market> {
        self.markets
            .iter()
            .find(|m| m.code.as_str().eq_ignore_ascii_case(code.trim()))
    }
}

/// The markets where the caller reads conversations; refuses someone who reads none (the
/// section is not theirs).
pub async fn visible(app: &App, caller: &Caller) -> Result<Visible> {
    let all = app.store.markets().await?;
    let ids = markets_where(
        &caller.actor,
        Action::ReadConversations,
        all.iter().map(|m| m.id),
    );
    let markets: Vec<Market> = all
        .iter()
        .filter(|m| ids.as_ref().is_none_or(|ids| ids.contains(&m.id)))
        .cloned()
        .collect();
    if markets.is_empty() {
        return Err(Error::forbidden(
            "you may not see conversations in any market",
        ));
    }
    Ok(Visible { all, markets, ids })
}

/// The markets of `all` where the caller may do `action`.
pub(crate) fn markets_allowing(caller: &Caller, action: Action, all: &[Market]) -> Vec<Market> {
    all.iter()
        .filter(|m| allows(&caller.actor, action, Scope::Market(m.id)))
        .cloned()
        .collect()
}

/// What the caller may do with something that belongs to `markets` (a listening query: one; a
/// conversation: those whose queries matched it).
pub(crate) fn access(caller: &Caller, markets: &[MarketId]) -> Access {
    if !allows_in_any(&caller.actor, Action::ReadConversations, markets) {
        Access::None
    } else if allows_in_any(&caller.actor, Action::WorkConversations, markets) {
        Access::Work
    } else {
        Access::Read
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Not theirs to know about: not found.
    None,
    Read,
    Work,
}

/// Loads a conversation's markets and checks the caller may work on it: not found when they
/// may not read it, forbidden when they read but may not work it.
pub(crate) async fn workable(
    app: &App,
    caller: &Caller,
    id: chorus_core::conversations::ConversationId,
) -> Result<Vec<MarketId>> {
    let markets = app.store.conversation_markets(id).await?;
    match access(caller, &markets) {
        Access::None => Err(Error::NotFound("conversation")),
        Access::Read => Err(Error::forbidden(
            "you may not work on this conversation: its markets' community managers and leads may",
        )),
        Access::Work => Ok(markets),
    }
}

/// A row as the caller may see it: only the queries of markets they read.
pub(crate) fn scoped(mut row: ConversationRow, visible: &Visible) -> ConversationRow {
    row.queries.retain(|(_, _, m)| visible.reads(*m));
    row
}

/// A web address where people can open a post on its network, when one is known: the post's
/// own http(s) link (feeds), or Bluesky's web address for an `at://` post URI whose parts are
/// plain (nothing that could break out of an attribute).
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

#[cfg(test)]
mod tests {
    use super::*;

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
            labels: Default::default(),
            posted_at_ms: 0,
            received_at_ms: 0,
            reply_parent: None,
            reply_root: None,
            cid: None,
            link: None,
            country: None,
            domains: Vec::new(),
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
