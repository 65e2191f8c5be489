//! Click redirects: a variant's links get one code each, created once and reused; only links
//! the variant's text holds get one; clicks count people and bots apart, and concurrent clicks
//! never lose a count, in `link_clicks` or in Numbers' rollups.

use std::collections::BTreeSet;

use chorus_core::audit::Author;
use chorus_core::links::LinkCode;
use chorus_core::numbers::{Dimension, Grain, Metric};
use chorus_store::{RollupQuery, Store, StoreError, StoryInput, VariantInput};

/// A market, an account and one story per body, each with one variant; answers the variants.
async fn variants(store: &Store, bodies: &[&str]) -> Vec<i64> {
    let (market, account) = crate::support::finland_with_account(store).await;
    let writer = crate::support::user(store, "writer@example.com", vec![]).await;
    let sys = Author::user(writer, "writer@example.com");
    let mut out = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        let story = store
            .create_story(
                &sys,
                &StoryInput {
                    market_id: market,
                    campaign_id: None,
                    title: format!("Story {i}"),
                    brief: String::new(),
                    principles: vec![],
                },
            )
            .await
            .unwrap();
        let v = store
            .save_variant(
                &sys,
                story.id,
                None,
                &VariantInput {
                    account_id: account,
                    locale: "fi-FI".into(),
                    body: (*body).into(),
                    scheduled_at_ms: None,
                },
            )
            .await
            .unwrap();
        out.push(v.id);
    }
    out
}

const A: &str = "https://x.io/a?utm_source=bluesky&utm_medium=social";
const B: &str = "https://y.io/b";

async fn a_variants_links_get_one_code_each_created_once(store: &Store) {
    let body = format!("Read {A}. And ({B}) and {A} again");
    let vs = variants(store, &[&body, &format!("Same target: {A}")]).await;
    let targets = vec![A.to_owned(), B.to_owned()];

    let first = store.variant_links(vs[0], &targets).await.unwrap();
    assert_eq!(first.len(), 2);
    assert_eq!(
        first.iter().map(|l| l.target.as_str()).collect::<Vec<_>>(),
        [A, B]
    );
    assert!(first.iter().all(|l| l.variant_id == vs[0]));
    for l in &first {
        assert!(LinkCode::parse(&l.code).is_ok(), "{}", l.code);
    }
    assert_ne!(first[0].code, first[1].code);

    // A retry gets the same codes, in the order asked.
    let again = store.variant_links(vs[0], &targets).await.unwrap();
    assert_eq!(again, first);
    let reversed = store
        .variant_links(vs[0], &[B.to_owned(), A.to_owned()])
        .await
        .unwrap();
    assert_eq!(reversed, vec![first[1].clone(), first[0].clone()]);

    // Another variant with the same target has its own code.
    let other = store.variant_links(vs[1], &[A.to_owned()]).await.unwrap();
    assert_ne!(other[0].code, first[0].code);
    assert_eq!(other[0].variant_id, vs[1]);

    // Found by code; an unknown code is nothing.
    let code = LinkCode::parse(&first[1].code).unwrap();
    assert_eq!(store.link(&code).await.unwrap(), Some(first[1].clone()));
    let unknown = LinkCode::parse("zzzzzzzzzz").unwrap();
    assert_eq!(store.link(&unknown).await.unwrap(), None);

    let clicks = store.link_clicks(vs[0]).await.unwrap();
    assert_eq!(clicks.len(), 2, "no duplicate was made");
    assert!(clicks.iter().all(|c| (c.human, c.bot) == (0, 0)));
}

