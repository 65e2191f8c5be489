//! Test helpers: a tiny DAG-CBOR encoder and builders for CAR files and firehose frames.

use sha2::Digest as _;

/// An owned CBOR value to encode.
#[derive(Debug, Clone)]
pub enum E {
    Null,
    Bool(bool),
    Int(i64),
    Bytes(Vec<u8>),
    Text(String),
    Array(Vec<E>),
    Map(Vec<(String, E)>),
    Link(Vec<u8>),
}

impl E {
    pub fn text(s: &str) -> E {
        E::Text(s.to_owned())
    }

    pub fn map<const N: usize>(entries: [(&str, E); N]) -> E {
        E::Map(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        )
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut Vec<u8>) {
        match self {
            E::Null => out.push(0xf6),
            E::Bool(b) => out.push(if *b { 0xf5 } else { 0xf4 }),
            E::Int(i) if *i >= 0 => head(out, 0, *i as u64),
            E::Int(i) => head(out, 1, (-1 - *i) as u64),
            E::Bytes(b) => {
                head(out, 2, b.len() as u64);
                out.extend(b);
            }
            E::Text(s) => {
                head(out, 3, s.len() as u64);
                out.extend(s.as_bytes());
            }
            E::Array(items) => {
                head(out, 4, items.len() as u64);
                items.iter().for_each(|i| i.write(out));
            }
            E::Map(entries) => {
                head(out, 5, entries.len() as u64);
                for (k, v) in entries {
                    E::Text(k.clone()).write(out);
                    v.write(out);
                }
            }
            E::Link(cid) => {
                head(out, 6, 42);
                head(out, 2, cid.len() as u64 + 1);
                out.push(0);
                out.extend(cid);
            }
        }
    }
}

pub fn head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    match n {
        0..=23 => out.push(m | n as u8),
        24..=0xff => out.extend([m | 24, n as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend((n as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(m | 26);
            out.extend((n as u32).to_be_bytes());
        }
        _ => {
            out.push(m | 27);
            out.extend(n.to_be_bytes());
        }
    }
}

pub fn varint(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// CIDv1, dag-cbor, sha2-256 of `data`.
pub fn cid_for(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x01, 0x71, 0x12, 0x20];
    out.extend(sha2::Sha256::digest(data));
    out
}

pub fn car_file(roots: &[Vec<u8>], blocks: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let header = E::map([
        (
            "roots",
            E::Array(roots.iter().cloned().map(E::Link).collect()),
        ),
        ("version", E::Int(1)),
    ])
    .encode();
    let mut out = Vec::new();
    varint(&mut out, header.len() as u64);
    out.extend(header);
    for (cid, data) in blocks {
        varint(&mut out, (cid.len() + data.len()) as u64);
        out.extend(cid);
        out.extend(data);
    }
    out
}

pub fn frame(t: &str, body: &E) -> Vec<u8> {
    let mut out = E::map([("op", E::Int(1)), ("t", E::text(t))]).encode();
    out.extend(body.encode());
    out
}

pub fn error_frame(error: &str, message: &str) -> Vec<u8> {
    let mut out = E::map([("op", E::Int(-1))]).encode();
    out.extend(E::map([("error", E::text(error)), ("message", E::text(message))]).encode());
    out
}

/// One op for [`commit_frame`]: action, path, record (for create/update), previous CID.
pub struct TestOp {
    pub action: &'static str,
    pub path: String,
    pub record: Option<E>,
    pub prev: Option<Vec<u8>>,
}

/// A `#commit` frame by `repo` at `seq` holding `ops`, with records in its CAR blocks.
pub fn commit_frame(seq: i64, repo: &str, ops: Vec<TestOp>) -> Vec<u8> {
    let mut blocks = Vec::new();
    let mut op_values = Vec::new();
    for op in ops {
        let cid = op.record.as_ref().map(|r| {
            let data = r.encode();
            let cid = cid_for(&data);
            blocks.push((cid.clone(), data));
            cid
        });
        let mut fields = vec![
            ("action".to_owned(), E::text(op.action)),
            ("path".to_owned(), E::Text(op.path)),
            ("cid".to_owned(), cid.map_or(E::Null, E::Link)),
        ];
        if let Some(prev) = op.prev {
            fields.push(("prev".to_owned(), E::Link(prev)));
        }
        op_values.push(E::Map(fields));
    }
    let commit_block = E::map([("did", E::text(repo)), ("version", E::Int(3))]).encode();
    let commit_cid = cid_for(&commit_block);
    blocks.push((commit_cid.clone(), commit_block));
    let car = car_file(std::slice::from_ref(&commit_cid), &blocks);
    let body = E::map([
        ("seq", E::Int(seq)),
        ("rebase", E::Bool(false)),
        ("tooBig", E::Bool(false)),
        ("repo", E::text(repo)),
        ("commit", E::Link(commit_cid)),
        ("rev", E::text("3n36ycl4hjs25")),
        ("since", E::Null),
        ("blocks", E::Bytes(car)),
        ("ops", E::Array(op_values)),
        ("blobs", E::Array(vec![])),
        ("time", E::text("2026-11-26T05:53:46.000Z")),
    ]);
    frame("#commit", &body)
}
