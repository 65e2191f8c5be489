//! Webinar reminders, a day and an hour before the start, through the job queue: the
//! `send_webinar_reminders` kind is one job (key `reach:webinar-reminders`) that `chorus serve`
//! queues at start and that queues itself again after each run, every [`EVERY`]. A run is
//! [`send_reminders`] at the current time.
//!
//! **Exactly once, across restarts:** each reminder is queued in the mail outbox under
//! `webinar-reminder:{registration}:{24h|1h}` (`chorus_core::reach::webinar::reminder_key`),
//! whose unique key makes a second enqueue a no-op. A run killed after queueing some reminders
//! and before recording its own end is simply run again: the reminders already queued are not
//! due any more (`Store::reminders_due` leaves out keys in the outbox), and one that slipped
//! through would find its key taken. The outbox's `send_mail` job then delivers each message
//! once (the outbox's own contract).
//!
//! The kind lives here, beside the mails it queues, and is registered by the binary with the
//! worker's other kinds (`chorus-jobs` sits below this crate and cannot reach it).

use std::time::Duration;

use chorus_core::reach::webinar::Reminder;
use chorus_jobs::{JobKind, Outcome};
use chorus_networks::BoxFuture;
use chorus_store::{Job, JobState, NewJob};
use jiff::Timestamp;

use super::webinars::notify;
use super::webinars_mail::Notice;
use crate::{App, Result};

pub const JOB: &str = "send_webinar_reminders";
pub const KEY: &str = "reach:webinar-reminders";

/// How often the job looks for reminders whose time has come.
pub const EVERY: Duration = Duration::from_secs(30);

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RemindersRun {
    /// Reminders whose time had come and that were not in the outbox.
    pub due: usize,
    /// Messages queued now (fewer when someone withdrew or was erased meanwhile).
    pub queued: usize,
}

/// Queues every reminder due at `now` (see the module's contract).
pub async fn send_reminders(app: &App, now: Timestamp) -> Result<RemindersRun> {
    let due = app.store.reminders_due(now).await?;
    let mut run = RemindersRun {
        due: due.len(),
        queued: 0,
    };
    for d in due {
        let Some(n) = app.store.registration_notice(d.registration).await? else {
            continue;
        };
        let notice = match d.reminder {
            Reminder::DayBefore => Notice::Reminder24h,
            Reminder::HourBefore => Notice::Reminder1h,
        };
        run.queued += usize::from(notify(app, &n, notice, now).await?);
    }
    Ok(run)
}

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

/// The kind, holding the use cases' handle (with the public address the mails link to).
pub struct WebinarReminders {
    app: App,
}

impl WebinarReminders {
    pub fn new(app: App) -> Self {
        WebinarReminders { app }
    }
}

impl JobKind for WebinarReminders {
    fn name(&self) -> &'static str {
        JOB
    }

    fn run<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let result = send_reminders(&self.app, Timestamp::now()).await;
            let now = chorus_store::now_ms();
            let (run_at, error, outcome) = match result {
                Ok(r) => (
                    now + EVERY.as_millis() as i64,
                    None,
                    Outcome::Done {
                        what: format!("webinar reminders: {} due, {} queued", r.due, r.queued),
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
