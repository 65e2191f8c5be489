//! The inbox: its filters and paging, changes with their audit entries, threads, replies and
//! first-response figures, and the SQLite planner statistics its list depends on.

use chorus_core::conversations::{AssigneeFilter, ConversationId, Sentiment, Status};
use chorus_core::org::team_name;
use chorus_core::user::Membership;
use chorus_core::{MarketId, Role};
use chorus_store::{AuditQuery, ConversationChange, InboxQuery, Store, StoreError};

use super::{input, market, post, sys};
use crate::support;

/// A webhook of `market` (or all) subscribed to `event`; its id.
async fn hook(store: &Store, market: Option<chorus_core::MarketId>, event: &str) -> i64 {
    store
        .create_webhook(
            &sys(),
            &chorus_store::EndpointInput {
                name: event,
                url: "https://hooks.example.com/",
                market_id: market,
                events: &[event],
                enabled: true,
            },
            "salt",
        )
        .await
        .unwrap()
        .id
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
            p.matches.push((qb.id, br).into());
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
    // A filter menu's first page: only the markets asked for, by market and name, at most
    // `limit`, with the total.
    let (menu, total) = store
        .listening_queries_page(Some(&[fi]), None, 0, 10)
        .await
        .unwrap();
    let menu: Vec<_> = menu
        .iter()
        .map(|q| (q.id, q.market_id, q.name.as_str()))
        .collect();
    assert_eq!((menu, total), (vec![(qf.id, fi, "Care queries")], 1));
    let (both, _) = store
        .listening_queries_page(Some(&[fi, br]), None, 0, 10)
        .await
        .unwrap();
    assert_eq!(both.len(), 2);
    let (one, total) = store
        .listening_queries_page(None, None, 0, 1)
        .await
        .unwrap();
    assert_eq!((one.len(), total), (1, 2));
    let (none, total) = store
        .listening_queries_page(Some(&[]), None, 0, 10)
        .await
        .unwrap();
    assert!(none.is_empty() && total == 0);
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
    let hook = hook(store, Some(fi), "conversation.assigned").await;
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
    let heard = store.webhook_deliveries(hook, 10).await.unwrap();
    assert_eq!(heard.len(), 3, "one conversation.assigned per conversation");
    assert!(
        heard
            .iter()
            .all(|d| d.event_type == "conversation.assigned")
    );
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
    assert_eq!(
        store.webhook_deliveries(hook, 10).await.unwrap().len(),
        3,
        "no new assignee, no event"
    );
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

    // Done conversations leave the open list; the counts per status follow the other filters
    // and ignore the status filter, the cursor and the limit.
    store
        .change_conversations(
            &sys(),
            &ids[2..],
            &ConversationChange {
                status: Some(Status::Done),
                ..ConversationChange::default()
            },
        )
        .await
        .unwrap();
    let open_work = InboxQuery {
        visible_markets: Some(vec![fi]),
        exclude_done: true,
        limit: 100,
        ..InboxQuery::default()
    };
    let open_rows = store.inbox(&open_work).await.unwrap();
    assert_eq!(open_rows.len(), 19);
    assert!(open_rows.iter().all(|c| c.status != Status::Done));
    let mut counts = store
        .inbox_counts(&InboxQuery {
            status: Some(Status::New),
            before: Some((i64::MAX, 0)),
            limit: 1,
            ..open_work.clone()
        })
        .await
        .unwrap();
    counts.sort_by_key(|(s, _)| s.as_str());
    assert_eq!(
        counts,
        [(Status::Done, 1), (Status::New, 17), (Status::Open, 2)]
    );
    let nothing = store
        .inbox_counts(&InboxQuery {
            visible_markets: Some(vec![]),
            ..InboxQuery::default()
        })
        .await
        .unwrap();
    assert!(nothing.is_empty());
    store
        .change_conversations(
            &sys(),
            &ids[2..],
            &ConversationChange {
                status: Some(Status::Open),
                ..ConversationChange::default()
            },
        )
        .await
        .unwrap();
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
    let hook = hook(store, None, "conversation.replied").await;
    store
        .mark_reply_sent(reply.id, "at://did:plc:us/app.bsky.feed.post/3k", "bafy")
        .await
        .unwrap();
    let heard = store.webhook_deliveries(hook, 10).await.unwrap();
    assert_eq!(heard.len(), 1);
    assert_eq!(heard[0].event_type, "conversation.replied");
    assert_eq!(store.reply(reply.id).await.unwrap().state, "sent");
    let err = store.retry_reply(reply.id).await.unwrap_err();
    assert!(matches!(err, StoreError::State(_)), "a sent reply: {err:?}");
    let err = store.retry_reply(999_999).await.unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound { what: "reply" }),
        "{err:?}"
    );
    assert!(matches!(
        store.reply(999_999).await.unwrap_err(),
        StoreError::NotFound { what: "reply" }
    ));
    let rows = store
        .conversation_rows(&[999_999, conv.id.0])
        .await
        .unwrap();
    assert_eq!(
        rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        [conv.id],
        "unknown ids are left out"
    );
    assert_eq!(rows[0].status, Status::Waiting);
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

support::conformance_suite!(inbox_filters_and_pages, threads_replies_and_first_response);

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
