//! Feeds from a local HTTP server: entries stored once, conditional GET on the second poll,
//! and the SSRF guard refusing the same server when private addresses are not allowed.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use chorus_pipeline::feed::{self, FeedClient, FeedError, FetchError, Guard, Polled, Refused};
use chorus_pipeline::pipeline::Progress;
use chorus_pipeline::{Analyzers, Running, queries};
use chorus_store::InboxQuery;

use crate::support::store_with_queries;

const FEED: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Tech news</title>
<item><title>Northwind launches earbuds</title><link>https://news.example/1</link><pubDate>Mon, 23 Nov 2026 08:00:00 GMT</pubDate></item>
<item><title>Weather</title><link>https://news.example/2</link><pubDate>Mon, 23 Nov 2026 09:00:00 GMT</pubDate></item>
</channel></rss>"#;

#[derive(Default)]
struct Hits {
    full: AtomicUsize,
    not_modified: AtomicUsize,
}

/// Serves FEED with an ETag; answers 304 to a matching If-None-Match.
async fn serve(hits: Arc<Hits>) -> String {
    let app = axum::Router::new().route(
        "/feed.xml",
        axum::routing::get(move |headers: HeaderMap| {
            let hits = hits.clone();
            async move {
                if headers
                    .get(header::IF_NONE_MATCH)
                    .and_then(|v| v.to_str().ok())
                    == Some("\"v1\"")
                {
                    hits.not_modified.fetch_add(1, Ordering::SeqCst);
                    return StatusCode::NOT_MODIFIED.into_response();
                }
                hits.full.fetch_add(1, Ordering::SeqCst);
                (
                    [
                        (header::CONTENT_TYPE, "application/rss+xml"),
                        (header::ETAG, "\"v1\""),
                    ],
                    FEED,
                )
                    .into_response()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://127.0.0.1:{}/feed.xml", addr.port())
}

#[tokio::test]
async fn feeds_are_polled_conditionally_and_stored_once() {
    let (store, _, _dir) = store_with_queries(&[("Brand", "northwind")]).await;
    let hits = Arc::new(Hits::default());
    let url = serve(hits.clone()).await;
    let client = FeedClient::new(Guard {
        allow_private: true,
    })
    .unwrap();
    let (q, task) = queries::watch_queries(store.clone(), Duration::from_secs(60))
        .await
        .unwrap();
    let progress = Arc::new(Progress::default());
    let running = Running::start(store.clone(), Analyzers::new(), q, progress.clone());
    let first = feed::poll_once(&store, &client, &url, &running.input)
        .await
        .unwrap();
    assert_eq!(first, Polled::Entries(2));
    running.finish().await.unwrap();
    let key = feed::source_key(&url);
    assert_eq!(
        store.ingest_cursor(&key).await.unwrap().as_deref(),
        Some(r#"{"etag":"\"v1\""}"#),
        "the validators are the cursor, stored with the entries"
    );
    let (q, _t) = queries::watch_queries(store.clone(), Duration::from_secs(60))
        .await
        .unwrap();
    let running = Running::start(store.clone(), Analyzers::new(), q, progress.clone());
    let second = feed::poll_once(&store, &client, &url, &running.input)
        .await
        .unwrap();
    assert_eq!(second, Polled::NotModified);
    running.finish().await.unwrap();
    task.abort();
    assert_eq!(hits.full.load(Ordering::SeqCst), 1);
    assert_eq!(hits.not_modified.load(Ordering::SeqCst), 1);
    assert_eq!(store.ingest_counts().await.unwrap(), (2, 1));
    let inbox = store.inbox(&InboxQuery::default()).await.unwrap();
    assert_eq!(inbox[0].post.uri, "https://news.example/1");
    assert_eq!(inbox[0].post.network, "rss");
    assert_eq!(
        inbox[0].post.link.as_deref(),
        Some("https://news.example/1")
    );
}

#[tokio::test]
async fn the_guard_refuses_loopback_unless_allowed() {
    let (store, _, _dir) = store_with_queries(&[]).await;
    let hits = Arc::new(Hits::default());
    let url = serve(hits.clone()).await;
    let client = FeedClient::new(Guard::default()).unwrap();
    let (tx, _rx) = tokio::sync::mpsc::channel(1);
    let err = feed::poll_once(&store, &client, &url, &tx)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            FeedError::Fetch(FetchError::Refused(Refused::Private { .. }))
        ),
        "{err:?}"
    );
    // By name too: `localhost` resolves to loopback, and every address is checked.
    let by_name = url.replace("127.0.0.1", "localhost");
    let err = feed::poll_once(&store, &client, &by_name, &tx)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            FeedError::Fetch(FetchError::Refused(Refused::Private { .. }))
        ),
        "{err:?}"
    );
    assert_eq!(
        hits.full.load(Ordering::SeqCst),
        0,
        "no request reached the server"
    );
    let err = feed::poll_once(&store, &client, "file:///etc/passwd", &tx)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("only http and https"), "{err}");
}
