use super::*;
use crate::bluesky::firehose::testutil::{E, cid_for, head};

#[test]
fn decodes_every_kind_of_value() {
    let cid = cid_for(b"x");
    let v = E::map([
        ("a", E::Int(0)),
        ("b", E::Int(23)),
        ("c", E::Int(24)),
        ("d", E::Int(-1)),
        ("e", E::Int(i64::MIN)),
        ("f", E::Int(i64::MAX)),
        ("g", E::Bytes(vec![1, 2, 3])),
        ("h", E::text("héllo")),
        ("i", E::Array(vec![E::Null, E::Bool(true), E::Bool(false)])),
        ("j", E::Link(cid.clone())),
    ])
    .encode();
    let got = decode_all(&v).unwrap();
    assert_eq!(got.get("a"), Some(&Value::Int(0)));
    assert_eq!(got.get("b"), Some(&Value::Int(23)));
    assert_eq!(got.get("c"), Some(&Value::Int(24)));
    assert_eq!(got.get("d"), Some(&Value::Int(-1)));
    assert_eq!(got.get("e"), Some(&Value::Int(i64::MIN)));
    assert_eq!(got.get("f"), Some(&Value::Int(i64::MAX)));
    assert_eq!(
        got.get("g").and_then(Value::as_bytes),
        Some(&[1u8, 2, 3][..])
    );
    assert_eq!(got.get("h").and_then(Value::as_str), Some("héllo"));
    assert_eq!(
        got.get("i"),
        Some(&Value::Array(vec![
            Value::Null,
            Value::Bool(true),
            Value::Bool(false)
        ]))
    );
    assert_eq!(
        got.get("j")
            .and_then(Value::as_link)
            .map(|c| c.as_bytes().to_vec()),
        Some(cid)
    );
    assert_eq!(got.get("zz"), None);
}

#[test]
fn floats_and_json_form() {
    let mut b = vec![0xfb];
    b.extend(1.5f64.to_be_bytes());
    assert_eq!(decode_all(&b).unwrap(), Value::Float(1.5));
    let v = E::map([("x", E::Bytes(vec![0xff])), ("l", E::Link(cid_for(b"y")))]).encode();
    let json = decode_all(&v).unwrap().to_json();
    assert_eq!(json["x"]["$bytes"], "/w");
    assert!(json["l"]["$link"].as_str().unwrap().starts_with("bafyrei"));
}

#[test]
fn returns_the_rest_after_one_value() {
    let mut b = E::Int(5).encode();
    b.extend(E::text("next").encode());
    let (v, rest) = decode(&b).unwrap();
    assert_eq!(v, Value::Int(5));
    assert_eq!(decode_all(rest).unwrap(), Value::Text("next"));
    assert!(decode_all(&b).is_err());
}

#[test]
fn rejects_what_dag_cbor_forbids() {
    let rows: &[(&[u8], CborError)] = &[
        (&[], CborError::Truncated),
        (&[0x1b, 0x80, 0, 0, 0, 0, 0, 0, 0], CborError::IntegerRange),
        (&[0x3b, 0x80, 0, 0, 0, 0, 0, 0, 0], CborError::IntegerRange),
        (&[0x5f], CborError::Unsupported(31)),
        (&[0x9f], CborError::Unsupported(31)),
        (&[0x1c], CborError::Unsupported(28)),
        (&[0x62, 0xff, 0xfe], CborError::Utf8),
        (&[0xa1, 0x01, 0x01], CborError::MapKey),
        (&[0xc1, 0x00], CborError::Tag(1)),
        (
            &[0xd8, 0x2a, 0x01],
            CborError::Link("tag 42 must wrap a byte string"),
        ),
        (
            &[0xd8, 0x2a, 0x41, 0x01],
            CborError::Link("missing 0x00 multibase prefix"),
        ),
        (&[0xf7], CborError::Simple(23)),
        (&[0x63, b'a'], CborError::Truncated),
        (
            &[0x9a, 0xff, 0xff, 0xff, 0xff],
            CborError::Length(0xffff_ffff),
        ),
        (
            &[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            CborError::Length(u64::MAX),
        ),
    ];
    for (input, want) in rows {
        assert_eq!(decode(input).unwrap_err(), *want, "{input:02x?}");
    }
}

#[test]
fn limits_nesting() {
    let mut deep = Vec::new();
    for _ in 0..=MAX_DEPTH {
        head(&mut deep, 4, 1);
    }
    deep.push(0x00);
    assert_eq!(decode(&deep).unwrap_err(), CborError::TooDeep);
    let ok = &deep[deep.len() - 1 - MAX_DEPTH..];
    assert!(decode_all(ok).is_ok());
}
