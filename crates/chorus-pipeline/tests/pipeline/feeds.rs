//! Feeds from a local HTTP server: entries stored once, conditional GET on the second poll,
//! and the outbound guard (`chorus_outbound`) refusing the same server when private addresses
//! are not allowed, a redirect into loopback and an oversized feed.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use chorus_outbound::{AddressClass, Error as Outbound};
use chorus_pipeline::feed::{self, FeedClient, FeedError, FetchError, Policy, Polled};
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

/// Serves FEED with an ETag at `/feed.xml` (304 to a matching If-None-Match), a redirect to
/// it by its loopback address at `/moved.xml` and a body over the feed limit at `/big.xml`.
async fn serve(hits: Arc<Hits>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let loopback = format!("http://127.0.0.1:{}/feed.xml", addr.port());
    let app = axum::Router::new()
        .route(
            "/moved.xml",
            axum::routing::get(move || async move {
                (StatusCode::FOUND, [(header::LOCATION, loopback)]).into_response()
            }),
        )
        .route(
            "/big.xml",
            axum::routing::get(|| async { vec![b' '; feed::fetch::MAX_FEED_BYTES + 1] }),
        )
        .route(
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
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://127.0.0.1:{}/feed.xml", addr.port())
}

#[tokio::test]
async fn feeds_are_polled_conditionally_and_stored_once() {
    let (store, _, _dir) = store_with_queries(&[("Brand", "northwind")]).await;
    let hits = Arc::new(Hits::default());
    let url = serve(hits.clone()).await;
    let client = FeedClient::new(Policy::allow_private_addresses(true)).unwrap();
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
    let client = FeedClient::new(Policy::allow_private_addresses(false)).unwrap();
    let (tx, _rx) = tokio::sync::mpsc::channel(1);
    let err = feed::poll_once(&store, &client, &url, &tx)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            FeedError::Fetch(FetchError::Outbound(Outbound::Refused {
                class: AddressClass::Loopback,
                ..
            }))
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
            FeedError::Fetch(FetchError::Outbound(Outbound::Refused {
                class: AddressClass::Loopback,
                ..
            }))
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

#[tokio::test]
async fn polling_goes_through_the_guard_on_every_hop_and_for_every_byte() {
    let (store, _, _dir) = store_with_queries(&[]).await;
    let hits = Arc::new(Hits::default());
    let url = serve(hits.clone()).await;
    let port: u16 = url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    // A production-strict client that reaches the server only as `feeds.test` on its port.
    let http = chorus_outbound::Builder::new(Policy::allow_private_addresses(false))
        .limits(feed::fetch::feed_limits())
        .pin_for_tests("feeds.test", ([127, 0, 0, 1], port).into())
        .build()
        .unwrap();
    let client = FeedClient::with_client(http);
    let (tx, _rx) = tokio::sync::mpsc::channel(1);
    let by_name = format!("http://feeds.test:{port}/feed.xml");
    assert_eq!(
        feed::poll_once(&store, &client, &by_name, &tx)
            .await
            .unwrap(),
        Polled::Entries(2)
    );
    assert_eq!(hits.full.load(Ordering::SeqCst), 1);
    // The same server redirects to itself by its loopback address: refused at that hop.
    let moved = format!("http://feeds.test:{port}/moved.xml");
    let err = feed::poll_once(&store, &client, &moved, &tx)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            FeedError::Fetch(FetchError::Outbound(Outbound::Refused {
                class: AddressClass::Loopback,
                ..
            }))
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .ends_with("(set ingest.allow_private_addresses to allow)"),
        "{err}"
    );
    assert_eq!(
        hits.full.load(Ordering::SeqCst),
        1,
        "the redirect was not followed"
    );
    // A feed over the size limit is refused, not stored.
    let big = format!("http://feeds.test:{port}/big.xml");
    let err = feed::poll_once(&store, &client, &big, &tx)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            FeedError::Fetch(FetchError::Outbound(Outbound::TooLarge { .. }))
        ),
        "{err:?}"
    );
}
