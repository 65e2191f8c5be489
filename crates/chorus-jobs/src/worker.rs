//! The [`Worker`]: claims due jobs of every registered kind with a lease, runs a few at a time,
//! renews their leases while they run, and logs their outcomes (each kind records its own).

use std::sync::Arc;
use std::time::Duration;

use chorus_store::{Job, Store};
use tokio::sync::{Semaphore, watch};

use crate::kinds::{JobKinds, Outcome};

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

/// Runs jobs of its kinds until told to stop.
pub struct Worker {
    store: Store,
    kinds: Arc<JobKinds>,
    config: WorkerConfig,
    owner: String,
}

impl Worker {
    /// A worker for the jobs of `kinds` (see [`crate::standard_kinds`]).
    pub fn new(store: Store, kinds: JobKinds, config: WorkerConfig) -> Self {
        let owner = format!(
            "{}-{}-{:08x}",
            hostname(),
            std::process::id(),
            rand::random::<u32>()
        );
        Worker {
            store,
            kinds: Arc::new(kinds),
            config,
            owner,
        }
    }

    /// Claims and runs jobs until `stop` turns true; then waits for running jobs to finish.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let slots = Arc::new(Semaphore::new(self.config.concurrency.max(1)));
        let lease_ms = self.config.lease.as_millis() as i64;
        let names = self.kinds.names();
        tracing::info!(owner = %self.owner, kinds = ?names, "job worker started");
        loop {
            if *stop.borrow() {
                break;
            }
            let Ok(permit) = slots.clone().acquire_owned().await else {
                break;
            };
            match self.store.claim_job(&self.owner, &names, lease_ms).await {
                Ok(Some(job)) => {
                    let kinds = self.kinds.clone();
                    let store = self.store.clone();
                    let owner = self.owner.clone();
                    let lease = self.config.lease;
                    tokio::spawn(async move {
                        let renew = tokio::spawn(renew_lease(store.clone(), job.id, owner, lease));
                        run_one(&kinds, &store, &job).await;
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
            let wait = match self.store.next_job_due(&names).await {
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

/// Runs one claimed job through its kind and logs the outcome.
async fn run_one(kinds: &JobKinds, store: &Store, job: &Job) {
    let Some(kind) = kinds.get(&job.kind) else {
        // Only registered kinds are claimed; this is a kind removed while its job ran.
        let error = format!("no job kind {:?} is registered", job.kind);
        if let Err(e) = store.finish_job(job.id, false, Some(&error)).await {
            tracing::warn!(job = job.id, error = %e, "recording a job failed");
        }
        return;
    };
    let outcome = kind.run(job).await;
    let (id, name, attempt) = (job.id, kind.name(), job.attempts);
    match &outcome {
        Outcome::Done { what } => tracing::info!(job = id, kind = name, attempt, "{what}"),
        Outcome::Dropped { why } => {
            tracing::debug!(job = id, kind = name, attempt, "nothing to do: {why}")
        }
        Outcome::RetryLater { error } => {
            tracing::warn!(job = id, kind = name, attempt, %error, "will be retried")
        }
        Outcome::Failed { error } => {
            tracing::error!(job = id, kind = name, attempt, %error, "failed")
        }
        Outcome::Unrecorded { error } => tracing::warn!(
            job = id, kind = name, attempt, %error,
            "outcome not recorded; the job runs again when its lease expires"
        ),
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
