//! The durable job queue: enqueued in the same transaction as the change that needs it, claimed
//! with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL; a single atomic `UPDATE … RETURNING`
//! on SQLite, whose one writer at a time gives the same exclusivity), retried with backoff.
//!
//! A job runs at least once; the work itself is made idempotent by its key (publishing derives
//! the network's record key from it), so at-least-once running gives exactly-once effects.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::direct::Bind;
use crate::{Backend, Store, StoreError, now_ms};

/// A job as claimed by a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub key: String,
    pub payload: String,
    pub run_at_ms: i64,
    /// Attempts including this one.
    pub attempts: i64,
    pub max_attempts: i64,
}

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    pub kind: &'a str,
    /// Idempotency key: enqueueing the same key again re-arms that job instead of adding one.
    pub key: &'a str,
    pub payload: &'a str,
    pub run_at_ms: i64,
    pub max_attempts: i64,
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Waiting for its time (or for a retry's).
    Queued,
    /// Claimed by a worker, whose lease may have expired (it died): then it is claimed again.
    Running,
    Done,
    /// Given up: a permanent error, or out of attempts.
    Failed,
    Cancelled,
}

impl JobState {
    fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "queued" => JobState::Queued,
            "running" => JobState::Running,
            "done" => JobState::Done,
            "failed" => JobState::Failed,
            "cancelled" => JobState::Cancelled,
            other => {
                return Err(StoreError::Corrupt {
                    what: "job state",
                    message: format!("unknown state {other:?}"),
                });
            }
        })
    }
}

/// A job as it stands, whatever its state (for tests, operators and the crash tests' proof that
/// a job was claimed again after its worker died).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobStatus {
    pub id: i64,
    pub kind: String,
    pub key: String,
    pub state: JobState,
    pub run_at_ms: i64,
    /// Claims so far: a job claimed, abandoned by a dead worker and claimed again counts two.
    pub attempts: i64,
    pub max_attempts: i64,
    pub last_error: Option<String>,
    /// Who holds the lease while it runs (the claiming worker's name; `chorus_jobs::Worker`
    /// names itself host-pid-random), cleared when the job is queued again or ends. A job still
    /// `running` under the name of a process that died was in flight when it died.
    pub lease_owner: Option<String>,
}

/// Counts per state, for metrics and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueCounts {
    pub queued: i64,
    pub running: i64,
    pub done: i64,
    pub failed: i64,
    pub cancelled: i64,
}

/// The statement enqueueing (or re-arming) a job; its parameters are [`NewJob::binds`].
const ENQUEUE: &str = "INSERT INTO jobs (kind, key, payload, run_at, state, attempts, \
     max_attempts, created_at, updated_at) VALUES ($1, $2, $3, $4, 'queued', 0, $5, $6, $6) \
     ON CONFLICT (key) DO UPDATE SET payload = excluded.payload, run_at = excluded.run_at, \
     state = 'queued', attempts = 0, max_attempts = excluded.max_attempts, \
     lease_owner = NULL, lease_until = NULL, last_error = NULL, updated_at = excluded.updated_at \
     WHERE jobs.state IN ('queued', 'cancelled', 'failed')";

impl NewJob<'_> {
    /// [`ENQUEUE`]'s parameters, `now` the time it is written.
    fn binds(&self, now: i64) -> Vec<Bind> {
        vec![
            Bind::S(self.kind.to_owned()),
            Bind::S(self.key.to_owned()),
            Bind::S(self.payload.to_owned()),
            Bind::I(self.run_at_ms),
            Bind::I(self.max_attempts),
            Bind::I(now),
        ]
    }
}

/// Enqueues (or re-arms) a job inside the caller's transaction. A job that is running is left
/// alone; one that is done stays done unless `rearm_done`.
pub(crate) async fn enqueue(conn: &mut AnyConnection, job: &NewJob<'_>) -> Result<(), StoreError> {
    Bind::all_to_sqlx(sqlx::query(ENQUEUE), &job.binds(now_ms()))
        .execute(conn)
        .await?;
    Ok(())
}

