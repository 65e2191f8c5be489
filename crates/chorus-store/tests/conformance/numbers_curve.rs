//! A post's curve as the Numbers post page reads it: `post_snapshots` gives one variant's
//! measurements oldest first whatever order they arrived in, counts not reported as `None`
//! (never 0), and nothing of another variant; a variant never measured has none.

use chorus_core::numbers::PostCounts;
use chorus_store::{NewPostSnapshot, Store};

use crate::numbers::{author, world};
use crate::support;

fn counts(likes: i64, quotes: Option<i64>) -> PostCounts {
    PostCounts {
        likes: Some(likes),
        quotes,
        ..PostCounts::default()
    }
}

async fn a_variants_curve_reads_back_oldest_first_and_alone(store: &Store) {
    let author = author(store).await;
    let w = world(store, "CU", "Europe/Lisbon", &["bluesky"], &author).await;
    let (_, vs) = w.story(store, false, &[], &[0, 0]).await;
    let (v, other) = (vs[0], vs[1]);
    let snap = |variant, at: i64, c| NewPostSnapshot {
        variant_id: variant,
        fetched_at_ms: at,
        counts: c,
        next_due_ms: at + 1,
    };
    assert!(store.post_snapshots(v).await.unwrap().is_empty());
    // Arriving out of order, interleaved with another variant's.
    store
        .record_post_snapshots(&[
            snap(v, 3_000, counts(9, None)),
            snap(other, 2_000, counts(100, Some(1))),
            snap(v, 1_000, counts(2, Some(0))),
        ])
        .await
        .unwrap();
    store
        .record_post_snapshots(&[snap(v, 2_000, counts(5, Some(1)))])
        .await
        .unwrap();
    let curve = store.post_snapshots(v).await.unwrap();
    let got: Vec<(i64, Option<i64>, Option<i64>)> = curve
        .iter()
        .map(|s| (s.fetched_at_ms, s.counts.likes, s.counts.quotes))
        .collect();
    assert_eq!(
        got,
        vec![
            (1_000, Some(2), Some(0)),
            (2_000, Some(5), Some(1)),
            (3_000, Some(9), None),
        ]
    );
    assert!(
        curve
            .iter()
            .all(|s| s.variant_id == v && s.account_id == w.accounts[0])
    );
    assert_eq!(curve[0].counts.reposts, None, "never reported, never 0");
    assert_eq!(store.post_snapshots(other).await.unwrap().len(), 1);
    assert!(store.post_snapshots(v + 1000).await.unwrap().is_empty());
}

support::conformance_suite!(a_variants_curve_reads_back_oldest_first_and_alone,);
