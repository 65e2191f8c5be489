//! The account-connect form is a server-side request to an address a person types: it goes
//! through the outbound guard. A loopback address is refused before any connection (the
//! listener the test starts sees none), a redirect to loopback from an allowed host is refused
//! at that hop, an open and a closed port read the same, and nothing the remote server says —
//! its error message or its body — reaches the page.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chorus_app::accounts::{LOGIN_REFUSED, PDS_UNREACHABLE};
use chorus_core::Role;
use chorus_networks::bluesky::{SecretKey, http_client};
use chorus_outbound::{Builder, Client, Limits, Policy};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

use crate::support::{Browser, TestApp, spawn_app_with_state, web_config};

/// A server on loopback that counts connections and answers each with `answer` (raw bytes,
/// written after the request head was read; nothing at all when `None`: it holds the
/// connection open without a word).
async fn server(answer: Option<Vec<u8>>) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let seen = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let _ = sock.read(&mut buf).await;
                match answer {
                    Some(bytes) => {
                        let _ = sock.write_all(&bytes).await;
                        let _ = sock.shutdown().await;
                    }
                    None => tokio::time::sleep(Duration::from_secs(60)).await,
                }
            });
        }
    });
    (addr, hits)
}

fn http(status: &str, content_type: &str, body: &str, extra: &str) -> Option<Vec<u8>> {
    Some(
        format!(
            "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n{extra}connection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

fn json_error(status: &str, error: &str, message: &str) -> Option<Vec<u8>> {
    let body = serde_json::json!({"error": error, "message": message}).to_string();
    http(status, "application/json", &body, "")
}

/// A port nothing listens on (bound, then let go).
async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

/// The server, with its secret key (so connecting gets as far as the PDS) and `outbound`.
async fn app_with(outbound: Option<Client>) -> TestApp {
    spawn_app_with_state(web_config(), |state| {
        let state = state.with_secret_key(SecretKey::from_bytes([9; 32]));
        match outbound {
            Some(client) => state.with_outbound(client),
            None => state,
        }
    })
    .await
}

/// The FI market lead posts the connect form with `pds`; returns the status and the page.
async fn connect(lead: &Browser, pds: &str) -> (StatusCode, String) {
    let r = lead
        .post_form(
            "/admin/accounts",
            &[
                ("market", "FI"),
                ("pds", pds),
                ("handle", "brand.test"),
                ("app_password", "abcd-efgh-ijkl-mnop"),
            ],
        )
        .await;
    (r.status(), r.text().await.unwrap())
}

/// The form's error line: `field: message`.
fn form_error(html: &str) -> String {
    let start = html
        .find(r#"id="connect-error">"#)
        .unwrap_or_else(|| panic!("no form error in {html}"));
    let rest = &html[start + r#"id="connect-error">"#.len()..];
    rest[..rest.find("</p>").unwrap()].to_owned()
}

fn escaped(text: &str) -> String {
    text.replace('\'', "&#39;")
}

#[tokio::test]
async fn a_loopback_pds_is_refused_before_any_connection() {
    // No client given: the server's default reaches public addresses only.
    let app = app_with(None).await;
    let lead = Browser::login_as(&app, Role::MarketLead).await;
    let (addr, hits) = server(http("200 OK", "application/json", "{}", "")).await;
    let port = addr.port();
    for (pds, class) in [
        (format!("http://127.0.0.1:{port}"), "loopback"),
        (format!("http://127.1:{port}"), "loopback"),
        (format!("http://2130706433:{port}"), "loopback"),
        (format!("http://[::1]:{port}"), "loopback"),
        (format!("http://[::ffff:127.0.0.1]:{port}"), "loopback"),
        (format!("http://localhost:{port}"), "loopback"),
        (format!("http://0.0.0.0:{port}"), "unspecified"),
        ("http://169.254.169.254".to_owned(), "link-local"),
        ("http://10.0.0.1".to_owned(), "private-network"),
    ] {
        let (status, html) = connect(&lead, &pds).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{pds}");
        let error = form_error(&html);
        assert!(error.starts_with("pds: "), "{pds}: {error}");
        assert!(error.contains(class), "{pds} names its class: {error}");
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "the listener saw no connection"
    );
    assert!(app.store.accounts(None).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_open_and_a_closed_port_read_the_same() {
    // The switch on (local networks allowed) is where scanning would pay: every failure to
    // answer as a PDS must read alike. Short limits, for the server that never answers.
    let client = Builder::new(Policy::local_networks())
        .limits(Limits {
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_secs(2),
            max_body_bytes: 64 << 10,
            max_redirects: 5,
        })
        .build()
        .unwrap();
    let app = app_with(Some(client)).await;
    let lead = Browser::login_as(&app, Role::MarketLead).await;
    let closed = closed_port().await;
    let mut pds = vec![format!("http://127.0.0.1:{closed}")];
    for answer in [
        http(
            "404 Not Found",
            "text/html",
            "<h1>SECRET-404 nginx</h1>",
            "",
        ),
        http("200 OK", "text/plain", "SECRET-not-json", ""),
        http(
            "200 OK",
            "application/json",
            r#"{"SECRET":"json but not a session"}"#,
            "",
        ),
        json_error(
            "500 Internal Server Error",
            "InternalServerError",
            "SECRET-500",
        ),
        Some(b"SSH-2.0-OpenSSH_9.6 SECRET-banner\r\n".to_vec()),
        None,
    ] {
        let (addr, _) = server(answer).await;
        pds.push(format!("http://127.0.0.1:{}", addr.port()));
    }
    let want = format!("pds: {}", escaped(PDS_UNREACHABLE));
    for p in &pds {
        let (status, html) = connect(&lead, p).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        assert_eq!(form_error(&html), want, "{p}");
        assert!(!html.contains("SECRET"), "{p}: {html}");
    }
    assert!(app.store.accounts(None).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_pinned_pds_that_redirects_to_loopback_is_refused() {
    let (inside, inside_hits) = server(http("200 OK", "application/json", "{}", "")).await;
    let target = format!(
        "http://127.0.0.1:{}/xrpc/com.atproto.server.createSession",
        inside.port()
    );
    let (keeps, keeps_hits) = server(http(
        "307 Temporary Redirect",
        "text/plain",
        "",
        &format!("location: {target}\r\n"),
    ))
    .await;
    let (changes, changes_hits) = server(http(
        "302 Found",
        "text/plain",
        "",
        &format!("location: {target}\r\n"),
    ))
    .await;
    // Production policy; the two redirecting servers reachable by name only.
    let client = http_client(
        &Builder::new(Policy::public_only())
            .pin_for_tests("keeps.test", keeps)
            .pin_for_tests("changes.test", changes),
    )
    .unwrap();
    let app = app_with(Some(client)).await;
    let lead = Browser::login_as(&app, Role::MarketLead).await;

    let (status, html) = connect(&lead, &format!("http://keeps.test:{}", keeps.port())).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let error = form_error(&html);
    assert!(
        error.starts_with("pds: ") && error.contains("loopback"),
        "{error}"
    );
    assert_eq!(keeps_hits.load(Ordering::SeqCst), 1);

    // A POST answered 302 would become a GET: not followed either.
    let (status, html) = connect(&lead, &format!("http://changes.test:{}", changes.port())).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let error = form_error(&html);
    assert!(
        error.starts_with("pds: ") && error.contains("302"),
        "{error}"
    );
    assert_eq!(changes_hits.load(Ordering::SeqCst), 1);

    assert_eq!(
        inside_hits.load(Ordering::SeqCst),
        0,
        "the redirect target saw no connection"
    );
    assert!(app.store.accounts(None).await.unwrap().is_empty());
}

#[tokio::test]
async fn what_the_pds_says_never_reaches_the_page() {
    let cases = [
        (
            "crash.test",
            json_error(
                "500 Internal Server Error",
                "InternalServerError",
                "SECRET-stack trace at db.internal:5432",
            ),
            "pds",
        ),
        (
            "raw.test",
            http(
                "500 Internal Server Error",
                "text/html",
                "<pre>SECRET-raw body</pre>",
                "",
            ),
            "pds",
        ),
        (
            "bad.test",
            json_error("400 Bad Request", "InvalidRequest", "SECRET-400"),
            "pds",
        ),
        (
            "odd.test",
            http(
                "200 OK",
                "application/json",
                r#"{"did":"SECRET-not-a-did","handle":"h.test","accessJwt":"a","refreshJwt":"r"}"#,
                "",
            ),
            "pds",
        ),
        (
            "login.test",
            json_error(
                "401 Unauthorized",
                "AuthenticationRequired",
                "SECRET-Invalid identifier or password",
            ),
            "app_password",
        ),
    ];
    let mut outbound = Builder::new(Policy::public_only());
    let mut servers = Vec::new();
    for (name, answer, field) in cases {
        let (addr, hits) = server(answer).await;
        outbound = outbound.pin_for_tests(name, addr);
        servers.push((name, addr, hits, field));
    }
    let app = app_with(Some(http_client(&outbound).unwrap())).await;
    let lead = Browser::login_as(&app, Role::MarketLead).await;
    for (name, addr, hits, field) in servers {
        let (status, html) = connect(&lead, &format!("http://{name}:{}", addr.port())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert_eq!(hits.load(Ordering::SeqCst), 1, "{name} was asked");
        assert!(!html.contains("SECRET"), "{name} leaked: {html}");
        let want = if field == "app_password" {
            format!("app_password: {}", escaped(LOGIN_REFUSED))
        } else {
            format!("pds: {}", escaped(PDS_UNREACHABLE))
        };
        assert_eq!(form_error(&html), want, "{name}");
    }
    assert!(app.store.accounts(None).await.unwrap().is_empty());
}
