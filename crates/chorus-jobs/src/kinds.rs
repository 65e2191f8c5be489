//! Kinds of background work: the [`JobKind`] trait and the [`JobKinds`] registry a
//! [`Worker`](crate::Worker) is built with.
//!
//! A kind is named by the `kind` column of its jobs and runs one claimed job to an outcome,
//! recording that outcome in the store itself (so it can commit it with the work's effects, as
//! publishing does). The worker claims jobs of every registered kind and knows nothing else
//! about them. Adding a kind (engagement collection, emails, reminders) is a module with a
//! type implementing [`JobKind`], which holds what it needs (the store, the account
//! connectors, a mailer), and one line registering it (see [`crate::standard_kinds`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use chorus_networks::BoxFuture;
use chorus_store::Job;

/// What happened to a job (for the logs and tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The work is done, by this attempt or an earlier one; `what` says what, for the log.
    Done { what: String },
    /// Nothing to do: what the job was for is gone or no longer wanted (a deleted variant, a
    /// story taken off the schedule). The job is finished.
    Dropped { why: String },
    /// Failed for now; the job is queued to run again later.
    RetryLater { error: String },
    /// Failed for good (a permanent error, or out of attempts); the people concerned are told
    /// where the kind has people to tell.
    Failed { error: String },
    /// The outcome could not be recorded (the database is unreachable): the job stays leased
    /// and runs again when its lease expires, which the work's idempotency makes safe.
    Unrecorded { error: String },
}

/// One kind of background work.
pub trait JobKind: Send + Sync + 'static {
    /// The `kind` of its jobs in the queue.
    fn name(&self) -> &'static str;

    /// Runs one claimed job (attempt `job.attempts` of `job.max_attempts`) and records its
    /// outcome in the store: done, queued again for later (`Store::retry_job` or the kind's own
    /// method), or failed. Jobs run at least once: the work must be idempotent.
    fn run<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Outcome>;
}

/// The kinds a worker runs, by name.
#[derive(Clone, Default)]
pub struct JobKinds {
    by_name: BTreeMap<&'static str, Arc<dyn JobKind>>,
}

impl JobKinds {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `kind`; a kind registered under the same name before is replaced.
    pub fn with(mut self, kind: impl JobKind) -> Self {
        self.by_name.insert(kind.name(), Arc::new(kind));
        self
    }

    /// The names of the registered kinds, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        self.by_name.keys().copied().collect()
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn JobKind>> {
        self.by_name.get(name)
    }
}

impl std::fmt::Debug for JobKinds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.by_name.keys()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Named(&'static str, &'static str);

    impl JobKind for Named {
        fn name(&self) -> &'static str {
            self.0
        }
        fn run<'a>(&'a self, _job: &'a Job) -> BoxFuture<'a, Outcome> {
            Box::pin(async move {
                Outcome::Done {
                    what: self.1.to_owned(),
                }
            })
        }
    }

    #[tokio::test]
    async fn kinds_are_found_by_name_and_the_last_registration_wins() {
        let kinds = JobKinds::new()
            .with(Named("send_reply", "a"))
            .with(Named("publish_variant", "b"))
            .with(Named("send_reply", "c"));
        assert_eq!(kinds.names(), ["publish_variant", "send_reply"]);
        let job = Job {
            id: 1,
            kind: "send_reply".into(),
            key: "k".into(),
            payload: "{}".into(),
            run_at_ms: 0,
            attempts: 1,
            max_attempts: 3,
        };
        let kind = kinds.get("send_reply").unwrap();
        assert_eq!(kind.run(&job).await, Outcome::Done { what: "c".into() });
        assert!(kinds.get("send_email").is_none());
    }
}
