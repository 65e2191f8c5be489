//! Numbers collection on the real local network with its AppView (full mode): Chorus publishes
//! a scheduled variant as one account; another likes, reposts, replies to, quotes it and
//! follows the account through the PDS; after collection the stored counts equal the AppView's
//! `getPosts` (and the followers its `getProfile`); an unlike lowers the count and the drop
//! reaches the rollups; a 429 and a 500 from the AppView (through a proxy in front of it) leave
//! the previous snapshot as it was, and the job runs again, after the wait asked for or a
//! backoff, and measures.

use std::time::Duration;

use chorus_core::numbers::{Dimension, Grain, Metric};
use chorus_jobs::numbers::{
    COLLECT_JOB, COLLECT_KEY, CollectSettings, collect_once, schedule_collection,
};
use chorus_jobs::{Connectors, Outcome, Settings};
use chorus_store::{JobState, PubState, RollupQuery, Store};
use serde_json::{Value, json};

use crate::peer::{self, Peer};
use crate::proxy::{Fault, Proxy};
use crate::seed;

const GET_POSTS: &str = "app.bsky.feed.getPosts";

fn strong(uri: &str, cid: &str) -> Value {
    json!({"uri": uri, "cid": cid})
}

/// The AppView's view of `uri` once `ready` holds for it (it indexes asynchronously), or after
/// 30 s.
async fn appview_post(peer: &Peer, uri: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let mut post = Value::Null;
    for _ in 0..150 {
        let out = peer.appview(GET_POSTS, &format!("uris={uri}")).await;
        post = out["posts"][0].clone();
        if ready(&post) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    post
}

/// What `collect_once` stored last for `variant`, as the AppView's field names.
async fn stored(store: &Store, variant: i64) -> Value {
    let snaps = store.post_snapshots(variant).await.unwrap();
    let c = snaps.last().unwrap().counts;
    json!({"likeCount": c.likes, "repostCount": c.reposts, "replyCount": c.replies,
           "quoteCount": c.quotes, "bookmarkCount": c.bookmarks})
}

fn counts_of(post: &Value) -> Value {
    json!({"likeCount": post["likeCount"], "repostCount": post["repostCount"],
           "replyCount": post["replyCount"], "quoteCount": post["quoteCount"],
           "bookmarkCount": post["bookmarkCount"]})
}

/// Runs collection as if two hours had passed (every post is past its first checkpoint, and
/// its first hour is over).
async fn collect(store: &Store, accounts: &Connectors) -> chorus_jobs::numbers::Report {
    let later = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(2))
        .unwrap();
    collect_once(
        store,
        accounts,
        &CollectSettings::default(),
        &move || later,
        &mut |_| {},
    )
    .await
    .unwrap()
}

