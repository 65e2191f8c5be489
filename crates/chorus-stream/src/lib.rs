//! The post stream between sources and workers when Chorus runs as several processes: NATS
//! JetStream, an existing distributed log, rather than a home-made cluster (docs/scale-out.md).
//!
//! Design (why each choice, in ARCHITECTURE.md):
//! - One **work-queue stream** (`[nats] stream`, default `CHORUS_POSTS`) on subjects
//!   `{prefix}.{partition}`, the partition a stable hash of the author's id computed by the
//!   source ([`partition`]). `discard: new` with a size limit: a full stream refuses new posts,
//!   and the source waits and retries — back-pressure, never a silent drop.
//! - Each message's `Nats-Msg-Id` is the record's identity ([`message_id`]: its URI, which for
//!   Bluesky is did/collection/rkey, plus its CID, the revision), so a source that publishes
//!   again after a crash is deduplicated by the stream within `duplicate_window`.
//! - One **durable pull consumer** shared by every worker; explicit acks, `AckWait`, and
//!   `MaxDeliver`, after which a worker keeps the message as a dead letter (a table) and
//!   terminates it.
//! - JetStream is at-least-once (an ack after AckWait is accepted; a redelivery can follow a
//!   lost ack), so correctness comes from idempotent writes: one transaction per batch, posts
//!   inserted by URI with `ON CONFLICT DO NOTHING` (a post stored before is skipped with its
//!   matches), and the ack only after COMMIT. A source saves its cursor only after the stream
//!   acknowledged every post before it.
//!
//! [`sink`] is the source side (a `chorus_pipeline::Downstream`), [`worker`] the consumer side,
//! [`Health`] what `/readyz` and `/metrics` report.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};

mod health;
pub mod sink;
pub mod worker;

pub use health::Health;

/// `[nats]` in the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamConfig {
    /// e.g. `nats://127.0.0.1:4222`.
    pub url: String,
    /// The stream's name.
    pub stream: String,
    /// Subjects are `{subject_prefix}.{partition}`.
    pub subject_prefix: String,
    /// How many subjects posts are spread over (by author).
    pub partitions: u32,
    /// The stream's size limit in bytes; a full stream pushes back on sources.
    pub max_bytes: i64,
    /// How long the stream remembers message ids to drop repeats.
    pub duplicate_window: Duration,
    /// The durable consumer every worker shares.
    pub consumer: String,
    /// How long a delivered message may stay unacknowledged before it is delivered again.
    pub ack_wait: Duration,
    /// Deliveries before a message becomes a dead letter.
    pub max_deliver: i64,
    /// Messages a worker fetches (and stores in one transaction) at a time.
    pub fetch_batch: usize,
}

impl StreamConfig {
    /// The defaults for a server at `url`.
    pub fn new(url: impl Into<String>) -> StreamConfig {
        StreamConfig {
            url: url.into(),
            stream: "CHORUS_POSTS".into(),
            subject_prefix: "chorus.posts".into(),
            partitions: 16,
            max_bytes: 1 << 30,
            duplicate_window: Duration::from_secs(120),
            consumer: "chorus-workers".into(),
            ack_wait: Duration::from_secs(30),
            max_deliver: 5,
            fetch_batch: 500,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    #[error(
        "cannot connect to NATS at {url}: {message} (is nats-server running with JetStream, -js?)"
    )]
    Connect { url: String, message: String },
    #[error("setting up the JetStream stream {stream}: {message}")]
    Setup { stream: String, message: String },
    #[error("reading from the stream: {0}")]
    Consume(String),
    #[error(transparent)]
    Store(#[from] chorus_store::StoreError),
}

/// A connection to NATS with the stream and the workers' consumer in place.
#[derive(Clone)]
pub struct Connection {
    pub config: Arc<StreamConfig>,
    pub client: async_nats::Client,
    pub js: jetstream::Context,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("url", &self.config.url)
            .field("stream", &self.config.stream)
            .finish()
    }
}

/// Connects (retrying until the server answers: a restarted nats-server is waited for) and
/// creates the stream and the consumer if they do not exist. `name` shows in the server's
/// connection list (`chorus-worker`, `chorus-source`).
pub async fn connect(config: StreamConfig, name: &str) -> Result<Connection, StreamError> {
    let client = async_nats::ConnectOptions::new()
        .name(name)
        .retry_on_initial_connect()
        .max_reconnects(None)
        .connect(&config.url)
        .await
        .map_err(|e| StreamError::Connect {
            url: config.url.clone(),
            message: e.to_string(),
        })?;
    let js = jetstream::ContextBuilder::new()
        .timeout(Duration::from_secs(10))
        .build(client.clone());
    let conn = Connection {
        config: Arc::new(config),
        client,
        js,
    };
    conn.ensure().await?;
    Ok(conn)
}

