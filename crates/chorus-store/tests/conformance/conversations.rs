//! Listening queries, ingest batches (dedup, cursor, volumes), the inbox's filters and paging,
//! inbox changes with their audit entries, replies and first-response figures, and signals.

use chorus_core::audit::Author;
use chorus_core::conversations::{
    AssigneeFilter, ConversationId, QueryId, QueryInput, RawQuery, Sentiment, Status,
};
use chorus_core::org::{MarketInput, team_name};
use chorus_core::user::Membership;
use chorus_core::{MarketId, Role};
use chorus_store::{AuditQuery, ConversationChange, InboxQuery, NewPost, Store, StoreError};

use crate::support;

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
        posted_at_ms: at,
        reply_parent: None,
        reply_root: None,
        quote_of: None,
        cid: None,
        link: None,
        matches: matches.to_vec(),
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
        matches!(dup, StoreError::Conflict { field: "name", .. }),
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
    let batch = vec![
        post("at://a/1", "northwind rocks", t, 0.6, &[(q.id, fi)]),
        post("at://a/2", "nothing here", t + 10, 0.0, &[]),
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
    let recent = store.posts_received_since(0, 0, 10).await.unwrap();
    assert_eq!(recent.len(), 3);
    assert_eq!(recent[0].body, "northwind rocks");
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

async fn inbox_filters_and_pages(store: &Store) {
    let fi = market(store, "FI").await;
    let br = market(store, "BR").await;
    let team = store
        .create_team(&sys(), fi, &team_name("Care").unwrap())
        .await
        .unwrap();
    let mut owned = input(fi, "Care queries", "care", "topic");
    owned.team_id = Some(team.id);
    let qf = store.create_listening_query(&sys(), &owned).await.unwrap();
    let qb = store
        .create_listening_query(&sys(), &input(br, "Marca", "marca", "us"))
        .await
        .unwrap();
    let t = 1_700_000_000_000;
    let mut batch = Vec::new();
    for i in 0..30 {
        let (q, m) = if i % 3 == 0 { (qb.id, br) } else { (qf.id, fi) };
        let s = [0.5, 0.0, -0.5][i % 3];
        let mut p = post(
            &format!("at://p/{i}"),
            &format!("post {i}"),
            t + i as i64 * 1000,
            s,
            &[(q, m)],
        );
        if i == 29 {
            p.matches.push((qb.id, br));
        }
        p.lang = if i % 2 == 0 { "en".into() } else { "fi".into() };
        batch.push(p);
    }
    store.ingest_batch("s", "30", batch).await.unwrap();
    let all = store
        .inbox(&InboxQuery {
            limit: 100,
            ..InboxQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 30);
    assert_eq!(all[0].post.body, "post 29", "newest first");
    assert_eq!(all[0].queries.len(), 2);
    let fi_only = store
        .inbox(&InboxQuery {
            visible_markets: Some(vec![fi]),
            limit: 100,
            ..InboxQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(fi_only.len(), 20);
    assert!(fi_only.iter().all(|c| c.markets().contains(&fi)));
    let none = store
        .inbox(&InboxQuery {
            visible_markets: Some(vec![]),
            ..InboxQuery::default()
        })
        .await
        .unwrap();
    assert!(none.is_empty());
    let by_team = store
        .inbox(&InboxQuery {
            team: Some(team.id),
            limit: 100,
            ..InboxQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(by_team.len(), 20);
    // By the name of the query that matched: contained, in any case; `%` and `_` are text.
    for (name, want) in [
        ("care", 20),
        ("E Q", 20),
        ("MARCA", 11),
        ("ar", 30),
        ("%", 0),
        ("_", 0),
        ("nothing like it", 0),
    ] {
        let found = store
            .inbox(&InboxQuery {
                query_name: Some(name.into()),
                limit: 100,
                ..InboxQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(found.len(), want, "query_name {name:?}");
    }
    // The filter menu: only the markets asked for, by market and name, at most `limit`.
    let choices = store.query_choices(Some(&[fi]), 10).await.unwrap();
    assert_eq!(
        choices,
        [chorus_store::QueryChoice {
            id: qf.id,
            market_id: fi,
            name: "Care queries".into()
        }]
    );
    let both = store.query_choices(Some(&[fi, br]), 10).await.unwrap();
    assert_eq!(both.len(), 2);
    assert_eq!(store.query_choices(None, 1).await.unwrap().len(), 1);
    assert!(store.query_choices(Some(&[]), 10).await.unwrap().is_empty());
    // The list's pages: by market and name, with the total, searched by name.
    let (page, total) = store
        .listening_queries_page(Some(&[fi, br]), None, 1, 1)
        .await
        .unwrap();
    assert_eq!((page.len(), total), (1, 2));
    assert_eq!(page[0].name, "Marca", "second by market, then name");
    let (page, total) = store
        .listening_queries_page(None, Some("CAR"), 0, 10)
        .await
        .unwrap();
    assert_eq!(total, 1);
    assert_eq!(page[0].id, qf.id);
    let (page, total) = store
        .listening_queries_page(Some(&[br]), Some("_"), 0, 10)
        .await
        .unwrap();
    assert_eq!(
        (page.len(), total),
        (0, 0),
        "_ is a character, not a wildcard"
    );
    let neg_fi_lang = store
        .inbox(&InboxQuery {
            sentiment: Some(Sentiment::Negative),
            lang: Some("fi".into()),
            limit: 100,
            ..InboxQuery::default()
        })
        .await
        .unwrap();
    // i % 3 == 2 and i odd: 5, 11, 17, 23, 29
    let bodies: Vec<&str> = neg_fi_lang.iter().map(|c| c.post.body.as_str()).collect();
    assert_eq!(
        bodies,
        ["post 29", "post 23", "post 17", "post 11", "post 5"]
    );
    // Keyset paging visits every conversation once.
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = store
            .inbox(&InboxQuery {
                before,
                limit: 7,
                ..InboxQuery::default()
            })
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        before = Some((last.post.posted_at_ms, last.id.0));
        seen.extend(page.iter().map(|c| c.id));
    }
    assert_eq!(seen.len(), 30);
    let window = store
        .inbox(&InboxQuery {
            since_ms: Some(t + 10_000),
            until_ms: Some(t + 12_000),
            query: Some(qf.id),
            ..InboxQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        window.len(),
        2,
        "posts 10 and 11 (both found by the FI query)"
    );

    // Changes: bulk status + assignee + tags, audited once per changed conversation.
    let cm = support::user(
        store,
        "cm@example.com",
        vec![Membership::new(Role::CommunityManager, Some(fi)).unwrap()],
    )
    .await;
    let ids: Vec<ConversationId> = fi_only.iter().take(3).map(|c| c.id).collect();
    let n = store
        .change_conversations(
            &sys(),
            &ids,
            &ConversationChange {
                status: Some(Status::Open),
                assignee: Some(Some(cm)),
                add_tags: vec!["complaint".into(), "battery".into()],
                remove_tags: vec![],
            },
        )
        .await
        .unwrap();
    assert_eq!(n, 3);
    let again = store
        .change_conversations(
            &sys(),
            &ids,
            &ConversationChange {
                status: Some(Status::Open),
                ..ConversationChange::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(again, 0, "no change, no audit entry");
    let mine = store
        .inbox(&InboxQuery {
            assignee: Some(AssigneeFilter::User(cm)),
            status: Some(Status::Open),
            tag: Some("battery".into()),
            ..InboxQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(mine.len(), 3);
    assert_eq!(mine[0].tags, ["battery", "complaint"]);
    assert_eq!(mine[0].assignee.as_ref().unwrap().0, cm);
    let unassigned = store
        .inbox(&InboxQuery {
            assignee: Some(AssigneeFilter::Nobody),
            limit: 100,
            ..InboxQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(unassigned.len(), 27);
    store
        .change_conversations(
            &sys(),
            &ids[..1],
            &ConversationChange {
                assignee: Some(None),
                remove_tags: vec!["battery".into()],
                ..ConversationChange::default()
            },
        )
        .await
        .unwrap();
    let note = store
        .add_note(&sys(), ids[0], "Called them back.")
        .await
        .unwrap();
    assert!(note > 0);
    let detail = store.conversation(ids[0]).await.unwrap();
    assert_eq!(detail.row.tags, ["complaint"]);
    assert_eq!(detail.row.assignee, None);
    assert_eq!(detail.notes[0].body, "Called them back.");
    let log = store
        .audit_entries(&AuditQuery {
            subject_type: Some("conversation".into()),
            subject_id: Some(ids[0].to_string()),
            limit: 50,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "conversation.note",
            "conversation.update",
            "conversation.update"
        ]
    );
    assert_eq!(
        log[1].before.as_ref().unwrap()["tags"],
        serde_json::json!(["battery", "complaint"])
    );
    assert_eq!(log[1].market_id, Some(fi));
    let err = store
        .change_conversations(
            &sys(),
            &[ConversationId(999_999)],
            &ConversationChange::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    assert_eq!(
        store.conversation_markets(ids[0]).await.unwrap(),
        [fi, br],
        "post 29 was found in both markets"
    );
}

async fn threads_replies_and_first_response(store: &Store) {
    let fi = market(store, "FI").await;
    let q = store
        .create_listening_query(&sys(), &input(fi, "Brand", "northwind", "us"))
        .await
        .unwrap();
    let t = 1_700_000_000_000;
    let root = post("at://r/root", "northwind question", t, 0.0, &[]);
    let mut mid = post("at://r/mid", "me too, northwind", t + 1, 0.0, &[(q.id, fi)]);
    mid.reply_parent = Some(root.uri.clone());
    mid.reply_root = Some(root.uri.clone());
    let mut leaf = post("at://r/leaf", "same here", t + 2, 0.0, &[]);
    leaf.reply_parent = Some(mid.uri.clone());
    leaf.reply_root = Some(root.uri.clone());
    let other = post("at://r/other", "unrelated", t + 3, 0.0, &[]);
    store
        .ingest_batch("s", "1", vec![root, mid, leaf, other])
        .await
        .unwrap();
    let conv = store
        .inbox(&InboxQuery::default())
        .await
        .unwrap()
        .pop()
        .unwrap();
    let detail = store.conversation(conv.id).await.unwrap();
    let uris: Vec<&str> = detail.thread.iter().map(|p| p.uri.as_str()).collect();
    assert_eq!(uris, ["at://r/root", "at://r/mid", "at://r/leaf"]);

    // A reply: recorded before sending, then sent; first response set once, status waiting.
    let sealed = "sealed-credentials";
    let account = store
        .connect_account(
            &sys(),
            &chorus_store::NewAccount {
                market_id: fi,
                network: "bluesky",
                handle: "northwind-fi.test",
                external_id: "did:plc:us",
                service_url: "http://localhost:2583",
                sealed,
            },
        )
        .await
        .unwrap();
    store.set_response_target(&sys(), fi, 60).await.unwrap();
    assert_eq!(store.response_target(fi).await.unwrap(), Some(60));
    let stats = store.response_stats(None, 0).await.unwrap();
    assert_eq!(stats.len(), 1);
    assert_eq!((stats[0].conversations, stats[0].responded), (1, 0));
    assert_eq!(stats[0].target_minutes, Some(60));
    let reply = store
        .create_reply(&sys(), conv.id, account.id, "Thanks, we're on it!")
        .await
        .unwrap();
    assert_eq!(reply.state, "sending");
    store
        .mark_reply_failed(reply.id, "network down")
        .await
        .unwrap();
    let retried = store.retry_reply(reply.id).await.unwrap();
    assert_eq!(
        retried.publish_at_ms, reply.publish_at_ms,
        "the key stays the same"
    );
    store
        .mark_reply_sent(reply.id, "at://did:plc:us/app.bsky.feed.post/3k", "bafy")
        .await
        .unwrap();
    let detail = store.conversation(conv.id).await.unwrap();
    assert_eq!(detail.row.status, Status::Waiting);
    let first = detail.row.first_response_at_ms.unwrap();
    assert_eq!(detail.replies[0].state, "sent");
    assert_eq!(
        detail.replies[0].uri.as_deref(),
        Some("at://did:plc:us/app.bsky.feed.post/3k")
    );
    let second = store
        .create_reply(&sys(), conv.id, account.id, "Fixed.")
        .await
        .unwrap();
    store
        .mark_reply_sent(second.id, "at://x/2", "bafy2")
        .await
        .unwrap();
    let detail = store.conversation(conv.id).await.unwrap();
    assert_eq!(
        detail.row.first_response_at_ms,
        Some(first),
        "first response kept"
    );
    let stats = store.response_stats(Some(&[fi]), 0).await.unwrap();
    assert_eq!(
        (stats[0].responded, stats[0].within_target, stats[0].overdue),
        (1, 1, 0)
    );
    assert!(stats[0].mean_minutes.unwrap() < 1.0);
    assert!(
        store
            .response_stats(Some(&[MarketId(999)]), 0)
            .await
            .unwrap()
            .is_empty()
    );
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
    let lead = support::user(
        store,
        "lead@example.com",
        vec![Membership::new(Role::MarketLead, Some(fi)).unwrap()],
    )
    .await;
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
    let alerts = store.detect_spikes(now - 2 * HOUR).await.unwrap();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!((alerts[0].query_id, alerts[0].volume), (us.id, 12));
    assert!(
        store
            .detect_spikes(now - 2 * HOUR)
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

support::conformance_suite!(
    listening_queries_are_audited_and_versioned,
    ingest_stores_each_post_once_with_its_cursor,
    first_post_received_since_matches_a_scan,
    inbox_filters_and_pages,
    threads_replies_and_first_response,
    signals_spikes_and_share_of_voice,
);

/// SQLite only: without statistics the planner checked a conversation's market through the
/// market index, scanning every match of the market for each row the inbox lists; after
/// `Store::optimize` it has statistics and finds the row by the conversation's key.
#[tokio::test]
async fn optimize_gives_sqlite_statistics_and_the_inbox_its_key() {
    let (store, dir) = support::sqlite_store().await;
    let fi = market(&store, "FI").await;
    let q = store
        .create_listening_query(&sys(), &input(fi, "Brand", "brand", "us"))
        .await
        .unwrap();
    let batch = (0..200)
        .map(|i| {
            post(
                &format!("at://o/{i}"),
                "brand",
                1_700_000_000_000 + i,
                0.0,
                &[(q.id, fi)],
            )
        })
        .collect();
    store.ingest_batch("s", "200", batch).await.unwrap();

    let db = rusqlite::Connection::open(dir.path().join("chorus.db")).unwrap();
    let stats = |db: &rusqlite::Connection| -> i64 {
        let has_table: i64 = db
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        if has_table == 0 {
            return 0;
        }
        db.query_row(
            "SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'conversation_matches'",
            [],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert_eq!(stats(&db), 0, "a new database has no statistics");
    store.optimize().await.unwrap();
    assert!(stats(&db) > 0, "statistics for the matches");
    let plan: Vec<String> = db
        .prepare(
            "EXPLAIN QUERY PLAN SELECT c.id FROM conversations c WHERE EXISTS \
             (SELECT 1 FROM conversation_matches m WHERE m.conversation_id = c.id \
              AND m.market_id IN (?1)) ORDER BY c.posted_at DESC, c.id DESC LIMIT 50",
        )
        .unwrap()
        .query_map([fi.0], |r| r.get::<_, String>(3))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(
        plan.iter()
            .any(|step| step.contains("SEARCH m USING") && step.contains("(conversation_id=?)")),
        "{plan:?}"
    );
    drop(store);
}