/// Claims the collection job as a worker would and runs it.
async fn run_job(store: &Store, kinds: &chorus_jobs::JobKinds) -> Outcome {
    let job = store
        .claim_job("test", &[COLLECT_JOB], 60_000)
        .await
        .unwrap()
        .expect("the collection job is due");
    kinds.get(COLLECT_JOB).unwrap().run(&job).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collected_counts_equal_the_appviews_and_failures_leave_the_last_snapshot() {
    let Some(peer) = peer::full().await else {
        return;
    };
    let appview = peer.appview.clone().unwrap();
    let proxy = Proxy::start(&appview).await;
    let alice = peer.account("nalice").await;
    let bob = peer.account("nbob").await;
    let app_password = peer.app_password(&alice, "chorus").await;
    let text = format!("numbers #{:08x}", rand::random::<u32>());
    let seeded = seed::scheduled(&peer.pds, &alice.handle, &app_password, &[text]).await;
    let store = &seeded.store;
    let variant = seeded.variants[0];

    // Chorus publishes it.
    let worker = seed::start_worker(store);
    let published = seed::until(Duration::from_secs(30), || async {
        seeded.variant(0).await.pub_state == PubState::Published
    })
    .await;
    worker.stop().await;
    assert!(published, "{:?}", seeded.variant(0).await);
    let uri = seeded.variant(0).await.published_uri.unwrap();
    let cid = appview_post(&peer, &uri, |p| p["cid"].is_string()).await["cid"]
        .as_str()
        .unwrap()
        .to_owned();
    let subject = strong(&uri, &cid);

    // Bob likes, reposts, replies, quotes and follows.
    let now = || jiff::Timestamp::now().to_string();
    let (like, _) = peer
        .create(
            &bob,
            "app.bsky.feed.like",
            json!({"subject": subject, "createdAt": now()}),
        )
        .await;
    peer.create(
        &bob,
        "app.bsky.feed.repost",
        json!({"subject": subject, "createdAt": now()}),
    )
    .await;
    peer.create(
        &bob,
        "app.bsky.feed.post",
        json!({"text": "a reply", "createdAt": now(),
        "reply": {"root": subject, "parent": subject}}),
    )
    .await;
    peer.create(
        &bob,
        "app.bsky.feed.post",
        json!({"text": "a quote", "createdAt": now(),
        "embed": {"$type": "app.bsky.embed.record", "record": subject}}),
    )
    .await;
    peer.create(
        &bob,
        "app.bsky.graph.follow",
        json!({"subject": alice.did, "createdAt": now()}),
    )
    .await;
    let theirs = appview_post(&peer, &uri, |p| {
        p["likeCount"] == 1 && p["repostCount"] == 1 && p["replyCount"] == 1 && p["quoteCount"] == 1
    })
    .await;
    assert_eq!(
        theirs["likeCount"], 1,
        "the AppView indexed the like: {theirs}"
    );
    for _ in 0..150 {
        let p = peer
            .appview("app.bsky.actor.getProfile", &format!("actor={}", alice.did))
            .await;
        if p["followersCount"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Collection through the proxy in front of the AppView.
    let settings = Settings {
        bluesky_appview: Some(proxy.url.clone()),
        ..Settings::default()
    };
    let accounts = Connectors::standard_with(store.clone(), seed::key(), peer::http(), &settings);
    let report = collect(store, &accounts).await;
    assert_eq!(
        (report.posts, report.accounts, report.missing),
        (1, 1, 0),
        "{report:?}"
    );
    assert_eq!(stored(store, variant).await, counts_of(&theirs));
    assert!(!proxy.seen(GET_POSTS).is_empty(), "read from the AppView");
    // Measured (as if) two hours after publication: bob's like was in the first hour.
    let first = &store.post_snapshots(variant).await.unwrap()[0];
    assert_eq!(first.counts.first_hour_likes, Some(1));
    assert!(!proxy.seen("app.bsky.feed.getLikes").is_empty());
    let profile = peer
        .appview("app.bsky.actor.getProfile", &format!("actor={}", alice.did))
        .await;
    let followers = store.follower_snapshots(seeded.account).await.unwrap();
    assert_eq!(followers.len(), 1);
    assert_eq!(json!(followers[0].followers), profile["followersCount"]);
    assert_eq!(profile["followersCount"], 1);

    // First-hour velocity: getLikes' timestamps on the AppView, by window.
    let published =
        jiff::Timestamp::from_millisecond(seeded.variant(0).await.published_at_ms.unwrap())
            .unwrap();
    let hour = jiff::SignedDuration::from_hours(1);
    let likes_in = |from: jiff::Timestamp, until: jiff::Timestamp| {
        let uri = uri.clone();
        accounts.call(seeded.account, move |net| {
            let uri = uri.clone();
            Box::pin(async move { net.likes_between(&uri, from, until).await })
                as chorus_networks::BoxFuture<'_, _>
        })
    };
    let first_hour = likes_in(published, published.checked_add(hour).unwrap()).await;
    assert_eq!(first_hour.unwrap(), Some(1u64));
    let before = likes_in(published.checked_sub(hour).unwrap(), published).await;
    assert_eq!(before.unwrap(), Some(0u64));

    // An unlike lowers the count; the rollups hold +1 then −1.
    peer.delete(&bob, &like).await;
    let theirs = appview_post(&peer, &uri, |p| p["likeCount"] == 0).await;
    assert_eq!(theirs["likeCount"], 0);
    // Measured two hours in, the post is due next at +24 h: brought forward.
    store.postpone_post_snapshot(variant, 0).await.unwrap();
    collect(store, &accounts).await;
    assert_eq!(stored(store, variant).await, counts_of(&theirs));
    let snaps = store.post_snapshots(variant).await.unwrap();
    let likes: Vec<Option<i64>> = snaps.iter().map(|s| s.counts.likes).collect();
    assert_eq!(likes, vec![Some(1), Some(0)]);
    let mut q = RollupQuery::new(Dimension::Post, Grain::Day);
    q.metrics = vec![Metric::Likes, Metric::Reposts];
    let totals: std::collections::BTreeMap<Metric, i64> = store
        .rollups(&q)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.metric, r.value))
        .collect();
    assert_eq!(
        totals.get(&Metric::Likes).copied().unwrap_or(0),
        0,
        "+1 − 1"
    );
    assert_eq!(totals.get(&Metric::Reposts), Some(&1));

    // The job, with a 429 and then a 500 from the AppView: nothing stored, the job queued
    // again (after the 1 s asked for; after a backoff), then it measures.
    let kinds = chorus_jobs::kinds_with(
        store,
        seed::key(),
        peer::http(),
        chorus_core::links::PublicBase::parse("http://localhost:8080").unwrap(),
        &settings,
    );
    schedule_collection(store).await.unwrap();
    for fault in [Fault::RateLimit, Fault::Refuse] {
        store.postpone_post_snapshot(variant, 0).await.unwrap();
        // The job's next run (5 minutes after the last) is brought forward.
        store.run_job_now(COLLECT_KEY).await.unwrap();
        proxy.arm(GET_POSTS, &[fault]);
        let before = store.post_snapshots(variant).await.unwrap();
        let t0 = chorus_store::now_ms();
        let outcome = run_job(store, &kinds).await;
        assert!(
            matches!(outcome, Outcome::RetryLater { .. }),
            "{fault:?}: {outcome:?}"
        );
        assert_eq!(
            store.post_snapshots(variant).await.unwrap(),
            before,
            "{fault:?}"
        );
        let job = store.job(COLLECT_KEY).await.unwrap().unwrap();
        assert_eq!(job.state, JobState::Queued);
        let wait = job.run_at_ms - t0;
        if fault == Fault::RateLimit {
            assert!(
                (1_000..=3_000).contains(&wait),
                "Retry-After: 1 → {wait} ms"
            );
            assert!(
                job.last_error.unwrap_or_default().contains("rate"),
                "{fault:?}"
            );
        } else {
            assert!((500..=3_000).contains(&wait), "first backoff: {wait} ms");
        }
        let last = proxy.seen(GET_POSTS).last().unwrap().status;
        assert_eq!(last, if fault == Fault::RateLimit { 429 } else { 500 });
        // Due again after the wait: the job runs and measures.
        tokio::time::sleep(Duration::from_millis(wait.max(0) as u64 + 50)).await;
        let outcome = run_job(store, &kinds).await;
        assert!(
            matches!(outcome, Outcome::Done { .. }),
            "{fault:?}: {outcome:?}"
        );
        let after = store.post_snapshots(variant).await.unwrap();
        assert_eq!(after.len(), before.len() + 1, "{fault:?}");
        assert_eq!(stored(store, variant).await, counts_of(&theirs));
        let job = store.job(COLLECT_KEY).await.unwrap().unwrap();
        assert_eq!((job.state, job.attempts), (JobState::Queued, 0));
    }
}
