//! Firehose frames on any bytes (the binary WebSocket messages of `subscribeRepos`): no panic;
//! a decoded frame's sequence number is the body's `seq`; every op's path splits into
//! collection and record key; every record the commit carries decodes or fails cleanly.
#![no_main]

use chorus_networks::bluesky::firehose::cbor::{self, Value};
use chorus_networks::bluesky::firehose::{Frame, decode_frame};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(frame) = decode_frame(data) else {
        return;
    };
    let (_, rest) = cbor::decode(data).expect("a decoded frame has a header");
    let body = cbor::decode_all(rest).expect("and a body");
    let body_seq = body.get("seq").and_then(Value::as_i64);
    match &frame {
        Frame::Commit(c) => {
            assert_eq!(Some(c.seq), body_seq);
            for op in &c.ops {
                let (collection, rkey) = (op.collection(), op.rkey());
                assert!(collection.len() + rkey.len() <= op.path.len());
                if let Some(Ok(record)) = c.record(op) {
                    let _ = record.to_json();
                }
            }
            for (cid, _) in c.blocks.blocks() {
                let _ = cid.to_string();
            }
        }
        Frame::Sync(s) => assert_eq!(Some(s.seq), body_seq),
        Frame::Identity(i) => assert_eq!(Some(i.seq), body_seq),
        Frame::Account(a) => assert_eq!(Some(a.seq), body_seq),
        Frame::Unknown { seq, .. } => assert_eq!(*seq, body_seq),
        Frame::Info(_) | Frame::Error(_) => assert_eq!(frame.seq(), None),
    }
    let _ = format!("{frame:?}");
});
