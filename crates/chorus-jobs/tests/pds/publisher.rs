//! Publishing failures: credentials refused, and server errors.

use std::time::Duration;

use chorus_core::stories::workflow::StoryState;
use chorus_store::{JobState, PubState, publish_key};

use crate::peer;
use crate::proxy::{Fault, Proxy};
use crate::seed;

const CREATE: &str = "com.atproto.repo.createRecord";
const LOGIN: &str = "com.atproto.server.createSession";

/// An account connected on a PDS the installation's outbound policy refuses (here: the
/// production policy, and a PDS on loopback): its variants fail at the first attempt, not
/// retried, with a reason that says what to do, and nothing reaches the PDS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pds_the_policy_refuses_fails_the_variants_at_once() {
    let Some(peer) = peer::pds().await else {
        return;
    };
    let proxy = Proxy::start(&peer.pds).await;
    let owner = peer.account("refused").await;
    let app_password = peer.app_password(&owner, "chorus").await;
    let texts = vec![format!("refused #{:08x}", rand::random::<u32>())];
    let seeded = seed::scheduled(&proxy.url, &owner.handle, &app_password, &texts).await;
    proxy.forget();

    let strict = chorus_networks::bluesky::http_client(&chorus_outbound::Builder::new(
        chorus_outbound::Policy::public_only(),
    ))
    .unwrap();
    let worker = seed::start_worker_with(&seeded.store, strict);
    let failed = seed::until(Duration::from_secs(30), || async {
        seeded.variant(0).await.pub_state == PubState::Failed
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    worker.stop().await;
    assert!(failed, "{:?}", seeded.variant(0).await);
    let v = seeded.variant(0).await;
    let error = v.last_error.clone().unwrap_or_default();
    assert!(
        error.contains("does not connect to the account's address") && error.contains("loopback"),
        "{error}"
    );
    let job = seeded
        .store
        .job(&publish_key(seeded.variants[0]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (job.state, job.attempts),
        (JobState::Failed, 1),
        "not retried"
    );
    assert!(proxy.seen(LOGIN).is_empty() && proxy.seen(CREATE).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_app_password_fails_the_variants_at_once_and_tells_their_people() {
    let Some(peer) = peer::pds().await else {
        return;
    };
    let proxy = Proxy::start(&peer.pds).await;
    let owner = peer.account("revoked").await;
    let app_password = peer.app_password(&owner, "chorus").await;
    let n: u32 = rand::random();
    let texts: Vec<String> = (0..3).map(|i| format!("revoked {i} #{n:08x}")).collect();
    let seeded = seed::scheduled(&proxy.url, &owner.handle, &app_password, &texts).await;
    // The owner revokes the app password Chorus was connected with.
    peer.revoke_app_password(&owner, "chorus").await;
    proxy.forget();

    let worker = seed::start_worker(&seeded.store);
    let all_failed = seed::until(Duration::from_secs(30), || async {
        let mut failed = 0;
        for i in 0..texts.len() {
            failed += usize::from(seeded.variant(i).await.pub_state == PubState::Failed);
        }
        failed == texts.len()
    })
    .await;
    // Long enough for a retry storm to show (the first backoff is 1–2 s).
    tokio::time::sleep(Duration::from_secs(3)).await;
    worker.stop().await;
    if !all_failed {
        for (i, id) in seeded.variants.iter().enumerate() {
            eprintln!(
                "variant {i}: {:?}\n  job: {:?}",
                seeded.variant(i).await,
                seeded.store.job(&publish_key(*id)).await
            );
        }
        eprintln!("logins: {:?}", proxy.seen(LOGIN));
    }
    assert!(
        all_failed,
        "every variant of the revoked account is marked failed"
    );

    let store = &seeded.store;
    for (i, id) in seeded.variants.iter().enumerate() {
        let v = seeded.variant(i).await;
        let error = v.last_error.clone().unwrap_or_default();
        assert!(
            error.contains("credentials were refused") && error.contains("reconnect it"),
            "variant {i} says what to do: {error}"
        );
        let job = store.job(&publish_key(*id)).await.unwrap().unwrap();
        assert_eq!(
            (job.state, job.attempts),
            (JobState::Failed, 1),
            "variant {i}: failed at the first attempt, not retried"
        );
        let story = store.story(v.story_id).await.unwrap();
        assert_eq!(story.state, StoryState::Failed);
    }
    let counts = store.queue_counts().await.unwrap();
    assert_eq!((counts.queued, counts.running, counts.failed), (0, 0, 3));
    assert_eq!(
        proxy.seen(LOGIN).len(),
        1,
        "one login for three variants: the refusal is remembered"
    );
    assert!(proxy.seen(CREATE).is_empty(), "nothing was sent to publish");
    assert!(peer.posts(&owner.did).await.is_empty());

    let notes = store.notifications(seeded.writer, 50).await.unwrap();
    let mut titles: Vec<&str> = notes
        .iter()
        .filter(|n| n.message.contains("could not be published") && n.message.contains("reconnect"))
        .filter_map(|n| n.message.split('”').next())
        .collect();
    titles.sort_unstable();
    assert_eq!(
        titles,
        ["“Story 0", "“Story 1", "“Story 2"],
        "the writer is told about each story: {notes:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried_with_growing_waits_and_the_post_published_once() {
    let Some(peer) = peer::pds().await else {
        return;
    };
    let proxy = Proxy::start(&peer.pds).await;
    let owner = peer.account("flaky").await;
    let app_password = peer.app_password(&owner, "chorus").await;
    let text = format!("through server errors #{:08x}", rand::random::<u32>());
    let seeded = seed::scheduled(
        &proxy.url,
        &owner.handle,
        &app_password,
        std::slice::from_ref(&text),
    )
    .await;
    // Each attempt of the job tries createRecord up to three times (checking for the record in
    // between). Attempts 1 and 2 are refused with 500s; in attempt 3 the PDS writes the record
    // but the answer is lost as a 500, and the check finds it.
    let mut faults = vec![Fault::Refuse; 6];
    faults.push(Fault::Lose);
    proxy.arm(CREATE, &faults);

    let worker = seed::start_worker(&seeded.store);
    let published = seed::until(Duration::from_secs(45), || async {
        seeded.variant(0).await.pub_state == PubState::Published
    })
    .await;
    worker.stop().await;
    assert!(
        published,
        "published in the end: {:?}",
        seeded.variant(0).await
    );

    let creates = proxy.seen(CREATE);
    assert_eq!(creates.len(), 7, "{creates:?}");
    assert!(creates.iter().all(|c| c.status == 500));
    // The waits between the job's attempts follow the backoff: 1–2 s, then 2–4 s.
    let first_wait = creates[3].at - creates[2].at;
    let second_wait = creates[6].at - creates[5].at;
    assert!(first_wait >= Duration::from_millis(1_000), "{first_wait:?}");
    assert!(
        second_wait >= Duration::from_millis(2_000),
        "{second_wait:?}"
    );

    let v = seeded.variant(0).await;
    let job = seeded.store.job(&publish_key(v.id)).await.unwrap().unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Done, 3));
    assert_eq!(v.attempts, 3, "three attempts at publishing, one key time");
    assert_eq!(v.last_error, None);
    let records = peer.posts(&owner.did).await;
    let ours: Vec<_> = records.iter().filter(|(_, r)| r["text"] == text).collect();
    assert_eq!(ours.len(), 1, "exactly one record on the PDS: {records:?}");
    assert_eq!(v.published_uri.as_deref(), Some(ours[0].0.as_str()));
    let notes = seeded.store.notifications(seeded.writer, 50).await.unwrap();
    assert!(notes.iter().any(|n| n.message.contains("is published")));
    assert!(!notes.iter().any(|n| n.message.contains("could not")));
}
