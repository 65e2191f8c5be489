use super::*;
use crate::bluesky::firehose::testutil::{E, TestOp, commit_frame, error_frame, frame};

#[test]
fn decodes_a_commit_with_its_records() {
    let record = E::map([
        ("$type", E::text("app.bsky.feed.post")),
        ("text", E::text("hello")),
    ]);
    let bytes = commit_frame(
        42,
        "did:plc:alice",
        vec![
            TestOp {
                action: "create",
                path: "app.bsky.feed.post/3abc".into(),
                record: Some(record),
                prev: None,
            },
            TestOp {
                action: "delete",
                path: "app.bsky.feed.like/3def".into(),
                record: None,
                prev: Some(vec![
                    1, 0x71, 0x12, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                ]),
            },
        ],
    );
    let Frame::Commit(c) = decode_frame(&bytes).unwrap() else {
        panic!("not a commit")
    };
    assert_eq!((c.seq, c.repo), (42, "did:plc:alice"));
    assert_eq!(c.ops.len(), 2);
    assert_eq!(c.ops[0].action, Action::Create);
    assert_eq!(
        (c.ops[0].collection(), c.ops[0].rkey()),
        ("app.bsky.feed.post", "3abc")
    );
    let rec = c.record(&c.ops[0]).unwrap().unwrap();
    assert_eq!(rec.get("text").and_then(Value::as_str), Some("hello"));
    assert_eq!(c.ops[1].action, Action::Delete);
    assert!(c.ops[1].cid.is_none() && c.ops[1].prev.is_some());
    assert!(c.record(&c.ops[1]).is_none());
    assert_eq!(c.blocks.roots.len(), 1);
}

#[test]
fn decodes_every_other_frame_type() {
    let identity = frame(
        "#identity",
        &E::map([
            ("seq", E::Int(7)),
            ("did", E::text("did:plc:a")),
            ("time", E::text("t")),
            ("handle", E::text("a.test")),
        ]),
    );
    let Frame::Identity(i) = decode_frame(&identity).unwrap() else {
        panic!()
    };
    assert_eq!((i.seq, i.did, i.handle), (7, "did:plc:a", Some("a.test")));

    let account = frame(
        "#account",
        &E::map([
            ("seq", E::Int(8)),
            ("did", E::text("did:plc:a")),
            ("time", E::text("t")),
            ("active", E::Bool(false)),
            ("status", E::text("deactivated")),
        ]),
    );
    let Frame::Account(a) = decode_frame(&account).unwrap() else {
        panic!()
    };
    assert_eq!((a.seq, a.active, a.status), (8, false, Some("deactivated")));

    let sync = frame(
        "#sync",
        &E::map([
            ("seq", E::Int(9)),
            ("did", E::text("did:plc:a")),
            ("rev", E::text("r")),
            ("time", E::text("t")),
            ("blocks", E::Bytes(vec![])),
        ]),
    );
    assert_eq!(decode_frame(&sync).unwrap().seq(), Some(9));

    let info = frame("#info", &E::map([("name", E::text("OutdatedCursor"))]));
    let Frame::Info(i) = decode_frame(&info).unwrap() else {
        panic!()
    };
    assert_eq!((i.name, i.message), ("OutdatedCursor", None));

    let err = error_frame("FutureCursor", "Cursor in the future.");
    let Frame::Error(e) = decode_frame(&err).unwrap() else {
        panic!()
    };
    assert_eq!(
        (e.error, e.message),
        ("FutureCursor", Some("Cursor in the future."))
    );

    let unknown = frame("#labels", &E::map([("seq", E::Int(10))]));
    let f = decode_frame(&unknown).unwrap();
    assert!(matches!(
        f,
        Frame::Unknown {
            kind: "#labels",
            seq: Some(10)
        }
    ));
}

