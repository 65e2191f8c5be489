//! Bluesky over the AT Protocol.
//!
//! Accounts ([`identity`], [`session`], [`credentials`]), publishing ([`publish`], [`richtext`],
//! [`rkey`], replies' references in [`thread`]) over [`xrpc`], and listening ([`firehose`]).
//! [`Bluesky`] ties an account's agent to the [`Network`](crate::Network) trait; its errors'
//! kinds ([`NetworkError`]) are decided here and in [`xrpc`].

pub mod credentials;
pub mod firehose;
pub mod identity;
pub mod measure;
pub mod publish;
pub mod richtext;
pub mod rkey;
pub mod session;
pub mod thread;
pub mod xrpc;

use std::time::Duration;

use chorus_outbound::{Builder, Client, Limits};

use crate::error::{ErrorKind, NetworkError};
use crate::model::{
    Counts, NetworkKind, PostRef, ProfileCounts, PublishRequest, Published, ReplyTarget, ReplyTo,
};
use crate::network::Network;
use crate::stream::Subscription;

use firehose::{FirehoseConfig, FirehoseError};

pub use credentials::{Secret, SecretKey, StoredAccount};
pub use identity::{Did, Handle, Resolver};
pub use session::{Agent, Session};
pub use xrpc::{Xrpc, XrpcError};

