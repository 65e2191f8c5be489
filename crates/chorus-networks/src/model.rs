//! Network-independent types: what the ingest pipeline and the scheduler consume.
//!
//! A [`Post`] is a public post normalized from any network; an [`Engagement`] is one like,
//! repost, reply, quote or follow being added or removed. A [`StreamEvent`] groups what one
//! position of a stream produced with that position's cursor, so a consumer can store the rows
//! and the cursor in one transaction and resume exactly after a restart.

use serde::{Deserialize, Serialize};

/// The network a post, account or event belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetworkKind {
    Bluesky,
    Mastodon,
    Rss,
    Webhook,
}

/// Who wrote a post: a stable account id (a DID on Bluesky) and, when known, the handle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
}

/// A public post, normalized. URIs are the network's own ids (`at://…` on Bluesky).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Post {
    pub network: NetworkKind,
    pub uri: String,
    /// Version of the content (a CID on Bluesky), when the network has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cid: Option<String>,
    pub author: Author,
    /// Untrusted text as the author wrote it: escape before display.
    pub text: String,
    /// Languages the author declared (BCP-47), possibly empty.
    pub langs: Vec<String>,
    /// Hashtags without `#`, as written, deduplicated in order of appearance.
    pub hashtags: Vec<String>,
    /// Mentioned accounts' ids (DIDs on Bluesky).
    pub mentions: Vec<String>,
    /// Linked URLs (from facets, a link card, or the text), deduplicated.
    pub links: Vec<String>,
    /// Lowercased host names of `links`, deduplicated.
    pub link_domains: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_parent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_root: Option<String>,
    /// The post this one quotes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
    /// When the author says it was written (client clock; may be wrong or missing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<jiff::Timestamp>,
    /// When the network recorded it (server clock).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seen_at: Option<jiff::Timestamp>,
}

/// What kind of engagement a record expresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EngagementKind {
    Like,
    Repost,
    Reply,
    Quote,
    Follow,
}

/// An engagement record appeared or disappeared.
///
/// A removal does not say what the record pointed at (Bluesky deletes carry no record), so
/// counting removals needs what was remembered when it was added: see [`crate::tally`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Engagement {
    Added {
        kind: EngagementKind,
        /// The engagement record itself (the like's own URI).
        record: String,
        /// Who engaged.
        actor: String,
        /// The post engaged with (the reply's parent, the quoted post) or, for a follow, the
        /// followed account's id.
        subject: String,
    },
    Removed {
        /// Known for likes, reposts and follows; `None` when a post was deleted, which may or may
        /// not have been a reply or quote.
        #[serde(skip_serializing_if = "Option::is_none")]
        kind: Option<EngagementKind>,
        record: String,
        actor: String,
    },
}

/// Engagement counts for one post.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub likes: u64,
    pub reposts: u64,
    pub replies: u64,
    pub quotes: u64,
    /// Times the post was saved, where the network reports it (`None`: it did not; the
    /// firehose tally never knows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bookmarks: Option<u64>,
}

/// An account's public counts, as its network reports them (`None`: not reported).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileCounts {
    pub followers: Option<u64>,
    pub follows: Option<u64>,
    pub posts: Option<u64>,
}

impl Counts {
    pub fn get_mut(&mut self, kind: EngagementKind) -> Option<&mut u64> {
        match kind {
            EngagementKind::Like => Some(&mut self.likes),
            EngagementKind::Repost => Some(&mut self.reposts),
            EngagementKind::Reply => Some(&mut self.replies),
            EngagementKind::Quote => Some(&mut self.quotes),
            EngagementKind::Follow => None,
        }
    }
}

/// One normalized item of a stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamItem {
    /// Boxed: a post is much larger than the other items.
    Post(Box<Post>),
    PostDeleted {
        uri: String,
        author: String,
    },
    Engagement(Engagement),
    /// An account's handle changed (or was confirmed).
    Identity {
        account: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        handle: Option<String>,
    },
    /// An account became active or inactive (`status` says why: deactivated, suspended, …).
    Account {
        account: String,
        active: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        status: Option<String>,
    },
}

/// What one position of a stream produced, with the cursor to store alongside it.
///
/// Store `items` and `cursor` in the same transaction; resume by passing the stored cursor to
/// the stream. `items` may be empty (a commit to a collection Chorus ignores): store the cursor
/// anyway.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamEvent {
    pub network: NetworkKind,
    /// Monotonic stream position (the firehose sequence number on Bluesky).
    pub cursor: i64,
    pub items: Vec<StreamItem>,
}

/// An image to attach to a post.
#[derive(Clone, PartialEq, Eq)]
pub struct Image {
    pub bytes: Vec<u8>,
    /// MIME type the caller claims; checked against the bytes.
    pub mime: String,
    /// Alternative text for people who cannot see the image. Required.
    pub alt: String,
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Image")
            .field("bytes", &self.bytes.len())
            .field("mime", &self.mime)
            .field("alt", &self.alt)
            .finish()
    }
}

/// A link preview card. The caller supplies title and description (fetching the page is the
/// caller's business, behind its SSRF guard).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkCard {
    pub url: String,
    pub title: String,
    pub description: String,
    pub thumb: Option<Image>,
}

/// A reference to a published post (URI plus content version, both needed to reply or quote).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PostRef {
    pub uri: String,
    pub cid: String,
}

/// Replying: the direct parent and the thread's root (equal for a reply to a top-level post).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyTo {
    pub parent: PostRef,
    pub root: PostRef,
}

/// A post to answer, with what Chorus already knows of its thread (from ingest); the network
/// looks up the rest ([`Network::reply_to`](crate::Network::reply_to)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyTarget {
    pub uri: String,
    /// The post's content version (a CID on Bluesky), when known.
    pub cid: Option<String>,
    /// The root of the post's thread, when the post is itself a reply.
    pub root_uri: Option<String>,
    /// The root's content version, when known.
    pub root_cid: Option<String>,
}

/// What to publish. `id` is Chorus's own id for the publication and `at` the time first
/// recorded for it; both must stay the same across retries, which is what makes publishing
/// exactly-once.
#[derive(Debug, Clone)]
pub struct PublishRequest {
    pub id: String,
    pub at: jiff::Timestamp,
    pub text: String,
    pub langs: Vec<String>,
    pub reply_to: Option<ReplyTo>,
    pub quote: Option<PostRef>,
    pub images: Vec<Image>,
    pub link_card: Option<LinkCard>,
}

impl PublishRequest {
    /// A plain text post.
    pub fn text(id: impl Into<String>, at: jiff::Timestamp, text: impl Into<String>) -> Self {
        PublishRequest {
            id: id.into(),
            at,
            text: text.into(),
            langs: Vec::new(),
            reply_to: None,
            quote: None,
            images: Vec::new(),
            link_card: None,
        }
    }
}

/// A published post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    pub post: PostRef,
    /// `true` when an earlier attempt had already published it and this call only confirmed it.
    pub already_existed: bool,
}
