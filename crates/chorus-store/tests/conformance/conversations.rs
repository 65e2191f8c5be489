//! Listening queries, ingest batches (dedup, cursor, volumes) and signals; the inbox is in
//! [`inbox`]. The helpers here (a market, a query, a post) serve both.

use chorus_core::audit::Author;
use chorus_core::conversations::{QueryId, QueryInput, RawQuery};
use chorus_core::org::MarketInput;
use chorus_core::permission::alerted_of_spikes;
use chorus_core::user::Membership;
use chorus_core::{MarketId, Role};
use chorus_store::{AuditQuery, InboxQuery, Labels, NewPost, Store, StoreError};

use crate::support;

mod cluster;
mod inbox;
mod labels;

fn sys() -> Author {
    Author::system("test")
}

async fn market(store: &Store, code: &str) -> MarketId {
    store
        .create_market(
            &sys(),
            &MarketInput::parse(code, code, "FI", &["fi-FI".into()], "Europe/Helsinki").unwrap(),
        )
        .await
        .unwrap()
        .id
}

fn input(market: MarketId, name: &str, query: &str, side: &str) -> QueryInput {
    QueryInput::parse(
        market,
        None,
        &RawQuery {
            name: name.into(),
            query: query.into(),
            side: Some(side.into()),
            ..RawQuery::default()
        },
    )
    .unwrap()
}

const HOUR: i64 = 3_600_000;

fn post(
    uri: &str,
    body: &str,
    at: i64,
    sentiment: f64,
    matches: &[(QueryId, MarketId)],
) -> NewPost {
    NewPost {
        uri: uri.into(),
        network: "bluesky".into(),
        author: "did:plc:author".into(),
        author_handle: Some("author.test".into()),
        body: body.into(),
        lang: "en".into(),
        sentiment,
        labels: Default::default(),
        posted_at_ms: at,
        reply_parent: None,
        reply_root: None,
        quote_of: None,
        cid: None,
        link: None,
        country: None,
        domains: Vec::new(),
        matches: matches.iter().map(|&m| m.into()).collect(),
    }
}

