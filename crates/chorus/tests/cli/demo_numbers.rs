//! `chorus serve --demo` gives the demo organization about 90 days of Numbers history: a
//! market's report has figures, the pages and the API label them as demo data, and a second
//! start changes nothing.

use reqwest::blocking::Client;
use reqwest::redirect::Policy;

use crate::support::{Server, run, stderr, stdout};

/// Every `name=value` the response sets, as one `cookie` header.
fn cookies(resp: &reqwest::blocking::Response) -> Vec<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| Some(v.to_str().ok()?.split(';').next()?.to_owned()))
        .collect()
}

/// Signs in with the form and returns the session's cookies.
fn sign_in(url: &str, email: &str, password: &str) -> String {
    let client = Client::builder().redirect(Policy::none()).build().unwrap();
    let page = client.get(format!("{url}/login")).send().unwrap();
    let jar = cookies(&page);
    let csrf = jar
        .iter()
        .find_map(|c| c.strip_prefix("chorus_login_csrf="))
        .unwrap()
        .to_owned();
    let resp = client
        .post(format!("{url}/login"))
        .header("cookie", jar.join("; "))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .unwrap();
    assert_eq!(resp.status(), 303, "the demo login signs in");
    cookies(&resp).join("; ")
}

fn fi_report(url: &str, token: &str) -> serde_json::Value {
    let today = jiff::Zoned::now().date();
    let from = today.saturating_sub(jiff::Span::new().days(95));
    Client::new()
        .get(format!(
            "{url}/api/v1/numbers?market=FI&group_by=market&from={from}&to={today}"
        ))
        .bearer_auth(token)
        .send()
        .unwrap()
        .json()
        .unwrap()
}

#[test]
fn the_demo_has_numbers_history_labelled_as_demo_data_and_loads_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--demo"]);
    let out = run(
        &[
            "users",
            "token",
            "--email",
            "mikko.lehtinen@demo.chorus.test",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let token = stdout(&out).trim().to_owned();

    let report = fi_report(&server.url, &token);
    assert_eq!(report["demo"], true, "{report}");
    let row = &report["rows"][0];
    assert_eq!(row["subject"], "FI", "{report}");
    for metric in ["likes", "reposts", "replies", "followers"] {
        let v = row["values"][metric].as_i64().unwrap_or(0);
        assert!(v > 0, "{metric} in Finland over 90 days: {report}");
    }

    let session = sign_in(
        &server.url,
        "chloe.nguyen@demo.chorus.test",
        "chorus-demo-analyst",
    );
    let page = Client::new()
        .get(format!("{}/numbers", server.url))
        .header("cookie", &session)
        .send()
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().unwrap();
    assert!(html.contains("Demo data: generated figures"), "{html}");
    assert!(!html.contains("Nothing measured here yet"), "{html}");
    drop(server);

    // A second start loads nothing again: the same figures.
    let again = Server::start(dir.path(), &["--demo"]);
    assert_eq!(fi_report(&again.url, &token), report);
}
