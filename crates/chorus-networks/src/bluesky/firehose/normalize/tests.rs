use super::*;
use crate::bluesky::firehose::decode_frame;
use crate::bluesky::firehose::testutil::{E, TestOp, commit_frame, frame};

fn strong(uri: &str) -> E {
    E::map([("uri", E::text(uri)), ("cid", E::text("bafyreix"))])
}

fn facet(start: i64, end: i64, feature: E) -> E {
    E::map([
        (
            "index",
            E::map([("byteStart", E::Int(start)), ("byteEnd", E::Int(end))]),
        ),
        ("features", E::Array(vec![feature])),
    ])
}

fn op(action: &'static str, path: &str, record: Option<E>) -> TestOp {
    TestOp {
        action,
        path: path.into(),
        record,
        prev: None,
    }
}

fn events(frames: &[Vec<u8>]) -> Vec<StreamEvent> {
    let mut n = Normalizer::new();
    frames
        .iter()
        .filter_map(|f| n.normalize(&decode_frame(f).unwrap()))
        .collect()
}

#[test]
fn normalizes_a_rich_post_with_reply_and_quote() {
    let post = E::map([
        ("$type", E::text("app.bsky.feed.post")),
        (
            "text",
            E::text("hi @bob.test #Launch https://Www.Example.com/x"),
        ),
        ("langs", E::Array(vec![E::text("en"), E::text("fi")])),
        ("createdAt", E::text("2026-11-26T06:00:00.000Z")),
        ("tags", E::Array(vec![E::text("extra"), E::text("Launch")])),
        (
            "facets",
            E::Array(vec![
                facet(
                    3,
                    12,
                    E::map([
                        ("$type", E::text("app.bsky.richtext.facet#mention")),
                        ("did", E::text("did:plc:bob")),
                    ]),
                ),
                facet(
                    13,
                    20,
                    E::map([
                        ("$type", E::text("app.bsky.richtext.facet#tag")),
                        ("tag", E::text("Launch")),
                    ]),
                ),
                facet(
                    21,
                    46,
                    E::map([
                        ("$type", E::text("app.bsky.richtext.facet#link")),
                        ("uri", E::text("https://Www.Example.com/x")),
                    ]),
                ),
            ]),
        ),
        (
            "reply",
            E::map([
                ("root", strong("at://did:plc:a/app.bsky.feed.post/1")),
                ("parent", strong("at://did:plc:a/app.bsky.feed.post/2")),
            ]),
        ),
        (
            "embed",
            E::map([
                ("$type", E::text("app.bsky.embed.recordWithMedia")),
                (
                    "record",
                    E::map([
                        ("$type", E::text("app.bsky.embed.record")),
                        ("record", strong("at://did:plc:q/app.bsky.feed.post/9")),
                    ]),
                ),
                (
                    "media",
                    E::map([
                        ("$type", E::text("app.bsky.embed.images")),
                        ("images", E::Array(vec![])),
                    ]),
                ),
            ]),
        ),
    ]);
    let ident = frame(
        "#identity",
        &E::map([
            ("seq", E::Int(1)),
            ("did", E::text("did:plc:carol")),
            ("time", E::text("t")),
            ("handle", E::text("carol.test")),
        ]),
    );
    let commit = commit_frame(
        2,
        "did:plc:carol",
        vec![op("create", "app.bsky.feed.post/3xyz", Some(post))],
    );
    let evs = events(&[ident, commit]);
    assert_eq!(evs.len(), 2);
    assert_eq!(
        evs[0].items,
        vec![StreamItem::Identity {
            account: "did:plc:carol".into(),
            handle: Some("carol.test".into())
        }]
    );
    assert_eq!(evs[1].cursor, 2);
    let StreamItem::Post(p) = &evs[1].items[0] else {
        panic!("{:?}", evs[1])
    };
    assert_eq!(p.uri, "at://did:plc:carol/app.bsky.feed.post/3xyz");
    assert_eq!(
        p.author,
        Author {
            id: "did:plc:carol".into(),
            handle: Some("carol.test".into())
        }
    );
    assert_eq!(p.text, "hi @bob.test #Launch https://Www.Example.com/x");
    assert_eq!(p.langs, ["en", "fi"]);
    assert_eq!(p.hashtags, ["Launch", "extra"]);
    assert_eq!(p.mentions, ["did:plc:bob"]);
    assert_eq!(p.links, ["https://Www.Example.com/x"]);
    assert_eq!(p.link_domains, ["example.com"]);
    assert_eq!(
        p.reply_parent.as_deref(),
        Some("at://did:plc:a/app.bsky.feed.post/2")
    );
    assert_eq!(
        p.reply_root.as_deref(),
        Some("at://did:plc:a/app.bsky.feed.post/1")
    );
    assert_eq!(
        p.quote.as_deref(),
        Some("at://did:plc:q/app.bsky.feed.post/9")
    );
    assert_eq!(p.created_at, Some("2026-11-26T06:00:00Z".parse().unwrap()));
    assert!(p.cid.as_deref().unwrap().starts_with("bafyrei"));
    assert_eq!(
        evs[1].items[1..],
        [
            StreamItem::Engagement(Engagement::Added {
                kind: EngagementKind::Reply,
                record: p.uri.clone(),
                actor: "did:plc:carol".into(),
                subject: "at://did:plc:a/app.bsky.feed.post/2".into()
            }),
            StreamItem::Engagement(Engagement::Added {
                kind: EngagementKind::Quote,
                record: p.uri.clone(),
                actor: "did:plc:carol".into(),
                subject: "at://did:plc:q/app.bsky.feed.post/9".into()
            }),
        ]
    );
}