/// Errors of the Bluesky connector. Each says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BlueskyError {
    #[error(transparent)]
    Xrpc(#[from] XrpcError),
    #[error(transparent)]
    Identity(#[from] identity::IdentityError),
    #[error("the text is {graphemes} characters; Bluesky allows {max}: shorten it", max = richtext::MAX_GRAPHEMES)]
    TooLong { graphemes: usize },
    #[error("the text is {bytes} bytes; Bluesky allows {max}: shorten it", max = richtext::MAX_BYTES)]
    TooManyBytes { bytes: usize },
    #[error("{0} languages given; at most {max}", max = publish::MAX_LANGS)]
    TooManyLangs(usize),
    #[error("{0} images given; at most {max}", max = publish::MAX_IMAGES)]
    TooManyImages(usize),
    #[error("image {index}: {reason}")]
    Image { index: usize, reason: String },
    #[error("embed: {0}")]
    Embed(&'static str),
    #[error(
        "another record already uses this publication's record key ({uri}): the publication id was reused for different content"
    )]
    RecordKeyTaken { uri: String },
    #[error("`{0}` is not an at:// URI of a record")]
    BadUri(String),
    #[error(transparent)]
    Firehose(#[from] FirehoseError),
    #[error("{uri} belongs to another account: only this account's records can be deleted")]
    NotOurs { uri: String },
}

impl NetworkError for BlueskyError {
    fn kind(&self) -> ErrorKind {
        use identity::IdentityError as I;
        match self {
            BlueskyError::Xrpc(x) => x.kind(),
            BlueskyError::Identity(I::Xrpc(x)) => x.kind(),
            // The PLC directory or a did:web host did not answer as it should.
            BlueskyError::Identity(I::Document { .. }) => ErrorKind::TRANSIENT,
            BlueskyError::Identity(I::HandleNotFound { .. } | I::NoPds { .. }) => {
                ErrorKind::NotFound
            }
            BlueskyError::Identity(I::BadDid(_) | I::BadHandle(_)) => ErrorKind::Invalid,
            BlueskyError::Identity(I::Refused { .. }) => ErrorKind::Refused,
            BlueskyError::Identity(I::Client(_)) => ErrorKind::Invalid,
            // Bluesky's limits, checked before sending: the post must change.
            BlueskyError::TooLong { .. }
            | BlueskyError::TooManyBytes { .. }
            | BlueskyError::TooManyLangs(_)
            | BlueskyError::TooManyImages(_)
            | BlueskyError::Image { .. }
            | BlueskyError::Embed(_) => ErrorKind::Rejected,
            BlueskyError::RecordKeyTaken { .. }
            | BlueskyError::BadUri(_)
            | BlueskyError::Firehose(_)
            | BlueskyError::NotOurs { .. } => ErrorKind::Invalid,
        }
    }
}

/// One Bluesky account, ready to publish and measure, and a firehose to listen to.
#[derive(Debug)]
pub struct Bluesky {
    agent: Agent,
    firehose: FirehoseConfig,
    /// Where counts are read (`None`: through the account's PDS, which forwards to its AppView).
    appview: Option<Xrpc>,
}

impl Bluesky {
    /// Listens to the account's own PDS until [`Bluesky::with_firehose`] says otherwise.
    pub fn new(agent: Agent) -> Self {
        let base = agent.xrpc().base().as_str().trim_end_matches('/');
        let ws = base
            .strip_prefix("https://")
            .map(|h| format!("wss://{h}"))
            .or_else(|| base.strip_prefix("http://").map(|h| format!("ws://{h}")))
            .unwrap_or_else(|| base.to_owned());
        Bluesky {
            agent,
            firehose: FirehoseConfig::new(ws),
            appview: None,
        }
    }

    /// Reads counts (posts, profiles, likes) from this AppView directly, without the account's
    /// credentials (they are public), instead of through the account's PDS.
    pub fn with_appview(mut self, appview: Xrpc) -> Self {
        self.appview = Some(appview);
        self
    }

    /// Streams from this firehose (a relay such as `wss://bsky.network`) instead.
    pub fn with_firehose(mut self, config: FirehoseConfig) -> Self {
        self.firehose = config;
        self
    }

    pub fn agent(&self) -> &Agent {
        &self.agent
    }
}

/// The limits of calls to PDSes and AppViews: 10 s to connect, 60 s in all (an image upload
/// included), answers up to 5 MiB, 5 redirects.
pub const XRPC_LIMITS: Limits = Limits {
    connect_timeout: Duration::from_secs(10),
    timeout: Duration::from_secs(60),
    max_body_bytes: 5 << 20,
    max_redirects: 5,
};

/// The guarded client for XRPC calls, built once from the installation's outbound settings
/// (`outbound`: its policy, proxy and, in tests, pins) with [`XRPC_LIMITS`]. Clone it for every
/// [`Xrpc`]: clones share one connection pool.
pub fn http_client(outbound: &Builder) -> Result<Client, XrpcError> {
    outbound
        .clone()
        .limits(XRPC_LIMITS)
        .build()
        .map_err(|e| XrpcError::Url(format!("HTTP client: {e}")))
}

impl Network for Bluesky {
    type Error = BlueskyError;
    type StreamError = FirehoseError;

    fn stream(&self, cursor: Option<i64>) -> Result<Subscription<FirehoseError>, BlueskyError> {
        let mut config = self.firehose.clone();
        config.cursor = cursor;
        Ok(firehose::subscribe(config)?)
    }

    fn kind(&self) -> NetworkKind {
        NetworkKind::Bluesky
    }

    async fn publish(&self, request: &PublishRequest) -> Result<Published, BlueskyError> {
        publish::publish(&self.agent, request).await
    }

    async fn reply_to(&self, target: &ReplyTarget) -> Result<ReplyTo, BlueskyError> {
        thread::reply_to(&self.agent, target).await
    }

    async fn delete(&self, uri: &str) -> Result<(), BlueskyError> {
        publish::delete(&self.agent, uri).await
    }

    /// Counts from the AppView's `app.bsky.feed.getPosts`, 25 at a time (see [`measure`]).
    async fn engagement(&self, uris: &[String]) -> Result<Vec<(PostRef, Counts)>, BlueskyError> {
        measure::engagement(self, uris).await
    }

    /// Counts from the AppView's `app.bsky.actor.getProfile`.
    async fn profile(&self, actor: &str) -> Result<ProfileCounts, BlueskyError> {
        measure::profile(self, actor).await
    }

    /// Likes from the AppView's `app.bsky.feed.getLikes` whose `createdAt` falls in the window.
    async fn likes_between(
        &self,
        uri: &str,
        from: jiff::Timestamp,
        until: jiff::Timestamp,
    ) -> Result<Option<u64>, BlueskyError> {
        measure::likes_between(self, uri, from, until).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The connector's own errors, by what a caller should do (XRPC answers: `xrpc/tests.rs`).
    #[test]
    fn connector_errors_have_the_kinds_callers_act_on() {
        let server = XrpcError::Server {
            status: 502,
            error: String::new(),
            message: "bad gateway".into(),
        };
        let rows = [
            (BlueskyError::Xrpc(server), ErrorKind::TRANSIENT),
            (
                BlueskyError::TooLong { graphemes: 301 },
                ErrorKind::Rejected,
            ),
            (BlueskyError::TooManyImages(5), ErrorKind::Rejected),
            (BlueskyError::Embed("both"), ErrorKind::Rejected),
            (
                BlueskyError::RecordKeyTaken {
                    uri: "at://x".into(),
                },
                ErrorKind::Invalid,
            ),
            (BlueskyError::BadUri("x".into()), ErrorKind::Invalid),
            (
                BlueskyError::NotOurs {
                    uri: "at://x".into(),
                },
                ErrorKind::Invalid,
            ),
            (
                BlueskyError::Identity(identity::IdentityError::Document {
                    did: "did:plc:x".into(),
                    reason: "PLC unreachable".into(),
                }),
                ErrorKind::TRANSIENT,
            ),
            (
                BlueskyError::Identity(identity::IdentityError::HandleNotFound {
                    handle: "gone.test".into(),
                    reason: "no DID".into(),
                }),
                ErrorKind::NotFound,
            ),
        ];
        for (error, kind) in rows {
            assert_eq!(error.kind(), kind, "{error}");
        }
    }
}
