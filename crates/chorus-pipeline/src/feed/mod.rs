//! RSS/Atom source: feeds polled on a schedule with conditional GET. The feed's validators
//! (`ETag`, `Last-Modified`) are its cursor, stored with the entries they produced; entries
//! already stored are skipped by URI, so polling again never duplicates.

pub mod fetch;
pub mod parse;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chorus_store::{Store, StoreError};
use tokio::sync::mpsc;

use crate::incoming::{Batch, Incoming};
pub use chorus_outbound::Policy;
pub use fetch::{FeedClient, FetchError, Fetched, Validators};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FeedError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("{url}: {source}")]
    Parse {
        url: String,
        #[source]
        source: parse::ParseError,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the pipeline stopped")]
    Closed,
}

/// What one poll did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Polled {
    /// The server said nothing changed (304).
    NotModified,
    /// The feed was fetched; this many entries were sent into the pipeline.
    Entries(usize),
}

/// The cursor key of a feed.
pub fn source_key(url: &str) -> String {
    format!("feed:{url}")
}

/// Polls `url` once: a conditional GET with the stored validators, then its entries (and the
/// new validators as the position) into the pipeline.
pub async fn poll_once(
    store: &Store,
    client: &FeedClient,
    url: &str,
    input: &mpsc::Sender<Batch<Incoming>>,
) -> Result<Polled, FeedError> {
    let key = source_key(url);
    let known: Validators = store
        .ingest_cursor(&key)
        .await?
        .and_then(|p| serde_json::from_str(&p).ok())
        .unwrap_or_default();
    let (bytes, validators) = match client.fetch(url, &known).await? {
        Fetched::NotModified => return Ok(Polled::NotModified),
        Fetched::Body { bytes, validators } => (bytes, validators),
    };
    let items =
        parse::entries(url, &bytes, chorus_store::now_ms()).map_err(|source| FeedError::Parse {
            url: url.to_owned(),
            source,
        })?;
    let n = items.len();
    let position = serde_json::to_string(&validators).unwrap_or_else(|_| "{}".into());
    input
        .send(Batch {
            source: Arc::from(key.as_str()),
            position,
            items,
        })
        .await
        .map_err(|_| FeedError::Closed)?;
    Ok(Polled::Entries(n))
}

/// Polls every feed, then waits `every`, until `stop` is set. A feed that fails is logged and
/// tried again next round.
pub async fn run(
    store: Store,
    client: FeedClient,
    urls: Vec<String>,
    every: Duration,
    stop: Arc<AtomicBool>,
    input: mpsc::Sender<Batch<Incoming>>,
) -> Result<(), FeedError> {
    while !stop.load(Ordering::Relaxed) {
        for url in &urls {
            match poll_once(&store, &client, url, &input).await {
                Ok(Polled::NotModified) => tracing::debug!(%url, "feed not modified"),
                Ok(Polled::Entries(n)) => tracing::info!(%url, entries = n, "feed polled"),
                Err(FeedError::Closed) => return Err(FeedError::Closed),
                Err(e) => tracing::warn!(%url, error = %e, "feed poll failed"),
            }
        }
        let deadline = tokio::time::Instant::now() + every;
        while !stop.load(Ordering::Relaxed) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(200).min(every)).await;
        }
    }
    Ok(())
}
