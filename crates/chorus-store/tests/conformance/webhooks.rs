//! Outbound webhooks: endpoints are audited (never their secret's salt); an event fans out to
//! the enabled endpoints subscribed to its type and market, each delivery with its job, in the
//! transaction of the change that caused it (a story's workflow and publication here); an
//! attempt moves the log, the delivery, the job and the endpoint's failure count together, and
//! the DISABLE_AFTER_FAILURES-th failure in a row turns the endpoint off.

use chorus_core::MarketId;
use chorus_core::audit::Author;
use chorus_core::org::MarketInput;
use chorus_core::webhooks::{DISABLE_AFTER_FAILURES, EventType};
use chorus_store::{
    AttemptRecord, AttemptResult, AuditQuery, Begin, DeliveryState, EndpointInput, JobState,
    NewEvent, PUBLISH_JOB, Store, StoreError, WEBHOOK_JOB, webhook_job_key,
};

use crate::jobs::scheduled_variants;

fn input<'a>(name: &'a str, market: Option<MarketId>, events: &'a [&'a str]) -> EndpointInput<'a> {
    EndpointInput {
        name,
        url: "https://hooks.example.com/chorus",
        market_id: market,
        events,
        enabled: true,
    }
}

async fn market(store: &Store, code: &str) -> MarketId {
    store
        .create_market(
            &Author::system("test"),
            &MarketInput::parse(code, code, code, &["en-GB".into()], "Europe/London").unwrap(),
        )
        .await
        .unwrap()
        .id
}

async fn claim(store: &Store) -> chorus_store::Job {
    store
        .claim_job("w", &[WEBHOOK_JOB], 30_000)
        .await
        .unwrap()
        .expect("a webhook job is due")
}

fn delivery_of(job: &chorus_store::Job) -> i64 {
    serde_json::from_str::<serde_json::Value>(&job.payload).unwrap()["delivery"]
        .as_i64()
        .unwrap()
}

async fn endpoints_are_audited_without_their_salt(store: &Store) {
    let admin = Author::system("test");
    let se = market(store, "SE").await;
    let created = store
        .create_webhook(
            &admin,
            &input("CRM", Some(se), &["story.approved"]),
            "salt-1",
        )
        .await
        .unwrap();
    assert_eq!(created.name, "CRM");
    assert_eq!(created.market_id, Some(se));
    assert_eq!(created.events, ["story.approved"]);
    assert_eq!(created.secret_salt, "salt-1");
    assert!(created.enabled);
    let off = store
        .update_webhook(
            &admin,
            created.id,
            &EndpointInput {
                enabled: false,
                ..input("CRM (old)", None, &["story.approved", "story.published"])
            },
        )
        .await
        .unwrap();
    assert!(!off.enabled);
    assert_eq!(off.market_id, None);
    assert_eq!(
        off.disabled_reason.as_deref(),
        Some("turned off by an admin")
    );
    assert_eq!(off.events, ["story.approved", "story.published"]);
    let rotated = store
        .rotate_webhook_secret(&admin, created.id, "salt-2")
        .await
        .unwrap();
    assert_eq!(rotated.secret_salt, "salt-2");
    let on = store
        .update_webhook(&admin, created.id, &input("CRM", None, &["story.approved"]))
        .await
        .unwrap();
    assert!(on.enabled && on.disabled_reason.is_none() && on.disabled_at_ms.is_none());
    assert_eq!(store.webhooks().await.unwrap(), vec![on.clone()]);
    assert_eq!(store.webhook(created.id).await.unwrap(), on);
    let entries = store
        .audit_entries(&AuditQuery {
            subject_type: Some("webhook".into()),
            limit: 10,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "webhook.update",
            "webhook.rotate_secret",
            "webhook.update",
            "webhook.create"
        ]
    );
    let text = serde_json::to_string(
        &entries
            .iter()
            .map(|e| (&e.before, &e.after))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert!(!text.contains("salt-"), "the salt is never audited: {text}");
    let missing = store
        .update_webhook(&admin, 999_999, &input("x", None, &["story.approved"]))
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "{missing:?}"
    );
    let bad_market = store
        .create_webhook(
            &admin,
            &input("x", Some(MarketId(999_999)), &["story.approved"]),
            "s",
        )
        .await;
    assert!(
        matches!(bad_market, Err(StoreError::Reference(_))),
        "{bad_market:?}"
    );
}

