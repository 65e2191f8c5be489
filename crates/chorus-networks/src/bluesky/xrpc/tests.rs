use super::*;
use chorus_outbound::header::HeaderValue;
use chorus_outbound::{Builder, Policy};

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.insert(*k, HeaderValue::from_str(v).unwrap());
    }
    h
}

#[test]
fn classifies_errors_by_what_to_do() {
    let none = HeaderMap::new();
    let body = |e: &str, m: &str| serde_json::json!({"error": e, "message": m}).to_string();
    let c = |status: u16, b: String| {
        classify(StatusCode::from_u16(status).unwrap(), &none, b.as_bytes())
    };
    assert!(matches!(
        c(400, body("ExpiredToken", "Token has expired")),
        XrpcError::ExpiredToken { .. }
    ));
    assert!(matches!(
        c(401, body("InvalidToken", "Token could not be verified")),
        XrpcError::Auth { .. }
    ));
    assert!(matches!(
        c(
            401,
            body("AuthenticationRequired", "Invalid identifier or password")
        ),
        XrpcError::Auth { .. }
    ));
    assert!(matches!(
        c(
            400,
            body(
                "InvalidRequest",
                "Invalid app.bsky.feed.post record: grapheme too big (maximum 300, got 400) at $.record.text"
            )
        ),
        XrpcError::InvalidRecord { .. }
    ));
    assert!(matches!(
        c(400, body("RecordNotFound", "Could not locate record")),
        XrpcError::NotFound { .. }
    ));
    assert!(matches!(
        c(400, body("InvalidRequest", "Invalid record key")),
        XrpcError::Rejected { status: 400, .. }
    ));
    assert!(matches!(
        c(500, body("InternalServerError", "Internal Server Error")),
        XrpcError::Server { status: 500, .. }
    ));
    assert!(matches!(
        c(502, "<html>bad gateway</html>".into()),
        XrpcError::Server { status: 502, .. }
    ));
    assert!(matches!(
        c(429, body("RateLimitExceeded", "slow down")),
        XrpcError::RateLimited { retry_after: None }
    ));
    assert!(matches!(
        c(400, body("InvalidRequest", "bad $.record.text")),
        XrpcError::InvalidRecord { .. }
    ));
    let msg = c(400, body("ExpiredToken", "x")).to_string();
    assert!(msg.contains("refresh the session"), "{msg}");
    let msg = c(
        400,
        body("InvalidRequest", "Invalid app.bsky.feed.post record: x"),
    )
    .to_string();
    assert!(msg.contains("change the post"), "{msg}");
}

/// What each answer means for a caller that knows no Bluesky: the network-independent kind.
#[test]
fn kinds_are_what_a_caller_needs() {
    use ErrorKind::{Auth, NotFound, Rejected};
    let kind = |status: u16, h: &HeaderMap, error: &str, message: &str| {
        let body = if error.is_empty() {
            message.to_owned()
        } else {
            serde_json::json!({"error": error, "message": message}).to_string()
        };
        classify(StatusCode::from_u16(status).unwrap(), h, body.as_bytes()).kind()
    };
    let t = ErrorKind::TRANSIENT;
    let rows = [
        // a revoked or wrong app password, at login
        (
            401,
            "AuthenticationRequired",
            "Invalid identifier or password",
            Auth,
        ),
        (401, "InvalidToken", "Token has been revoked", Auth),
        (400, "AccountTakedown", "Account has been taken down", Auth),
        (401, "", "", Auth),
        // a session the agent could not refresh
        (400, "ExpiredToken", "Token has expired", Auth),
        (
            400,
            "InvalidRequest",
            "Invalid app.bsky.feed.post record: text too long",
            Rejected,
        ),
        (400, "InvalidRequest", "Invalid record key", Rejected),
        (413, "", "request entity too large", Rejected),
        (400, "RecordNotFound", "Could not locate record", NotFound),
        (400, "RepoNotFound", "Could not find repo", NotFound),
        (500, "InternalServerError", "Internal Server Error", t),
        (502, "", "<html>bad gateway</html>", t),
        (503, "", "unavailable", t),
    ];
    let none = HeaderMap::new();
    for (status, error, message, want) in rows {
        assert_eq!(
            kind(status, &none, error, message),
            want,
            "{status} {error}"
        );
    }
    let wait = headers(&[("retry-after", "30")]);
    assert_eq!(
        kind(429, &wait, "RateLimitExceeded", "slow down"),
        ErrorKind::RateLimited {
            retry_after: Some(Duration::from_secs(30))
        }
    );
    assert_eq!(XrpcError::Url("ftp://x".into()).kind(), ErrorKind::Invalid);
    let decode = XrpcError::Decode {
        url: "u".into(),
        reason: "eof".into(),
    };
    assert_eq!(decode.kind(), t);
}

