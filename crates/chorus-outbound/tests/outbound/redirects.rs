//! Redirects: each hop checked like the first URL, the method never changed silently,
//! credentials left behind when the origin changes, a bound on the chain.

use chorus_outbound::{AddressClass, Error};

use crate::support::{Reply, Server, client};

#[tokio::test]
async fn an_allowed_chain_is_followed_hop_by_hop() {
    let end = Server::always(Reply::Ok("the end")).await;
    let end_url = format!("http://end.test:{}/end", end.port());
    let start = Server::start(move |seen| match seen.target.as_str() {
        "/start" => Reply::Redirect(301, "/next".into()),
        _ => Reply::Redirect(302, end_url.clone()),
    })
    .await;
    let client = client(&[("start.test", &start), ("end.test", &end)]);
    let resp = client
        .get(&format!("http://start.test:{}/start", start.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.url().as_str(),
        format!("http://end.test:{}/end", end.port())
    );
    assert_eq!(resp.host(), "end.test");
    assert_eq!(resp.text().await.unwrap(), "the end");
    let hops: Vec<_> = start
        .seen()
        .into_iter()
        .map(|s| (s.method, s.target))
        .collect();
    assert_eq!(
        hops,
        [
            ("GET".into(), "/start".into()),
            ("GET".into(), "/next".into())
        ]
    );
    assert_eq!(end.seen().len(), 1);
}

#[tokio::test]
async fn a_redirect_to_a_private_address_is_refused_at_that_hop() {
    let victim = Server::always(Reply::Ok("secret")).await;
    let v = victim.port();
    let targets = [
        (
            format!("http://127.0.0.1:{v}/admin"),
            Some(AddressClass::Loopback),
        ),
        (
            format!("http://localhost:{v}/admin"),
            Some(AddressClass::Loopback),
        ),
        (
            format!("http://[::ffff:127.0.0.1]:{v}/"),
            Some(AddressClass::Loopback),
        ),
        (
            format!("http://2130706433:{v}/"),
            Some(AddressClass::Loopback),
        ),
        (
            format!("http://0.0.0.0:{v}/"),
            Some(AddressClass::Unspecified),
        ),
        ("http://10.0.0.1/".into(), Some(AddressClass::Private)),
        ("http://192.168.1.1/".into(), Some(AddressClass::Private)),
        (
            "http://169.254.169.254/latest/meta-data/".into(),
            Some(AddressClass::LinkLocal),
        ),
        ("http://100.64.0.1/".into(), Some(AddressClass::SharedNat)),
        ("http://[fe80::1]/".into(), Some(AddressClass::LinkLocal)),
        // The allowed name itself, on a port it was not allowed.
        (format!("http://allowed.test:{v}/"), None),
    ];
    for (target, class) in &targets {
        let to = target.clone();
        let allowed = Server::start(move |seen| match seen.target.as_str() {
            // Two allowed hops first: the check is on every hop, not just the first.
            "/" => Reply::Redirect(302, "/again".into()),
            _ => Reply::Redirect(307, to.clone()),
        })
        .await;
        let client = client(&[("allowed.test", &allowed)]);
        let err = client
            .get(&format!("http://allowed.test:{}/", allowed.port()))
            .send()
            .await
            .unwrap_err();
        match (class, &err) {
            (Some(want), Error::Refused { class, .. }) => assert_eq!(class, want, "{target}"),
            (None, Error::PortRefused { .. }) => {}
            _ => panic!("{target}: {err:?}"),
        }
        assert_eq!(
            allowed.seen().len(),
            2,
            "{target}: both allowed hops were asked"
        );
    }
    assert!(victim.seen().is_empty(), "no redirect reached the victim");
}

#[tokio::test]
async fn a_post_is_never_turned_into_a_get() {
    let next = Server::always(Reply::Ok("next")).await;
    let next_url = format!("http://next.test:{}/landing", next.port());
    for status in [301u16, 302, 303] {
        let to = next_url.clone();
        let first = Server::always(Reply::Redirect(status, to)).await;
        let client = client(&[("first.test", &first), ("next.test", &next)]);
        let err = client
            .post(&format!("http://first.test:{}/login", first.port()))
            .body("a=1")
            .send()
            .await
            .unwrap_err();
        match &err {
            Error::RedirectChangesMethod {
                method, status: s, ..
            } => assert_eq!((method.as_str(), *s), ("POST", status)),
            other => panic!("{status}: {other:?}"),
        }
        assert!(err.is_refused());
        let seen = first.seen();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].method, "POST");
    }
    assert!(
        next.seen().is_empty(),
        "nothing was sent as a GET (or at all) to the target"
    );
}

#[tokio::test]
async fn a_307_or_308_sends_the_same_method_and_body_and_credentials_stay_at_their_origin() {
    let other = Server::always(Reply::Ok("elsewhere")).await;
    let other_url = format!("http://other.test:{}/moved", other.port());
    let first = Server::start(move |seen| match seen.target.as_str() {
        "/a" => Reply::Redirect(308, "/b".into()),
        "/b" => Reply::Redirect(307, other_url.clone()),
        _ => Reply::Ok("unexpected"),
    })
    .await;
    let client = client(&[("first.test", &first), ("other.test", &other)]);
    let resp = client
        .post(&format!("http://first.test:{}/a", first.port()))
        .bearer_auth("token-123")
        .header("cookie", "session=abc")
        .body(r#"{"x":1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text().await.unwrap(), "elsewhere");
    let same_origin = first.seen();
    assert_eq!(same_origin.len(), 2);
    for hop in &same_origin {
        assert_eq!(hop.method, "POST");
        assert_eq!(hop.body, br#"{"x":1}"#);
        assert_eq!(hop.header("authorization"), Some("Bearer token-123"));
    }
    let moved = other.seen();
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0].method, "POST");
    assert_eq!(moved[0].body, br#"{"x":1}"#);
    assert_eq!(
        moved[0].header("authorization"),
        None,
        "dropped at the origin change"
    );
    assert_eq!(moved[0].header("cookie"), None);
}

#[tokio::test]
async fn chains_are_bounded_and_other_schemes_refused() {
    let looping = Server::always(Reply::Redirect(302, "/again".into())).await;
    let client_ = client(&[("loop.test", &looping)]);
    let err = client_
        .get(&format!("http://loop.test:{}/", looping.port()))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TooManyRedirects { max: 5 }), "{err:?}");
    assert_eq!(
        looping.seen().len(),
        6,
        "the first request and five redirects"
    );
    for location in ["file:///etc/passwd", "gopher://example.com/"] {
        let s = Server::always(Reply::Redirect(302, location.into())).await;
        let err = client(&[("s.test", &s)])
            .get(&format!("http://s.test:{}/", s.port()))
            .send()
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Scheme { .. }), "{location}: {err:?}");
    }
    let s = Server::always(Reply::Redirect(302, "http://[oops/".into())).await;
    let err = client(&[("s.test", &s)])
        .get(&format!("http://s.test:{}/", s.port()))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::BadRedirect { .. }), "{err:?}");
}
