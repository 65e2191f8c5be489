//! Publishing is exactly-once even when the response to `createRecord` is lost.

use std::sync::atomic::Ordering;

use chorus_networks::Network as _;
use chorus_networks::bluesky::{Bluesky, BlueskyError, XrpcError};
use chorus_networks::model::PublishRequest;

use crate::peer::{Mode, account_at, peer, rand_u32};
use crate::proxy::Proxy;

async fn posts_with_text(b: &Bluesky, did: &str, text: &str) -> usize {
    let out: serde_json::Value = b
        .agent()
        .xrpc()
        .query(
            "com.atproto.repo.listRecords",
            &[
                ("repo", did),
                ("collection", "app.bsky.feed.post"),
                ("limit", "100"),
            ],
            None,
        )
        .await
        .unwrap();
    out["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["value"]["text"] == text)
        .count()
}

#[tokio::test]
async fn a_lost_response_then_a_retry_publishes_exactly_once() {
    let Some(peer) = peer(Mode::Pds).await else {
        return;
    };
    let proxy = Proxy::start(&peer.pds).await;
    let alice = account_at(&proxy.url, &peer, "eo").await;
    let did = alice.did.clone();
    let b = Bluesky::new(alice.agent);

    let text = format!("exactly once #{:08x}", rand_u32());
    let req = PublishRequest::text(
        format!("variant-{:08x}", rand_u32()),
        jiff::Timestamp::now(),
        &text,
    );

    // 1. The response to createRecord is lost: the same call finds the record it wrote.
    proxy.cut_next("com.atproto.repo.createRecord").await;
    let first = b.publish(&req).await.unwrap();
    assert_eq!(
        proxy.cuts.load(Ordering::SeqCst),
        1,
        "the proxy cut the response"
    );
    assert!(
        first.already_existed,
        "recovered by reading the record back"
    );
    assert_eq!(posts_with_text(&b, &did, &text).await, 1);
    let rkey = first.post.uri.rsplit('/').next().unwrap();
    assert_eq!(
        rkey,
        chorus_networks::bluesky::rkey::Tid::derive(&req.id, req.at).as_str()
    );

    // 2. The response is lost and so is the check (as if the process died right after
    //    sending): the call fails without knowing whether it worked…
    let text2 = format!("{text} again");
    let req2 = PublishRequest::text(format!("{}-b", req.id), jiff::Timestamp::now(), &text2);
    proxy.cut_next("com.atproto.repo.createRecord").await;
    proxy.cut_next("com.atproto.repo.getRecord").await;
    match b.publish(&req2).await {
        Err(BlueskyError::Xrpc(e @ XrpcError::Transport { .. })) => assert!(e.is_ambiguous()),
        other => panic!("expected a transport error from the cut connection, got {other:?}"),
    }
    assert_eq!(proxy.cuts.load(Ordering::SeqCst), 3);
    // …but the PDS did write it,
    assert_eq!(posts_with_text(&b, &did, &text2).await, 1);
    // and the retry (what the job queue does after a crash) does not write a second one.
    let second = b.publish(&req2).await.unwrap();
    assert!(second.already_existed);
    let third = b.publish(&req2).await.unwrap();
    assert_eq!(second, third);
    assert_eq!(
        posts_with_text(&b, &did, &text2).await,
        1,
        "exactly one record on the PDS"
    );
    assert_eq!(posts_with_text(&b, &did, &text).await, 1);

    // Reusing the publication id for other content is refused, not silently merged.
    let mut other = req.clone();
    other.text = "something else".into();
    assert!(matches!(
        b.publish(&other).await,
        Err(BlueskyError::RecordKeyTaken { .. })
    ));

    // A different publication is a different record.
    let next = PublishRequest::text(format!("{}-c", req.id), req.at, &text);
    let p = b.publish(&next).await.unwrap();
    assert!(!p.already_existed);
    assert_eq!(posts_with_text(&b, &did, &text).await, 2);
}
