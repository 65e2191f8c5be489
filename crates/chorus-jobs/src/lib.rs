//! Background work on the durable job queue in the database: today, publishing scheduled
//! variants to their networks.
//!
//! A [`Worker`] claims due jobs (see `chorus_store::jobs`), runs a few at a time, renews their
//! leases while they run, and records the outcome in the same transaction as the job's state.
//! Jobs run at least once; the effects are exactly once because publishing is keyed by the
//! variant's id and its first-attempt time (see `chorus_networks::bluesky::rkey`), so a retry
//! after a crash finds the post it already made instead of making another.

pub mod accounts;
mod backoff;
mod publish;
pub mod reply;

use std::sync::Arc;
use std::time::Duration;

use chorus_networks::bluesky::SecretKey;
use chorus_store::{PUBLISH_JOB, Store};
use tokio::sync::{Semaphore, watch};

pub use accounts::{ConnectError, connect_bluesky};
pub use publish::Outcome;
pub use reply::{ReplyError, send_reply};

/// How the worker behaves.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Jobs run at the same time.
    pub concurrency: usize,
    /// How long a claimed job is ours before another worker may take it over.
    pub lease: Duration,
    /// The longest wait between looks at the queue.
    pub poll: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            concurrency: 4,
            lease: Duration::from_secs(30),
            poll: Duration::from_millis(500),
        }
    }
}

/// Runs publish jobs until told to stop.
pub struct Worker {
    store: Store,
    publisher: Arc<publish::Publisher>,
    config: WorkerConfig,
    owner: String,
}

impl Worker {
    pub fn new(store: Store, key: SecretKey, config: WorkerConfig) -> Self {
        let owner = format!(
            "{}-{}-{:08x}",
            hostname(),
            std::process::id(),
            rand::random::<u32>()
        );
        Worker {
            publisher: Arc::new(publish::Publisher::new(store.clone(), key)),
            store,
            config,
            owner,
        }
    }

    /// Claims and runs jobs until `stop` turns true; then waits for running jobs to finish.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let slots = Arc::new(Semaphore::new(self.config.concurrency.max(1)));
        let lease_ms = self.config.lease.as_millis() as i64;
        tracing::info!(owner = %self.owner, "job worker started");
        loop {
            if *stop.borrow() {
                break;
            }
            let Ok(permit) = slots.clone().acquire_owned().await else {
                break;
            };
            match self
                .store
                .claim_job(&self.owner, &[PUBLISH_JOB], lease_ms)
                .await
            {
                Ok(Some(job)) => {
                    let publisher = self.publisher.clone();
                    let store = self.store.clone();
                    let owner = self.owner.clone();
                    let lease = self.config.lease;
                    tokio::spawn(async move {
                        let renew = tokio::spawn(renew_lease(store, job.id, owner, lease));
                        publisher.run(&job).await;
                        renew.abort();
                        drop(permit);
                    });
                    continue;
                }
                Ok(None) => drop(permit),
                Err(e) => {
                    drop(permit);
                    tracing::warn!(error = %e, "claiming a job failed; retrying shortly");
                }
            }
            let wait = match self.store.next_job_due(&[PUBLISH_JOB]).await {
                Ok(Some(due)) => {
                    let ms = (due - chorus_store::now_ms())
                        .clamp(0, self.config.poll.as_millis() as i64);
                    Duration::from_millis(ms as u64)
                }
                _ => self.config.poll,
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = stop.changed() => {}
            }
        }
        // Wait for running jobs: take every slot back.
        let _ = slots
            .acquire_many(self.config.concurrency.max(1) as u32)
            .await;
        tracing::info!("job worker stopped");
    }
}

async fn renew_lease(store: Store, job: i64, owner: String, lease: Duration) {
    let lease_ms = lease.as_millis() as i64;
    loop {
        tokio::time::sleep(lease / 3).await;
        match store.renew_lease(job, &owner, lease_ms).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(job, "lost the lease of a running job");
                return;
            }
            Err(e) => tracing::warn!(job, error = %e, "renewing a lease failed"),
        }
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_owned())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "chorus".to_owned())
}
