//! Demo accounts (migration 0011): only their stories can be recorded published without
//! publishing, the collector never sees them, their snapshots roll up like any other, and
//! connecting an account makes it real again.

use chorus_core::audit::Author;
use chorus_core::numbers::{Dimension, Grain, Metric, PostCounts};
use chorus_store::{DemoPublication, NewAccount, NewPostSnapshot, RollupQuery, Store, StoreError};

use crate::numbers::{author, world};
use crate::support;

async fn demo_accounts_publish_without_publishing_and_are_never_collected(store: &Store) {
    let sys = Author::system("test");
    let author = author(store).await;
    let w = world(
        store,
        "FI",
        "Europe/Helsinki",
        &["bluesky", "bluesky"],
        &author,
    )
    .await;
    let (demo, real) = (w.accounts[0], w.accounts[1]);
    store.mark_demo_account(&sys, demo).await.unwrap();
    assert!(matches!(
        store.mark_demo_account(&sys, 999_999).await,
        Err(StoreError::NotFound { .. })
    ));
    let marks: Vec<(i64, bool)> = store
        .accounts(None)
        .await
        .unwrap()
        .iter()
        .map(|a| (a.id, a.demo))
        .collect();
    assert!(
        marks.contains(&(demo, true)) && marks.contains(&(real, false)),
        "{marks:?}"
    );

    let at = "2026-03-01T09:00:00Z"
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_millisecond();
    let publication = |variant_id: i64| DemoPublication {
        variant_id,
        uri: format!("at://demo.invalid/app.bsky.feed.post/{variant_id}"),
        published_at_ms: at,
    };
    // A real account's story, a mixed one and a wrong list are refused, nothing written.
    let (real_story, rv) = w.story(store, false, &[], &[1]).await;
    let (mixed_story, mv) = w.story(store, false, &[], &[0, 1]).await;
    let (story, dv) = w.story(store, true, &[], &[0]).await;
    for (s, list) in [
        (real_story, vec![publication(rv[0])]),
        (mixed_story, mv.iter().map(|v| publication(*v)).collect()),
        (story, vec![]),
        (story, vec![publication(rv[0])]),
    ] {
        let got = store.publish_demo_story(&sys, s, &list).await;
        assert!(matches!(got, Err(StoreError::State(_))), "{got:?}");
    }
    for v in rv.iter().chain(&mv).chain(&dv) {
        assert_eq!(store.variant(*v).await.unwrap().published_uri, None);
    }
    store
        .publish_demo_story(&sys, story, &[publication(dv[0])])
        .await
        .unwrap();
    let v = store.variant(dv[0]).await.unwrap();
    assert_eq!(v.published_at_ms, Some(at));
    assert_eq!(
        v.published_uri.as_deref(),
        Some(format!("at://demo.invalid/app.bsky.feed.post/{}", dv[0]).as_str())
    );
    assert_eq!(
        store.story(story).await.unwrap().state.as_str(),
        "published"
    );
    // Once published, never again.
    let again = store
        .publish_demo_story(&sys, story, &[publication(dv[0])])
        .await;
    assert!(matches!(again, Err(StoreError::State(_))), "{again:?}");

    // The collector never sees a demo account's posts or followers.
    assert!(
        store
            .publications_due(i64::MAX / 2, 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let due: Vec<i64> = store
        .accounts_due_followers(i64::MAX / 2)
        .await
        .unwrap()
        .iter()
        .map(|d| d.account_id)
        .collect();
    assert_eq!(due, vec![real]);

    // Its snapshots roll up like any other's.
    store
        .record_post_snapshots(&[NewPostSnapshot {
            variant_id: dv[0],
            fetched_at_ms: at + 3_600_000,
            counts: PostCounts {
                likes: Some(12),
                ..PostCounts::default()
            },
            next_due_ms: at + 86_400_000,
        }])
        .await
        .unwrap();
    let mut q = RollupQuery::new(Dimension::Campaign, Grain::Month);
    q.metrics = vec![Metric::Likes];
    let rows = store.rollups(&q).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].subject.clone(), rows[0].value),
        (w.campaign.to_string(), 12)
    );

    // Connecting the account (again) makes it a real one.
    let a = store.account(demo).await.unwrap();
    let again = store
        .connect_account(
            &sys,
            &NewAccount {
                market_id: a.market_id,
                network: "bluesky",
                handle: &a.handle,
                external_id: "did:plc:real",
                service_url: "http://localhost:2583",
                sealed: "sealed",
            },
        )
        .await
        .unwrap();
    assert_eq!((again.id, again.demo), (demo, false));
}

support::conformance_suite!(demo_accounts_publish_without_publishing_and_are_never_collected,);
