//! Times Chorus's firehose decoder on a capture file (see bench/firehose/): frames/s on one core.
//!
//!     cargo run --release -p chorus-networks --example firehose_decode -- <capture> [rounds]
//!
//! "decode" does what Bluesky's JavaScript consumer does per frame: header + body, the CAR
//! blocks of each commit, and every op's record. "decode+normalize" also builds Chorus's
//! normalized events (posts, engagement) with their owned strings.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::Instant;

use chorus_networks::bluesky::firehose::{Frame, Normalizer, decode_frame};

fn frames(buf: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 4 <= buf.len() {
        let len = u32::from_le_bytes(buf[pos..pos + 4].try_into().unwrap()) as usize;
        let end = (pos + 4 + len).min(buf.len());
        out.push(&buf[pos + 4..end]);
        pos = end;
    }
    out
}

fn decode(frames: &[&[u8]]) -> (usize, usize) {
    let (mut records, mut errors) = (0, 0);
    for f in frames {
        match decode_frame(f) {
            Ok(Frame::Commit(c)) => {
                for op in &c.ops {
                    if let Some(r) = c.record(op) {
                        match r {
                            Ok(v) => {
                                std::hint::black_box(&v);
                                records += 1;
                            }
                            Err(_) => errors += 1,
                        }
                    }
                }
            }
            Ok(other) => {
                std::hint::black_box(&other);
            }
            Err(_) => errors += 1,
        }
    }
    (records, errors)
}

fn normalize(frames: &[&[u8]]) -> usize {
    let mut n = Normalizer::new();
    let mut items = 0;
    for f in frames {
        if let Ok(frame) = decode_frame(f)
            && let Some(ev) = n.normalize(&frame)
        {
            items += ev.items.len();
            std::hint::black_box(ev);
        }
    }
    items
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .expect("usage: firehose_decode <capture> [rounds]");
    let rounds: usize = args.next().map_or(5, |r| r.parse().unwrap());
    let buf = std::fs::read(&path).unwrap();
    let frames = frames(&buf);
    let n = frames.len() * rounds;

    decode(&frames);
    let t = Instant::now();
    let mut stats = (0, 0);
    for _ in 0..rounds {
        stats = decode(&frames);
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "{{\"decoder\":\"chorus (rust)\",\"frames\":{},\"records\":{},\"errors\":{},\"seconds\":{s:.3},\"frames_per_s\":{:.0}}}",
        frames.len(),
        stats.0,
        stats.1,
        n as f64 / s
    );

    normalize(&frames);
    let t = Instant::now();
    let mut items = 0;
    for _ in 0..rounds {
        items = normalize(&frames);
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "{{\"decoder\":\"chorus (rust) decode+normalize\",\"frames\":{},\"items\":{items},\"seconds\":{s:.3},\"frames_per_s\":{:.0}}}",
        frames.len(),
        n as f64 / s
    );
}
