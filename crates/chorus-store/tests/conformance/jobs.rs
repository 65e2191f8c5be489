//! The job queue: idempotent enqueueing, exclusive claims under concurrency, leases, retries.

use std::collections::HashSet;

use chorus_core::audit::Author;
use chorus_core::org::MarketInput;
use chorus_core::stories::workflow::{StoryState, Transition};
use chorus_store::{JobState, NewJob, PUBLISH_JOB, Store, StoryInput, VariantInput};

use crate::support;

/// Schedules `n` variants of one story, due now; returns their ids.
pub async fn scheduled_variants(store: &Store, n: usize, due_ms: i64) -> Vec<i64> {
    let sys = Author::system("test");
    let m = store
        .create_market(
            &sys,
            &MarketInput::parse("FI", "Finland", "FI", &["fi-FI".into()], "Europe/Helsinki")
                .unwrap(),
        )
        .await
        .unwrap();
    let author = support::user(store, "writer@example.com", vec![]).await;
    let acct = store
        .connect_account(
            &sys,
            &chorus_store::NewAccount {
                market_id: m.id,
                network: "bluesky",
                handle: "northwind.test",
                external_id: "did:plc:abc",
                service_url: "http://localhost:2583",
                sealed: "sealed-bytes",
            },
        )
        .await
        .unwrap();
    let as_author = Author::user(author, "writer@example.com");
    let story = store
        .create_story(
            &as_author,
            &StoryInput {
                market_id: m.id,
                campaign_id: None,
                title: "Launch".into(),
                brief: "b".into(),
                principles: vec![],
            },
        )
        .await
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..n {
        let v = store
            .save_variant(
                &as_author,
                story.id,
                None,
                &VariantInput {
                    account_id: acct.id,
                    locale: format!("fi-{i}"),
                    body: format!("post {i}"),
                    scheduled_at_ms: Some(due_ms),
                },
            )
            .await
            .unwrap();
        ids.push(v.id);
    }
    let mut s = store.story(story.id).await.unwrap();
    for (t, to) in [
        (Transition::Submit, StoryState::InReview),
        (Transition::Approve, StoryState::Approved),
        (Transition::Schedule, StoryState::Scheduled),
    ] {
        s = store.transition_story(&sys, &s, t, to, None).await.unwrap();
    }
    ids
}

async fn claims_are_exclusive(store: &Store) {
    let now = chorus_store::now_ms();
    let ids = scheduled_variants(store, 30, now - 1000).await;
    let counts = store.queue_counts().await.unwrap();
    assert_eq!(counts.queued, 30);
    // Four workers race for the jobs; each job must be claimed exactly once.
    let mut handles = Vec::new();
    for w in 0..4 {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            let mut got = Vec::new();
            while let Some(job) = store
                .claim_job(&format!("w{w}"), &[PUBLISH_JOB], 60_000)
                .await
                .unwrap()
            {
                got.push(job.key.clone());
            }
            got
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.unwrap());
    }
    assert_eq!(all.len(), 30, "every job claimed once: {all:?}");
    let unique: HashSet<_> = all.iter().collect();
    assert_eq!(unique.len(), 30);
    let expected: HashSet<String> = ids.iter().map(|v| chorus_store::publish_key(*v)).collect();
    assert_eq!(unique, expected.iter().collect());
    assert_eq!(store.queue_counts().await.unwrap().running, 30);
}

