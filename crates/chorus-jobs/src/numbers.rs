//! Numbers collection: the `collect_numbers` job kind, which keeps itself going, and
//! [`collect_once`], which `chorus numbers collect` also calls.
//!
//! One run measures what is due: every post Chorus published whose next checkpoint has come
//! (`chorus_core::numbers::schedule`), 25 at a time per account through
//! [`chorus_networks::DynNetwork::engagement`] (on Bluesky, `app.bsky.feed.getPosts` on the AppView), with
//! first-hour likes while the post is young, and every account whose followers were last
//! counted a day ago (`DynNetwork::profile`). Each answer is stored as snapshots, the rollups
//! with them (`Store::record_post_snapshots`).
//!
//! **A failed fetch is never recorded**: a failure that may pass (a 429, whose wait is
//! honoured, a 5xx, a timeout) ends the run and the job runs again after the wait, the previous
//! snapshot standing meanwhile; an account whose credentials or address are refused is skipped
//! until the next run; a post the network no longer knows is not measured and is looked at
//! again later (within an hour: the AppView may not have indexed it yet).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chorus_core::numbers::PostCounts;
use chorus_core::numbers::schedule::{CHECKPOINTS, FOLLOWERS_EVERY, next_due};
use chorus_networks::model::{Counts, PostRef, ProfileCounts};
use chorus_networks::{BoxFuture, DynNetworkError, ErrorKind};
use chorus_store::{DuePublication, Job, NewFollowerSnapshot, NewJob, NewPostSnapshot, Store};
use jiff::{SignedDuration, Timestamp};

use crate::backoff;
use crate::connectors::Connectors;
use crate::kinds::{JobKind, Outcome};

/// The job kind.
pub const COLLECT_JOB: &str = "collect_numbers";
/// Its one job's idempotency key: enqueueing it again re-arms the same job.
pub const COLLECT_KEY: &str = "numbers:collect";

/// Posts asked of a network in one call (Bluesky's `getPosts` takes 25; a connector with a
/// smaller limit splits further).
pub const POSTS_PER_CALL: usize = 25;

/// How collection runs.
#[derive(Debug, Clone)]
pub struct CollectSettings {
    /// Between the end of a run and the next (posts fall due at their own times in between).
    pub every: Duration,
    /// Publications read from the store at a time.
    pub batch: i64,
}

