//! Collection's rules with a network of our own standing in (what it decides depends only on
//! the answers' kinds): a failure that may pass stores nothing and stops the run with the wait
//! asked for; a refused account is skipped; a post the network does not return is looked at
//! again later; the job queues itself again after every run. The real AppView is in
//! `tests/pds/numbers.rs`.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex as StdMutex;

use chorus_core::audit::Author;
use chorus_core::org::MarketInput;
use chorus_core::stories::workflow::{StoryState, Transition};
use chorus_core::user::{Email, Membership};
use chorus_networks::DynNetwork;
use chorus_networks::bluesky::SecretKey;
use chorus_networks::model::{NetworkKind, PublishRequest, Published, ReplyTarget, ReplyTo};
use chorus_store::{
    Account, Begin, DatabaseUrl, NewAccount, NewUser, PUBLISH_JOB, StoryInput, VariantInput,
};

use super::*;
use crate::connectors::Connector;

#[derive(Default)]
struct Net {
    counts: StdMutex<HashMap<String, Counts>>,
    /// Failures for the next calls, in order (`None`: answer).
    script: StdMutex<VecDeque<ErrorKind>>,
    calls: StdMutex<Vec<String>>,
}

impl Net {
    fn next(&self, call: &str) -> Result<(), DynNetworkError> {
        self.calls.lock().unwrap().push(call.to_owned());
        match self.script.lock().unwrap().pop_front() {
            Some(kind) => Err(DynNetworkError::other(kind, format!("{call} failed"))),
            None => Ok(()),
        }
    }
}

struct Session(Arc<Net>);

impl DynNetwork for Session {
    fn network(&self) -> NetworkKind {
        NetworkKind::Webhook
    }
    fn publish<'a>(
        &'a self,
        _request: &'a PublishRequest,
    ) -> BoxFuture<'a, Result<Published, DynNetworkError>> {
        Box::pin(async { Err(DynNetworkError::other(ErrorKind::Invalid, "no publishing")) })
    }
    fn reply_to<'a>(
        &'a self,
        _target: &'a ReplyTarget,
    ) -> BoxFuture<'a, Result<ReplyTo, DynNetworkError>> {
        Box::pin(async { Err(DynNetworkError::other(ErrorKind::Invalid, "no replies")) })
    }
    fn delete<'a>(&'a self, _uri: &'a str) -> BoxFuture<'a, Result<(), DynNetworkError>> {
        Box::pin(async { Ok(()) })
    }
    fn engagement<'a>(
        &'a self,
        uris: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<(PostRef, Counts)>, DynNetworkError>> {
        Box::pin(async move {
            self.0.next("engagement")?;
            let counts = self.0.counts.lock().unwrap();
            Ok(uris
                .iter()
                .filter_map(|u| {
                    let c = counts.get(u)?;
                    let r = PostRef {
                        uri: u.clone(),
                        cid: String::new(),
                    };
                    Some((r, *c))
                })
                .collect())
        })
    }
    fn likes_between<'a>(
        &'a self,
        _uri: &'a str,
        _from: Timestamp,
        _until: Timestamp,
    ) -> BoxFuture<'a, Result<Option<u64>, DynNetworkError>> {
        Box::pin(async move {
            self.0.next("likes")?;
            Ok(Some(2))
        })
    }
    fn profile<'a>(
        &'a self,
        _actor: &'a str,
    ) -> BoxFuture<'a, Result<ProfileCounts, DynNetworkError>> {
        Box::pin(async move {
            self.0.next("profile")?;
            Ok(ProfileCounts {
                followers: Some(42),
                ..ProfileCounts::default()
            })
        })
    }
}

struct TestConnector(Arc<Net>);

impl Connector for TestConnector {
    fn network(&self) -> &'static str {
        "testnet"
    }
    fn connect<'a>(
        &'a self,
        _account: &'a Account,
        _sealed: &'a str,
        _key: &'a SecretKey,
    ) -> BoxFuture<'a, Result<Arc<dyn DynNetwork>, DynNetworkError>> {
        Box::pin(async move { Ok(Arc::new(Session(self.0.clone())) as Arc<dyn DynNetwork>) })
    }
}

struct Fixture {
    store: Store,
    net: Arc<Net>,
    accounts: Arc<Connectors>,
    account: i64,
    variants: Vec<i64>,
    _dir: tempfile::TempDir,
}

