//! Limits on size and time, and error messages that never carry the remote body.

use std::time::{Duration, Instant};

use chorus_outbound::{Error, Limits, Policy};

use crate::support::{Reply, Server, builder, client, quick};

#[tokio::test]
async fn an_oversized_body_is_refused_whether_declared_or_not() {
    let declared = Server::always(Reply::Sized(10 << 20)).await;
    let streamed = Server::always(Reply::Unsized(10 << 20)).await;
    let fits = Server::always(Reply::Sized(64 << 10)).await;
    let client = client(&[
        ("big.test", &declared),
        ("stream.test", &streamed),
        ("fits.test", &fits),
    ]);
    for (host, server) in [("big.test", &declared), ("stream.test", &streamed)] {
        let resp = client
            .get(&format!("http://{host}:{}/", server.port()))
            .send()
            .await
            .unwrap();
        let err = resp.bytes().await.unwrap_err();
        match &err {
            Error::TooLarge { limit, .. } => assert_eq!(*limit, 64 << 10, "{host}"),
            other => panic!("{host}: {other:?}"),
        }
        assert_eq!(
            err.to_string(),
            format!("{host} sent more than 65536 bytes")
        );
    }
    let body = client
        .get(&format!("http://fits.test:{}/", fits.port()))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(body.len(), 64 << 10, "exactly the limit is allowed");
}

#[tokio::test]
async fn a_trickling_or_silent_server_runs_into_the_deadline() {
    let trickle = Server::always(Reply::Trickle(Duration::from_millis(50))).await;
    let silent = Server::always(Reply::Silent).await;
    let limits = Limits {
        timeout: Duration::from_secs(1),
        ..quick()
    };
    let client = builder(
        Policy::public_only(),
        &[("slow.test", &trickle), ("silent.test", &silent)],
    )
    .limits(limits)
    .build()
    .unwrap();
    // The trickle sends a byte every 50 ms, well inside any idle timeout: only a deadline over
    // the whole body stops it (it would take 50 s).
    let started = Instant::now();
    let resp = client
        .get(&format!("http://slow.test:{}/", trickle.port()))
        .send()
        .await
        .unwrap();
    let err = resp.bytes().await.unwrap_err();
    assert!(matches!(err, Error::TimedOut { .. }), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let started = Instant::now();
    let err = client
        .get(&format!("http://silent.test:{}/", silent.port()))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TimedOut { .. }), "{err:?}");
    assert_eq!(err.to_string(), "silent.test did not answer within 1 s");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // A request's own timeout replaces the client's.
    let started = Instant::now();
    let err = client
        .get(&format!("http://silent.test:{}/", silent.port()))
        .timeout(Duration::from_millis(200))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TimedOut { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_millis(900));
}

#[tokio::test]
async fn errors_never_carry_the_remote_body() {
    let failing = Server::always(Reply::Status(500, "SECRET stack trace from 10.1.2.3")).await;
    let client = client(&[("fails.test", &failing)]);
    let resp = client
        .get(&format!("http://fails.test:{}/", failing.port()))
        .send()
        .await
        .unwrap();
    let err = resp.error_for_status().unwrap_err();
    assert!(matches!(err, Error::Status { status: 500, .. }), "{err:?}");
    assert_eq!(err.to_string(), "fails.test answered HTTP 500");
    // A closed port: the message says only that no connection was made.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let err = chorus_outbound::Builder::new(Policy::local_networks())
        .build()
        .unwrap()
        .get(&format!("http://{addr}/"))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
    assert_eq!(err.to_string(), "could not connect to 127.0.0.1");
}