/// [`enqueue`] on a direct SQLite connection (inside its transaction).
pub(crate) fn enqueue_direct(
    conn: &rusqlite::Connection,
    job: &NewJob<'_>,
) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(ENQUEUE)?;
    Bind::all_to_rusqlite(&mut stmt, &job.binds(now_ms()))?;
    stmt.raw_execute()?;
    Ok(())
}

/// Cancels a queued job inside the caller's transaction; returns whether one was cancelled.
pub(crate) async fn cancel(conn: &mut AnyConnection, key: &str) -> Result<bool, StoreError> {
    let n = sqlx::query(
        "UPDATE jobs SET state = 'cancelled', updated_at = $1 WHERE key = $2 AND state = 'queued'",
    )
    .bind(now_ms())
    .bind(key)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n > 0)
}

/// Moves a queued job to a new time inside the caller's transaction.
pub(crate) async fn reschedule(
    conn: &mut AnyConnection,
    key: &str,
    run_at_ms: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE jobs SET run_at = $1, updated_at = $2 WHERE key = $3 AND state = 'queued'")
        .bind(run_at_ms)
        .bind(now_ms())
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

fn job_from_row(r: &AnyRow) -> Result<Job, StoreError> {
    Ok(Job {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        key: r.try_get("key")?,
        payload: r.try_get("payload")?,
        run_at_ms: r.try_get("run_at")?,
        attempts: r.try_get("attempts")?,
        max_attempts: r.try_get("max_attempts")?,
    })
}

impl Store {
    /// Enqueues (or re-arms) a job in a transaction of its own, for work that follows no other
    /// write (a reply to retry after a failed first attempt). Work that follows a write is
    /// enqueued inside that write's transaction by the store method making it.
    pub async fn enqueue_job(&self, job: &NewJob<'_>) -> Result<(), StoreError> {
        let mut conn = self.pool().acquire().await?;
        enqueue(&mut conn, job).await
    }

    /// The job with idempotency key `key`, if there is one.
    pub async fn job(&self, key: &str) -> Result<Option<JobStatus>, StoreError> {
        let row = sqlx::query(
            "SELECT id, kind, key, state, run_at, attempts, max_attempts, last_error, \
             lease_owner FROM jobs WHERE key = $1",
        )
        .bind(key)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(JobStatus {
                id: r.try_get("id")?,
                kind: r.try_get("kind")?,
                key: r.try_get("key")?,
                state: JobState::parse(&r.try_get::<String, _>("state")?)?,
                run_at_ms: r.try_get("run_at")?,
                attempts: r.try_get("attempts")?,
                max_attempts: r.try_get("max_attempts")?,
                last_error: r.try_get("last_error")?,
                lease_owner: r.try_get("lease_owner")?,
            })
        })
        .transpose()
    }

    /// Claims the most overdue job of `kinds` that is due (or whose lease expired), leasing it to
    /// `owner` for `lease_ms`.
    pub async fn claim_job(
        &self,
        owner: &str,
        kinds: &[&str],
        lease_ms: i64,
    ) -> Result<Option<Job>, StoreError> {
        let now = now_ms();
        let kinds_list = kinds
            .iter()
            .map(|k| format!("'{}'", k.replace('\'', "")))
            .collect::<Vec<_>>()
            .join(", ");
        let lock = match self.backend {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE jobs SET state = 'running', lease_owner = $1, lease_until = $2, \
             attempts = attempts + 1, updated_at = $3 \
             WHERE id = (SELECT id FROM jobs WHERE kind IN ({kinds_list}) AND \
             ((state = 'queued' AND run_at <= $3) OR (state = 'running' AND lease_until < $3)) \
             ORDER BY run_at, id LIMIT 1 {lock}) \
             RETURNING id, kind, key, payload, run_at, attempts, max_attempts"
        );
        let row = sqlx::query(&sql)
            .bind(owner)
            .bind(now + lease_ms)
            .bind(now)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(job_from_row).transpose()
    }

    /// Extends the lease of a running job this owner holds; false if it lost the lease.
    pub async fn renew_lease(
        &self,
        job: i64,
        owner: &str,
        lease_ms: i64,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND lease_owner = $3 AND state = 'running'",
        )
        .bind(now_ms() + lease_ms)
        .bind(job)
        .bind(owner)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n > 0)
    }

    /// Puts a job back to run again at `run_at_ms` after a transient error.
    pub async fn retry_job(&self, job: i64, run_at_ms: i64, error: &str) -> Result<(), StoreError> {
        let mut conn = self.pool().acquire().await?;
        retry(&mut conn, job, run_at_ms, error).await
    }

    /// Queues a recurring job that this owner's run just ended to run again at `run_at_ms`
    /// (a job that keeps itself going, such as numbers collection, is never done). After a run
    /// that succeeded (`error` is `None`) its attempts start again from 0; after a failure they
    /// are kept, so the next wait can grow. False when the job is no longer this run's (it was
    /// claimed again after its lease expired).
    pub async fn requeue_job(
        &self,
        job: i64,
        owner_run_attempts: i64,
        run_at_ms: i64,
        error: Option<&str>,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "UPDATE jobs SET state = 'queued', run_at = $1, last_error = $2, lease_owner = NULL, \
             lease_until = NULL, attempts = CASE WHEN $3 THEN 0 ELSE attempts END, \
             updated_at = $4 WHERE id = $5 AND state = 'running' AND attempts = $6",
        )
        .bind(run_at_ms)
        .bind(error)
        .bind(error.is_none())
        .bind(now_ms())
        .bind(job)
        .bind(owner_run_attempts)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n > 0)
    }

    /// Marks a job finished (in its own transaction; see the publishing methods for finishing
    /// together with the work's effects).
    pub async fn finish_job(
        &self,
        job: i64,
        ok: bool,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut conn = self.pool().acquire().await?;
        finish(&mut conn, job, ok, error).await
    }

    /// When the next queued job of `kinds` is due, if any.
    pub async fn next_job_due(&self, kinds: &[&str]) -> Result<Option<i64>, StoreError> {
        let kinds_list = kinds
            .iter()
            .map(|k| format!("'{}'", k.replace('\'', "")))
            .collect::<Vec<_>>()
            .join(", ");
        let row = sqlx::query(&format!(
            "SELECT MIN(CASE WHEN state = 'queued' THEN run_at ELSE lease_until END) AS due \
             FROM jobs WHERE kind IN ({kinds_list}) AND state IN ('queued', 'running')"
        ))
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get::<Option<i64>, _>("due")?)
    }

    pub async fn queue_counts(&self) -> Result<QueueCounts, StoreError> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state")
            .fetch_all(self.pool())
            .await?;
        let mut c = QueueCounts::default();
        for r in rows {
            let n: i64 = r.try_get("n")?;
            match r.try_get::<String, _>("state")?.as_str() {
                "queued" => c.queued = n,
                "running" => c.running = n,
                "done" => c.done = n,
                "failed" => c.failed = n,
                "cancelled" => c.cancelled = n,
                _ => {}
            }
        }
        Ok(c)
    }

    /// Makes a queued job due now ("retry now").
    pub async fn run_job_now(&self, key: &str) -> Result<bool, StoreError> {
        let mut conn = self.pool().acquire().await?;
        let n = sqlx::query(
            "UPDATE jobs SET run_at = $1, updated_at = $1 WHERE key = $2 AND state = 'queued'",
        )
        .bind(now_ms())
        .bind(key)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        Ok(n > 0)
    }
}

/// Puts a running job back to run again at `run_at_ms`, inside the caller's transaction.
pub(crate) async fn retry(
    conn: &mut AnyConnection,
    job: i64,
    run_at_ms: i64,
    error: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE jobs SET state = 'queued', run_at = $1, last_error = $2, lease_owner = NULL, \
         lease_until = NULL, updated_at = $3 WHERE id = $4 AND state = 'running'",
    )
    .bind(run_at_ms)
    .bind(error)
    .bind(now_ms())
    .bind(job)
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) async fn finish(
    conn: &mut AnyConnection,
    job: i64,
    ok: bool,
    error: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE jobs SET state = $1, last_error = $2, lease_owner = NULL, lease_until = NULL, \
         updated_at = $3 WHERE id = $4",
    )
    .bind(if ok { "done" } else { "failed" })
    .bind(error)
    .bind(now_ms())
    .bind(job)
    .execute(conn)
    .await?;
    Ok(())
}
