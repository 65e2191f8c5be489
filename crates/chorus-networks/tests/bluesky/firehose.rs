//! The firehose from the real PDS: every kind of activity normalized, cursor resume, tally.

use std::time::Duration;

use chorus_networks::Network as _;
use chorus_networks::bluesky::Bluesky;
use chorus_networks::bluesky::firehose::{FirehoseConfig, Subscription, subscribe};
use chorus_networks::model::{
    Counts, Engagement, EngagementKind, PublishRequest, StreamEvent, StreamItem,
};
use chorus_networks::tally::{MemoryTallyStore, Tally};

use crate::peer::{Mode, account, create, delete, peer, strong};
use crate::proxy::Proxy;

/// Collects events touching `dids` until `done` says so or 30 s pass.
pub async fn collect(
    sub: &mut Subscription,
    dids: &[&str],
    done: impl FnMut(&[StreamEvent]) -> bool,
) -> Vec<StreamEvent> {
    collect_counting(sub, dids, done, &mut 0).await
}

/// [`collect`], also counting every event received (ours or not) into `received`.
pub async fn collect_counting(
    sub: &mut Subscription,
    dids: &[&str],
    mut done: impl FnMut(&[StreamEvent]) -> bool,
    received: &mut u64,
) -> Vec<StreamEvent> {
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !done(&got) {
        let ev = tokio::time::timeout_at(deadline, sub.next())
            .await
            .expect("timed out waiting for firehose events")
            .expect("subscription ended");
        *received += 1;
        let ours = ev.items.iter().any(|i| {
            let s = serde_json::to_string(i).unwrap();
            dids.iter().any(|d| s.contains(d))
        });
        if ours {
            got.push(ev);
        }
    }
    got
}

