//! Issue 21's test of corrections, end to end on the real binary: the demo's community manager
//! corrects a conversation's sentiment in the inbox (the form a click posts); the correction is
//! in the dataset the inbox downloads and `chorus text corrections` writes (the same bytes);
//! `chorus text train --with-corrections` learns it — the adapted model answers the corrected
//! label for that text where the built-in one did not — and training twice gives the same
//! model bytes.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use reqwest::blocking::Client;
use reqwest::redirect::Policy;
use serde_json::Value;

use crate::inbox_keyboard::{POSTS, ingest_demo_posts};
use crate::support::{Server, chorus, run, services_required, stderr, stdout};

/// `../shared` (or `CHORUS_SHARED_DIR`) when its data is there; `None` with a printed reason
/// when it is absent and not required.
fn shared() -> Option<PathBuf> {
    let dir = std::env::var("CHORUS_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")));
    if dir.join("data/tweeteval").is_dir() {
        return Some(dir);
    }
    let reason = format!("the shared data sets are not at {}", dir.display());
    assert!(!services_required(), "{reason} (CHORUS_REQUIRE_SERVICES=1)");
    eprintln!("skipping: {reason}");
    None
}

/// The session cookies after signing in with the form.
fn sign_in(client: &Client, url: &str, email: &str, password: &str) -> String {
    let cookies = |r: &reqwest::blocking::Response| -> Vec<String> {
        r.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| Some(v.to_str().ok()?.split(';').next()?.to_owned()))
            .collect()
    };
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

/// The model's answer for `text`: its label and the labels by probability, highest first.
fn sentiment(text: &str, model: Option<&Path>) -> (String, Vec<String>) {
    let mut c = chorus();
    c.args(["text", "sentiment"]);
    if let Some(m) = model {
        c.arg("--model").arg(m);
    }
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{text}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    let mut by: Vec<(f64, String)> = ["negative", "neutral", "positive"]
        .iter()
        .map(|l| (v[*l].as_f64().unwrap(), (*l).to_owned()))
        .collect();
    by.sort_by(|a, b| b.0.total_cmp(&a.0));
    (
        v["sentiment"].as_str().unwrap().to_owned(),
        by.into_iter().map(|(_, l)| l).collect(),
    )
}

#[test]
fn a_correction_made_in_the_inbox_is_exported_and_changes_the_adapted_models_answer() {
    let Some(shared) = shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--demo"]);
    let url = &server.url;
    ingest_demo_posts(dir.path());

    // A post whose corrections are trained on (not held out), and a label the built-in model
    // does not give it: its second choice.
    let text = POSTS
        .iter()
        .copied()
        .find(|t| !chorus_text::corrections::held_out(t))
        .unwrap();
    let (before, ranked) = sentiment(text, None);
    let target = ranked[1].clone();
    assert_ne!(
        before, target,
        "premise: the built-in model answers otherwise"
    );

    // The community manager corrects it in the inbox: the form the button posts.
    let line = server
        .banner
        .lines()
        .find(|l| l.contains("Community manager ("))
        .unwrap();
    let mut parts = line.split_whitespace();
    let (email, password) = (parts.next().unwrap(), parts.next().unwrap());
    let client = Client::builder().redirect(Policy::none()).build().unwrap();
    let cookie = sign_in(&client, url, email, password);
    let get = |path: &str| {
        client
            .get(format!("{url}{path}"))
            .header("cookie", &cookie)
            .send()
            .unwrap()
    };
    let token = stdout(&run(&["users", "token", "--email", email], dir.path()))
        .trim()
        .to_owned();
    let list: Value = client
        .get(format!("{url}/api/v1/conversations"))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let id = list["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["post"]["text"] == text)
        .unwrap_or_else(|| panic!("{text} is in the inbox: {list}"))["id"]
        .as_i64()
        .unwrap();
    let page = get(&format!("/conversations/{id}")).text().unwrap();
    assert!(
        page.contains(&format!("id=\"labels-{id}\"")),
        "the control is on the page"
    );
    let at = page.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    let csrf = &page[at..at + page[at..].find('"').unwrap()];
    let resp = client
        .post(format!("{url}/conversations/{id}/labels"))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf), ("sentiment", target.as_str())])
        .send()
        .unwrap();
    assert_eq!(resp.status(), 303);
    let page = get(&format!("/conversations/{id}")).text().unwrap();
    assert!(
        page.contains(&format!(
            "name=\"sentiment\" value=\"{target}\" aria-pressed=\"true\""
        )),
        "the inbox shows the correction"
    );

    // The dataset: downloaded from the inbox, and written by the CLI, byte for byte.
    let download = get("/conversations/corrections.jsonl").text().unwrap();
    let want = format!(
        "{{\"text\":{},\"sentiment\":\"{target}\"}}\n",
        Value::from(text)
    );
    assert_eq!(download, want, "the corrected label, the language left out");
    let file = dir.path().join("corrections.jsonl");
    let out = run(
        &["text", "corrections", "--out", file.to_str().unwrap()],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("(1 corrected conversations)"),
        "{}",
        stdout(&out)
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), download);

    // Training with it, twice: the same bytes, and the adapted model answers the correction.
    let train = |out_dir: &Path| {
        let out = chorus()
            .args(["text", "train", "--with-corrections"])
            .arg(&file)
            .arg("--out")
            .arg(out_dir)
            .env("CHORUS_SHARED_DIR", &shared)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let (m1, m2) = (dir.path().join("m1"), dir.path().join("m2"));
    let report = train(&m1);
    assert!(
        report.contains("| trained on | 0 of 1 (0 %) | 1 of 1 (100 %) |"),
        "the before/after table: {report}"
    );
    train(&m2);
    for f in ["sentiment.bin", "language.bin"] {
        assert!(
            std::fs::read(m1.join(f)).unwrap() == std::fs::read(m2.join(f)).unwrap(),
            "{f} differs between two trainings with the same corrections"
        );
    }
    let (after, _) = sentiment(text, Some(&m1.join("sentiment.bin")));
    assert_eq!(after, target, "the adapted model learned the correction");
    assert_eq!(
        sentiment(text, None).0,
        before,
        "the built-in model is unchanged"
    );
}
