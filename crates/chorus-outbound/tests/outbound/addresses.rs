//! Every address form a URL can name, refused by class before anything is sent; names that
//! resolve to loopback; the allowed paths that prove the refusals are the policy's doing.

use chorus_outbound::{AddressClass, Error, Policy};

use crate::support::{Reply, Server, builder, client};

#[tokio::test]
async fn each_refused_address_form_is_refused_by_its_class() {
    use AddressClass::*;
    let victim = Server::always(Reply::Ok("secret")).await;
    let p = victim.port();
    // Loopback forms carry the victim's port: if one slipped through it would reach it.
    let table: Vec<(String, AddressClass)> = vec![
        (format!("http://127.0.0.1:{p}/"), Loopback),
        (format!("http://127.9.9.9:{p}/"), Loopback),
        (format!("http://[::1]:{p}/"), Loopback),
        (format!("http://[::ffff:127.0.0.1]:{p}/"), Loopback),
        (format!("http://[0:0:0:0:0:ffff:7f00:1]:{p}/"), Loopback),
        (format!("http://[::127.0.0.1]:{p}/"), Loopback),
        (format!("http://[64:ff9b::127.0.0.1]:{p}/"), Loopback),
        // Integer and short forms that URL parsers accept for 127.0.0.1.
        (format!("http://2130706433:{p}/"), Loopback),
        (format!("http://0x7f000001:{p}/"), Loopback),
        (format!("http://017700000001:{p}/"), Loopback),
        (format!("http://0177.0.0.1:{p}/"), Loopback),
        (format!("http://0x7f.0.0.1:{p}/"), Loopback),
        (format!("http://127.1:{p}/"), Loopback),
        (format!("http://127.0.1:{p}/"), Loopback),
        (format!("http://127.0.0.1.:{p}/"), Loopback),
        (format!("http://１２７．０．０．１:{p}/"), Loopback),
        (format!("https://127.0.0.1:{p}/"), Loopback),
        // Confusions between user info, fragment and host: the host is what the parser says.
        (format!("http://feed.test@127.0.0.1:{p}/"), Loopback),
        (format!("http://127.0.0.1:{p}#@feed.test/"), Loopback),
        (format!("http://127.0.0.1:{p}\\@feed.test/"), Loopback),
        (format!("http://0.0.0.0:{p}/"), Unspecified),
        (format!("http://0:{p}/"), Unspecified),
        (format!("http://[::]:{p}/"), Unspecified),
        ("http://10.0.0.1:9/".into(), Private),
        ("http://10.255.255.255:9/".into(), Private),
        ("http://167772161:9/".into(), Private), // 10.0.0.1
        ("http://172.16.0.1:9/".into(), Private),
        ("http://172.31.255.254:9/".into(), Private),
        ("http://192.168.0.1:9/".into(), Private),
        ("http://[::ffff:192.168.0.1]:9/".into(), Private),
        ("http://[fc00::1]:9/".into(), Private),
        ("http://[fd12:3456::1]:9/".into(), Private),
        ("http://169.254.169.254/latest/meta-data/".into(), LinkLocal),
        ("http://0xa9fea9fe/".into(), LinkLocal), // 169.254.169.254
        ("http://[::ffff:169.254.169.254]/".into(), LinkLocal),
        ("http://[fe80::1]:9/".into(), LinkLocal),
        ("http://100.64.0.1:9/".into(), SharedNat),
        ("http://100.127.255.254:9/".into(), SharedNat),
        ("http://255.255.255.255:9/".into(), Reserved),
        ("http://224.0.0.1:9/".into(), Reserved),
    ];
    let client = client(&[]);
    for (url, want) in &table {
        match client.get(url).send().await {
            Err(Error::Refused { class, .. }) => assert_eq!(class, *want, "{url}"),
            other => panic!("{url}: expected a refusal as {want:?}, got {other:?}"),
        }
    }
    assert!(victim.seen().is_empty(), "nothing reached the server");
}

#[tokio::test]
async fn names_that_resolve_to_loopback_are_refused_without_naming_the_address() {
    let victim = Server::always(Reply::Ok("secret")).await;
    let client = client(&[]);
    for host in ["localhost", "LOCALHOST"] {
        let url = format!("http://{host}:{}/", victim.port());
        let err = client.get(&url).send().await.unwrap_err();
        match &err {
            Error::Refused { class, addr, .. } => {
                assert_eq!(*class, AddressClass::Loopback, "{url}");
                assert!(addr.is_loopback(), "the address is kept for logs");
            }
            other => panic!("{url}: {other:?}"),
        }
        let message = err.to_string();
        assert!(
            message.contains("resolves to a loopback address")
                && !message.contains("127.0.0.1")
                && !message.contains("::1"),
            "{message}"
        );
    }
    assert!(victim.seen().is_empty());
}

#[tokio::test]
async fn the_same_servers_are_reached_when_the_policy_or_a_pin_allows_them() {
    let server = Server::always(Reply::Ok("hello")).await;
    let p = server.port();
    // A name pinned to the server's port: reached, as a public host would be.
    let pinned = client(&[("feed.test", &server)]);
    let resp = pinned
        .get(&format!("http://feed.test:{p}/x"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "hello");
    // The pin is for that port only, and does not open loopback.
    let other = Server::always(Reply::Ok("other")).await;
    let err = pinned
        .get(&format!("http://feed.test:{}/", other.port()))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::PortRefused { allowed, .. } if allowed == p),
        "{err:?}"
    );
    let err = pinned
        .get(&format!("http://127.0.0.1:{p}/"))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Refused { .. }), "{err:?}");
    assert!(other.seen().is_empty());
    // A policy that names loopback reaches the literal and the name; 0.0.0.0 stays refused.
    let open = builder(Policy::public_only().allow(AddressClass::Loopback), &[])
        .build()
        .unwrap();
    for url in [
        format!("http://127.0.0.1:{p}/"),
        format!("http://localhost:{p}/"),
    ] {
        let resp = open.get(&url).send().await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "hello", "{url}");
    }
    let err = open
        .get(&format!("http://0.0.0.0:{p}/"))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Refused {
                class: AddressClass::Unspecified,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(server.seen().len(), 3);
}

#[tokio::test]
async fn other_schemes_and_bad_urls_are_refused() {
    let client = client(&[]);
    for url in [
        "file:///etc/passwd",
        "ftp://example.com/",
        "gopher://127.0.0.1:70/",
    ] {
        let err = client.get(url).send().await.unwrap_err();
        assert!(matches!(err, Error::Scheme { .. }), "{url}: {err:?}");
        assert!(err.is_refused());
    }
    let err = client.get("not a url").send().await.unwrap_err();
    assert!(matches!(err, Error::BadUrl { .. }), "{err:?}");
}