async fn leases_expire_and_retries_wait(store: &Store) {
    let now = chorus_store::now_ms();
    scheduled_variants(store, 1, now - 10).await;
    let job = store
        .claim_job("dead-worker", &[PUBLISH_JOB], 50)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.attempts, 1);
    assert!(
        store
            .claim_job("other", &[PUBLISH_JOB], 50)
            .await
            .unwrap()
            .is_none(),
        "leased"
    );
    tokio::time::sleep(std::time::Duration::from_millis(80)).await;
    let again = store
        .claim_job("other", &[PUBLISH_JOB], 60_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.id, job.id, "an expired lease is claimed again");
    assert_eq!(again.attempts, 2);
    let status = store.job(&job.key).await.unwrap().unwrap();
    assert_eq!(
        (status.state, status.attempts, status.kind.as_str()),
        (JobState::Running, 2, PUBLISH_JOB)
    );
    assert!(
        !store
            .renew_lease(job.id, "dead-worker", 1000)
            .await
            .unwrap(),
        "the old owner lost it"
    );
    assert!(store.renew_lease(job.id, "other", 1000).await.unwrap());

    store
        .retry_job(job.id, chorus_store::now_ms() + 60_000, "timeout")
        .await
        .unwrap();
    assert!(
        store
            .claim_job("other", &[PUBLISH_JOB], 1000)
            .await
            .unwrap()
            .is_none(),
        "not due yet"
    );
    let due = store.next_job_due(&[PUBLISH_JOB]).await.unwrap().unwrap();
    assert!(due > chorus_store::now_ms());
    assert!(store.run_job_now(&job.key).await.unwrap());
    let job = store
        .claim_job("other", &[PUBLISH_JOB], 1000)
        .await
        .unwrap()
        .unwrap();
    store.finish_job(job.id, true, None).await.unwrap();
    let counts = store.queue_counts().await.unwrap();
    assert_eq!((counts.running, counts.done), (0, 1));
    assert_eq!(store.next_job_due(&[PUBLISH_JOB]).await.unwrap(), None);
}

/// Jobs enqueued on their own (not inside another write), looked up by key through their life,
/// and claimed only by workers that run their kind.
async fn jobs_enqueued_alone_and_looked_up_by_key(store: &Store) {
    assert_eq!(store.job("reply:1").await.unwrap(), None);
    scheduled_variants(store, 1, chorus_store::now_ms() - 10).await;
    let new = |run_at_ms| NewJob {
        kind: "send_reply",
        key: "reply:1",
        payload: r#"{"reply":1}"#,
        run_at_ms,
        max_attempts: 5,
    };
    let later = chorus_store::now_ms() + 60_000;
    store.enqueue_job(&new(later)).await.unwrap();
    let queued = store.job("reply:1").await.unwrap().unwrap();
    assert_eq!(
        (
            queued.state,
            queued.attempts,
            queued.max_attempts,
            queued.run_at_ms
        ),
        (JobState::Queued, 0, 5, later)
    );
    assert_eq!(queued.kind, "send_reply");
    // Enqueueing the same key again re-arms the one job.
    let now = chorus_store::now_ms() - 5;
    store.enqueue_job(&new(now)).await.unwrap();
    assert_eq!(store.job("reply:1").await.unwrap().unwrap().run_at_ms, now);
    assert_eq!(store.queue_counts().await.unwrap().queued, 2);

    let job = store
        .claim_job("w", &["send_reply"], 60_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.key, "reply:1", "only the kinds asked for are claimed");
    assert!(
        store
            .claim_job("w", &["send_reply"], 60_000)
            .await
            .unwrap()
            .is_none(),
        "the publish job is not a send_reply job"
    );
    let running = store.job("reply:1").await.unwrap().unwrap();
    assert_eq!((running.state, running.attempts), (JobState::Running, 1));
    store
        .retry_job(job.id, now, "502 bad gateway")
        .await
        .unwrap();
    let retried = store.job("reply:1").await.unwrap().unwrap();
    assert_eq!(retried.state, JobState::Queued);
    assert_eq!(retried.last_error.as_deref(), Some("502 bad gateway"));
    let job = store
        .claim_job("w", &["send_reply"], 60_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.attempts, 2);
    store
        .finish_job(job.id, false, Some("credentials refused"))
        .await
        .unwrap();
    let failed = store.job("reply:1").await.unwrap().unwrap();
    assert_eq!(failed.state, JobState::Failed);
    assert_eq!(failed.last_error.as_deref(), Some("credentials refused"));
    // A failed job enqueued again starts over.
    store.enqueue_job(&new(now)).await.unwrap();
    let rearmed = store.job("reply:1").await.unwrap().unwrap();
    assert_eq!((rearmed.state, rearmed.attempts), (JobState::Queued, 0));
    assert_eq!(rearmed.id, failed.id);
}

support::conformance_suite!(
    claims_are_exclusive,
    leases_expire_and_retries_wait,
    jobs_enqueued_alone_and_looked_up_by_key
);