/// `n` variants published on "testnet" as `test://post/{variant}`.
async fn fixture(n: usize) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&DatabaseUrl::sqlite_in(dir.path()))
        .await
        .unwrap();
    let sys = Author::system("test");
    let m = store
        .create_market(
            &sys,
            &MarketInput::parse("FI", "Finland", "FI", &["fi-FI".into()], "Europe/Helsinki")
                .unwrap(),
        )
        .await
        .unwrap();
    let writer = store
        .create_user(
            &sys,
            &NewUser {
                email: Email::parse("w@example.com").unwrap(),
                display_name: "W".into(),
                password_hash: None,
                memberships: vec![Membership::new(chorus_core::Role::Editor, Some(m.id)).unwrap()],
            },
        )
        .await
        .unwrap();
    let account = store
        .connect_account(
            &sys,
            &NewAccount {
                market_id: m.id,
                network: "testnet",
                handle: "brand",
                external_id: "did:test:brand",
                service_url: "http://localhost",
                sealed: "sealed",
            },
        )
        .await
        .unwrap()
        .id;
    let author = Author::user(writer.id, "w@example.com");
    let story = store
        .create_story(
            &author,
            &StoryInput {
                market_id: m.id,
                campaign_id: None,
                title: "S".into(),
                brief: String::new(),
                principles: vec![],
            },
        )
        .await
        .unwrap();
    for i in 0..n {
        let input = VariantInput {
            account_id: account,
            locale: format!("fi-{i}"),
            body: "hello".into(),
            scheduled_at_ms: Some(chorus_store::now_ms()),
        };
        store
            .save_variant(&author, story.id, None, &input)
            .await
            .unwrap();
    }
    let mut s = story;
    for (t, to) in [
        (Transition::Submit, StoryState::InReview),
        (Transition::Approve, StoryState::Approved),
        (Transition::Schedule, StoryState::Scheduled),
    ] {
        s = store.transition_story(&sys, &s, t, to, None).await.unwrap();
    }
    let mut variants = Vec::new();
    while let Some(job) = store.claim_job("w", &[PUBLISH_JOB], 60_000).await.unwrap() {
        let vid = serde_json::from_str::<serde_json::Value>(&job.payload).unwrap()["variant"]
            .as_i64()
            .unwrap();
        assert!(matches!(
            store.begin_publish(&job, vid).await.unwrap(),
            Begin::Work { .. }
        ));
        let uri = format!("test://post/{vid}");
        store.complete_publish(&job, vid, &uri).await.unwrap();
        variants.push(vid);
    }
    variants.sort();
    let net = Arc::new(Net::default());
    let accounts = Arc::new(
        Connectors::new(store.clone(), SecretKey::from_bytes([1; 32]))
            .with(TestConnector(net.clone())),
    );
    Fixture {
        store,
        net,
        accounts,
        account,
        variants,
        _dir: dir,
    }
}

fn counts(likes: u64) -> Counts {
    Counts {
        likes,
        reposts: 1,
        replies: 2,
        quotes: 3,
        bookmarks: None,
    }
}

impl Fixture {
    fn set(&self, i: usize, c: Counts) {
        let uri = format!("test://post/{}", self.variants[i]);
        self.net.counts.lock().unwrap().insert(uri, c);
    }

    fn fail_next(&self, kinds: &[ErrorKind]) {
        self.net
            .script
            .lock()
            .unwrap()
            .extend(kinds.iter().copied());
    }

    async fn collect(&self) -> Result<Report, Stopped> {
        // Two hours from now, when the first checkpoint has come for every post.
        let later = add(Timestamp::now(), SignedDuration::from_hours(2));
        let settings = CollectSettings::default();
        collect_once(
            &self.store,
            &self.accounts,
            &settings,
            &move || later,
            &mut |_| {},
        )
        .await
    }

    async fn likes(&self, i: usize) -> Vec<Option<i64>> {
        let snaps = self.store.post_snapshots(self.variants[i]).await.unwrap();
        snaps.iter().map(|s| s.counts.likes).collect()
    }

    /// Makes every post due now.
    async fn due_now(&self) {
        for v in &self.variants {
            self.store.postpone_post_snapshot(*v, 0).await.unwrap();
        }
    }
}

