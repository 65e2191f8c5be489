//! The file import's reader and record parsing (JSON lines or CSV, as `chorus ingest file` reads
//! them): no panic on any bytes, the batch positions count up, and every record that becomes a
//! post is well formed — non-blank text, a URI, a valid network name, a two-letter uppercase
//! country or none, declared languages as 2–3 letter codes, lowercase link domains.
//!
//! Input: first byte even → CSV (with a header row), odd → JSON lines; the rest is the file.
#![no_main]

use std::io::Cursor;
use std::sync::atomic::AtomicBool;

use chorus_core::conversations::NetworkName;
use chorus_pipeline::Incoming;
use chorus_pipeline::file::{Format, Record, read_records};
use chorus_pipeline::normalize::{self, Context};
use chorus_pipeline::pipeline::Progress;
use libfuzzer_sys::fuzz_target;

fn check(post: &Incoming) {
    assert!(!post.text.trim().is_empty(), "{post:?}");
    assert!(!post.uri.is_empty(), "{post:?}");
    let network = NetworkName::parse(&post.network).expect("a valid network name");
    assert_eq!(network.as_str(), post.network);
    if let Some(c) = &post.country {
        assert!(
            c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()),
            "{c:?}"
        );
    }
    for l in &post.declared_langs {
        assert!(
            (2..=3).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_lowercase()),
            "{l:?}"
        );
    }
    for d in &post.domains {
        assert_eq!(*d, d.to_ascii_lowercase());
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, file)) = data.split_first() else {
        return;
    };
    let format = if mode % 2 == 0 {
        Format::Csv
    } else {
        Format::JsonLines
    };
    // One batch per record at most, so the channel never fills and never blocks the reader.
    let (tx, mut rx) = tokio::sync::mpsc::channel(file.len() + 2);
    let progress = Progress::default();
    let skip = u64::from(mode / 2 % 4);
    let result = read_records(
        "file:fuzz".into(),
        Box::new(Cursor::new(file.to_vec())),
        format,
        skip,
        3,
        &AtomicBool::new(false),
        &progress,
        &tx,
    );
    drop(tx);
    let ctx = Context {
        network: "import".into(),
        now_ms: 1_796_000_000_000,
    };
    let mut last = 0u64;
    while let Ok((cols, batch)) = rx.try_recv() {
        let position: u64 = batch.position.parse().expect("the position is a count");
        assert!(
            position > last && position > skip,
            "{position} after {last}"
        );
        last = position;
        for record in &batch.items {
            let post = match record {
                Record::Json(_, line) => normalize::json_line(line, &ctx),
                Record::Csv(row) => normalize::csv_row(&cols, row, &ctx),
            };
            if let Ok(post) = post {
                check(&post);
            }
        }
    }
    if result.is_ok() {
        assert!(Progress::get(&progress.read) >= last);
    }
});
