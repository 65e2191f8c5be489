//! The store stage's spike check: who is told follows core's rule (`alerted_of_spikes`), so a
//! global community manager hears of a market's spike as its market lead does; an admin does not.

use std::sync::Arc;
use std::time::Duration;

use chorus_core::audit::Author;
use chorus_core::conversations::QueryId;
use chorus_core::user::{Email, Membership};
use chorus_core::{MarketId, Role, UserId};
use chorus_pipeline::Batch;
use chorus_pipeline::pipeline::{Progress, store_stage};
use chorus_store::{NewPost, NewUser, Store};

use crate::support::store_with_queries;

async fn user(store: &Store, email: &str, role: Role, market: Option<MarketId>) -> UserId {
    store
        .create_user(
            &Author::system("test"),
            &NewUser {
                email: Email::parse(email).unwrap(),
                display_name: email.into(),
                password_hash: None,
                memberships: vec![Membership::new(role, market).unwrap()],
            },
        )
        .await
        .unwrap()
        .id
}

fn post(i: usize, at: i64, query: QueryId, market: MarketId) -> NewPost {
    NewPost {
        uri: format!("at://spike/{i}"),
        network: "bluesky".into(),
        author: "did:plc:fan".into(),
        author_handle: None,
        body: "northwind".into(),
        lang: "en".into(),
        sentiment: 0.0,
        labels: Default::default(),
        posted_at_ms: at,
        reply_parent: None,
        reply_root: None,
        quote_of: None,
        cid: None,
        link: None,
        country: None,
        domains: Vec::new(),
        matches: vec![(query, market).into()],
    }
}

#[tokio::test]
async fn a_spike_reaches_the_market_lead_and_a_global_community_manager() {
    let (store, fi, _dir) = store_with_queries(&[("Brand", "northwind")]).await;
    let query = store.listening_queries(Some(fi)).await.unwrap()[0].id;
    let lead = user(&store, "lead@example.com", Role::MarketLead, Some(fi)).await;
    let global_cm = user(&store, "cm@example.com", Role::CommunityManager, None).await;
    let admin = user(&store, "admin@example.com", Role::Admin, None).await;

    // Twelve posts in the current hour against an empty week: a spike.
    let now = chorus_store::now_ms();
    let batch = Batch {
        source: Arc::from("test:spikes"),
        position: "1".into(),
        items: (0..12)
            .map(|i| post(i, now - i as i64, query, fi))
            .collect(),
    };
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    tx.send(batch).await.unwrap();
    drop(tx);
    store_stage(
        store.clone(),
        rx,
        Arc::new(Progress::default()),
        Duration::ZERO,
    )
    .await
    .unwrap();

    assert_eq!(store.spike_alerts(None, 10).await.unwrap().len(), 1);
    for (who, told) in [(lead, 1), (global_cm, 1), (admin, 0)] {
        let notes = store.notifications(who, 10).await.unwrap();
        assert_eq!(notes.len(), told, "user {who}: {notes:?}");
    }
}
