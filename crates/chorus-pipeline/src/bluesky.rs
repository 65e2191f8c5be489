//! Bluesky source: the firehose (a PDS or a relay), resumed from the stored sequence number.
//! Events are grouped into batches (by size, or every `flush` when the stream is slow); a
//! batch's position is the sequence number of its last event, stored with its posts.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chorus_networks::bluesky::firehose::{self, FirehoseConfig, FirehoseError};
use chorus_networks::model::StreamItem;
use chorus_store::{Store, StoreError};
use tokio::sync::mpsc;

use crate::incoming::{Batch, Incoming};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    #[error(transparent)]
    Firehose(#[from] FirehoseError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the stored cursor {0:?} is not a sequence number")]
    BadCursor(String),
}

/// The cursor key of a firehose.
pub fn source_key(url: &str) -> String {
    format!("bluesky:{url}")
}

/// Streams `config.url` into `input` until `stop` is set or the pipeline closes.
pub async fn run(
    store: &Store,
    mut config: FirehoseConfig,
    batch_posts: usize,
    flush: Duration,
    stop: Arc<AtomicBool>,
    input: mpsc::Sender<Batch<Incoming>>,
) -> Result<(), SourceError> {
    let key: Arc<str> = Arc::from(source_key(&config.url).as_str());
    if let Some(p) = store.ingest_cursor(&key).await? {
        config.cursor = Some(p.parse().map_err(|_| SourceError::BadCursor(p.clone()))?);
    }
    tracing::info!(url = %config.url, cursor = ?config.cursor, "listening to the firehose");
    let mut sub = firehose::subscribe(config)?;
    let mut items: Vec<Incoming> = Vec::with_capacity(batch_posts);
    let mut last: Option<i64> = None;
    let mut sent: Option<i64> = None;
    let mut tick = tokio::time::interval(flush);
    loop {
        let event = tokio::select! {
            e = sub.next() => e,
            _ = tick.tick() => {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                if last != sent {
                    if !send(&input, &key, &mut items, last, batch_posts).await {
                        break;
                    }
                    sent = last;
                }
                continue;
            }
        };
        let Some(event) = event else { break };
        let now = chorus_store::now_ms();
        for item in event.items {
            if let StreamItem::Post(p) = item {
                items.push(Incoming::from_post(&p, now));
            }
        }
        last = Some(event.cursor);
        if items.len() >= batch_posts {
            if !send(&input, &key, &mut items, last, batch_posts).await {
                break;
            }
            sent = last;
        }
    }
    if last != sent {
        send(&input, &key, &mut items, last, batch_posts).await;
    }
    sub.stop().await?;
    Ok(())
}

async fn send(
    input: &mpsc::Sender<Batch<Incoming>>,
    key: &Arc<str>,
    items: &mut Vec<Incoming>,
    cursor: Option<i64>,
    cap: usize,
) -> bool {
    let Some(c) = cursor else { return true };
    let batch = Batch {
        source: key.clone(),
        position: c.to_string(),
        items: std::mem::replace(items, Vec::with_capacity(cap)),
    };
    input.send(batch).await.is_ok()
}
