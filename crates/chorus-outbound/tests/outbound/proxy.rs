//! Proxies: the environment's are never used (a proxy resolves names itself, so one from
//! `HTTP_PROXY` would carry a loopback name past the resolver); a configured one is used, and
//! the policy still applies to every target host.

use std::process::Command;

use chorus_outbound::{AddressClass, Error, Policy};

use crate::support::{Reply, Server, builder, client};

const CHILD: &str = "CHORUS_OUTBOUND_PROXY_CHILD";
const ORIGIN_REPLY: &str = "direct from the origin";

#[tokio::test]
async fn a_proxy_in_the_environment_is_not_used() {
    let proxy = Server::always(Reply::Ok("through the environment's proxy")).await;
    let proxy_url = format!("http://127.0.0.1:{}", proxy.port());
    // The environment is set for a child process (this test binary again, running only the
    // test below): setting it in this process would race the other tests' threads.
    let mut child = Command::new(std::env::current_exe().unwrap());
    child
        .args(["--exact", "proxy::child_with_proxies_in_the_environment"])
        .args(["--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy");
    for var in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        child.env(var, &proxy_url);
    }
    let out = child.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        proxy.seen().is_empty(),
        "the environment's proxy was used: {:?}",
        proxy.seen()
    );
}

/// Runs in the child started above, with every proxy variable pointing at a recording server.
#[tokio::test]
#[ignore = "run by a_proxy_in_the_environment_is_not_used, in a child process"]
async fn child_with_proxies_in_the_environment() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let origin = Server::always(Reply::Ok(ORIGIN_REPLY)).await;
    let o = origin.port();
    let client = client(&[("feed.test", &origin)]);
    let resp = client
        .get(&format!("http://feed.test:{o}/feed"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text().await.unwrap(), ORIGIN_REPLY, "went direct");
    assert_eq!(origin.seen().len(), 1);
    // A loopback name is refused here, not handed to the proxy to resolve.
    let err = client
        .get(&format!("http://localhost:{o}/"))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Refused {
                class: AddressClass::Loopback,
                ..
            }
        ),
        "{err:?}"
    );
    // HTTPS goes direct too (the origin speaks plain HTTP, so the handshake fails there,
    // without a CONNECT to the proxy).
    let err = client
        .get(&format!("https://feed.test:{o}/"))
        .send()
        .await
        .unwrap_err();
    assert!(!err.is_refused(), "{err:?}");
    assert_eq!(
        origin.seen().len(),
        1,
        "the TLS hello is not a request it can read"
    );
}

#[tokio::test]
async fn a_configured_proxy_is_used_and_the_policy_still_applies_to_targets() {
    let origin = Server::always(Reply::Ok(ORIGIN_REPLY)).await;
    let o = origin.port();
    let proxy = Server::start(move |seen| {
        if seen.target.ends_with("/hop") {
            Reply::Redirect(302, format!("http://127.0.0.1:{o}/"))
        } else {
            Reply::Ok("through the configured proxy")
        }
    })
    .await;
    // The proxy by name: `localhost` is loopback, but the operator chose the proxy.
    for proxy_url in [
        format!("http://127.0.0.1:{}", proxy.port()),
        format!("http://localhost:{}", proxy.port()),
    ] {
        let client = builder(Policy::public_only(), &[("feed.test", &origin)])
            .proxy(&proxy_url)
            .build()
            .unwrap();
        let before = proxy.seen().len();
        let resp = client
            .get(&format!("http://feed.test:{o}/feed"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.text().await.unwrap(),
            "through the configured proxy",
            "{proxy_url}"
        );
        let seen = proxy.seen();
        assert_eq!(seen.len(), before + 1);
        assert_eq!(seen[before].target, format!("http://feed.test:{o}/feed"));
        // Targets the policy refuses never reach the proxy: by address, by name, by redirect.
        for url in [
            format!("http://127.0.0.1:{o}/"),
            format!("http://localhost:{o}/"),
        ] {
            let err = client.get(&url).send().await.unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::Refused {
                        class: AddressClass::Loopback,
                        ..
                    }
                ),
                "{url}: {err:?}"
            );
        }
        assert_eq!(proxy.seen().len(), before + 1, "{proxy_url}");
        let err = client
            .get(&format!("http://feed.test:{o}/hop"))
            .send()
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Refused { .. }), "{err:?}");
        assert_eq!(proxy.seen().len(), before + 2);
    }
    assert!(
        origin.seen().is_empty(),
        "everything went through the proxy"
    );
}

#[tokio::test]
async fn a_proxy_must_be_an_http_url() {
    for bad in ["socks5://127.0.0.1:1080", "not a url"] {
        let err = builder(Policy::public_only(), &[])
            .proxy(bad)
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Build { .. }), "{bad}: {err:?}");
    }
}
