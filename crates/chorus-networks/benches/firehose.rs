//! Criterion bench of the firehose decoder on a capture recorded by bench/firehose/run.sh
//! (`CHORUS_FIREHOSE_CAPTURE`, default /var/tmp/chorus-bsky/bench/frames.bin). Without a
//! capture it says so and measures nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use chorus_networks::bluesky::firehose::{Frame, Normalizer, decode_frame};

fn load() -> Option<Vec<u8>> {
    let path = std::env::var("CHORUS_FIREHOSE_CAPTURE")
        .unwrap_or_else(|_| "/var/tmp/chorus-bsky/bench/frames.bin".into());
    match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(e) => {
            eprintln!("no firehose capture at {path} ({e}): run bench/firehose/run.sh first");
            None
        }
    }
}

fn split(buf: &[u8]) -> Vec<&[u8]> {
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

fn bench(c: &mut Criterion) {
    let Some(buf) = load() else { return };
    let frames = split(&buf);
    // 5,000 frames per iteration keeps one sample short on this machine.
    let sample: Vec<&[u8]> = frames.iter().copied().take(5_000).collect();
    let mut g = c.benchmark_group("firehose");
    g.throughput(Throughput::Elements(sample.len() as u64));
    g.bench_function("decode", |b| {
        b.iter(|| {
            let mut records = 0;
            for f in &sample {
                if let Ok(Frame::Commit(c)) = decode_frame(f) {
                    for op in &c.ops {
                        if let Some(Ok(v)) = c.record(op) {
                            std::hint::black_box(&v);
                            records += 1;
                        }
                    }
                }
            }
            records
        })
    });
    g.bench_function("decode+normalize", |b| {
        b.iter(|| {
            let mut n = Normalizer::new();
            sample
                .iter()
                .filter_map(|f| decode_frame(f).ok().and_then(|fr| n.normalize(&fr)))
                .count()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
