//! The holes a probe of a running server found (issue 17), each with the test that would have
//! caught it: redirect targets, login limits and the trusted proxy, tokens after a password
//! reset, long input echoed in errors, `/metrics`, external images.

mod exposure;
mod input;
mod logins;
mod redirects;
mod tokens;

use reqwest::header::{COOKIE, LOCATION};

use crate::support::*;

/// A redirect's `Location` must be a path on this server: printable ASCII without `\`, one
/// leading `/`, resolving to the same origin as the page it came from.
pub fn assert_local(location: &str, context: &str) {
    assert!(
        location
            .bytes()
            .all(|b| (0x21..0x7f).contains(&b) && b != b'\\'),
        "{context}: Location {location:?} has control characters, spaces or a backslash"
    );
    assert!(
        location.starts_with('/') && !location.starts_with("//"),
        "{context}: Location {location:?} is not a local path"
    );
    let base = reqwest::Url::parse("http://chorus.test/x/y").unwrap();
    let to = base.join(location).unwrap();
    assert_eq!(to.origin(), base.origin(), "{context}: {location:?} leaves");
}

/// A fresh login form: its CSRF cookie value (the form's token is the same value).
pub async fn login_token(app: &TestApp) -> String {
    let page = reqwest::get(format!("{}/login", app.base)).await.unwrap();
    cookie_from(&page, "chorus_login_csrf").unwrap()
}

/// Posts the login form with `token` (from [`login_token`]) and the given extra headers.
pub async fn post_login(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    fields: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut form: Vec<(&str, &str)> = vec![("csrf", token)];
    form.extend_from_slice(fields);
    let mut rb = http
        .post(format!("{base}/login"))
        .header(COOKIE, format!("chorus_login_csrf={token}"))
        .form(&form);
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    rb.send().await.unwrap()
}

/// A client that does not follow redirects.
pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn location(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get(LOCATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}
