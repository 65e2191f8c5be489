//! The `send_numbers_reports` job kind: one job (key `numbers:weekly`) that `chorus serve`
//! queues at start and that queues itself again after each run, every [`EVERY`]. A run is
//! [`send_reports`] at the current time; because each message's outbox key names its market,
//! week and person, running often (or twice, or after a restart) sends each email once.
//!
//! The kind lives here, beside the use case it runs, and is registered by the binary with
//! the worker's other kinds (`chorus-jobs` sits below this crate and cannot reach it).

use std::time::Duration;

use chorus_jobs::{JobKind, Outcome};
use chorus_networks::BoxFuture;
use chorus_store::{Job, JobState, NewJob};
use jiff::Timestamp;

use super::weekly::send_reports;
use crate::{App, Result};

pub const JOB: &str = "send_numbers_reports";
pub const KEY: &str = "numbers:weekly";

/// How often the job looks for markets whose Monday 08:00 has come.
pub const EVERY: Duration = Duration::from_secs(15 * 60);

/// Queues the job to run now, unless it is queued or running already.
pub async fn schedule(app: &App) -> Result<()> {
    if let Some(job) = app.store.job(KEY).await?
        && matches!(job.state, JobState::Queued | JobState::Running)
    {
        return Ok(());
    }
    app.store
        .enqueue_job(&NewJob {
            kind: JOB,
            key: KEY,
            payload: "{}",
            run_at_ms: chorus_store::now_ms(),
            max_attempts: i64::MAX,
        })
        .await?;
    Ok(())
}

/// The kind, holding the use cases' handle (with the public address the emails link to).
pub struct WeeklyReports {
    app: App,
}

impl WeeklyReports {
    pub fn new(app: App) -> Self {
        WeeklyReports { app }
    }
}

impl JobKind for WeeklyReports {
    fn name(&self) -> &'static str {
        JOB
    }

    fn run<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let result = send_reports(&self.app, Timestamp::now()).await;
            let now = chorus_store::now_ms();
            let (run_at, error, outcome) = match result {
                Ok(r) => (
                    now + EVERY.as_millis() as i64,
                    None,
                    Outcome::Done {
                        what: format!(
                            "weekly numbers: {} markets due, {} emails queued, {} queued before",
                            r.markets, r.queued, r.already
                        ),
                    },
                ),
                Err(e) => {
                    let error = e.to_string();
                    (
                        now + chorus_jobs::backoff::delay(job.attempts).as_millis() as i64,
                        Some(error.clone()),
                        Outcome::RetryLater { error },
                    )
                }
            };
            match self
                .app
                .store
                .requeue_job(job.id, job.attempts, run_at, error.as_deref())
                .await
            {
                Ok(_) => outcome,
                Err(e) => Outcome::Unrecorded {
                    error: e.to_string(),
                },
            }
        })
    }
}
