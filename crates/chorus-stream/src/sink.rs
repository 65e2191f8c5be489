//! The source side: a `chorus_pipeline::Downstream` that publishes what a source read to the
//! stream instead of storing it.
//!
//! Each post is a JSON message on `{prefix}.{partition(author)}` with its identity as
//! `Nats-Msg-Id`. A batch's posts are published together and their acknowledgements awaited;
//! a post the stream refused (full: `discard: new`) or that got no answer (the server down or
//! restarting) is published again, with the same id, after a growing pause — so a full stream
//! holds the source back instead of losing posts, and one that comes back loses none either.
//! Only when the stream has acknowledged every post of a batch is the batch's position stored
//! as the source's cursor: a source killed at any moment resumes at or before what the stream
//! holds, and what it publishes twice the stream drops (within its duplicate window) or the
//! workers skip (by URI).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use async_nats::jetstream::context::PublishError;
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::publish::PublishAck;
use bytes::Bytes;
use chorus_pipeline::pipeline::CHANNEL_BATCHES;
use chorus_pipeline::{Batch, Downstream, Incoming, PipelineError};
use chorus_store::Store;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::sync::mpsc;

use crate::{Connection, Health, message_id, partition};

/// The longest pause between two tries of a refused publish.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// Starts publishing: batches sent into the returned downstream go to the stream, and their
/// positions become the source's cursor once the stream holds them.
pub fn start(conn: Connection, store: Store, health: Arc<Health>) -> Downstream {
    health.set_client(&conn.client);
    let (tx, rx) = mpsc::channel(CHANNEL_BATCHES);
    Downstream::new(tx, tokio::spawn(run(conn, store, health, rx)))
}

async fn run(
    conn: Connection,
    store: Store,
    health: Arc<Health>,
    mut rx: mpsc::Receiver<Batch<Incoming>>,
) -> Result<(), PipelineError> {
    while let Some(batch) = rx.recv().await {
        let messages = batch
            .items
            .iter()
            .map(|p| encode(&conn, p))
            .collect::<Result<Vec<_>, _>>()?;
        publish_all(&conn, &health, messages).await;
        store
            .set_ingest_cursor(&batch.source, &batch.position)
            .await?;
    }
    Ok(())
}

/// One post as the stream carries it.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub subject: String,
    pub id: String,
    pub payload: Bytes,
}

/// The subject, id and JSON of `post`.
pub fn encode(conn: &Connection, post: &Incoming) -> Result<Outgoing, PipelineError> {
    let c = &conn.config;
    let payload = serde_json::to_vec(post)
        .map_err(|e| PipelineError::Stage(format!("encoding a post for the stream: {e}")))?;
    Ok(Outgoing {
        subject: format!(
            "{}.{}",
            c.subject_prefix,
            partition(&post.author, c.partitions)
        ),
        id: message_id(post),
        payload: Bytes::from(payload),
    })
}

/// Publishes awaiting an answer at once, at most (the client's own limit is 5,000).
const IN_FLIGHT: usize = 1_000;

/// Counts the stream's answer to one publish; a refusal goes to `refused`.
fn settle(
    health: &Health,
    (m, answer): (Outgoing, Result<PublishAck, PublishError>),
    refused: &mut Vec<(Outgoing, String)>,
) {
    match answer {
        Ok(_) => {
            health.published.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("chorus_stream_published_total").increment(1);
        }
        Err(e) => refused.push((m, e.to_string())),
    }
}

/// Publishes every message and waits until the stream acknowledged each, trying refused ones
/// again (same id) after a pause that grows to [`MAX_BACKOFF`]. Returns only when all are in.
pub async fn publish_all(conn: &Connection, health: &Health, messages: Vec<Outgoing>) {
    let mut todo = messages;
    let mut pause = Duration::from_millis(50);
    let mut last_warning: Option<Instant> = None;
    loop {
        // The answers are awaited together, so that each one's timeout runs at once: after a
        // server restart a thousand lost answers cost one timeout, not a thousand.
        let mut waiting = FuturesUnordered::new();
        let mut refused: Vec<(Outgoing, String)> = Vec::new();
        for m in todo {
            // A bounded window of unanswered publishes (the client holds a permit for each).
            if waiting.len() >= IN_FLIGHT
                && let Some(answer) = waiting.next().await
            {
                settle(health, answer, &mut refused);
            }
            let publish = PublishMessage::build()
                .payload(m.payload.clone())
                .message_id(&m.id);
            match conn.js.send_publish(m.subject.clone(), publish).await {
                Ok(ack) => waiting.push(async move { (m, ack.await) }),
                Err(e) => refused.push((m, e.to_string())),
            }
        }
        while let Some(answer) = waiting.next().await {
            settle(health, answer, &mut refused);
        }
        if refused.is_empty() {
            health.stream_full.store(false, Ordering::Relaxed);
            return;
        }
        let full = refused.iter().any(|(_, e)| e.contains("exceeded"));
        health.stream_full.store(full, Ordering::Relaxed);
        health
            .publish_retries
            .fetch_add(refused.len() as u64, Ordering::Relaxed);
        metrics::counter!("chorus_stream_publish_retries_total").increment(refused.len() as u64);
        if last_warning.is_none_or(|t| t.elapsed() >= Duration::from_secs(10)) {
            last_warning = Some(Instant::now());
            tracing::warn!(
                refused = refused.len(),
                error = %refused[0].1,
                "{}",
                if full {
                    "the stream is full: waiting for workers to drain it (nothing is dropped)"
                } else {
                    "the stream did not take posts: trying again (nothing is dropped)"
                }
            );
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_BACKOFF);
        todo = refused.into_iter().map(|(m, _)| m).collect();
    }
}
