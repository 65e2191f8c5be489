//! Publishing rich posts, threads, images, link cards and quotes; deleting.

use chorus_networks::Network as _;
use chorus_networks::bluesky::{Bluesky, BlueskyError, XrpcError};
use chorus_networks::model::{Image, LinkCard, PostRef, PublishRequest, ReplyTo};
use serde_json::Value;

use crate::peer::{Mode, account, peer, rand_u32};

async fn record(b: &Bluesky, uri: &str) -> Option<Value> {
    let (repo, coll, rkey) = chorus_networks::bluesky::publish::parse_at_uri(uri).unwrap();
    b.agent()
        .xrpc()
        .query::<Value>(
            "com.atproto.repo.getRecord",
            &[("repo", repo), ("collection", coll), ("rkey", rkey)],
            None,
        )
        .await
        .ok()
        .map(|v| v["value"].clone())
}

fn png(w: u32, h: u32) -> Vec<u8> {
    // A valid 1-bit grayscale PNG header; the PDS checks the size and type, not the pixels.
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    b.extend(w.to_be_bytes());
    b.extend(h.to_be_bytes());
    b.extend([1, 0, 0, 0, 0, 0, 0, 0, 0]);
    b
}

fn id() -> String {
    format!("pub-{:08x}", rand_u32())
}

#[tokio::test]
async fn publishes_facets_threads_images_cards_quotes_and_deletes() {
    let Some(peer) = peer(Mode::Pds).await else {
        return;
    };
    let alice = account(&peer, "pa").await;
    let bob = account(&peer, "pb").await;
    let b = Bluesky::new(alice.agent);
    // Each request gets its own time: a record key's clock id is only 10 bits of the id's hash,
    // so two ids at one instant share a key once in 1,024 pairs (RecordKeyTaken).
    let now = jiff::Timestamp::now;

    // facets at UTF-8 byte offsets, mention resolved to a DID, language tags
    let text = format!(
        "🎉 Hëllo @{} #chorus see https://example.com/launch.",
        bob.handle
    );
    let mut req = PublishRequest::text(id(), now(), &text);
    req.langs = vec!["en".into()];
    let root = b.publish(&req).await.unwrap();
    assert!(!root.already_existed);
    let rec = record(&b, &root.post.uri).await.unwrap();
    assert_eq!(rec["text"], text);
    assert_eq!(rec["langs"], serde_json::json!(["en"]));
    let facets = rec["facets"].as_array().unwrap();
    assert_eq!(facets.len(), 3);
    let slice = |f: &Value| {
        let s = f["index"]["byteStart"].as_u64().unwrap() as usize;
        let e = f["index"]["byteEnd"].as_u64().unwrap() as usize;
        text.as_bytes()[s..e].to_vec()
    };
    assert_eq!(slice(&facets[0]), format!("@{}", bob.handle).into_bytes());
    assert_eq!(facets[0]["features"][0]["did"], bob.did);
    assert_eq!(slice(&facets[1]), b"#chorus");
    assert_eq!(facets[1]["features"][0]["tag"], "chorus");
    assert_eq!(slice(&facets[2]), b"https://example.com/launch");

    // a thread: reply to the root, then reply to the reply
    let mut r1 = PublishRequest::text(id(), now(), "first reply");
    r1.reply_to = Some(ReplyTo {
        parent: root.post.clone(),
        root: root.post.clone(),
    });
    let r1 = b.publish(&r1).await.unwrap();
    let mut r2 = PublishRequest::text(id(), now(), "second reply");
    r2.reply_to = Some(ReplyTo {
        parent: r1.post.clone(),
        root: root.post.clone(),
    });
    let r2 = b.publish(&r2).await.unwrap();
    let rec = record(&b, &r2.post.uri).await.unwrap();
    assert_eq!(rec["reply"]["parent"]["uri"], r1.post.uri);
    assert_eq!(rec["reply"]["root"]["uri"], root.post.uri);

    // images with alt text, uploaded as blobs
    let mut img = PublishRequest::text(id(), now(), "a chart");
    img.images = vec![Image {
        bytes: png(40, 30),
        mime: "image/png".into(),
        alt: "Bar chart of reach by market".into(),
    }];
    let img = b.publish(&img).await.unwrap();
    let rec = record(&b, &img.post.uri).await.unwrap();
    assert_eq!(rec["embed"]["$type"], "app.bsky.embed.images");
    assert_eq!(
        rec["embed"]["images"][0]["alt"],
        "Bar chart of reach by market"
    );
    assert_eq!(rec["embed"]["images"][0]["image"]["mimeType"], "image/png");
    assert_eq!(
        rec["embed"]["images"][0]["aspectRatio"],
        serde_json::json!({"width": 40, "height": 30})
    );

    // a link card with a thumbnail, quoting the root post
    let mut card = PublishRequest::text(id(), now(), "read the paper");
    card.link_card = Some(LinkCard {
        url: "https://example.com/paper".into(),
        title: "Stories, Numbers, Conversations".into(),
        description: "Six principles".into(),
        thumb: Some(Image {
            bytes: png(8, 8),
            mime: "image/png".into(),
            alt: "cover".into(),
        }),
    });
    card.quote = Some(root.post.clone());
    let card = b.publish(&card).await.unwrap();
    let rec = record(&b, &card.post.uri).await.unwrap();
    assert_eq!(rec["embed"]["$type"], "app.bsky.embed.recordWithMedia");
    assert_eq!(rec["embed"]["record"]["record"]["uri"], root.post.uri);
    assert_eq!(
        rec["embed"]["media"]["external"]["uri"],
        "https://example.com/paper"
    );
    assert!(rec["embed"]["media"]["external"]["thumb"]["ref"].is_object());

    // checked before sending: too long, bad image, no alt
    let long = PublishRequest::text(id(), now(), "é".repeat(301));
    assert!(matches!(
        b.publish(&long).await,
        Err(BlueskyError::TooLong { graphemes: 301 })
    ));
    let mut bad = PublishRequest::text(id(), now(), "x");
    bad.images = vec![Image {
        bytes: b"GIF89a....".to_vec(),
        mime: "image/png".into(),
        alt: "x".into(),
    }];
    assert!(matches!(
        b.publish(&bad).await,
        Err(BlueskyError::Image { .. })
    ));

    // refused by the PDS: a typed error that says to change the post
    let mut invalid = PublishRequest::text(id(), now(), "bad language tag");
    invalid.langs = vec!["not a language!".into()];
    match b.publish(&invalid).await {
        Err(BlueskyError::Xrpc(e @ XrpcError::InvalidRecord { .. })) => {
            assert!(e.to_string().contains("change the post"))
        }
        other => panic!("expected InvalidRecord, got {other:?}"),
    }

    // delete, and delete again
    b.delete(&r2.post.uri).await.unwrap();
    assert!(record(&b, &r2.post.uri).await.is_none());
    b.delete(&r2.post.uri).await.unwrap();
    let foreign = PostRef {
        uri: format!("at://{}/app.bsky.feed.post/3aaaaaaaaaa22", bob.did),
        cid: String::new(),
    };
    assert!(matches!(
        b.delete(&foreign.uri).await,
        Err(BlueskyError::NotOurs { .. })
    ));
}