async fn listening_queries_are_audited_and_versioned(store: &Store) {
    let fi = market(store, "FI").await;
    let v0 = store.listening_version().await.unwrap();
    let q = store
        .create_listening_query(&sys(), &input(fi, "Brand", "northwind", "us"))
        .await
        .unwrap();
    assert!(store.listening_version().await.unwrap() > v0);
    let dup = store
        .create_listening_query(&sys(), &input(fi, "Brand", "other", "us"))
        .await
        .unwrap_err();
    assert!(
        matches!(dup, StoreError::AlreadyExists { field: "name", .. }),
        "{dup:?}"
    );
    let mut changed = input(fi, "Brand", "northwind OR #northwind", "us");
    changed.languages = vec!["fi".into(), "sv".into()];
    changed.active = false;
    let v1 = store.listening_version().await.unwrap();
    store
        .update_listening_query(&sys(), q.id, &changed)
        .await
        .unwrap();
    assert!(store.listening_version().await.unwrap() > v1);
    let got = store.listening_query(q.id).await.unwrap();
    assert_eq!(got.languages, ["fi", "sv"]);
    assert!(!got.active);
    assert!(store.active_listening_queries().await.unwrap().is_empty());
    let n = store
        .create_listening_queries(
            &sys(),
            &[
                input(fi, "A", "a", "topic"),
                input(fi, "B", "b", "competitor"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(store.listening_queries(Some(fi)).await.unwrap().len(), 3);
    store.delete_listening_query(&sys(), q.id).await.unwrap();
    let log = store
        .audit_entries(&AuditQuery {
            subject_type: Some("listening_query".into()),
            limit: 50,
            from_ms: None,
            to_ms: None,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "listening_query.delete",
            "listening_query.create",
            "listening_query.create",
            "listening_query.update",
            "listening_query.create"
        ]
    );
    assert_eq!(log[3].before.as_ref().unwrap()["query"], "northwind");
}

async fn ingest_stores_each_post_once_with_its_cursor(store: &Store) {
    let fi = market(store, "FI").await;
    let q = store
        .create_listening_query(&sys(), &input(fi, "Brand", "northwind", "us"))
        .await
        .unwrap();
    let t = 1_700_000_000_000 - 1_700_000_000_000 % HOUR;
    let linked = NewPost {
        country: Some("BR".into()),
        domains: vec!["www.nokia.com".into(), "news.example".into()],
        ..post("at://a/2", "nothing here", t + 10, 0.0, &[])
    };
    let batch = vec![
        post("at://a/1", "northwind rocks", t, 0.6, &[(q.id, fi)]),
        linked,
        post("at://a/1", "northwind rocks (again)", t, 0.6, &[(q.id, fi)]),
        post(
            "at://a/3",
            "northwind again",
            t + HOUR,
            -0.4,
            &[(q.id, fi), (q.id, fi)],
        ),
    ];
    let r = store
        .ingest_batch("file:x", "4", batch.clone())
        .await
        .unwrap();
    assert_eq!((r.stored, r.duplicates, r.conversations), (3, 1, 2));
    assert_eq!(
        store.ingest_cursor("file:x").await.unwrap().as_deref(),
        Some("4")
    );
    assert_eq!(store.ingest_cursor("file:y").await.unwrap(), None);
    // A feed polled with nothing new still moves its cursor.
    store.set_ingest_cursor("file:y", "7").await.unwrap();
    assert_eq!(
        store.ingest_cursor("file:y").await.unwrap().as_deref(),
        Some("7")
    );
    let stored = store.post_by_uri("at://a/1").await.unwrap().unwrap();
    assert_eq!(stored.body, "northwind rocks", "the first copy is kept");
    assert!(store.post_by_uri("at://a/404").await.unwrap().is_none());
    // The same batch again (a restart before the cursor moved): nothing new, counts unchanged.
    let again = store.ingest_batch("file:x", "4", batch).await.unwrap();
    assert_eq!(
        (again.stored, again.duplicates, again.conversations),
        (0, 4, 0)
    );
    assert_eq!(store.ingest_counts().await.unwrap(), (3, 2));
    let vol = store
        .query_volume(q.id, t - HOUR, t + 2 * HOUR)
        .await
        .unwrap();
    assert_eq!(vol, [(t, 1), (t + HOUR, 1)]);
    assert_eq!(
        store.volume_totals().await.unwrap(),
        [("Brand".to_owned(), 2)]
    );
    let recent = store.posts_received_since(0, 0, 10).await.unwrap();
    assert_eq!(recent.len(), 3);
    assert_eq!(recent[0].body, "northwind rocks");
    // What queries match besides the text is kept (the preview matches stored posts).
    assert_eq!(
        (recent[0].country.as_deref(), recent[0].domains.len()),
        (None, 0)
    );
    assert_eq!(recent[1].country.as_deref(), Some("BR"));
    assert_eq!(recent[1].domains, ["www.nokia.com", "news.example"]);
    // The markets of each conversation; a post that is none is absent.
    let ids: Vec<i64> = recent.iter().map(|p| p.id).collect();
    assert_eq!(
        store.markets_of_posts(&ids).await.unwrap(),
        [(ids[0], fi), (ids[2], fi)]
    );
    assert!(store.markets_of_posts(&[]).await.unwrap().is_empty());
    let page = store
        .posts_received_since(0, recent[1].id, 10)
        .await
        .unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(store.prune_unmatched_posts(i64::MAX).await.unwrap(), 1);
    assert_eq!(store.ingest_counts().await.unwrap(), (2, 2));
}

/// The preview window's start without an index on receipt time: a binary search over ids,
/// checked against a plain scan at every edge, with ids missing where posts were pruned.
async fn first_post_received_since_matches_a_scan(store: &Store) {
    assert_eq!(store.first_post_received_since(0).await.unwrap(), None);
    let fi = market(store, "FI").await;
    let q = store
        .create_listening_query(&sys(), &input(fi, "Brand", "northwind", "us"))
        .await
        .unwrap();
    // Seven batches a few milliseconds apart; the third is pruned later except its matched post.
    for b in 0..7 {
        let batch = (0..3)
            .map(|i| {
                let matched = b == 2 && i == 1;
                let m: &[(QueryId, MarketId)] = if matched { &[(q.id, fi)] } else { &[] };
                post(&format!("at://w/{b}/{i}"), "northwind", 0, 0.0, m)
            })
            .collect();
        store
            .ingest_batch("file:w", &b.to_string(), batch)
            .await
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    let all = store.posts_received_since(0, 0, 100).await.unwrap();
    assert_eq!(all.len(), 21);
    let pruned_before = all[9].received_at_ms;
    assert!(all[6].received_at_ms < pruned_before, "batches 3 ms apart");
    // Prune batches 0-2 (ids 1-9) except the matched post: the ids left start with a gap.
    assert_eq!(store.prune_unmatched_posts(pruned_before).await.unwrap(), 8);
    let left = store.posts_received_since(0, 0, 100).await.unwrap();
    assert_eq!(left.len(), 13);
    let mut edges: Vec<i64> = left
        .iter()
        .flat_map(|p| [p.received_at_ms - 1, p.received_at_ms, p.received_at_ms + 1])
        .collect();
    edges.extend([i64::MIN, 0, i64::MAX]);
    for since in edges {
        let scan = left
            .iter()
            .filter(|p| p.received_at_ms >= since)
            .map(|p| p.id)
            .min();
        assert_eq!(
            store.first_post_received_since(since).await.unwrap(),
            scan,
            "since {since}"
        );
        let window: Vec<i64> = store
            .posts_received_since(since, 0, 100)
            .await
            .unwrap()
            .iter()
            .map(|p| p.id)
            .collect();
        let want: Vec<i64> = left
            .iter()
            .filter(|p| p.received_at_ms >= since)
            .map(|p| p.id)
            .collect();
        assert_eq!(window, want, "window since {since}");
    }
}

async fn signals_spikes_and_share_of_voice(store: &Store) {
    let fi = market(store, "FI").await;
    let us = store
        .create_listening_query(&sys(), &input(fi, "Northwind", "northwind", "us"))
        .await
        .unwrap();
    let them = store
        .create_listening_query(&sys(), &input(fi, "Contoso", "contoso", "competitor"))
        .await
        .unwrap();
    let br = market(store, "BR").await;
    let lead = support::user(
        store,
        "lead@example.com",
        vec![Membership::new(Role::MarketLead, Some(fi)).unwrap()],
    )
    .await;
    // Who is told is the caller's rule (core's `alerted_of_spikes`): the market's leads and
    // community managers, global ones included; not another market's, not admins, not analysts,
    // not someone deactivated.
    let global_cm = support::user(
        store,
        "cm@example.com",
        vec![Membership::new(Role::CommunityManager, None).unwrap()],
    )
    .await;
    let mut not_told = Vec::new();
    for (email, m) in [
        (
            "br-lead@example.com",
            Membership::new(Role::MarketLead, Some(br)),
        ),
        ("admin@example.com", Membership::new(Role::Admin, None)),
        ("analyst@example.com", Membership::new(Role::Analyst, None)),
        (
            "gone@example.com",
            Membership::new(Role::MarketLead, Some(fi)),
        ),
    ] {
        not_told.push(support::user(store, email, vec![m.unwrap()]).await);
    }
    let gone = *not_told.last().unwrap();
    store
        .update_user(&sys(), gone, "gone", false)
        .await
        .unwrap();
    let now = chorus_store::now_ms();
    let hour = now - now % HOUR;
    let mut batch = Vec::new();
    // A quiet week: one post a day for `us`, then 12 in the current hour.
    for d in 1..7 {
        batch.push(post(
            &format!("at://s/d{d}"),
            "northwind",
            hour - d * 24 * HOUR,
            0.0,
            &[(us.id, fi)],
        ));
    }
    for i in 0..12 {
        batch.push(post(
            &format!("at://s/now{i}"),
            "northwind!",
            hour + i,
            0.0,
            &[(us.id, fi)],
        ));
    }
    for i in 0..4 {
        batch.push(post(
            &format!("at://s/c{i}"),
            "contoso",
            hour + i,
            0.0,
            &[(them.id, fi)],
        ));
    }
    let r = store.ingest_batch("s", "1", batch).await.unwrap();
    assert_eq!(r.recent, 16);
    let hook = store
        .create_webhook(
            &sys(),
            &chorus_store::EndpointInput {
                name: "Chat",
                url: "https://chat.example.com/in",
                market_id: Some(fi),
                events: &["signals.spike"],
                enabled: true,
            },
            "salt",
        )
        .await
        .unwrap();
    let alerts = store
        .detect_spikes(now - 2 * HOUR, alerted_of_spikes)
        .await
        .unwrap();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let heard = store.webhook_deliveries(hook.id, 10).await.unwrap();
    assert_eq!(heard.len(), 1, "the spike's event, with its alert");
    assert_eq!(heard[0].event_type, "signals.spike");
    assert_eq!((alerts[0].query_id, alerts[0].volume), (us.id, 12));
    assert!(
        store
            .detect_spikes(now - 2 * HOUR, alerted_of_spikes)
            .await
            .unwrap()
            .is_empty(),
        "once"
    );
    let listed = store.spike_alerts(Some(&[fi]), 10).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(store.spike_alerts(Some(&[]), 10).await.unwrap().is_empty());
    let notes = store.notifications(lead, 10).await.unwrap();
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0].message.contains("Northwind"),
        "{}",
        notes[0].message
    );
    assert_eq!(store.notifications(global_cm, 10).await.unwrap().len(), 1);
    for user in not_told {
        assert!(store.notifications(user, 10).await.unwrap().is_empty());
    }
    let sov = store.share_of_voice(fi, hour, hour + HOUR).await.unwrap();
    let got: Vec<(&str, i64)> = sov.iter().map(|s| (s.name.as_str(), s.posts)).collect();
    assert_eq!(got, [("Northwind", 12), ("Contoso", 4)]);
    assert_eq!(
        store.latest_volume_hour(&[them.id]).await.unwrap(),
        Some(hour)
    );
    assert_eq!(
        store.latest_volume_hour_in_market(fi).await.unwrap(),
        Some(hour)
    );
    let empty = market(store, "EE").await;
    assert_eq!(
        store.latest_volume_hour_in_market(empty).await.unwrap(),
        None
    );
}

/// Migration 0026: the detected language and the source's label are stored apart, with the
/// confidences; the inbox filters on the language the post is filed under; a post without them
/// (as every post stored before 0026) reads back `None`.
async fn detected_and_source_languages_are_kept_apart(store: &Store) {
    let fi = market(store, "FI").await;
    let q = store
        .create_listening_query(&sys(), &input(fi, "Brand", "northwind", "us"))
        .await
        .unwrap();
    let labelled = NewPost {
        lang: "en".into(),
        labels: Labels {
            detected_lang: Some("en".into()),
            source_lang: Some("es".into()),
            lang_confidence: Some(0.97),
            sentiment_confidence: Some(0.81),
        },
        ..post("at://l/1", "northwind is great", 1_000, 0.6, &[(q.id, fi)])
    };
    let bare = NewPost {
        lang: "fi".into(),
        ..post("at://l/2", "northwind on hyvä", 2_000, 0.6, &[(q.id, fi)])
    };
    store
        .ingest_batch("file:l", "2", vec![labelled.clone(), bare])
        .await
        .unwrap();
    let got = store.post_by_uri("at://l/1").await.unwrap().unwrap();
    assert_eq!(got.lang, "en");
    assert_eq!(got.labels, labelled.labels);
    assert_eq!(got.labels.disagreeing_source(), Some("es"));
    let old = store.post_by_uri("at://l/2").await.unwrap().unwrap();
    assert_eq!(old.labels, Labels::default());
    assert_eq!(old.labels.disagreeing_source(), None);
    let inbox = |lang: &str| InboxQuery {
        lang: Some(lang.into()),
        limit: 10,
        ..InboxQuery::default()
    };
    let en = store.inbox(&inbox("en")).await.unwrap();
    assert_eq!(en.len(), 1);
    assert_eq!(en[0].post.uri, "at://l/1");
    assert_eq!(
        en[0].post.labels, labelled.labels,
        "the inbox row carries them"
    );
    assert!(store.inbox(&inbox("es")).await.unwrap().is_empty());
}

support::conformance_suite!(
    listening_queries_are_audited_and_versioned,
    ingest_stores_each_post_once_with_its_cursor,
    first_post_received_since_matches_a_scan,
    signals_spikes_and_share_of_voice,
    detected_and_source_languages_are_kept_apart,
);
