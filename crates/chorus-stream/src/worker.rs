//! The consumer side: a worker takes posts from the shared durable consumer, scores and
//! matches them, stores a fetched batch in one transaction, and only then acknowledges its
//! messages.
//!
//! Any number of worker processes (and [`LOOPS`] loops in each, so one batch is scored while
//! another is written) share the consumer; JetStream hands each message to one of them at a
//! time and again after `ack_wait` if it was not acknowledged (its worker died, or the ack was
//! lost). Storing is idempotent — a post stored before is skipped with its matches — so a
//! message delivered twice is stored once. A batch the database refuses is stored post by post:
//! the posts that go in are acknowledged, and a post that fails on its last delivery
//! (`max_deliver`) becomes a dead letter (kept whole with the error, then terminated) instead
//! of blocking the stream forever; one that cannot even be read is a dead letter at once.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_nats::jetstream::consumer::PullConsumer;
use async_nats::jetstream::{AckKind, Message};
use chorus_pipeline::pipeline::{Upkeep, to_new_post};
use chorus_pipeline::score::Scorer;
use chorus_pipeline::{Analyzers, Incoming, QuerySet};
use chorus_query::Scratch;
use chorus_store::{DeadLetter, NewPost, Store};
use futures_util::StreamExt;
use tokio::sync::watch;

use crate::{Connection, Health, StreamError};

/// Batch loops per worker process: one scores while the other waits on the database.
pub const LOOPS: usize = 2;

/// What a worker needs besides the stream.
#[derive(Clone)]
pub struct Work {
    pub store: Store,
    pub analyzers: Arc<Analyzers>,
    /// The listening queries, swapped whole when they change (`chorus_pipeline::queries`).
    pub queries: watch::Receiver<Arc<QuerySet>>,
    pub health: Arc<Health>,
}

/// Runs [`LOOPS`] batch loops until `stop` turns true; a loop finishes the batch in hand
/// first. Errors reading the stream are retried (the client reconnects by itself); only a
/// consumer that cannot be found at start is returned.
pub async fn run(
    conn: Connection,
    work: Work,
    stop: watch::Receiver<bool>,
) -> Result<(), StreamError> {
    work.health.set_client(&conn.client);
    let backlog = tokio::spawn(crate::health::watch_backlog(
        conn.clone(),
        work.health.clone(),
        Duration::from_secs(2),
    ));
    conn.consumer().await?;
    tracing::info!(
        loops = LOOPS,
        queries = work.queries.borrow().len(),
        version = work.queries.borrow().version,
        "consuming the post stream"
    );
    let loops: Vec<_> = (0..LOOPS)
        .map(|_| tokio::spawn(batch_loop(conn.clone(), work.clone(), stop.clone())))
        .collect();
    for l in loops {
        let _ = l.await;
    }
    backlog.abort();
    Ok(())
}

async fn batch_loop(conn: Connection, work: Work, mut stop: watch::Receiver<bool>) {
    let mut upkeep = Upkeep::new(Duration::from_secs(30));
    let mut failures = 0u32;
    let mut consumer: Option<PullConsumer> = None;
    while !*stop.borrow() {
        let fetched = tokio::select! {
            f = fetch(&conn, &mut consumer) => f,
            _ = stop.changed() => break,
        };
        match fetched {
            Ok(messages) if messages.is_empty() => {}
            Ok(messages) => {
                failures = 0;
                handle(&conn, &work, &mut upkeep, messages).await;
            }
            Err(e) => {
                failures += 1;
                if failures == 1 || failures.is_multiple_of(30) {
                    tracing::warn!(error = %e, "reading the post stream failed; trying again");
                }
                tokio::time::sleep(Duration::from_millis(200 * u64::from(failures.min(10)))).await;
            }
        }
    }
}

/// Up to `fetch_batch` messages, waiting at most half a second for them. The consumer is
/// looked up once and again after an error.
async fn fetch(
    conn: &Connection,
    consumer: &mut Option<PullConsumer>,
) -> Result<Vec<Message>, StreamError> {
    let c = match consumer {
        Some(c) => c,
        None => consumer.insert(conn.consumer().await?),
    };
    let batch = c
        .batch()
        .max_messages(conn.config.fetch_batch)
        .expires(Duration::from_millis(500))
        .messages()
        .await;
    let mut batch = match batch {
        Ok(b) => b,
        Err(e) => {
            *consumer = None;
            return Err(StreamError::Consume(e.to_string()));
        }
    };
    let mut out = Vec::with_capacity(conn.config.fetch_batch);
    while let Some(m) = batch.next().await {
        match m {
            Ok(m) => out.push(m),
            Err(e) => {
                if out.is_empty() {
                    return Err(StreamError::Consume(e.to_string()));
                }
                break;
            }
        }
    }
    Ok(out)
}

/// A fetched message with what it carries.
struct Received {
    message: Message,
    deliveries: i64,
}

