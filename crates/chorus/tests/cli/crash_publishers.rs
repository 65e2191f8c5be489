//! Exactly once with several publishers: three `chorus serve --roles publisher` processes share
//! a fresh PostgreSQL database (from `CHORUS_TEST_DATABASE_URL`) holding 200 variants due over
//! half a minute on the local Bluesky PDS. One of them is SIGKILLed and restarted, again and
//! again, each time at a seeded random moment or, if it is idle then, at the next moment within
//! a second that it is mid-publication; the other two stay up. In the end the PDS holds exactly 200
//! records, each once, every variant is marked published with its own record's URI, the kills
//! hit work in flight (the killed process's jobs claimed again after their lease expired, as in
//! `crash`), and more than one process published: each logs the URI of every job it completes,
//! and no URI is logged by two (a job run to completion twice would be a double claim).

use std::collections::{HashMap, HashSet};
use std::fs::OpenOptions;
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use chorus_store::{PUBLISH_JOB, publish_key};
use tokio::runtime::Runtime;

use crate::bluesky_peer::peer;
use crate::crash::{
    POSTS, Plan, assert_exactly_once, held_by, kill_and_restart, kill_rng, random_pause, seed,
    serve_command,
};
use crate::support::PgDb;

const PUBLISHERS: usize = 3;

#[test]
fn three_publishers_on_postgres_publish_exactly_once_while_one_is_killed() {
    let Some(peer) = peer() else { return };
    let rt = Runtime::new().unwrap();
    let Some(db) = rt.block_on(PgDb::create()) else {
        return;
    };
    let (handle, did, password) = peer.new_account("pubs");
    let store = rt.block_on(seed(
        &db.url,
        &peer,
        &handle,
        &password,
        POSTS,
        Duration::from_secs(30),
    ));
    let dirs: Vec<tempfile::TempDir> = (0..PUBLISHERS)
        .map(|_| tempfile::tempdir().unwrap())
        .collect();
    let log = |slot: usize| dirs[slot].path().join("publisher.log");
    // A publisher's log (JSON lines, the job worker's at info) goes to its slot's file, which
    // every restart appends to.
    let start = |slot: usize| -> Child {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(log(slot))
            .unwrap();
        serve_command(dirs[slot].path())
            .args(["--roles", "publisher"])
            .env("CHORUS__DATABASE_URL", &db.raw_url)
            .env("CHORUS__LOG__LEVEL", "warn,chorus_jobs=info")
            .env("CHORUS__LOG__FORMAT", "json")
            .stderr(file)
            .spawn()
            .unwrap()
    };
    let mut steady: Vec<KillOnDrop> = (1..PUBLISHERS).map(|s| KillOnDrop(start(s))).collect();
    let mut rng = kill_rng("three publishers");
    let plan = Plan {
        enough: 10,
        most: 40,
        deadline: Instant::now() + Duration::from_secs(150),
    };
    let mut watch = rt.block_on(db.connect());
    let kills = kill_and_restart(
        &rt,
        &store,
        &plan,
        || start(0),
        |child| {
            random_pause(&mut rng);
            // Publishing one post takes tens of milliseconds and the victim does a third of
            // them: a moment at random rarely finds it mid-publication. From the random moment,
            // wait (up to a second) for the next one that does.
            let until = Instant::now() + Duration::from_secs(1);
            while Instant::now() < until && !rt.block_on(mid_publication(&mut watch, child.id())) {
                std::thread::sleep(Duration::from_millis(2));
            }
        },
    );
    for (i, KillOnDrop(child)) in steady.iter_mut().enumerate() {
        let exited = child.try_wait().unwrap();
        assert!(exited.is_none(), "publisher {} exited: {exited:?}", i + 1);
    }
    drop(steady);
    assert!(
        kills.count >= 5,
        "the test killed publisher 0 {} times; expected several",
        kills.count
    );
    let records = assert_exactly_once(&rt, &store, &peer, &did, &kills, "three publishers");

    let on_pds: HashSet<&str> = records.iter().map(|(u, _)| u.as_str()).collect();
    let mut by: HashMap<String, usize> = HashMap::new();
    let mut counts = Vec::new();
    for slot in 0..PUBLISHERS {
        let uris = logged_publications(&log(slot));
        for uri in &uris {
            assert!(
                on_pds.contains(uri.as_str()),
                "publisher {slot} logged {uri}, not on the PDS"
            );
            if let Some(other) = by.insert(uri.clone(), slot) {
                panic!(
                    "publishers {other} and {slot} both ran the job of {uri} to completion \
                     (claimed twice)"
                );
            }
        }
        counts.push(uris.len());
    }
    let publishing = counts.iter().filter(|n| **n > 0).count();
    eprintln!(
        "three publishers: publications logged by publisher 0 (killed {} times), 1, 2: {counts:?}",
        kills.count
    );
    assert!(
        publishing >= 2,
        "only one process published ({counts:?} by publisher 0, 1, 2)"
    );
    rt.block_on(async {
        store.close().await;
        drop(watch);
    });
    drop(db);
}

/// A publisher that stays up; SIGKILLed when dropped, also when the test fails.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether the process `pid` holds a publish job whose variant it began publishing (its key
/// time fixed, the record not yet recorded).
async fn mid_publication(db: &mut sqlx::PgConnection, pid: u32) -> bool {
    let rows: Vec<(String, Option<String>, i64)> = sqlx::query_as(
        "SELECT j.key, j.lease_owner, v.id FROM jobs j, variants v WHERE j.kind = $1 \
         AND j.state = 'running' AND v.pub_state = 'publishing'",
    )
    .bind(PUBLISH_JOB)
    .fetch_all(db)
    .await
    .unwrap();
    rows.iter().any(|(key, owner, variant)| {
        *key == publish_key(*variant) && owner.as_deref().is_some_and(|o| held_by(o, pid))
    })
}

/// The record URIs a publisher logged as published (`published at://…`, also when it found the
/// record made by an earlier, killed attempt), one per job it completed.
fn logged_publications(log: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let (_, rest) = line.split_once("published at://")?;
            let end = rest
                .find(|c: char| c == '"' || c.is_whitespace())
                .unwrap_or(rest.len());
            Some(format!("at://{}", &rest[..end]))
        })
        .collect()
}