impl Default for CollectSettings {
    fn default() -> Self {
        CollectSettings {
            every: Duration::from_secs(300),
            batch: 500,
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Posts measured (snapshots stored).
    pub posts: u64,
    /// Posts the network did not return (deleted there, or not indexed yet): looked at later.
    pub missing: u64,
    /// Accounts whose followers were counted.
    pub accounts: u64,
    /// Calls made to networks.
    pub calls: u64,
    /// Accounts skipped for a failure that does not pass by waiting (refused credentials or
    /// address), with the reason.
    pub skipped: Vec<(i64, String)>,
}

/// Why a run stopped early.
#[derive(Debug, thiserror::Error)]
pub enum Stopped {
    /// A network failure that may pass: run again after the wait (the one asked for, if any).
    #[error("{error}")]
    Network {
        kind: ErrorKind,
        error: String,
        report: Report,
    },
    #[error("the database: {0}")]
    Store(#[from] chorus_store::StoreError),
}

impl Stopped {
    /// The wait the network asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Stopped::Network { kind, .. } => kind.retry_after(),
            Stopped::Store(_) => None,
        }
    }
}

fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn add(t: Timestamp, d: SignedDuration) -> Timestamp {
    t.checked_add(d).unwrap_or(t)
}

/// What one failed call means for the run: `Err` stops it (the failure may pass by waiting);
/// `Ok` skips the account (it does not).
fn triage(account: i64, e: DynNetworkError, report: &mut Report) -> Result<(), Stopped> {
    let kind = e.kind();
    if kind.is_retryable() {
        return Err(Stopped::Network {
            kind,
            error: e.to_string(),
            report: std::mem::take(report),
        });
    }
    tracing::warn!(account, error = %e, "skipping the account's numbers until the next run");
    report.skipped.push((account, e.to_string()));
    Ok(())
}

/// The time, as collection reads it: `&Timestamp::now` everywhere but in tests, which run
/// collection as if hours had passed.
pub type Clock = dyn Fn() -> Timestamp + Send + Sync;

/// Measures everything due at the `clock`'s time when it starts (see the module's
/// documentation), stamping each measurement with the `clock`'s time when the answer came;
/// `progress` is called after each stored batch with the report so far.
pub async fn collect_once(
    store: &Store,
    accounts: &Connectors,
    settings: &CollectSettings,
    clock: &Clock,
    progress: &mut (dyn FnMut(&Report) + Send),
) -> Result<Report, Stopped> {
    let now = clock();
    let mut report = Report::default();
    let first = CHECKPOINTS[0].as_millis() as i64;
    let mut skipped: Vec<i64> = Vec::new();
    // Each post at most once per run (a post looked at again later may fall due again before
    // `now` when `now` is ahead of the clock).
    let mut seen: HashSet<i64> = HashSet::new();
    loop {
        let due = store
            .publications_due(ms(now), first, settings.batch)
            .await?;
        let fresh: Vec<DuePublication> = due
            .into_iter()
            .filter(|d| seen.insert(d.variant_id))
            .collect();
        if fresh.is_empty() {
            break;
        }
        let mut by_account: BTreeMap<i64, Vec<DuePublication>> = BTreeMap::new();
        for d in fresh {
            by_account.entry(d.account_id).or_default().push(d);
        }
        for (account, pubs) in by_account {
            let mut done = 0;
            if !skipped.contains(&account) {
                for chunk in pubs.chunks(POSTS_PER_CALL) {
                    match measure_posts(store, accounts, clock, account, chunk, &mut report).await?
                    {
                        Ok(()) => {
                            done += chunk.len();
                            progress(&report);
                        }
                        Err(e) => {
                            triage(account, e, &mut report)?;
                            skipped.push(account);
                            break;
                        }
                    }
                }
            }
            // A skipped account's posts wait an hour, so that they do not stand in front of
            // everyone else's (they are measured, not recorded as anything, when it works).
            let later = ms(add(clock(), SignedDuration::from_hours(1)));
            for d in &pubs[done..] {
                store.postpone_post_snapshot(d.variant_id, later).await?;
            }
        }
    }
    let measured_before = ms(now) - FOLLOWERS_EVERY.as_millis() as i64;
    for due in store.accounts_due_followers(measured_before).await? {
        if skipped.contains(&due.account_id) {
            continue;
        }
        report.calls += 1;
        let actor = due.external_id.clone();
        let got: Result<ProfileCounts, _> = accounts
            .call(due.account_id, |net| {
                let actor = actor.clone();
                Box::pin(async move { net.profile(&actor).await })
                    as BoxFuture<'_, Result<_, DynNetworkError>>
            })
            .await;
        match got {
            Ok(p) => {
                store
                    .record_follower_snapshots(&[NewFollowerSnapshot {
                        account_id: due.account_id,
                        fetched_at_ms: ms(clock()),
                        followers: p.followers.map(|f| f as i64),
                    }])
                    .await?;
                report.accounts += 1;
                progress(&report);
            }
            Err(e) => triage(due.account_id, e, &mut report)?,
        }
    }
    Ok(report)
}

/// Measures up to [`POSTS_PER_CALL`] posts of one account and stores what the network
/// returned. The outer error is the database's (it ends the run); the inner one the network's.
async fn measure_posts(
    store: &Store,
    accounts: &Connectors,
    clock: &Clock,
    account: i64,
    chunk: &[DuePublication],
    report: &mut Report,
) -> Result<Result<(), DynNetworkError>, chorus_store::StoreError> {
    let uris: Vec<String> = chunk.iter().map(|d| d.uri.clone()).collect();
    report.calls += 1;
    let found: Vec<(PostRef, Counts)> = match accounts
        .call(account, |net| {
            let uris = uris.clone();
            Box::pin(async move { net.engagement(&uris).await })
                as BoxFuture<'_, Result<_, DynNetworkError>>
        })
        .await
    {
        Ok(found) => found,
        Err(e) => return Ok(Err(e)),
    };
    let fetched = clock();
    let mut snapshots = Vec::new();
    for d in chunk {
        let published = at(d.published_at_ms);
        let Some((_, c)) = found.iter().find(|(r, _)| r.uri == d.uri) else {
            // Not indexed yet, or deleted: look again at the next checkpoint, within the hour.
            let later =
                next_due(published, Some(fetched)).min(add(fetched, SignedDuration::from_hours(1)));
            store
                .postpone_post_snapshot(d.variant_id, ms(later))
                .await?;
            report.missing += 1;
            continue;
        };
        let mut counts = PostCounts {
            likes: Some(c.likes as i64),
            reposts: Some(c.reposts as i64),
            replies: Some(c.replies as i64),
            quotes: Some(c.quotes as i64),
            bookmarks: c.bookmarks.map(|b| b as i64),
            first_hour_likes: None,
        };
        // Early velocity: likes of the first hour, counted once the hour is over and while
        // the post is measured at its first checkpoints (later likes may still be undone).
        let hour = add(published, CHECKPOINTS[0]);
        if fetched >= hour && fetched < add(published, CHECKPOINTS[1] + CHECKPOINTS[0]) {
            report.calls += 1;
            let uri = d.uri.clone();
            let first_hour: Option<u64> = match accounts
                .call(account, |net| {
                    let uri = uri.clone();
                    Box::pin(async move { net.likes_between(&uri, published, hour).await })
                        as BoxFuture<'_, Result<_, DynNetworkError>>
                })
                .await
            {
                Ok(n) => n,
                Err(e) => return Ok(Err(e)),
            };
            counts.first_hour_likes = first_hour.map(|n| n as i64);
        }
        snapshots.push(NewPostSnapshot {
            variant_id: d.variant_id,
            fetched_at_ms: ms(fetched),
            counts,
            next_due_ms: ms(next_due(published, Some(fetched))),
        });
    }
    store.record_post_snapshots(&snapshots).await?;
    report.posts += snapshots.len() as u64;
    Ok(Ok(()))
}

/// Queues the collection job to run now, unless it is queued or running already (`chorus
/// serve` calls this at start; the job then keeps itself going).
pub async fn schedule_collection(store: &Store) -> Result<(), chorus_store::StoreError> {
    if let Some(job) = store.job(COLLECT_KEY).await?
        && matches!(
            job.state,
            chorus_store::JobState::Queued | chorus_store::JobState::Running
        )
    {
        return Ok(());
    }
    store
        .enqueue_job(&NewJob {
            kind: COLLECT_JOB,
            key: COLLECT_KEY,
            payload: "{}",
            run_at_ms: chorus_store::now_ms(),
            max_attempts: i64::MAX,
        })
        .await
}

/// The `collect_numbers` job kind: one run of [`collect_once`], then the same job queued again
/// (after [`CollectSettings::every`], or after the wait a failure asks for).
pub struct CollectNumbers {
    store: Store,
    accounts: Arc<Connectors>,
    settings: CollectSettings,
}

impl CollectNumbers {
    pub fn new(store: Store, accounts: Arc<Connectors>, settings: CollectSettings) -> Self {
        CollectNumbers {
            store,
            accounts,
            settings,
        }
    }
}

impl JobKind for CollectNumbers {
    fn name(&self) -> &'static str {
        COLLECT_JOB
    }

    fn run<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let result = collect_once(
                &self.store,
                &self.accounts,
                &self.settings,
                &Timestamp::now,
                &mut |_| {},
            )
            .await;
            let now = chorus_store::now_ms();
            let (run_at, error, outcome) = match result {
                Ok(r) => (
                    now + self.settings.every.as_millis() as i64,
                    None,
                    Outcome::Done {
                        what: format!(
                            "numbers: {} posts and {} accounts measured, {} not found, {} calls",
                            r.posts, r.accounts, r.missing, r.calls
                        ),
                    },
                ),
                Err(e) => {
                    let wait = e
                        .retry_after()
                        .unwrap_or_else(|| backoff::delay(job.attempts));
                    let error = e.to_string();
                    (
                        now + wait.as_millis() as i64,
                        Some(error.clone()),
                        Outcome::RetryLater { error },
                    )
                }
            };
            match self
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

#[cfg(test)]
mod tests;
