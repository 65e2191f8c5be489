//! The crash test: the shared 149k-post corpus with 10,000 listening queries, read by one source
//! (`chorus ingest file` with `[nats]`) into the stream and stored by three worker processes
//! (`chorus serve --roles worker`) on PostgreSQL, while a worker, the source and nats-server
//! itself are SIGKILLed at random moments (seeded; the seed is printed, `CHORUS_SCALE_SEED`
//! replays it) and restarted. In the end the database holds exactly what one uninterrupted
//! single-process import stores — the same posts, the same conversations with the same matched
//! queries and sentiment, the same hourly volumes (each post counted once) —, the stream is
//! empty with nothing pending, and workers saw redeliveries (the kills hit work in flight).

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};

use super::{Nats, Proc, drained, redelivered, scaled, sigkill, worker};
use crate::ingest_crash::{assert_same_as_uninterrupted, corpus, fingerprint_of, queries, seed_at};
use crate::support::{PgDb, chorus};

const WORKERS: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Victim {
    Worker(usize),
    Source,
    Nats,
}

/// The source, what it prints appended to `out`.
fn source(db: &PgDb, nats_url: &str, dir: &Path, corpus: &Path, out: &Path) -> Proc {
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(out)
        .unwrap();
    scaled(db, nats_url, dir)
        .args(["ingest", "file", "--quiet", "--batch", "2000"])
        .arg(corpus)
        .stdout(out)
        .stderr(Stdio::null())
        .spawn()
        .map(Proc)
        .unwrap()
}

#[test]
fn workers_source_and_nats_killed_store_exactly_what_one_process_does() {
    let Some(corpus) = corpus() else { return };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let Some(mut nats) = Nats::start(tmp.path()) else {
        return;
    };
    let Some(db) = rt.block_on(PgDb::create()) else {
        return;
    };
    let qfile = tmp.path().join("queries.tsv");
    let lines: Vec<String> = queries(10_000, 7)
        .iter()
        .enumerate()
        .map(|(i, q)| format!("q{i}\t{q}"))
        .collect();
    std::fs::write(&qfile, lines.join("\n")).unwrap();

    // The reference: one process, one SQLite database, no interruption.
    let reference = tmp.path().join("reference");
    rt.block_on(seed_at(&reference, None, &qfile));
    let started = Instant::now();
    let out = chorus()
        .args(["ingest", "file", "--quiet", "--batch", "4000"])
        .arg(&corpus)
        .arg("--data-dir")
        .arg(&reference)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("single process: {:?}", started.elapsed());

    // The same on PostgreSQL through the stream, with kills.
    let dir = tmp.path().join("scaled");
    rt.block_on(seed_at(&dir, Some(&db.raw_url), &qfile));
    let seed: u64 = std::env::var("CHORUS_SCALE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("kill schedule seed: {seed} (CHORUS_SCALE_SEED={seed} replays it)");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let logs: Vec<_> = (0..WORKERS)
        .map(|i| tmp.path().join(format!("worker{i}.log")))
        .collect();
    let url = nats.url();
    let start_worker = |i: usize| worker(&db, &url, &dir, &logs[i]);
    let said = tmp.path().join("source.out");
    let mut workers: Vec<Proc> = (0..WORKERS).map(start_worker).collect();
    let started = Instant::now();
    let mut src = source(&db, &url, &dir, &corpus, &said);
    // One of each first (the source early, while it still reads), then three at random.
    let mut plan = vec![
        Victim::Source,
        Victim::Worker(rng.random_range(0..WORKERS)),
        Victim::Nats,
    ];
    for _ in 0..3 {
        plan.push(match rng.random_range(0..3) {
            0 => Victim::Source,
            1 => Victim::Nats,
            _ => Victim::Worker(rng.random_range(0..WORKERS)),
        });
    }
    let mut hit = Vec::new();
    for victim in plan {
        std::thread::sleep(Duration::from_millis(rng.random_range(400..2500)));
        let t = started.elapsed();
        match victim {
            Victim::Worker(i) => {
                sigkill(&mut workers[i]);
                std::thread::sleep(Duration::from_millis(rng.random_range(200..1000)));
                workers[i] = start_worker(i);
                hit.push(format!("worker {i} at {t:?}"));
            }
            Victim::Source => {
                if src.try_wait().unwrap().is_none() {
                    sigkill(&mut src);
                    hit.push(format!("source at {t:?}"));
                    std::thread::sleep(Duration::from_millis(rng.random_range(200..1000)));
                    src = source(&db, &url, &dir, &corpus, &said);
                } else {
                    hit.push(format!("(source already done at {t:?})"));
                }
            }
            Victim::Nats => {
                nats.kill();
                std::thread::sleep(Duration::from_millis(rng.random_range(200..1500)));
                nats.restart();
                hit.push(format!("nats-server at {t:?}"));
            }
        }
    }
    eprintln!("kills: {hit:?}");
    assert!(
        hit.iter().any(|h| h.starts_with("source")),
        "the source was killed while it read: {hit:?}"
    );
    // The source runs to the end (restarted once more if the last kill left it dead).
    let mut status = src.wait_within(Duration::from_secs(300), "the source");
    if !status.success() {
        status = source(&db, &url, &dir, &corpus, &said)
            .wait_within(Duration::from_secs(300), "the source");
    }
    assert!(status.success(), "the source finished: {status:?}");
    let said = std::fs::read_to_string(&said).unwrap();
    eprintln!("source: {}", said.lines().last().unwrap_or_default());
    let backlog = rt.block_on(drained(&nats, Duration::from_secs(300)));
    eprintln!("drained after {:?}: {backlog:?}", started.elapsed());
    for w in &mut workers {
        sigkill(w);
    }
    let again = redelivered(&logs);
    eprintln!("redelivered to workers: {again}");
    assert!(again > 0, "the kills hit messages in flight (redeliveries)");

    let a = rt.block_on(fingerprint_of(&chorus_store::DatabaseUrl::sqlite_in(
        &reference,
    )));
    let b = rt.block_on(fingerprint_of(&db.url));
    assert_same_as_uninterrupted(&a, &b);
}
