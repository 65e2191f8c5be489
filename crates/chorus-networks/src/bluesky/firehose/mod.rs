//! The firehose (`com.atproto.sync.subscribeRepos`): decoding and a resilient subscription.
//!
//! [`subscribe`] connects, decodes every frame ([`frame`], [`car`], [`cbor`]), normalizes it
//! ([`normalize`]) and sends [`StreamEvent`]s into a bounded channel: when the consumer is slow
//! the reader waits, the socket stops being read, and the server applies backpressure (or drops
//! us, and we resume from the cursor). A malformed frame is counted and skipped with a log line.
//! A dropped connection is retried with exponential backoff from the last cursor delivered, and
//! events at or below that cursor are never delivered twice.

pub mod car;
pub mod cbor;
pub mod cid;
pub mod frame;
pub mod normalize;
#[cfg(test)]
pub(crate) mod testutil;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::StreamExt as _;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::bluesky::identity::{Did, Resolver};
use crate::model::StreamEvent;
use crate::stream::StreamStats;

pub use frame::{Frame, FrameError, decode_frame};
pub use normalize::Normalizer;

/// Where and how to subscribe.
#[derive(Debug, Clone)]
pub struct FirehoseConfig {
    /// `ws://host:port` of a PDS or relay, or the full `…/xrpc/com.atproto.sync.subscribeRepos`.
    pub url: String,
    /// Resume after this sequence number (the last one stored); `None` starts live.
    pub cursor: Option<i64>,
    /// Events buffered between the reader and the consumer.
    pub capacity: usize,
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// Largest frame accepted.
    pub max_frame_bytes: usize,
    /// Resolve the handle of authors not announced by an `#identity` frame (one DID document
    /// fetch per new author, cached). Leave off when reading a whole relay: at that rate the
    /// pipeline should resolve in its own stage.
    pub resolve_handles: Option<Resolver>,
}

impl FirehoseConfig {
    pub fn new(url: impl Into<String>) -> Self {
        FirehoseConfig {
            url: url.into(),
            cursor: None,
            capacity: 1024,
            backoff_min: Duration::from_millis(250),
            backoff_max: Duration::from_secs(30),
            max_frame_bytes: 8 << 20,
            resolve_handles: None,
        }
    }

    /// The subscription URL for `cursor`.
    pub fn endpoint(&self, cursor: Option<i64>) -> String {
        let base = self.url.trim_end_matches('/');
        let mut url = if base.contains("/xrpc/") {
            base.to_owned()
        } else {
            format!("{base}/xrpc/com.atproto.sync.subscribeRepos")
        };
        if let Some(c) = cursor {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&format!("cursor={c}"));
        }
        url
    }
}

/// Why a subscription stopped for good.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FirehoseError {
    #[error(
        "the server says cursor {cursor} is in its future ({message}): the stored cursor belongs to another server or its data was reset; clear it and start live"
    )]
    FutureCursor { cursor: i64, message: String },
    #[error("invalid firehose URL {0}: use ws:// or wss://")]
    Url(String),
}

/// Counters of a firehose subscription.
pub type FirehoseStats = StreamStats;
/// A running firehose subscription.
pub type Subscription = crate::stream::Subscription<FirehoseError>;

/// Starts a subscription on the current tokio runtime.
pub fn subscribe(config: FirehoseConfig) -> Result<Subscription, FirehoseError> {
    if !(config.url.starts_with("ws://") || config.url.starts_with("wss://")) {
        return Err(FirehoseError::Url(config.url));
    }
    let (tx, rx) = mpsc::channel(config.capacity.max(1));
    let stats = Arc::new(StreamStats::new());
    let task = tokio::spawn(run(config, tx, stats.clone()));
    Ok(Subscription::new(rx, stats, task))
}

enum Ended {
    /// The consumer went away.
    Closed,
    Fatal(FirehoseError),
    /// Disconnected; reconnect.
    Dropped(String),
}