impl Connection {
    /// The stream and the consumer, created when missing (the same configuration in every
    /// process; the first one creates them).
    async fn ensure(&self) -> Result<(), StreamError> {
        let c = &self.config;
        let setup = |e: &dyn std::fmt::Display| StreamError::Setup {
            stream: c.stream.clone(),
            message: e.to_string(),
        };
        let s = self
            .js
            .get_or_create_stream(stream::Config {
                name: c.stream.clone(),
                subjects: vec![format!("{}.>", c.subject_prefix)],
                retention: stream::RetentionPolicy::WorkQueue,
                discard: stream::DiscardPolicy::New,
                max_bytes: c.max_bytes,
                duplicate_window: c.duplicate_window,
                storage: stream::StorageType::File,
                ..Default::default()
            })
            .await
            .map_err(|e| setup(&e))?;
        s.get_or_create_consumer(
            &c.consumer,
            consumer::pull::Config {
                durable_name: Some(c.consumer.clone()),
                ack_policy: consumer::AckPolicy::Explicit,
                ack_wait: c.ack_wait,
                max_deliver: c.max_deliver,
                max_ack_pending: 20_000,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| setup(&e))?;
        Ok(())
    }

    /// The workers' consumer.
    pub async fn consumer(&self) -> Result<consumer::PullConsumer, StreamError> {
        let c = &self.config;
        let s = self
            .js
            .get_stream(&c.stream)
            .await
            .map_err(|e| StreamError::Consume(e.to_string()))?;
        s.get_consumer(&c.consumer)
            .await
            .map_err(|e| StreamError::Consume(e.to_string()))
    }

    /// What the stream holds and the consumer has yet to finish: (messages in the stream,
    /// bytes, pending for the consumer, delivered and not yet acknowledged, redelivered).
    pub async fn backlog(&self) -> Result<Backlog, StreamError> {
        let mut s = self
            .js
            .get_stream(&self.config.stream)
            .await
            .map_err(|e| StreamError::Consume(e.to_string()))?;
        let state = s
            .info()
            .await
            .map_err(|e| StreamError::Consume(e.to_string()))?
            .state
            .clone();
        let mut consumer: consumer::PullConsumer = self.consumer().await?;
        let info = consumer
            .info()
            .await
            .map_err(|e| StreamError::Consume(e.to_string()))?;
        Ok(Backlog {
            messages: state.messages,
            bytes: state.bytes,
            pending: info.num_pending,
            ack_pending: info.num_ack_pending as u64,
            redelivered: info.num_redelivered as u64,
        })
    }
}

/// The stream's and the consumer's state (see [`Connection::backlog`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backlog {
    pub messages: u64,
    pub bytes: u64,
    /// Messages not yet delivered to any worker.
    pub pending: u64,
    /// Delivered and not yet acknowledged.
    pub ack_pending: u64,
    /// Messages delivered more than once and not yet acknowledged (the server's count).
    pub redelivered: u64,
}

impl Backlog {
    /// What workers have yet to store: the lag.
    pub fn lag(&self) -> u64 {
        self.pending + self.ack_pending
    }
}

/// The partition of an author: FNV-1a of its id, modulo `partitions` (stable across processes,
/// versions and machines, unlike std's `Hash`).
pub fn partition(author: &str, partitions: u32) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in author.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % u64::from(partitions.max(1))) as u32
}

/// A record's identity for the stream's deduplication: its URI (for Bluesky
/// `at://did/collection/rkey`) and, when the source gave one, its CID (the revision: an edited
/// record is a new message).
pub fn message_id(post: &chorus_pipeline::Incoming) -> String {
    match &post.cid {
        Some(cid) => format!("{}#{cid}", post.uri),
        None => post.uri.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_are_stable_and_spread() {
        assert_eq!(partition("did:plc:abc", 16), partition("did:plc:abc", 16));
        // Fixed: a change to the hash would move authors between partitions across versions.
        assert_eq!(partition("did:plc:abc", 16), 15);
        let mut seen = [0u32; 16];
        for i in 0..1600 {
            seen[partition(&format!("did:plc:{i}"), 16) as usize] += 1;
        }
        assert!(seen.iter().all(|n| (60..140).contains(n)), "{seen:?}");
        assert_eq!(partition("anyone", 0), 0);
    }
}
