//! The DAG-CBOR decoder on any bytes: no panic, no allocation beyond the input's size (the
//! decoder checks lengths first; libFuzzer's `-rss_limit_mb` catches a blow-up), and what it
//! decodes re-encodes to DAG-CBOR that decodes to the same value; its JSON form never fails.
#![no_main]

use chorus_fuzz::{encode, same};
use chorus_networks::bluesky::firehose::cbor::{self, decode, decode_all};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok((value, rest)) = decode(data) else {
        return;
    };
    assert!(rest.len() < data.len(), "a value takes at least one byte");
    assert_eq!(
        decode_all(data).is_ok(),
        rest.is_empty(),
        "decode_all accepts exactly the inputs with nothing after one value"
    );
    let mut bytes = Vec::new();
    encode(&value, &mut bytes);
    let again =
        decode_all(&bytes).unwrap_or_else(|e| panic!("re-encoded {value:?} does not decode: {e}"));
    assert!(same(&value, &again), "{value:?} → {again:?}");
    // Canonical: encoding the decoded canonical bytes gives them back.
    let mut twice = Vec::new();
    encode(&again, &mut twice);
    assert_eq!(bytes, twice);
    let _ = value.to_json();
    let _ = value.to_string();
    let _ = cbor::MAX_DEPTH;
});