#[tokio::test]
async fn a_failed_fetch_stores_nothing_and_the_next_run_measures() {
    let f = fixture(3).await;
    f.set(0, counts(5));
    f.set(1, counts(7));
    // A 429 asking for 7 s: nothing stored, the run stops with the wait.
    let wait = Duration::from_secs(7);
    f.fail_next(&[ErrorKind::RateLimited {
        retry_after: Some(wait),
    }]);
    let stopped = f.collect().await.unwrap_err();
    assert_eq!(stopped.retry_after(), Some(wait));
    assert!(matches!(stopped, Stopped::Network { .. }), "{stopped}");
    for i in 0..3 {
        assert!(f.likes(i).await.is_empty());
    }
    // Next run: two measured, the third not returned (looked at again within the hour), the
    // account's followers counted.
    let report = f.collect().await.unwrap();
    assert_eq!((report.posts, report.missing, report.accounts), (2, 1, 1));
    assert_eq!(f.likes(0).await, vec![Some(5)]);
    assert_eq!(f.likes(1).await, vec![Some(7)]);
    assert!(f.likes(2).await.is_empty());
    let followers = f.store.follower_snapshots(f.account).await.unwrap();
    assert_eq!(followers[0].followers, Some(42));
    let snap = &f.store.post_snapshots(f.variants[0]).await.unwrap()[0];
    assert_eq!(
        (snap.counts.reposts, snap.counts.bookmarks),
        (Some(1), None)
    );
    // Measured two hours after publication: the first hour's likes, from the network.
    assert_eq!(snap.counts.first_hour_likes, Some(2));
    // Measured two hours in: due next at +24 h; brought forward. A server error now: the
    // previous snapshots stand, unchanged.
    f.due_now().await;
    f.set(0, counts(4));
    f.fail_next(&[ErrorKind::TRANSIENT]);
    assert!(f.collect().await.is_err());
    assert_eq!(f.likes(0).await, vec![Some(5)]);
    // Then it passes: the drop is stored as it is.
    f.collect().await.unwrap();
    assert_eq!(f.likes(0).await, vec![Some(5), Some(4)]);
    // Refused credentials (refused again on a fresh login): the account is skipped, nothing
    // stored, the run ends well, and its posts wait an hour.
    f.due_now().await;
    f.fail_next(&[ErrorKind::Auth, ErrorKind::Auth]);
    let report = f.collect().await.unwrap();
    assert_eq!(report.posts, 0);
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(f.likes(0).await.len(), 2);
    let now = chorus_store::now_ms();
    let due = f.store.publications_due(now + 1000, 0, 10).await.unwrap();
    assert!(due.is_empty(), "{due:?}");
    // An hour after the run's time (two hours ahead of the clock here).
    let hours = |h: i64| now + h * 3_600_000;
    let due = f.store.publications_due(hours(2), 0, 10).await.unwrap();
    assert!(due.is_empty(), "{due:?}");
    let due = f
        .store
        .publications_due(hours(3) + 100_000, 0, 10)
        .await
        .unwrap();
    assert_eq!(due.len(), 3);
}

#[tokio::test]
async fn the_job_queues_itself_again_after_every_run() {
    let f = fixture(1).await;
    f.set(0, counts(3));
    let kind = CollectNumbers::new(
        f.store.clone(),
        f.accounts.clone(),
        CollectSettings::default(),
    );
    schedule_collection(&f.store).await.unwrap();
    schedule_collection(&f.store).await.unwrap();
    f.due_now().await;
    f.fail_next(&[ErrorKind::RateLimited {
        retry_after: Some(Duration::from_secs(30)),
    }]);
    let job = f
        .store
        .claim_job("w", &[COLLECT_JOB], 60_000)
        .await
        .unwrap()
        .unwrap();
    let before = chorus_store::now_ms();
    assert!(matches!(kind.run(&job).await, Outcome::RetryLater { .. }));
    let status = f.store.job(COLLECT_KEY).await.unwrap().unwrap();
    assert_eq!(status.state, chorus_store::JobState::Queued);
    assert!(status.run_at_ms >= before + 30_000, "the wait asked for");
    assert!(f.likes(0).await.is_empty());
    assert!(f.store.run_job_now(COLLECT_KEY).await.unwrap());
    let job = f
        .store
        .claim_job("w", &[COLLECT_JOB], 60_000)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(kind.run(&job).await, Outcome::Done { .. }));
    assert_eq!(f.likes(0).await, vec![Some(3)]);
    let snap = &f.store.post_snapshots(f.variants[0]).await.unwrap()[0];
    assert_eq!(
        snap.counts.first_hour_likes, None,
        "the first hour is not over yet"
    );
    let status = f.store.job(COLLECT_KEY).await.unwrap().unwrap();
    assert_eq!(status.state, chorus_store::JobState::Queued);
    assert_eq!(status.attempts, 0);
    assert!(
        status.run_at_ms >= chorus_store::now_ms() + 290_000,
        "every 5 minutes"
    );
    // Already queued: scheduling it again at start leaves it as it is.
    schedule_collection(&f.store).await.unwrap();
    let again = f.store.job(COLLECT_KEY).await.unwrap().unwrap();
    assert_eq!(again.run_at_ms, status.run_at_ms);
}