async fn events_fan_out_to_subscribed_enabled_endpoints_of_their_market(store: &Store) {
    let admin = Author::system("test");
    let fi = market(store, "FI").await;
    let se = market(store, "SE").await;
    let nothing = NewEvent {
        kind: EventType::SpikeAlert,
        market: Some(fi),
        data: serde_json::json!({}),
    };
    assert_eq!(store.record_webhook_event(&nothing).await.unwrap(), None);
    assert_eq!(
        store.queue_counts().await.unwrap().queued,
        0,
        "nobody listens"
    );
    let all = store
        .create_webhook(&admin, &input("all", None, &["signals.spike"]), "a")
        .await
        .unwrap();
    let fi_only = store
        .create_webhook(&admin, &input("fi", Some(fi), &["signals.spike"]), "b")
        .await
        .unwrap();
    let se_only = store
        .create_webhook(&admin, &input("se", Some(se), &["signals.spike"]), "c")
        .await
        .unwrap();
    let other_type = store
        .create_webhook(&admin, &input("t", None, &["story.failed"]), "d")
        .await
        .unwrap();
    let off = store
        .create_webhook(
            &admin,
            &EndpointInput {
                enabled: false,
                ..input("off", None, &["signals.spike"])
            },
            "e",
        )
        .await
        .unwrap();
    let id = store.record_webhook_event(&nothing).await.unwrap().unwrap();
    assert!(id.starts_with("evt_"));
    for (endpoint, expected) in [
        (all.id, 1),
        (fi_only.id, 1),
        (se_only.id, 0),
        (other_type.id, 0),
        (off.id, 0),
    ] {
        let got = store.webhook_deliveries(endpoint, 10).await.unwrap();
        assert_eq!(got.len(), expected, "endpoint {endpoint}");
        for d in got {
            assert_eq!(
                (d.event_id.as_str(), d.event_type.as_str()),
                (id.as_str(), "signals.spike")
            );
            assert_eq!(d.state, DeliveryState::Queued);
            let job = store.job(&webhook_job_key(d.id)).await.unwrap().unwrap();
            assert_eq!(
                (job.kind.as_str(), job.state),
                (WEBHOOK_JOB, JobState::Queued)
            );
        }
    }
    let job = claim(store).await;
    let pending = store
        .pending_webhook_delivery(delivery_of(&job))
        .await
        .unwrap()
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(&pending.body).unwrap();
    assert_eq!(body["id"], id.as_str());
    assert_eq!(body["type"], "signals.spike");
    assert_eq!(body["market"], "FI");
    assert!(
        body["created_at"].as_str().unwrap().ends_with('Z'),
        "{body}"
    );
    // A market-less event reaches only the endpoints of every market.
    let global = NewEvent {
        kind: EventType::SpikeAlert,
        market: None,
        data: serde_json::json!({"x": 1}),
    };
    store.record_webhook_event(&global).await.unwrap().unwrap();
    assert_eq!(store.webhook_deliveries(all.id, 10).await.unwrap().len(), 2);
    assert_eq!(
        store
            .webhook_deliveries(fi_only.id, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    // The test event goes to one endpoint, even one that is off and subscribes to nothing of it.
    let (test_id, delivery) = store
        .send_test_webhook(off.id, serde_json::json!({"note": "hi"}))
        .await
        .unwrap();
    let d = store.webhook_deliveries(off.id, 10).await.unwrap();
    assert_eq!((d.len(), d[0].id), (1, delivery));
    assert_eq!(
        (d[0].event_id.as_str(), d[0].event_type.as_str()),
        (test_id.as_str(), "webhook.test")
    );
    assert!(matches!(
        store
            .send_test_webhook(999_999, serde_json::json!({}))
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(
        store
            .pending_webhook_delivery(999_999)
            .await
            .unwrap()
            .is_none()
    );
}

async fn story_events_are_recorded_with_the_change(store: &Store) {
    let admin = Author::system("test");
    let hook = store
        .create_webhook(
            &admin,
            &input(
                "stories",
                None,
                &["story.submitted", "story.approved", "story.published"],
            ),
            "s",
        )
        .await
        .unwrap();
    let now = chorus_store::now_ms();
    let ids = scheduled_variants(store, 1, now - 100).await;
    let types: Vec<String> = store
        .webhook_deliveries(hook.id, 10)
        .await
        .unwrap()
        .into_iter()
        .rev()
        .map(|d| d.event_type)
        .collect();
    assert_eq!(types, ["story.submitted", "story.approved"]);
    let job = store
        .claim_job("w", &[PUBLISH_JOB], 60_000)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        store.begin_publish(&job, ids[0]).await.unwrap(),
        Begin::Work { .. }
    ));
    store
        .complete_publish(&job, ids[0], "at://did:plc:abc/app.bsky.feed.post/3k")
        .await
        .unwrap();
    let latest = &store.webhook_deliveries(hook.id, 1).await.unwrap()[0];
    assert_eq!(latest.event_type, "story.published");
    let job = claim(store).await;
    let mut seen = Vec::new();
    let mut job = Some(job);
    while let Some(j) = job {
        let p = store
            .pending_webhook_delivery(delivery_of(&j))
            .await
            .unwrap()
            .unwrap();
        seen.push(serde_json::from_str::<serde_json::Value>(&p.body).unwrap());
        store
            .webhook_attempted(
                &j,
                p.id,
                &AttemptRecord {
                    attempt: j.attempts,
                    status: Some(204),
                    error: None,
                    duration_ms: 3,
                },
                AttemptResult::Delivered,
            )
            .await
            .unwrap();
        job = store.claim_job("w", &[WEBHOOK_JOB], 30_000).await.unwrap();
    }
    let published = seen
        .iter()
        .find(|b| b["type"] == "story.published")
        .unwrap();
    assert_eq!(published["market"], "FI");
    assert_eq!(published["data"]["variant_id"], ids[0]);
    assert_eq!(published["data"]["state"], "published");
    assert_eq!(
        published["data"]["uri"],
        "at://did:plc:abc/app.bsky.feed.post/3k"
    );
}

async fn attempts_are_logged_and_repeated_failure_turns_the_endpoint_off(store: &Store) {
    let admin = Author::system("test");
    let hook = store
        .create_webhook(&admin, &input("flaky", None, &["story.failed"]), "s")
        .await
        .unwrap();
    let event = NewEvent {
        kind: EventType::StoryFailed,
        market: None,
        data: serde_json::json!({}),
    };
    // One success, then a retry, then a failure for good.
    store.record_webhook_event(&event).await.unwrap();
    let job = claim(store).await;
    let d = delivery_of(&job);
    let rec = |status: Option<i64>, error: Option<&'static str>| AttemptRecord {
        attempt: 1,
        status,
        error,
        duration_ms: 12,
    };
    let at = chorus_store::now_ms() + 60_000;
    let off = store
        .webhook_attempted(
            &job,
            d,
            &rec(Some(500), Some("HTTP 500")),
            AttemptResult::RetryAt(at),
        )
        .await
        .unwrap();
    assert!(!off);
    let status = store.job(&webhook_job_key(d)).await.unwrap().unwrap();
    assert_eq!((status.state, status.run_at_ms), (JobState::Queued, at));
    assert_eq!(
        store.webhook(hook.id).await.unwrap().consecutive_failures,
        1
    );
    store.run_job_now(&webhook_job_key(d)).await.unwrap();
    let job = claim(store).await;
    store
        .webhook_attempted(&job, d, &rec(Some(200), None), AttemptResult::Delivered)
        .await
        .unwrap();
    assert_eq!(
        store.webhook(hook.id).await.unwrap().consecutive_failures,
        0
    );
    let delivered = &store.webhook_deliveries(hook.id, 1).await.unwrap()[0];
    assert_eq!(
        (
            delivered.state,
            delivered.last_status,
            delivered.finished_at_ms.is_some()
        ),
        (DeliveryState::Delivered, Some(200), true)
    );
    let done = store.job(&webhook_job_key(d)).await.unwrap().unwrap();
    assert_eq!(done.state, JobState::Done);
    let log = store.webhook_attempts(hook.id, 10).await.unwrap();
    assert_eq!(
        log.iter().map(|a| a.status).collect::<Vec<_>>(),
        [Some(200), Some(500)],
        "newest first"
    );
    assert_eq!(log[1].error.as_deref(), Some("HTTP 500"));
    assert_eq!(log[0].duration_ms, 12);

    // DISABLE_AFTER_FAILURES failures in a row turn it off, once.
    let mut turned_off = Vec::new();
    for _ in 0..DISABLE_AFTER_FAILURES {
        store.record_webhook_event(&event).await.unwrap();
        let job = claim(store).await;
        let off = store
            .webhook_attempted(
                &job,
                delivery_of(&job),
                &rec(None, Some("connection refused")),
                AttemptResult::Failed,
            )
            .await
            .unwrap();
        turned_off.push(off);
    }
    assert_eq!(turned_off.iter().filter(|o| **o).count(), 1);
    assert!(turned_off[usize::try_from(DISABLE_AFTER_FAILURES).unwrap() - 1]);
    let h = store.webhook(hook.id).await.unwrap();
    assert!(!h.enabled);
    assert!(
        h.disabled_reason
            .unwrap()
            .contains("failed attempts in a row")
    );
    // Off: no new deliveries; one queued before is dropped by its job.
    assert_eq!(store.record_webhook_event(&event).await.unwrap(), None);
    let (_, test) = store
        .send_test_webhook(hook.id, serde_json::json!({}))
        .await
        .unwrap();
    let job = claim(store).await;
    store
        .webhook_dropped(&job, test, "the webhook is turned off")
        .await
        .unwrap();
    let dropped = &store.webhook_deliveries(hook.id, 1).await.unwrap()[0];
    assert_eq!(dropped.state, DeliveryState::Dropped);
    assert_eq!(
        store
            .job(&webhook_job_key(test))
            .await
            .unwrap()
            .unwrap()
            .state,
        JobState::Done
    );
}

async fn the_log_is_pruned_past_its_retention_but_not_what_is_queued(store: &Store) {
    let admin = Author::system("test");
    let hook = store
        .create_webhook(&admin, &input("log", None, &["story.failed"]), "s")
        .await
        .unwrap();
    let event = NewEvent {
        kind: EventType::StoryFailed,
        market: None,
        data: serde_json::json!({}),
    };
    store.record_webhook_event(&event).await.unwrap();
    let job = claim(store).await;
    let record = AttemptRecord {
        attempt: 1,
        status: Some(204),
        error: None,
        duration_ms: 3,
    };
    store
        .webhook_attempted(&job, delivery_of(&job), &record, AttemptResult::Delivered)
        .await
        .unwrap();
    store.record_webhook_event(&event).await.unwrap(); // stays queued
    let now = chorus_store::now_ms();
    assert_eq!(
        store.prune_webhook_log(now - 86_400_000).await.unwrap(),
        chorus_store::PrunedLog::default(),
        "nothing is old enough yet"
    );
    let pruned = store.prune_webhook_log(now + 1_000).await.unwrap();
    assert_eq!(
        (pruned.attempts, pruned.deliveries, pruned.events),
        (1, 1, 1)
    );
    let left = store.webhook_deliveries(hook.id, 10).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(
        left[0].state,
        DeliveryState::Queued,
        "a queued delivery is kept"
    );
    assert!(
        store
            .webhook_attempts(hook.id, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

crate::support::conformance_suite!(
    the_log_is_pruned_past_its_retention_but_not_what_is_queued,
    endpoints_are_audited_without_their_salt,
    events_fan_out_to_subscribed_enabled_endpoints_of_their_market,
    story_events_are_recorded_with_the_change,
    attempts_are_logged_and_repeated_failure_turns_the_endpoint_off,
);