pub async fn connected(sub: &Subscription) {
    for _ in 0..100 {
        if sub
            .stats
            .connects
            .load(std::sync::atomic::Ordering::Relaxed)
            > 0
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("firehose did not connect");
}

fn items(evs: &[StreamEvent]) -> Vec<&StreamItem> {
    evs.iter().flat_map(|e| e.items.iter()).collect()
}

#[tokio::test]
async fn normalizes_live_activity_resumes_from_a_cursor_and_tallies() {
    let Some(peer) = peer(Mode::Pds).await else {
        return;
    };
    let mut sub = subscribe(FirehoseConfig::new(&peer.firehose)).unwrap();
    connected(&sub).await;

    let alice = account(&peer, "fa").await;
    let bob = account(&peer, "fb").await;
    let (a, bd) = (alice.did.clone(), bob.did.clone());
    let alice_handle = alice.handle.clone();
    let bluesky = Bluesky::new(alice.agent);
    let bob_handle = bob.handle.clone();

    let text = format!("Launch day 🎉 with @{bob_handle} #chorus https://www.example.com/a");
    let mut req = PublishRequest::text("fh-1", jiff::Timestamp::now(), &text);
    req.langs = vec!["en".into()];
    let post = bluesky.publish(&req).await.unwrap().post;
    let target = strong(&post.uri, &post.cid);
    let (like, _) = create(
        &bob,
        "app.bsky.feed.like",
        serde_json::json!({"subject": target}),
    )
    .await;
    let (repost, _) = create(
        &bob,
        "app.bsky.feed.repost",
        serde_json::json!({"subject": target}),
    )
    .await;
    let (reply, _) = create(
        &bob,
        "app.bsky.feed.post",
        serde_json::json!({"text": "congrats", "reply": {"root": target, "parent": target}}),
    )
    .await;
    let (quote, _) = create(&bob, "app.bsky.feed.post", serde_json::json!({"text": "look", "embed": {"$type": "app.bsky.embed.record", "record": target}})).await;
    let (follow, _) = create(
        &bob,
        "app.bsky.graph.follow",
        serde_json::json!({"subject": a}),
    )
    .await;
    delete(&bob, &like).await;
    delete(&bob, &quote).await;

    let removed_quote = |evs: &[StreamEvent]| {
        items(evs)
            .iter()
            .any(|i| matches!(i, StreamItem::PostDeleted { uri, .. } if *uri == quote))
    };
    let evs = collect(&mut sub, &[&a, &bd], removed_quote).await;
    let all = items(&evs);

    // handles learned from the #identity frames of the new accounts
    assert!(all.contains(&&StreamItem::Identity {
        account: a.clone(),
        handle: Some(alice_handle.clone())
    }));
    let p = all
        .iter()
        .find_map(|i| match i {
            StreamItem::Post(p) if p.uri == post.uri => Some(p),
            _ => None,
        })
        .expect("the published post");
    assert_eq!(p.text, text);
    assert_eq!(p.author.id, a);
    assert_eq!(p.author.handle.as_deref(), Some(alice_handle.as_str()));
    assert_eq!(p.langs, ["en"]);
    assert_eq!(p.hashtags, ["chorus"]);
    assert_eq!(p.mentions, std::slice::from_ref(&bd));
    assert_eq!(p.links, ["https://www.example.com/a"]);
    assert_eq!(p.link_domains, ["example.com"]);
    assert_eq!(p.cid.as_deref(), Some(post.cid.as_str()));
    let reply_post = all
        .iter()
        .find_map(|i| match i {
            StreamItem::Post(p) if p.uri == reply => Some(p),
            _ => None,
        })
        .unwrap();
    assert_eq!(reply_post.reply_parent.as_deref(), Some(post.uri.as_str()));
    assert_eq!(reply_post.reply_root.as_deref(), Some(post.uri.as_str()));
    let added = |kind, record: &str, subject: &str| {
        StreamItem::Engagement(Engagement::Added {
            kind,
            record: record.into(),
            actor: bd.clone(),
            subject: subject.into(),
        })
    };
    for want in [
        added(EngagementKind::Like, &like, &post.uri),
        added(EngagementKind::Repost, &repost, &post.uri),
        added(EngagementKind::Reply, &reply, &post.uri),
        added(EngagementKind::Quote, &quote, &post.uri),
        added(EngagementKind::Follow, &follow, &a),
        StreamItem::Engagement(Engagement::Removed {
            kind: Some(EngagementKind::Like),
            record: like.clone(),
            actor: bd.clone(),
        }),
        StreamItem::Engagement(Engagement::Removed {
            kind: None,
            record: quote.clone(),
            actor: bd.clone(),
        }),
    ] {
        assert!(all.contains(&&want), "missing {want:?}");
    }
    // cursors strictly increase
    assert!(evs.windows(2).all(|w| w[0].cursor < w[1].cursor));

    // deletes decrement what they pointed at
    let store = MemoryTallyStore::new();
    store.watch(post.uri.clone());
    let tally = Tally::new(store);
    for i in &all {
        if let StreamItem::Engagement(e) = i {
            tally.apply(e).await.unwrap();
        }
    }
    assert_eq!(
        tally.counts(&post.uri).await.unwrap(),
        Counts {
            likes: 0,
            reposts: 1,
            replies: 1,
            quotes: 0,
            bookmarks: None,
        }
    );

    // resume from a stored cursor: the next event is the one after it, identical
    let like_event = evs
        .iter()
        .find(|e| e.items.iter().any(|i| matches!(i, StreamItem::Engagement(Engagement::Added { record, .. }) if *record == like)))
        .unwrap()
        .clone();
    let mut config = FirehoseConfig::new(&peer.firehose);
    config.cursor = Some(like_event.cursor - 1);
    let mut again = subscribe(config).unwrap();
    let first = tokio::time::timeout(Duration::from_secs(10), again.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first, like_event);
    again.stop().await.unwrap();
    assert_eq!(
        sub.stats
            .malformed
            .load(std::sync::atomic::Ordering::Relaxed),
        0
    );
    sub.stop().await.unwrap();
}

/// The connection drops twice while events keep coming and the consumer is slow: every event
/// arrives exactly once, in order, and at most `capacity` events wait in memory.
#[tokio::test]
async fn reconnects_without_loss_or_duplicates_and_stays_bounded() {
    let Some(peer) = peer(Mode::Pds).await else {
        return;
    };
    let proxy = Proxy::start(&peer.pds).await;
    let carol = account(&peer, "fr").await;
    let mut config = FirehoseConfig::new(proxy.url.replacen("http", "ws", 1));
    config.capacity = 2;
    config.backoff_min = Duration::from_millis(50);
    let mut sub = subscribe(config).unwrap();
    connected(&sub).await;

    let post_uris = |evs: &[StreamEvent]| -> Vec<String> {
        items(evs)
            .into_iter()
            .filter_map(|i| match i {
                StreamItem::Post(p) => Some(p.uri.clone()),
                _ => None,
            })
            .collect()
    };
    let mut written = Vec::new();
    let mut evs = Vec::new();
    let mut received = 0u64;
    for round in 0..3 {
        if round > 0 {
            // what follows can only arrive over a new connection
            proxy.drop_connections();
        }
        for i in 0..6 {
            let text = format!("round {round} post {i}");
            written.push(
                create(
                    &carol,
                    "app.bsky.feed.post",
                    serde_json::json!({"text": text}),
                )
                .await
                .0,
            );
        }
        // nobody is reading: the reader holds at most `capacity` events (+1 in hand)
        tokio::time::sleep(Duration::from_millis(300)).await;
        let delivered = sub.stats.events.load(std::sync::atomic::Ordering::Relaxed);
        assert!(
            delivered <= received + 3,
            "reader ran ahead: {delivered} delivered, {received} read"
        );
        let want = written.len();
        let before = evs.len();
        let more = collect_counting(
            &mut sub,
            &[&carol.did],
            |got| post_uris(got).len() + post_uris(&evs[..before]).len() >= want,
            &mut received,
        )
        .await;
        evs.extend(more);
    }
    let seen: Vec<String> = items(&evs)
        .into_iter()
        .filter_map(|i| match i {
            StreamItem::Post(p) => Some(p.uri.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(seen, written, "every post once, in order");
    assert!(evs.windows(2).all(|w| w[0].cursor < w[1].cursor));
    assert!(
        sub.stats
            .connects
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 3,
        "reconnected after each drop"
    );
    sub.stop().await.unwrap();
}

/// A cursor from the future (another server, or a reset one) is a fatal, explained error.
#[tokio::test]
async fn a_future_cursor_stops_with_a_typed_error() {
    let Some(peer) = peer(Mode::Pds).await else {
        return;
    };
    let mut config = FirehoseConfig::new(&peer.firehose);
    config.cursor = Some(1 << 40);
    let sub = subscribe(config).unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(15), sub.finished())
        .await
        .unwrap();
    let err = ended.unwrap_err();
    assert!(
        matches!(err, chorus_networks::bluesky::firehose::FirehoseError::FutureCursor { cursor, .. } if cursor == 1 << 40),
        "{err}"
    );
    assert!(err.to_string().contains("clear it"));
}
