use super::*;
use reqwest::header::HeaderValue;

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
    let mut x = Xrpc::new(
        crate::bluesky::http_client().unwrap(),
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
