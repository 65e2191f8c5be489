//! Full mode: engagement counts derived from the firehose equal the AppView's own counts.

use std::time::Duration;

use chorus_networks::Network as _;
use chorus_networks::bluesky::Bluesky;
use chorus_networks::model::{Counts, PublishRequest, StreamItem};
use chorus_networks::tally::{MemoryTallyStore, Tally};

use crate::firehose::{collect, connected};
use crate::peer::{Mode, account, create, delete, peer, rand_u32, strong};

#[tokio::test]
async fn firehose_counts_match_the_appview_after_likes_unlikes_reposts_and_replies() {
    let Some(peer) = peer(Mode::Full).await else {
        return;
    };
    let author = account(&peer, "ea").await;
    let mut fans = Vec::new();
    for i in 0..4 {
        fans.push(account(&peer, &format!("e{i}")).await);
    }
    let author_did = author.did.clone();
    let bluesky = Bluesky::new(author.agent);
    // through the Network trait: the account's PDS firehose, from now
    let mut sub = bluesky.stream(None).unwrap();
    connected(&sub).await;
    let mut posts = Vec::new();
    for i in 0..3 {
        let req = PublishRequest::text(
            format!("eng-{:08x}-{i}", rand_u32()),
            jiff::Timestamp::now(),
            format!("post {i} #numbers"),
        );
        posts.push(bluesky.publish(&req).await.unwrap().post);
    }
    let r = |i: usize| strong(&posts[i].uri, &posts[i].cid);

    // the scripted mix
    let mut likes = Vec::new();
    for (fan, post) in [(0, 0), (1, 0), (2, 0), (3, 0), (0, 1), (1, 1), (2, 2)] {
        likes.push(
            create(
                &fans[fan],
                "app.bsky.feed.like",
                serde_json::json!({"subject": r(post)}),
            )
            .await
            .0,
        );
    }
    let mut reposts = Vec::new();
    for (fan, post) in [(0, 0), (1, 0), (3, 2)] {
        reposts.push(
            create(
                &fans[fan],
                "app.bsky.feed.repost",
                serde_json::json!({"subject": r(post)}),
            )
            .await
            .0,
        );
    }
    let mut replies = Vec::new();
    for (fan, post) in [(1, 0), (2, 0), (3, 1)] {
        let rec = serde_json::json!({"text": format!("reply from {fan}"), "reply": {"root": r(post), "parent": r(post)}});
        replies.push(create(&fans[fan], "app.bsky.feed.post", rec).await.0);
    }
    let quote = create(&fans[2], "app.bsky.feed.post", serde_json::json!({"text": "quoting", "embed": {"$type": "app.bsky.embed.record", "record": r(1)}})).await.0;
    delete(&fans[1], &likes[1]).await; // unlike post 0
    delete(&fans[0], &likes[4]).await; // unlike post 1
    delete(&fans[1], &reposts[1]).await; // un-repost post 0
    delete(&fans[2], &replies[1]).await; // delete a reply to post 0
    let last = replies[1].clone();
    let _ = quote;

    let fan_dids: Vec<String> = fans.iter().map(|f| f.did.clone()).collect();
    let mut dids: Vec<&str> = fan_dids.iter().map(String::as_str).collect();
    dids.push(&author_did);
    let evs = collect(&mut sub, &dids, |evs| {
        evs.iter()
            .flat_map(|e| &e.items)
            .any(|i| matches!(i, StreamItem::PostDeleted { uri, .. } if *uri == last))
    })
    .await;
    sub.stop().await.unwrap();

    let store = MemoryTallyStore::new();
    for p in &posts {
        store.watch(p.uri.clone());
    }
    let tally = Tally::new(store);
    for ev in &evs {
        for item in &ev.items {
            if let StreamItem::Engagement(e) = item {
                tally.apply(e).await.unwrap();
            }
        }
    }
    let mut ours = Vec::new();
    for p in &posts {
        ours.push(tally.counts(&p.uri).await.unwrap());
    }
    let expected = [
        Counts {
            likes: 3,
            reposts: 1,
            replies: 1,
            quotes: 0,
            bookmarks: None,
        },
        Counts {
            likes: 1,
            reposts: 0,
            replies: 1,
            quotes: 1,
            bookmarks: None,
        },
        Counts {
            likes: 1,
            reposts: 1,
            replies: 0,
            quotes: 0,
            bookmarks: None,
        },
    ];
    assert_eq!(ours, expected, "counts derived from the firehose");

    // The AppView indexes asynchronously: poll getPosts until it agrees or 30 s pass.
    let uris: Vec<String> = posts.iter().map(|p| p.uri.clone()).collect();
    let mut theirs = Vec::new();
    for _ in 0..150 {
        theirs = bluesky
            .engagement(&uris)
            .await
            .unwrap()
            .into_iter()
            // The firehose tally knows no bookmarks; the AppView reports them.
            .map(|(_, c)| Counts {
                bookmarks: None,
                ..c
            })
            .collect();
        if theirs == ours {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(theirs, ours, "AppView getPosts counts vs ours");
}