async fn handle(conn: &Connection, work: &Work, upkeep: &mut Upkeep, messages: Vec<Message>) {
    let mut received = Vec::with_capacity(messages.len());
    let mut posts = Vec::with_capacity(messages.len());
    let again = messages
        .iter()
        .filter(|m| m.info().is_ok_and(|i| i.delivered > 1))
        .count();
    if again > 0 {
        // A worker died holding them, or an acknowledgement was lost: storing is idempotent.
        tracing::info!(
            redelivered = again,
            "a batch brought posts delivered before"
        );
        work.health
            .redelivered
            .fetch_add(again as u64, Ordering::Relaxed);
        metrics::counter!("chorus_stream_redelivered_total").increment(again as u64);
    }
    for message in messages {
        let deliveries = message.info().map(|i| i.delivered).unwrap_or(1);
        match serde_json::from_slice::<Incoming>(&message.payload) {
            Ok(p) => {
                posts.push(p);
                received.push(Received {
                    message,
                    deliveries,
                });
            }
            Err(e) => {
                let error = format!("not a post: {e}");
                dead_letter(conn, work, &message, deliveries, &error).await;
            }
        }
    }
    if posts.is_empty() {
        return;
    }
    let Some(rows) = analyze_off_thread(work, posts).await else {
        return;
    };
    let n = rows.len();
    match work.store.ingest_posts(rows).await {
        Ok(report) => {
            upkeep.after_batch(&work.store, &report).await;
            ack_all(work, &received).await;
        }
        Err(e) => {
            tracing::warn!(error = %e, posts = n, "storing a batch failed; storing its posts one by one");
            // Rare: the posts are read and scored again rather than copied for every batch.
            let again = received
                .iter()
                .filter_map(|r| serde_json::from_slice::<Incoming>(&r.message.payload).ok())
                .collect();
            let Some(rows) = analyze_off_thread(work, again).await else {
                return;
            };
            for (row, r) in rows.into_iter().zip(&received) {
                match work.store.ingest_posts(vec![row]).await {
                    Ok(_) => ack_all(work, std::slice::from_ref(r)).await,
                    Err(e) if r.deliveries >= conn.config.max_deliver => {
                        dead_letter(conn, work, &r.message, r.deliveries, &e.to_string()).await;
                    }
                    Err(_) => {
                        let _ = r
                            .message
                            .ack_with(AckKind::Nak(Some(Duration::from_secs(1))))
                            .await;
                    }
                }
            }
        }
    }
}

/// [`analyze`] on a blocking thread (this is the CPU); `None` if that thread panicked (the
/// messages are then delivered again).
async fn analyze_off_thread(work: &Work, posts: Vec<Incoming>) -> Option<Vec<NewPost>> {
    let set = work.queries.borrow().clone();
    let analyzers = work.analyzers.clone();
    match tokio::task::spawn_blocking(move || analyze(&analyzers, &set, posts)).await {
        Ok(rows) => Some(rows),
        Err(e) => {
            tracing::error!(error = %e, "scoring a batch failed; it will be delivered again");
            None
        }
    }
}

/// Language, sentiment and matches of each post.
fn analyze(analyzers: &Analyzers, set: &QuerySet, posts: Vec<Incoming>) -> Vec<NewPost> {
    let mut scorer = Scorer::new(analyzers);
    let mut scratch = Scratch::new();
    posts
        .into_iter()
        .map(|p| {
            let s = scorer.score(p);
            let m = set.matches(&s, &mut scratch);
            to_new_post(s, m)
        })
        .collect()
}

/// Acknowledges messages whose posts are stored. A lost ack only means a redelivery, which
/// stores nothing twice.
async fn ack_all(work: &Work, received: &[Received]) {
    let acks = received.iter().map(|r| r.message.ack());
    let results = futures_util::future::join_all(acks).await;
    let ok = results.iter().filter(|r| r.is_ok()).count() as u64;
    work.health.stored.fetch_add(ok, Ordering::Relaxed);
    metrics::counter!("chorus_worker_posts_total").increment(ok);
}

/// Keeps `message` as a dead letter and tells the stream to stop delivering it. If the
/// database does not take the letter either, the message is left to be delivered again.
async fn dead_letter(
    conn: &Connection,
    work: &Work,
    message: &Message,
    deliveries: i64,
    error: &str,
) {
    let (stream, sequence) = match message.info() {
        Ok(i) => (i.stream.to_owned(), i.stream_sequence),
        Err(_) => (conn.config.stream.clone(), 0),
    };
    let letter = DeadLetter {
        stream,
        stream_sequence: i64::try_from(sequence).unwrap_or(i64::MAX),
        message_id: message
            .headers
            .as_ref()
            .and_then(|h| h.get("Nats-Msg-Id"))
            .map(|v| v.as_str().to_owned()),
        subject: message.subject.to_string(),
        payload: String::from_utf8_lossy(&message.payload).into_owned(),
        error: error.to_owned(),
        deliveries,
    };
    match work.store.add_dead_letter(&letter).await {
        Ok(()) => {
            tracing::warn!(sequence, error, "a post became a dead letter");
            work.health.dead_letters.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("chorus_stream_dead_letters_total").increment(1);
            let _ = message.ack_with(AckKind::Term).await;
        }
        Err(e) => {
            tracing::warn!(error = %e, "keeping a dead letter failed; it will be delivered again")
        }
    }
}
