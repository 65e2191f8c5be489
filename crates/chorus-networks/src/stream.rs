//! A running stream: normalized events in a bounded channel, counters, and the reader task.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::model::StreamEvent;

/// Counters a stream keeps while it runs; read them any time.
#[derive(Debug, Default)]
pub struct StreamStats {
    /// Messages received from the network.
    pub frames: AtomicU64,
    /// Events delivered to the channel.
    pub events: AtomicU64,
    /// Messages that could not be decoded (skipped, each with a log line).
    pub malformed: AtomicU64,
    /// Successful connections (1 + reconnects).
    pub connects: AtomicU64,
    /// The cursor of the last event delivered (-1 before the first).
    pub cursor: AtomicI64,
}

impl StreamStats {
    pub fn new() -> Self {
        StreamStats {
            cursor: AtomicI64::new(-1),
            ..Default::default()
        }
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    pub fn cursor(&self) -> Option<i64> {
        Some(self.cursor.load(Ordering::Relaxed)).filter(|c| *c >= 0)
    }
}

/// A running subscription. Receive with [`Subscription::next`]; the reader waits while the
/// channel is full (bounded memory); drop it (the reader notices the closed channel and ends)
/// or call [`Subscription::stop`].
pub struct Subscription<E> {
    pub events: mpsc::Receiver<StreamEvent>,
    pub stats: Arc<StreamStats>,
    task: JoinHandle<Result<(), E>>,
}

impl<E> Subscription<E> {
    pub fn new(
        events: mpsc::Receiver<StreamEvent>,
        stats: Arc<StreamStats>,
        task: JoinHandle<Result<(), E>>,
    ) -> Self {
        Subscription {
            events,
            stats,
            task,
        }
    }

    pub async fn next(&mut self) -> Option<StreamEvent> {
        self.events.recv().await
    }

    /// Stops reading and waits for the reader to end.
    pub async fn stop(self) -> Result<(), E> {
        self.task.abort();
        self.task.await.unwrap_or(Ok(()))
    }

    /// Waits for the reader to end by itself (after a fatal error), discarding events that
    /// arrive meanwhile. Returns the fatal error.
    pub async fn finished(mut self) -> Result<(), E> {
        loop {
            tokio::select! {
                r = &mut self.task => return r.unwrap_or(Ok(())),
                ev = self.events.recv() => {
                    if ev.is_none() {
                        return self.task.await.unwrap_or(Ok(()));
                    }
                }
            }
        }
    }
}