async fn only_links_the_variant_holds_get_a_code(store: &Store) {
    let vs = variants(store, &[&format!("Only {A} here")]).await;
    for target in [
        "https://evil.test/",
        "https://x.io/a",
        "javascript:alert(1)",
        // The variant's second variant's link, not this one's.
        B,
    ] {
        let err = store
            .variant_links(vs[0], &[A.to_owned(), target.to_owned()])
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Reference(_)), "{target}: {err:?}");
    }
    assert!(
        store.link_clicks(vs[0]).await.unwrap().is_empty(),
        "a refused call creates nothing, not even the held link's code"
    );
    let err = store
        .variant_links(vs[0] + 1000, &[A.to_owned()])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    assert!(
        store.variant_links(vs[0], &[]).await.unwrap().is_empty(),
        "no links, no codes"
    );
}

async fn clicks_count_people_and_bots_apart(store: &Store) {
    let vs = variants(store, &[&format!("{A} {B}")]).await;
    let links = store
        .variant_links(vs[0], &[A.to_owned(), B.to_owned()])
        .await
        .unwrap();
    let (a, b) = (links[0].id, links[1].id);
    let at = chorus_store::now_ms();
    for (link, bot) in [(a, false), (a, false), (a, true), (b, true), (a, false)] {
        store.record_click(link, bot, at).await.unwrap();
    }
    let counts: Vec<(i64, i64, i64)> = store
        .link_clicks(vs[0])
        .await
        .unwrap()
        .iter()
        .map(|c| (c.link.id, c.human, c.bot))
        .collect();
    assert_eq!(counts, [(a, 3, 1), (b, 0, 1)]);
}

/// 1,000 clicks at once, from as many tasks, through the pool: every one is counted.
async fn concurrent_clicks_are_all_counted(store: &Store) {
    let vs = variants(store, &[A]).await;
    let link = store.variant_links(vs[0], &[A.to_owned()]).await.unwrap()[0].clone();
    let at = chorus_store::now_ms();
    let tasks: Vec<_> = (0..1000)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.record_click(link.id, i % 10 == 0, at + i).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let c = &store.link_clicks(vs[0]).await.unwrap()[0];
    assert_eq!((c.human, c.bot), (900, 100));
    // Each person's click is in the rollups too, added in its own transaction: none lost.
    for dim in [Dimension::Post, Dimension::Market, Dimension::Network] {
        let mut q = RollupQuery::new(dim, Grain::Month);
        q.metrics = vec![Metric::Clicks];
        let total: i64 = store
            .rollups(&q)
            .await
            .unwrap()
            .iter()
            .map(|r| r.value)
            .sum();
        assert_eq!(total, 900, "{dim}");
    }

    // Codes made concurrently for one variant are one per target too.
    let vs = variants_more(store, &format!("{A} {B}")).await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(
                async move { store.variant_links(vs, &[A.to_owned(), B.to_owned()]).await },
            )
        })
        .collect();
    let mut seen = BTreeSet::new();
    for t in tasks {
        let links = t.await.unwrap().unwrap();
        seen.insert(links.iter().map(|l| l.code.clone()).collect::<Vec<_>>());
    }
    assert_eq!(seen.len(), 1, "every caller got the same codes: {seen:?}");
}

/// One more story with one variant in the market [`variants`] made.
async fn variants_more(store: &Store, body: &str) -> i64 {
    let writer = store.users(None).await.unwrap()[0].user.id;
    let sys = Author::user(writer, "writer@example.com");
    let market = store.markets().await.unwrap()[0].id;
    let account = store.accounts(None).await.unwrap()[0].id;
    let story = store
        .create_story(
            &sys,
            &StoryInput {
                market_id: market,
                campaign_id: None,
                title: "More".into(),
                brief: String::new(),
                principles: vec![],
            },
        )
        .await
        .unwrap();
    store
        .save_variant(
            &sys,
            story.id,
            None,
            &VariantInput {
                account_id: account,
                locale: "fi-FI".into(),
                body: body.into(),
                scheduled_at_ms: None,
            },
        )
        .await
        .unwrap()
        .id
}

crate::support::conformance_suite!(
    a_variants_links_get_one_code_each_created_once,
    only_links_the_variant_holds_get_a_code,
    clicks_count_people_and_bots_apart,
    concurrent_clicks_are_all_counted,
);
