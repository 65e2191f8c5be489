//! The firehose normalizer (frames → posts, engagement, deletes, identity): no panic, and what
//! it emits is consistent with the frame: the event's cursor is the frame's sequence number,
//! every post's URI is `at://<repo>/<path>` of an op in the commit, its link domains are
//! lowercase hosts, and no hashtag, mention or link is empty or repeated.
//!
//! Input: first byte even → the rest is a whole frame (seeded from real PDS captures). Odd → the
//! rest is the bytes of one record, wrapped in a valid `#commit` frame whose op writes it to the
//! collection picked by the second byte: the fuzzer works on records directly.
#![no_main]

use chorus_fuzz::commit_frame;
use chorus_networks::bluesky::firehose::normalize::{FOLLOW, LIKE, POST, REPOST};
use chorus_networks::bluesky::firehose::{Frame, Normalizer, decode_frame};
use chorus_networks::model::StreamItem;
use libfuzzer_sys::fuzz_target;

const REPO: &str = "did:plc:fuzzfuzzfuzzfuzzfuzzfuzz";

fn check(frame: &Frame<'_>, normalizer: &mut Normalizer) {
    let Some(event) = normalizer.normalize(frame) else {
        assert!(matches!(
            frame,
            Frame::Info(_) | Frame::Error(_) | Frame::Unknown { seq: None, .. }
        ));
        return;
    };
    assert_eq!(Some(event.cursor), frame.seq());
    let Frame::Commit(c) = frame else { return };
    for item in &event.items {
        if let StreamItem::Post(p) = item {
            let path = p
                .uri
                .strip_prefix(&format!("at://{}/", c.repo))
                .unwrap_or_else(|| panic!("{} is not in {}", p.uri, c.repo));
            assert!(c.ops.iter().any(|op| op.path == path), "{path}");
            for d in &p.link_domains {
                assert_eq!(*d, d.to_ascii_lowercase());
            }
            for list in [&p.hashtags, &p.mentions, &p.links, &p.link_domains] {
                for (i, x) in list.iter().enumerate() {
                    assert!(!x.is_empty(), "{list:?}");
                    assert!(!list[..i].contains(x), "{x:?} twice in {list:?}");
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut normalizer = Normalizer::new();
    normalizer.learn_handle(REPO, "fuzz.test");
    if mode % 2 == 0 {
        if let Ok(frame) = decode_frame(rest) {
            check(&frame, &mut normalizer);
        }
        return;
    }
    let Some((&which, record)) = rest.split_first() else {
        return;
    };
    let collection = [POST, LIKE, REPOST, FOLLOW, "app.bsky.graph.block"][usize::from(which % 5)];
    let action = ["create", "update", "delete"][usize::from(mode / 2 % 3)];
    let path = format!("{collection}/3l3qo2vutsw2b");
    let time = if mode & 8 == 0 {
        "2026-12-06T20:00:00.000Z"
    } else {
        "yesterday"
    };
    let ops = [(
        action,
        path.as_str(),
        (action != "delete").then_some(record),
    )];
    let bytes = commit_frame(i64::from(which) + 1, REPO, time, &ops);
    let frame = decode_frame(&bytes).expect("the frame around the record is valid");
    check(&frame, &mut normalizer);
});
