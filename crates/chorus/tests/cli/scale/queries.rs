//! Listening queries in step across workers: three worker processes store a steady flow of
//! posts; a query added in the middle (a committed change, as a person's edit makes it) is
//! picked up by every worker within 5 s — each logs the reload of the version that holds it —,
//! every post published 5 s or more after the change matches it, and every match records the
//! query's revision.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chorus_core::audit::Author;
use chorus_core::conversations::{QueryInput, RawQuery};
use chorus_core::org::MarketInput;
use chorus_store::{InboxQuery, Store};

use super::{Nats, drained, json_lines, post, publish, stream, worker};
use crate::support::PgDb;

#[test]
fn a_query_added_mid_run_is_applied_by_every_worker_within_five_seconds() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let Some(nats) = Nats::start(tmp.path()) else {
        return;
    };
    let Some(db) = rt.block_on(PgDb::create()) else {
        return;
    };
    let store = rt.block_on(Store::open(&db.url)).unwrap();
    let sys = Author::system("test");
    let market = rt
        .block_on(
            store.create_market(
                &sys,
                &MarketInput::parse(
                    "US",
                    "United States",
                    "US",
                    &["en-US".into()],
                    "America/New_York",
                )
                .unwrap(),
            ),
        )
        .unwrap();
    let conn = rt.block_on(stream(&nats));
    let logs: Vec<_> = (0..3)
        .map(|i| tmp.path().join(format!("worker{i}.log")))
        .collect();
    let url = nats.url();
    let dir = tmp.path().join("data");
    let mut workers: Vec<_> = logs.iter().map(|l| worker(&db, &url, &dir, l)).collect();
    // Each consumes the stream before the flow starts (a worker started later would load the
    // query at start, not apply a change).
    let deadline = Instant::now() + Duration::from_secs(60);
    while !logs.iter().all(|l| {
        json_lines(l)
            .iter()
            .any(|v| v["message"] == "consuming the post stream")
    }) {
        assert!(Instant::now() < deadline, "the workers did not start");
        std::thread::sleep(Duration::from_millis(100));
    }

    // A post every 50 ms, all mentioning "zephyr"; the query comes after two seconds.
    let started = Instant::now();
    let mut sent: Vec<(String, Duration)> = Vec::new();
    let mut added: Option<(
        Duration,
        jiff::Timestamp,
        i64,
        chorus_core::conversations::QueryId,
    )> = None;
    let mut i = 0;
    while added.is_none_or(|(at, ..)| started.elapsed() < at + Duration::from_secs(8)) {
        let uri = format!("import:zephyr-{i}");
        rt.block_on(publish(
            &conn,
            &[post(
                &uri,
                &format!("did:plc:author{}", i % 17),
                &format!("zephyr sighting {i}"),
            )],
        ));
        sent.push((uri, started.elapsed()));
        i += 1;
        if added.is_none() && started.elapsed() >= Duration::from_secs(2) {
            let input = QueryInput::parse(
                market.id,
                None,
                &RawQuery {
                    name: "Zephyr".into(),
                    query: "zephyr".into(),
                    side: Some("topic".into()),
                    ..RawQuery::default()
                },
            )
            .unwrap();
            let at = jiff::Timestamp::now();
            let q = rt
                .block_on(store.create_listening_query(&sys, &input))
                .unwrap();
            added = Some((started.elapsed(), at, q.revision, q.id));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let (added_at, added_ts, revision, query) = added.unwrap();
    rt.block_on(drained(&nats, Duration::from_secs(120)));
    for w in &mut workers {
        super::sigkill(w);
    }

    // Every worker reloaded the version holding the query, within 5 s of the change.
    for (n, log) in logs.iter().enumerate() {
        let reload = json_lines(log)
            .into_iter()
            .find(|v| {
                v["message"] == "listening queries reloaded"
                    && v["version"].as_i64().is_some_and(|x| x >= revision)
            })
            .unwrap_or_else(|| panic!("worker {n} never reloaded version {revision}"));
        let at: jiff::Timestamp = reload["timestamp"].as_str().unwrap().parse().unwrap();
        let lag = at.duration_since(added_ts);
        eprintln!("worker {n} applied the query {lag:#} after the change");
        assert!(
            lag < jiff::SignedDuration::from_secs(5),
            "worker {n} took {lag:#} to apply the query"
        );
    }
    // Every post published 5 s after the change (or later) matched; each match has the
    // query's revision.
    let matched: HashSet<String> = rt.block_on(async {
        let mut out = HashSet::new();
        let mut before = None;
        loop {
            let page = store
                .inbox(&InboxQuery {
                    query: Some(query),
                    before,
                    limit: 500,
                    ..InboxQuery::default()
                })
                .await
                .unwrap();
            let Some(last) = page.last() else { break };
            before = Some((last.post.posted_at_ms, last.id.0));
            out.extend(page.into_iter().map(|c| c.post.uri));
        }
        out
    });
    let late: Vec<&String> = sent
        .iter()
        .filter(|(_, at)| *at >= added_at + Duration::from_secs(5))
        .map(|(u, _)| u)
        .collect();
    assert!(
        late.len() >= 40,
        "posts kept coming after the change ({})",
        late.len()
    );
    let missed: Vec<_> = late.iter().filter(|u| !matched.contains(**u)).collect();
    assert!(
        missed.is_empty(),
        "posts 5 s after the change not matched: {missed:?}"
    );
    assert_eq!(
        rt.block_on(store.query_match_revisions(query)).unwrap(),
        vec![(Some(revision), matched.len() as i64)],
        "every match records the query's revision"
    );
    rt.block_on(store.close());
}
