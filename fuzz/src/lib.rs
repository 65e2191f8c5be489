//! Helpers shared by the fuzz targets: a DAG-CBOR encoder (the decoder's round-trip partner and
//! the way to build firehose frames around fuzzed records), a CAR writer, and the splitting of one
//! fuzz input into the fields a target needs.
//!
//! Inputs are plain bytes or text with `\u{1}` between fields, so a corpus seeded from real
//! files (queries, posts, CSV, feeds, firehose captures) stays readable and mutates well.

use chorus_networks::bluesky::firehose::cbor::Value;

/// The fields of a text input, split on `\u{1}`; missing fields are empty.
pub fn fields<const N: usize>(s: &str) -> [&str; N] {
    let mut out = [""; N];
    let mut parts = s.splitn(N, '\u{1}');
    for slot in out.iter_mut() {
        *slot = parts.next().unwrap_or("");
    }
    out
}

/// Writes a CBOR head: major type and argument, in the shortest form (as DAG-CBOR requires).
pub fn head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    if n < 24 {
        out.push(m | n as u8);
    } else if n <= u64::from(u8::MAX) {
        out.extend([m | 24, n as u8]);
    } else if n <= u64::from(u16::MAX) {
        out.push(m | 25);
        out.extend((n as u16).to_be_bytes());
    } else if n <= u64::from(u32::MAX) {
        out.push(m | 26);
        out.extend((n as u32).to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend(n.to_be_bytes());
    }
}

/// Encodes a value as DAG-CBOR (maps in the order given; floats always 64-bit).
pub fn encode(v: &Value<'_>, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.push(0xf6),
        Value::Bool(false) => out.push(0xf4),
        Value::Bool(true) => out.push(0xf5),
        Value::Int(i) if *i >= 0 => head(out, 0, *i as u64),
        Value::Int(i) => head(out, 1, (-1 - *i) as u64),
        Value::Float(f) => {
            out.push(0xfb);
            out.extend(f.to_bits().to_be_bytes());
        }
        Value::Bytes(b) => {
            head(out, 2, b.len() as u64);
            out.extend_from_slice(b);
        }
        Value::Text(s) => {
            head(out, 3, s.len() as u64);
            out.extend_from_slice(s.as_bytes());
        }
        Value::Array(items) => {
            head(out, 4, items.len() as u64);
            for item in items {
                encode(item, out);
            }
        }
        Value::Map(entries) => {
            head(out, 5, entries.len() as u64);
            for (k, v) in entries {
                head(out, 3, k.len() as u64);
                out.extend_from_slice(k.as_bytes());
                encode(v, out);
            }
        }
        Value::Link(cid) => {
            head(out, 6, 42);
            head(out, 2, cid.as_bytes().len() as u64 + 1);
            out.push(0);
            out.extend_from_slice(cid.as_bytes());
        }
    }
}

/// Equality that treats two NaNs with the same bits as equal (`PartialEq` on `f64` does not).
pub fn same(a: &Value<'_>, b: &Value<'_>) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        (Value::Array(xs), Value::Array(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| same(x, y))
        }
        (Value::Map(xs), Value::Map(ys)) => {
            xs.len() == ys.len()
                && xs
                    .iter()
                    .zip(ys)
                    .all(|((kx, vx), (ky, vy))| kx == ky && same(vx, vy))
        }
        _ => a == b,
    }
}

/// A CIDv1 (dag-cbor, sha2-256) whose digest is `n` spread over 32 bytes: distinct per block,
/// which is all the decoder looks at (it does not verify digests).
pub fn cid_bytes(n: u32) -> Vec<u8> {
    let mut cid = vec![0x01, 0x71, 0x12, 0x20];
    for i in 0..8 {
        cid.extend(n.wrapping_add(i).to_be_bytes());
    }
    cid
}

/// An unsigned LEB128 varint.
pub fn varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// A CAR v1 file with no roots and these `(cid, data)` blocks.
pub fn car(blocks: &[(Vec<u8>, &[u8])]) -> Vec<u8> {
    let mut header = Vec::new();
    encode(
        &Value::Map(vec![
            ("roots", Value::Array(Vec::new())),
            ("version", Value::Int(1)),
        ]),
        &mut header,
    );
    let mut out = Vec::new();
    varint(&mut out, header.len() as u64);
    out.extend(header);
    for (cid, data) in blocks {
        varint(&mut out, (cid.len() + data.len()) as u64);
        out.extend_from_slice(cid);
        out.extend_from_slice(data);
    }
    out
}

/// A `#commit` frame from `repo` whose ops write (or delete, `record: None`) records at `path`,
/// each record's bytes carried in the frame's CAR blocks. The record bytes are whatever the fuzzer
/// made: the frame around them is valid, so the record decoder and the normalizer are reached.
pub fn commit_frame(
    seq: i64,
    repo: &str,
    time: &str,
    ops: &[(&str, &str, Option<&[u8]>)],
) -> Vec<u8> {
    let cids: Vec<Vec<u8>> = (0..ops.len() as u32).map(|i| cid_bytes(i * 8)).collect();
    let blocks: Vec<(Vec<u8>, &[u8])> = ops
        .iter()
        .zip(&cids)
        .filter_map(|((_, _, record), cid)| record.map(|r| (cid.clone(), r)))
        .collect();
    let car = car(&blocks);
    let op_values: Vec<Value<'_>> = ops
        .iter()
        .zip(&cids)
        .map(|((action, path, record), cid)| {
            let mut entries = vec![("action", Value::Text(action)), ("path", Value::Text(path))];
            if record.is_some() {
                // A CID that parses: the bytes were built by `cid_bytes`.
                if let Ok(c) = chorus_networks::bluesky::firehose::cid::Cid::parse(cid) {
                    entries.push(("cid", Value::Link(c)));
                }
            } else {
                entries.push(("cid", Value::Null));
            }
            Value::Map(entries)
        })
        .collect();
    let body = Value::Map(vec![
        ("seq", Value::Int(seq)),
        ("repo", Value::Text(repo)),
        ("rev", Value::Text("3l3qo2vuowo2b")),
        ("time", Value::Text(time)),
        ("ops", Value::Array(op_values)),
        ("blocks", Value::Bytes(&car)),
    ]);
    let mut out = Vec::new();
    encode(
        &Value::Map(vec![("op", Value::Int(1)), ("t", Value::Text("#commit"))]),
        &mut out,
    );
    encode(&body, &mut out);
    out
}