async fn run(
    config: FirehoseConfig,
    tx: mpsc::Sender<StreamEvent>,
    stats: Arc<StreamStats>,
) -> Result<(), FirehoseError> {
    let mut cursor = config.cursor;
    let mut normalizer = Normalizer::new();
    let mut backoff = config.backoff_min;
    let mut handles = Handles {
        resolver: config.resolve_handles.clone(),
        tried: HashSet::new(),
    };
    loop {
        let url = config.endpoint(cursor);
        let ws_config = WebSocketConfig::default()
            .max_message_size(Some(config.max_frame_bytes))
            .max_frame_size(Some(config.max_frame_bytes));
        let before = StreamStats::get(&stats.frames);
        let reason = match tokio_tungstenite::connect_async_with_config(
            &url,
            Some(ws_config),
            false,
        )
        .await
        {
            Ok((ws, _)) => {
                stats.connects.fetch_add(1, Ordering::Relaxed);
                tracing::info!(%url, "firehose connected");
                match read(ws, &tx, &stats, &mut normalizer, &mut cursor, &mut handles).await {
                    Ended::Closed => return Ok(()),
                    Ended::Fatal(e) => return Err(e),
                    Ended::Dropped(reason) => reason,
                }
            }
            Err(e) => format!("connect failed: {e}"),
        };
        if tx.is_closed() {
            return Ok(());
        }
        if StreamStats::get(&stats.frames) > before {
            backoff = config.backoff_min;
        }
        // Jitter: up to a quarter of the wait, from the clock's low bits.
        let jitter = Duration::from_millis(
            u64::from(jiff::Timestamp::now().subsec_nanosecond().unsigned_abs() % 1000)
                * backoff.as_millis() as u64
                / 4000,
        );
        tracing::warn!(%reason, cursor, wait_ms = (backoff + jitter).as_millis() as u64, "firehose disconnected; reconnecting");
        tokio::time::sleep(backoff + jitter).await;
        backoff = (backoff * 2).min(config.backoff_max);
    }
}

async fn read<S>(
    mut ws: S,
    tx: &mpsc::Sender<StreamEvent>,
    stats: &StreamStats,
    normalizer: &mut Normalizer,
    cursor: &mut Option<i64>,
    handles: &mut Handles,
) -> Ended
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let msg = tokio::select! {
            msg = ws.next() => msg,
            () = tx.closed() => return Ended::Closed,
        };
        let bytes = match msg {
            None => return Ended::Dropped("server closed the stream".into()),
            Some(Err(e)) => return Ended::Dropped(e.to_string()),
            Some(Ok(Message::Binary(b))) => b,
            Some(Ok(Message::Close(f))) => {
                return Ended::Dropped(format!("close frame {f:?}"));
            }
            Some(Ok(_)) => continue, // ping/pong/text
        };
        stats.frames.fetch_add(1, Ordering::Relaxed);
        let frame = match decode_frame(&bytes) {
            Ok(f) => f,
            Err(err) => {
                stats.malformed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(%err, bytes = bytes.len(), after_cursor = *cursor, "skipping malformed firehose frame");
                continue;
            }
        };
        match &frame {
            Frame::Error(e) if e.error == "FutureCursor" => {
                return Ended::Fatal(FirehoseError::FutureCursor {
                    cursor: cursor.unwrap_or(0),
                    message: e.message.unwrap_or("").to_owned(),
                });
            }
            Frame::Error(e) => {
                return Ended::Dropped(format!(
                    "error frame {}: {}",
                    e.error,
                    e.message.unwrap_or("")
                ));
            }
            Frame::Info(i) => {
                tracing::info!(name = i.name, message = i.message, "firehose info");
                continue;
            }
            Frame::Unknown { kind, .. } => {
                tracing::debug!(kind, "firehose message of unknown type");
            }
            _ => {}
        }
        if let Frame::Commit(c) = &frame {
            handles.learn(normalizer, c.repo).await;
        }
        let Some(event) = normalizer.normalize(&frame) else {
            continue;
        };
        if cursor.is_some_and(|c| event.cursor <= c) {
            continue; // already delivered before a reconnect
        }
        let seq = event.cursor;
        if tx.send(event).await.is_err() {
            return Ended::Closed;
        }
        *cursor = Some(seq);
        stats.cursor.store(seq, Ordering::Relaxed);
        stats.events.fetch_add(1, Ordering::Relaxed);
    }
}

/// Looks up authors' handles once each (bounded memory: the set of tried DIDs is cleared when
/// it grows large, which only costs a repeated lookup).
struct Handles {
    resolver: Option<Resolver>,
    tried: HashSet<String>,
}

impl Handles {
    async fn learn(&mut self, normalizer: &mut Normalizer, did: &str) {
        let Some(resolver) = &self.resolver else {
            return;
        };
        if normalizer.handle(did).is_some() || self.tried.contains(did) {
            return;
        }
        if self.tried.len() >= 100_000 {
            self.tried.clear();
        }
        self.tried.insert(did.to_owned());
        let Ok(parsed) = Did::parse(did) else { return };
        let lookup =
            tokio::time::timeout(Duration::from_secs(3), resolver.resolve(parsed.as_str()));
        match lookup.await {
            Ok(Ok(identity)) => {
                if let Some(h) = identity.handle {
                    normalizer.learn_handle(did, h.as_str());
                }
            }
            Ok(Err(err)) => tracing::debug!(did, %err, "author handle not resolved"),
            Err(_) => tracing::debug!(did, "author handle lookup timed out"),
        }
    }
}