#[test]
fn reads_retry_after_in_every_form() {
    assert_eq!(
        retry_after(&headers(&[("retry-after", "7")])),
        Some(Duration::from_secs(7))
    );
    let reset = (jiff::Timestamp::now().as_second() + 20).to_string();
    let got = retry_after(&headers(&[("ratelimit-reset", &reset)])).unwrap();
    assert!((19..=20).contains(&got.as_secs()), "{got:?}");
    let past = retry_after(&headers(&[(
        "retry-after",
        "Wed, 21 Oct 2015 07:28:00 GMT",
    )]));
    assert_eq!(past, Some(Duration::ZERO));
    assert_eq!(retry_after(&HeaderMap::new()), None);
}

/// The local PDS runs with its rate limiter off, so this uses a loopback server that answers
/// like a rate-limited PDS: 429 with `Retry-After: 1` twice, then 200. The client must wait as
/// told (≥ 2 s in total) and then succeed; with a lower `max_wait` it must give up at once.
#[tokio::test]
async fn honours_retry_after() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let mut times = Vec::new();
        for i in 0..4 {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            let _ = sock.read(&mut buf).await.unwrap();
            times.push(std::time::Instant::now());
            let resp = if i < 2 || i == 3 {
                let body = r#"{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}"#;
                format!(
                    "HTTP/1.1 429 Too Many Requests\r\nretry-after: 1\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                )
            } else {
                let body = r#"{"ok":true}"#;
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                )
            };
            sock.write_all(resp.as_bytes()).await.unwrap();
        }
        times
    });
    // The server is on loopback: this test opens the local networks explicitly.
    let mut x = Xrpc::new(
        crate::bluesky::http_client(&Builder::new(Policy::local_networks())).unwrap(),
        &format!("http://{addr}"),
    )
    .unwrap();
    let got: serde_json::Value = x.query("app.test.ping", &[], None).await.unwrap();
    assert_eq!(got["ok"], true);
    x.rate_limit.max_wait = Duration::from_millis(500);
    let err = x
        .query::<serde_json::Value>("app.test.ping", &[], None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, XrpcError::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(1)),
        "{err}"
    );
    assert_eq!(
        err.kind(),
        ErrorKind::RateLimited {
            retry_after: Some(Duration::from_secs(1))
        }
    );
    let times = server.await.unwrap();
    assert!(times[1] - times[0] >= Duration::from_millis(950));
    assert!(times[2] - times[1] >= Duration::from_millis(950));
}

/// A remote body never becomes part of an error's message: a non-JSON body is ignored, a JSON
/// `message` is kept cut (for logs) but not shown, an `error` code that is not a plain token is
/// dropped.
#[test]
fn remote_bodies_are_never_echoed() {
    let none = HeaderMap::new();
    let c =
        |status: u16, b: &str| classify(StatusCode::from_u16(status).unwrap(), &none, b.as_bytes());
    let raw = c(500, "<html>SECRET-raw internal page</html>");
    assert!(
        matches!(&raw, XrpcError::Server { error, message, .. } if error.is_empty() && message.is_empty())
    );
    assert_eq!(
        raw.to_string(),
        "server error (HTTP 500): the request may or may not have taken effect; retry later"
    );
    let long = format!("SECRET-{}", "x".repeat(10_000));
    let json = serde_json::json!({"error": "InternalServerError", "message": long}).to_string();
    let e = c(500, &json);
    match &e {
        XrpcError::Server { error, message, .. } => {
            assert_eq!(error, "InternalServerError");
            assert_eq!(message.chars().count(), MAX_MESSAGE_CHARS);
            assert!(message.starts_with("SECRET-"));
        }
        other => panic!("{other:?}"),
    }
    assert!(!e.to_string().contains("SECRET"), "{e}");
    for (status, error) in [
        (401, "AuthenticationRequired"),
        (400, "InvalidRequest"),
        (400, "RecordNotFound"),
        (400, "ExpiredToken"),
    ] {
        let body = serde_json::json!({"error": error, "message": "SECRET-m"}).to_string();
        let e = c(status, &body);
        assert!(!e.to_string().contains("SECRET"), "{e}");
    }
    let odd = serde_json::json!({"error": "SECRET <b>x</b>", "message": "m"}).to_string();
    let e = c(400, &odd);
    assert!(
        matches!(&e, XrpcError::Rejected { error, .. } if error.is_empty()),
        "{e:?}"
    );
    assert!(!e.to_string().contains("SECRET"), "{e}");
}