#[test]
fn reports_malformed_frames() {
    let no_op = {
        let mut b = E::map([("t", E::text("#commit"))]).encode();
        b.extend(E::map([]).encode());
        b
    };
    assert_eq!(decode_frame(&no_op).unwrap_err(), FrameError::Op);
    let missing = frame("#identity", &E::map([("seq", E::Int(1))]));
    assert_eq!(
        decode_frame(&missing).unwrap_err(),
        FrameError::Field {
            kind: "#identity",
            field: "did"
        }
    );
    let bad_action = frame(
        "#commit",
        &E::map([
            ("seq", E::Int(1)),
            ("repo", E::text("d")),
            ("rev", E::text("r")),
            ("time", E::text("t")),
            ("blocks", E::Bytes(vec![])),
            (
                "ops",
                E::Array(vec![E::map([
                    ("action", E::text("explode")),
                    ("path", E::text("a/b")),
                ])]),
            ),
        ]),
    );
    assert_eq!(
        decode_frame(&bad_action).unwrap_err(),
        FrameError::Action("explode".into())
    );
    let bad_car = frame(
        "#commit",
        &E::map([
            ("seq", E::Int(1)),
            ("repo", E::text("d")),
            ("rev", E::text("r")),
            ("time", E::text("t")),
            ("blocks", E::Bytes(vec![0x05, 1, 2])),
            ("ops", E::Array(vec![])),
        ]),
    );
    assert!(matches!(
        decode_frame(&bad_car).unwrap_err(),
        FrameError::Car {
            kind: "#commit",
            ..
        }
    ));
    assert!(matches!(
        decode_frame(&[0xa1]).unwrap_err(),
        FrameError::Header(_)
    ));
    let mut trailing = frame("#info", &E::map([("name", E::text("x"))]));
    trailing.push(0);
    assert!(matches!(
        decode_frame(&trailing).unwrap_err(),
        FrameError::Body(_)
    ));
}

mod fuzzish {
    use super::*;
    use proptest::prelude::*;

    fn sample_frames() -> Vec<Vec<u8>> {
        let post = E::map([
            ("$type", E::text("app.bsky.feed.post")),
            ("text", E::text("hi #tag @a.test https://x.test")),
            (
                "facets",
                E::Array(vec![E::map([
                    (
                        "index",
                        E::map([("byteStart", E::Int(3)), ("byteEnd", E::Int(7))]),
                    ),
                    (
                        "features",
                        E::Array(vec![E::map([
                            ("$type", E::text("app.bsky.richtext.facet#tag")),
                            ("tag", E::text("tag")),
                        ])]),
                    ),
                ])]),
            ),
        ]);
        vec![
            commit_frame(
                1,
                "did:plc:a",
                vec![TestOp {
                    action: "create",
                    path: "app.bsky.feed.post/3a".into(),
                    record: Some(post),
                    prev: None,
                }],
            ),
            frame(
                "#identity",
                &E::map([
                    ("seq", E::Int(7)),
                    ("did", E::text("did:plc:a")),
                    ("time", E::text("t")),
                ]),
            ),
            error_frame("ConsumerTooSlow", "slow"),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Truncated, bit-flipped and spliced frames decode to a value or an error, never a
        /// panic, and normalization of whatever decodes does not panic either.
        #[test]
        fn corrupted_frames_never_panic(
            which in 0usize..3,
            cut in any::<prop::sample::Index>(),
            flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
            junk in prop::collection::vec(any::<u8>(), 0..16),
        ) {
            let mut bytes = sample_frames()[which].clone();
            for (i, x) in &flips {
                let i = i.index(bytes.len());
                bytes[i] ^= x;
            }
            let cut = cut.index(bytes.len() + 1);
            bytes.truncate(cut);
            bytes.extend(&junk);
            if let Ok(frame) = decode_frame(&bytes) {
                let mut n = crate::bluesky::firehose::Normalizer::new();
                let _ = n.normalize(&frame);
            }
            let _ = crate::bluesky::firehose::car::Car::parse(&bytes);
        }

        #[test]
        fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode_frame(&bytes);
            let _ = crate::bluesky::firehose::car::Car::parse(&bytes);
        }
    }
}
