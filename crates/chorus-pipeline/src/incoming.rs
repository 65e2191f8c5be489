//! The pipeline's own post types, one per stage boundary: [`Incoming`] after normalization,
//! [`Scored`] after language and sentiment, and the store's `NewPost` after matching.

use chorus_networks::model::{NetworkKind, Post};

/// A post from any source, normalized: what every later stage reads (and, with several
/// processes, what a source sends workers through the stream, as JSON).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Incoming {
    /// The network's id for the post; unique.
    pub uri: String,
    /// `bluesky`, `rss`, `twitter`, `import`, …
    pub network: String,
    pub author: String,
    pub author_handle: Option<String>,
    /// Untrusted text.
    pub text: String,
    /// Languages the source declared (codes), best first.
    pub declared_langs: Vec<String>,
    /// Country code, when the source says.
    pub country: Option<String>,
    /// Lowercased host names of the links in the post.
    pub domains: Vec<String>,
    pub posted_at_ms: i64,
    pub reply_parent: Option<String>,
    pub reply_root: Option<String>,
    pub quote_of: Option<String>,
    pub cid: Option<String>,
    pub link: Option<String>,
}

/// An [`Incoming`] post with the language it is filed under (`und` when unknown), its
/// sentiment score, and how both were arrived at.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub post: Incoming,
    pub lang: String,
    pub sentiment: f64,
    pub labels: chorus_store::Labels,
}

/// A batch between stages: the items, which source they came from, and the source position
/// reached after them.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch<T> {
    /// The cursor's key (`file:/path`, `feed:https://…`, `bluesky:wss://…`).
    pub source: std::sync::Arc<str>,
    /// Stored as the source's cursor when the batch is written.
    pub position: String,
    pub items: Vec<T>,
}

impl<T> Batch<T> {
    /// The same source and position with other items (what each stage sends on).
    pub fn map<U>(self, f: impl FnOnce(Vec<T>) -> Vec<U>) -> Batch<U> {
        Batch {
            source: self.source,
            position: self.position,
            items: f(self.items),
        }
    }
}

pub(crate) fn network_name(kind: NetworkKind) -> &'static str {
    match kind {
        NetworkKind::Bluesky => "bluesky",
        NetworkKind::Mastodon => "mastodon",
        NetworkKind::Rss => "rss",
        NetworkKind::Webhook => "webhook",
    }
}

impl Incoming {
    /// From a connector's normalized post.
    pub fn from_post(p: &Post, received_at_ms: i64) -> Incoming {
        let at = p
            .created_at
            .or(p.seen_at)
            .map(|t| t.as_millisecond())
            .unwrap_or(received_at_ms);
        Incoming {
            uri: p.uri.clone(),
            network: network_name(p.network).to_owned(),
            author: p.author.id.clone(),
            author_handle: p.author.handle.clone(),
            text: p.text.clone(),
            declared_langs: p
                .langs
                .iter()
                .filter_map(|l| chorus_core::conversations::language_code(l).ok())
                .collect(),
            country: None,
            domains: p.link_domains.clone(),
            // A client clock far in the future would pin the post to the top of every inbox.
            posted_at_ms: at.min(received_at_ms + 5 * 60_000),
            reply_parent: p.reply_parent.clone(),
            reply_root: p.reply_root.clone(),
            quote_of: p.quote.clone(),
            cid: p.cid.clone(),
            link: None,
        }
    }
}
