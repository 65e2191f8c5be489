//! What a process's stream roles report: to `/readyz` (one line per role, ready or not) and
//! to `/metrics` (counters as they happen, the backlog every few seconds).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use async_nats::connection::State;

use crate::Connection;

/// Shared by a process's source and worker; cheap to read.
#[derive(Debug, Default)]
pub struct Health {
    client: OnceLock<async_nats::Client>,
    /// How many of this process's source readings (the firehose, the feeds) it leads now (their
    /// singleton locks held).
    pub leading: AtomicU64,
    /// Posts the stream acknowledged from this process's sources.
    pub published: AtomicU64,
    /// Publishes tried again (the stream full or unreachable).
    pub publish_retries: AtomicU64,
    /// Set while the stream refuses posts for being full; cleared by the next accepted one.
    pub stream_full: AtomicBool,
    /// Messages this process's workers stored and acknowledged.
    pub stored: AtomicU64,
    /// Messages this process's workers received more than once.
    pub redelivered: AtomicU64,
    /// Messages this process's workers gave up on.
    pub dead_letters: AtomicU64,
    /// The consumer's lag at the last look: messages not yet stored by any worker.
    pub lag: AtomicU64,
}

impl Health {
    /// The connection whose state `/readyz` reports.
    pub fn set_client(&self, client: &async_nats::Client) {
        let _ = self.client.set(client.clone());
    }

    /// Whether the NATS connection is up.
    pub fn connected(&self) -> bool {
        self.client
            .get()
            .is_some_and(|c| c.connection_state() == State::Connected)
    }

    /// `/readyz`'s line for a role: ready or not, and why.
    pub fn report(&self, role: &str) -> (bool, String) {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let nats = if self.connected() {
            "NATS connected"
        } else {
            "NATS disconnected"
        };
        match role {
            "source" => {
                let lead = match get(&self.leading) {
                    0 => "standby (another process reads)".to_owned(),
                    n => format!("leader of {n} reading{}", if n == 1 { "" } else { "s" }),
                };
                let full = if self.stream_full.load(Ordering::Relaxed) {
                    ", stream full: waiting for workers"
                } else {
                    ""
                };
                (
                    self.connected(),
                    format!(
                        "{nats}, {lead}, {} posts published{full}",
                        get(&self.published)
                    ),
                )
            }
            _ => (
                self.connected(),
                format!(
                    "{nats}, lag {}, {} stored, {} redelivered, {} dead letters",
                    get(&self.lag),
                    get(&self.stored),
                    get(&self.redelivered),
                    get(&self.dead_letters)
                ),
            ),
        }
    }
}

/// Looks at the stream's backlog every `every` while a worker runs (once per process, stopped
/// with it): the lag for `/readyz` and the gauges of `/metrics`.
pub(crate) async fn watch_backlog(
    conn: Connection,
    health: std::sync::Arc<Health>,
    every: Duration,
) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        match conn.backlog().await {
            Ok(b) => {
                health.lag.store(b.lag(), Ordering::Relaxed);
                metrics::gauge!("chorus_stream_lag").set(b.lag() as f64);
                metrics::gauge!("chorus_stream_messages").set(b.messages as f64);
                metrics::gauge!("chorus_stream_bytes").set(b.bytes as f64);
                metrics::gauge!("chorus_stream_redelivered_pending").set(b.redelivered as f64);
            }
            Err(e) => tracing::debug!(error = %e, "reading the stream's backlog failed"),
        }
    }
}
