//! What several processes coordinate through the database (docs/scale-out.md): the firehose
//! leader's lock, wake-ups when listening queries change, query revisions recorded with
//! matches, writes without a cursor that a redelivery repeats harmlessly, and dead letters.

use std::time::{Duration, Instant};

use chorus_store::{DeadLetter, QueryMatch, Store};

use super::{input, market, post, sys};
use crate::support;

async fn only_one_process_leads_on_postgresql(store: &Store) {
    let first = store.try_lead("firehose:test").await.unwrap();
    assert!(first.is_some(), "nobody leads yet");
    let second = store.try_lead("firehose:test").await.unwrap();
    if store.shared_by_processes() {
        assert!(
            second.is_none(),
            "a second leader while the first holds the lock"
        );
        assert!(
            store.try_lead("firehose:other").await.unwrap().is_some(),
            "another singleton has a lock of its own"
        );
        let mut first = first.unwrap();
        assert!(first.still_held().await);
        drop(first);
        // The server lets go once it notices the connection closed.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if store.try_lead("firehose:test").await.unwrap().is_some() {
                break;
            }
            assert!(Instant::now() < deadline, "the lock outlived its holder");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    } else {
        assert!(second.is_some(), "SQLite is one process: it always leads");
    }
}

async fn query_changes_wake_listeners_and_matches_keep_their_revision(store: &Store) {
    let fi = market(store, "FI").await;
    let mut changes = store.listening_changes().await.unwrap();
    assert_eq!(changes.is_some(), store.shared_by_processes());
    let q = store
        .create_listening_query(&sys(), &input(fi, "Brand", "northwind", "us"))
        .await
        .unwrap();
    let v1 = store.listening_version().await.unwrap();
    assert_eq!(
        q.revision, v1,
        "a new query carries the version its creation made"
    );
    if let Some(rx) = changes.as_mut() {
        let woke = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("a wake-up within 5 s of the commit");
        assert_eq!(woke, Some(v1));
    }
    let edited = store
        .update_listening_query(
            &sys(),
            q.id,
            &input(fi, "Brand", "northwind OR contoso", "us"),
        )
        .await
        .unwrap();
    assert!(edited.revision > q.revision);
    assert_eq!(
        store.listening_query(q.id).await.unwrap().revision,
        edited.revision
    );

    // A worker's batch, without a cursor; a redelivery of it stores nothing more.
    let m = |revision| QueryMatch {
        query: q.id,
        market: fi,
        revision,
    };
    let mut a = post("at://a", "northwind", 1_000, 0.5, &[]);
    a.matches = vec![m(q.revision)];
    let mut b = post("at://b", "contoso", 2_000, -0.5, &[]);
    b.matches = vec![m(edited.revision)];
    let first = store
        .ingest_posts(vec![b.clone(), a.clone()])
        .await
        .unwrap();
    assert_eq!((first.stored, first.conversations), (2, 2));
    let again = store.ingest_posts(vec![a, b]).await.unwrap();
    assert_eq!(
        (again.stored, again.duplicates, again.conversations),
        (0, 2, 0)
    );
    assert_eq!(
        store.query_match_revisions(q.id).await.unwrap(),
        vec![(Some(q.revision), 1), (Some(edited.revision), 1)]
    );
    assert_eq!(store.ingest_counts().await.unwrap(), (2, 2));
}

async fn dead_letters_are_kept_once(store: &Store) {
    let letter = DeadLetter {
        stream: "CHORUS_POSTS".into(),
        stream_sequence: 42,
        message_id: Some("at://x#cid".into()),
        subject: "chorus.posts.3".into(),
        payload: "{not json".into(),
        error: "not a post: EOF".into(),
        deliveries: 5,
    };
    store.add_dead_letter(&letter).await.unwrap();
    store.add_dead_letter(&letter).await.unwrap();
    assert_eq!(store.dead_letter_count().await.unwrap(), 1);
    assert_eq!(
        store.dead_letters("CHORUS_POSTS").await.unwrap(),
        vec![letter]
    );
    assert!(store.dead_letters("OTHER").await.unwrap().is_empty());
}

support::conformance_suite!(
    only_one_process_leads_on_postgresql,
    query_changes_wake_listeners_and_matches_keep_their_revision,
    dead_letters_are_kept_once,
);
