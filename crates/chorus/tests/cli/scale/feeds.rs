//! Feeds as a source role: two `chorus serve --roles web,source` processes configured with the
//! same RSS feed (served by the test) and one worker process, on PostgreSQL and the stream. One
//! source leads the feeds (`/readyz` says which: one leader, one standby), the feed's items are
//! stored once, and when the leader is SIGKILLed the other takes over and stores what the feed
//! brings next.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chorus_store::Store;

use super::{Nats, worker};
use crate::support::{PgDb, Server};

/// A feed of `items` titled "northwind item N", served at `http://127.0.0.1:PORT/feed.xml`.
fn serve_feed(items: Arc<Mutex<usize>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/feed.xml", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let n = *items.lock().unwrap();
            let body: String = (0..n)
                .map(|i| {
                    format!(
                        "<item><title>northwind item {i}</title><link>https://news.example/{i}</link>\
                         <pubDate>Mon, 07 Dec 2026 08:00:00 GMT</pubDate></item>"
                    )
                })
                .collect();
            let xml = format!(
                "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>News</title>{body}</channel></rss>"
            );
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{xml}",
                xml.len()
            );
        }
    });
    url
}

fn readyz(server: &Server) -> String {
    reqwest::blocking::get(format!("{}/readyz", server.url))
        .unwrap()
        .text()
        .unwrap()
}

#[test]
fn one_source_polls_the_feeds_and_another_takes_over_when_it_dies() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let Some(nats) = Nats::start(tmp.path()) else {
        return;
    };
    let Some(db) = rt.block_on(PgDb::create()) else {
        return;
    };
    let store = rt.block_on(Store::open(&db.url)).unwrap();
    let items = Arc::new(Mutex::new(3));
    let feed = serve_feed(items.clone());
    let config = tmp.path().join("chorus.toml");
    std::fs::write(
        &config,
        format!(
            "[ingest]\nfeeds = [\"{feed}\"]\nfeed_every_minutes = 1\nallow_private_addresses = true\n"
        ),
    )
    .unwrap();
    let url = nats.url();
    let env = [
        ("CHORUS__DATABASE_URL", db.raw_url.as_str()),
        ("CHORUS__NATS__URL", url.as_str()),
    ];
    let start = |name: &str| {
        Server::start_with_env(
            &tmp.path().join(name),
            &[
                "--roles",
                "web,source",
                "--config",
                config.to_str().unwrap(),
            ],
            &env,
        )
    };
    let first = start("a");
    let second = start("b");
    let dir = tmp.path().join("w");
    let mut w = worker(&db, &url, &dir, &tmp.path().join("worker.log"));
    let stored = |n: i64, within: Duration| {
        let deadline = Instant::now() + within;
        loop {
            let (posts, _) = rt.block_on(store.ingest_counts()).unwrap();
            if posts >= n {
                return posts;
            }
            assert!(
                Instant::now() < deadline,
                "{posts} of {n} feed items stored"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    assert_eq!(stored(3, Duration::from_secs(60)), 3);
    let (a, b) = (readyz(&first), readyz(&second));
    let leaders = [&a, &b]
        .iter()
        .filter(|r| r.contains("leader of 1 reading"))
        .count();
    let standby = [&a, &b].iter().filter(|r| r.contains("standby")).count();
    assert_eq!(
        (leaders, standby),
        (1, 1),
        "one leads, one stands by:\n{a}\n{b}"
    );
    // The leader dies; the other takes over and polls what the feed brings next.
    let (mut leader, other) = if a.contains("leader") {
        (first, second)
    } else {
        (second, first)
    };
    *items.lock().unwrap() = 5;
    super::sigkill(&mut leader.child);
    assert_eq!(
        stored(5, Duration::from_secs(90)),
        5,
        "the standby took over"
    );
    assert!(
        readyz(&other).contains("leader of 1 reading"),
        "{}",
        readyz(&other)
    );
    super::sigkill(&mut w);
    rt.block_on(store.close());
}