/// A listener that records whether anything connected to it.
async fn listener() -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = hits.clone();
    tokio::spawn(async move {
        while let Ok((_sock, _)) = listener.accept().await {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    (addr, hits)
}

/// A server that answers every request with `status` and a `Location`.
async fn redirector(status: u16, location: String) -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = vec![0u8; 8192];
            let _ = sock.read(&mut buf).await;
            let resp = format!(
                "HTTP/1.1 {status} Moved\r\nlocation: {location}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
            let _ = sock.write_all(resp.as_bytes()).await;
        }
    });
    addr
}

/// Under the production policy, a PDS on loopback — typed as an address, or reached by a
/// redirect from an allowed host — is refused before anything is sent to it, and the failure
/// is permanent: jobs do not retry it and publishing does not treat it as "may have taken
/// effect".
#[tokio::test]
async fn a_refused_address_is_a_permanent_error() {
    use crate::bluesky::{BlueskyError, http_client};
    use crate::error::DynNetworkError;
    use std::sync::atomic::Ordering;

    let (inside, hits) = listener().await;
    let strict = http_client(&Builder::new(Policy::public_only())).unwrap();
    let x = Xrpc::new(strict, &format!("http://{inside}")).unwrap();
    let err = x
        .procedure::<_, serde_json::Value>(
            "com.atproto.server.createSession",
            &serde_json::json!({"identifier": "a.test", "password": "p"}),
            None,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            XrpcError::Refused {
                source: chorus_outbound::Error::Refused {
                    class: chorus_outbound::AddressClass::Loopback,
                    ..
                },
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Refused);
    assert!(!err.kind().is_retryable());
    assert!(!err.is_ambiguous());
    assert!(err.to_string().contains("loopback"), "{err}");
    let wrapped = BlueskyError::Xrpc(err);
    assert_eq!(wrapped.kind(), ErrorKind::Refused);
    assert_eq!(DynNetworkError::new(wrapped).kind(), ErrorKind::Refused);

    // An allowed name (pinned for the test) that redirects to the loopback listener.
    let inside_url = format!("http://{inside}/xrpc/com.atproto.repo.getRecord");
    for (status, method) in [(307, Method::POST), (302, Method::GET), (302, Method::POST)] {
        let edge = redirector(status, inside_url.clone()).await;
        let pinned =
            http_client(&Builder::new(Policy::public_only()).pin_for_tests("pds.test", edge))
                .unwrap();
        let x = Xrpc::new(pinned, &format!("http://pds.test:{}", edge.port())).unwrap();
        let err = if method == Method::POST {
            x.procedure::<_, serde_json::Value>(
                "com.atproto.repo.createRecord",
                &serde_json::json!({}),
                None,
            )
            .await
            .unwrap_err()
        } else {
            x.query::<serde_json::Value>("com.atproto.repo.getRecord", &[], None)
                .await
                .unwrap_err()
        };
        assert!(
            matches!(err, XrpcError::Refused { .. }),
            "{status} {method}: {err:?}"
        );
        assert_eq!(err.kind(), ErrorKind::Refused, "{status} {method}");
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "nothing reached the loopback listener"
    );
}
