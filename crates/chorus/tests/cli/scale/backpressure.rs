//! A full stream pushes back: with a 1 MB stream and no worker, a source reading a 6,000-post
//! file fills it and then waits — still running, its cursor short of the end, the stream at its
//! limit, nothing dropped — and once a worker starts draining it the source goes on and
//! finishes, and every post is stored.

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use chorus_store::Store;

use super::{Nats, drained, scaled, worker};
use crate::support::PgDb;

const POSTS: usize = 6_000;

#[test]
fn a_full_stream_holds_the_source_back_until_workers_drain_it() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let Some(nats) = Nats::start(tmp.path()) else {
        return;
    };
    let Some(db) = rt.block_on(PgDb::create()) else {
        return;
    };
    // ~400 bytes a post in the stream: about twice what 1 MB holds.
    let file = tmp.path().join("posts.jsonl");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
    for i in 0..POSTS {
        let text = format!(
            "post {i} of the back-pressure test, with enough words to weigh something in the stream {}",
            "x".repeat(120)
        );
        writeln!(
            f,
            "{}",
            serde_json::json!({"id": format!("bp-{i}"), "author": format!("a{}", i % 50), "text": text, "created_at": "2026-12-01T10:00:00Z"})
        )
        .unwrap();
    }
    f.into_inner().unwrap().sync_all().unwrap();
    let url = nats.url();
    let dir = tmp.path().join("data");
    let source = || {
        let mut c = scaled(&db, &url, &dir);
        c.env("CHORUS__NATS__MAX_MEGABYTES", "1")
            .args(["ingest", "file", "--quiet", "--batch", "500"])
            .arg(&file)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    };
    // The stream, 1 MB, made first (as the source's setting would make it).
    let conn = rt.block_on(async {
        let mut config = chorus_stream::StreamConfig::new(nats.url());
        config.max_bytes = 1 << 20;
        chorus_stream::connect(config, "chorus-test").await.unwrap()
    });
    let mut src = source().spawn().unwrap();
    // Full: the stream stops growing and the source waits, alive.
    let full = rt.block_on(async {
        let mut last = 0;
        let mut steady = 0;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let b = conn.backlog().await.unwrap();
            if b.messages == last {
                steady += 1;
                if steady >= 4 {
                    break b;
                }
            } else {
                steady = 0;
                last = b.messages;
            }
            assert!(Instant::now() < deadline, "the stream never filled: {b:?}");
        }
    });
    eprintln!("full: {full:?}");
    assert!(
        src.try_wait().unwrap().is_none(),
        "the source waits for room instead of giving up or dropping posts"
    );
    assert!(
        (full.messages as usize) < POSTS && full.bytes > 900_000 && full.bytes <= 1 << 20,
        "the stream is at its limit with part of the file: {full:?}"
    );
    let store = rt.block_on(Store::open(&db.url)).unwrap();
    let cursor_key = format!("file:{}", file.canonicalize().unwrap().display());
    let cursor: u64 = rt
        .block_on(store.ingest_cursor(&cursor_key))
        .unwrap()
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    assert!(
        (cursor as usize) <= full.messages as usize,
        "the cursor ({cursor}) does not pass what the stream holds ({})",
        full.messages
    );

    // A worker drains it; the source goes on to the end.
    let mut w = worker(&db, &url, &dir, &tmp.path().join("worker.log"));
    let started = Instant::now();
    let out = loop {
        if src.try_wait().unwrap().is_some() {
            break src.wait_with_output().unwrap();
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "the source did not finish once a worker drained the stream"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("the stream is full"),
        "the source said why it waited: {said}"
    );
    rt.block_on(drained(&nats, Duration::from_secs(120)));
    super::sigkill(&mut w);
    let (posts, _) = rt.block_on(store.ingest_counts()).unwrap();
    assert_eq!(posts as usize, POSTS, "every post stored, none dropped");
    rt.block_on(store.close());
}