#[test]
fn likes_reposts_follows_and_deletes() {
    let subject = "at://did:plc:a/app.bsky.feed.post/1";
    let like = E::map([
        ("$type", E::text("app.bsky.feed.like")),
        ("subject", strong(subject)),
    ]);
    let repost = E::map([
        ("$type", E::text("app.bsky.feed.repost")),
        ("subject", strong(subject)),
    ]);
    let follow = E::map([
        ("$type", E::text("app.bsky.graph.follow")),
        ("subject", E::text("did:plc:a")),
    ]);
    let profile = E::map([("$type", E::text("app.bsky.actor.profile"))]);
    let f1 = commit_frame(
        5,
        "did:plc:b",
        vec![
            op("create", "app.bsky.feed.like/l1", Some(like)),
            op("create", "app.bsky.feed.repost/r1", Some(repost)),
            op("create", "app.bsky.graph.follow/f1", Some(follow)),
            op("create", "app.bsky.actor.profile/self", Some(profile)),
        ],
    );
    let f2 = commit_frame(
        6,
        "did:plc:b",
        vec![
            op("delete", "app.bsky.feed.like/l1", None),
            op("delete", "app.bsky.feed.post/p1", None),
            op("delete", "app.bsky.actor.profile/self", None),
        ],
    );
    let evs = events(&[f1, f2]);
    let added = |kind, rec: &str, subject: &str| {
        StreamItem::Engagement(Engagement::Added {
            kind,
            record: format!("at://did:plc:b/{rec}"),
            actor: "did:plc:b".into(),
            subject: subject.into(),
        })
    };
    assert_eq!(
        evs[0].items,
        vec![
            added(EngagementKind::Like, "app.bsky.feed.like/l1", subject),
            added(EngagementKind::Repost, "app.bsky.feed.repost/r1", subject),
            added(
                EngagementKind::Follow,
                "app.bsky.graph.follow/f1",
                "did:plc:a"
            ),
        ]
    );
    assert_eq!(
        evs[1].items,
        vec![
            StreamItem::Engagement(Engagement::Removed {
                kind: Some(EngagementKind::Like),
                record: "at://did:plc:b/app.bsky.feed.like/l1".into(),
                actor: "did:plc:b".into()
            }),
            StreamItem::PostDeleted {
                uri: "at://did:plc:b/app.bsky.feed.post/p1".into(),
                author: "did:plc:b".into()
            },
            StreamItem::Engagement(Engagement::Removed {
                kind: None,
                record: "at://did:plc:b/app.bsky.feed.post/p1".into(),
                actor: "did:plc:b".into()
            }),
        ]
    );
}

#[test]
fn undecodable_records_are_counted_and_skipped() {
    let mut bytes = commit_frame(
        3,
        "did:plc:b",
        vec![op("create", "app.bsky.feed.post/p", Some(E::text("x")))],
    );
    // The record block is the CBOR text "x" (0x61 0x78): make it an invalid UTF-8 string.
    let pos = bytes.windows(2).rposition(|w| w == [0x61, b'x']).unwrap();
    bytes[pos + 1] = 0xff;
    let mut n = Normalizer::new();
    let ev = n.normalize(&decode_frame(&bytes).unwrap()).unwrap();
    assert_eq!(ev.cursor, 3);
    assert!(ev.items.is_empty());
    assert_eq!(n.bad_records, 1);
}

#[test]
fn domains_of_links() {
    let links = [
        "https://A.example.com:8080/x",
        "http://user@b.test?q",
        "ftp://x",
        "https://www.c.test#f",
        "https://a.example.com/y",
    ]
    .map(String::from);
    assert_eq!(domains(&links), ["a.example.com", "b.test", "c.test"]);
}
