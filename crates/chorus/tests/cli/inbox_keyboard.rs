//! The demo's community manager works the inbox by keyboard in Chromium: j/k move the
//! selection (the pane beside the list shows the selected conversation), a assigns it to
//! them, e marks it done (it leaves the open list and the count drops), ? lists the shortcuts,
//! and none of them fires while typing in a field. The inbox is saved as screenshots at 1440
//! and 390 px, where the page must not scroll sideways.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Server, chorus};
use crate::webdriver::Browser;

pub const POSTS: &[&str] = &[
    "Just got the new northwind earbuds and the battery lasts all day, really impressed with the sound.",
    "Northwind support took three days to answer my ticket about the charging case. Not great.",
    "Does anyone know if the northwind watch works with older Android phones? Thinking of one for my dad.",
    "My northwind earbuds stopped pairing after the update, anyone else seeing this?",
    "Comparing northwind and the competition for running headphones; northwind wins on fit.",
    "Northwind customer service replaced my broken case in a day, thank you!",
];

/// Waits until `script` returns `want`; returns what it last returned.
fn wait_for(b: &Browser, script: &str, want: &Value) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = b.execute(script, json!([]));
        if &got == want {
            return got;
        }
        assert!(Instant::now() < deadline, "{script} gave {got}, not {want}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

const SELECTED: &str =
    "return document.querySelector('.inbox-row.is-selected')?.dataset.id ?? null;";
const PANE: &str =
    "return document.querySelector('#pane [data-conversation]')?.dataset.conversation ?? null;";
const TOTAL: &str = "return document.querySelector('.inbox-counts__total')?.textContent ?? null;";
const ROW_IDS: &str =
    "return Array.from(document.querySelectorAll('.inbox-row')).map(r => r.dataset.id);";

/// Stores [`POSTS`] in the demo's data directory `dir` through `chorus ingest file`: public
/// posts the demo's US listening query finds, so the inbox has conversations.
pub fn ingest_demo_posts(dir: &std::path::Path) {
    let mut lines = String::new();
    for (i, text) in POSTS.iter().enumerate() {
        let post = json!({
            "id": format!("kbd:{i}"),
            "network": "rss",
            "text": text,
            "author": format!("reader{i}"),
            "author_handle": format!("reader{i}.example"),
            "lang": "en",
            "ts": 1_796_000_000 + i as i64 * 600,
        });
        lines.push_str(&post.to_string());
        lines.push('\n');
    }
    let file = dir.join("posts.jsonl");
    std::fs::write(&file, lines).unwrap();
    let out = chorus()
        .args(["ingest", "file", "--quiet"])
        .arg(&file)
        .arg("--data-dir")
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_community_manager_works_the_inbox_by_keyboard() {
    let Some(b) = Browser::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--demo"]);
    let url = &server.url;

    ingest_demo_posts(dir.path());

    let line = server
        .banner
        .lines()
        .find(|l| l.contains("Community manager ("))
        .unwrap();
    let mut parts = line.split_whitespace();
    let (email, password) = (parts.next().unwrap(), parts.next().unwrap());
    b.goto(&format!("{url}/login"));
    b.fill("#email", email);
    b.fill("#password", password);
    b.click("form button[type=submit]");
    b.wait_for_text("Playbook");

    b.set_width(1440);
    b.goto(&format!("{url}/conversations"));
    b.wait_for_text("Choose a conversation to read it here.");
    let n = POSTS.len();
    assert_eq!(b.execute(TOTAL, json!([])), json!(n.to_string()));
    let ids: Vec<String> = serde_json::from_value(b.execute(ROW_IDS, json!([]))).unwrap();
    assert_eq!(ids.len(), n, "every post is an open conversation");
    assert_eq!(b.execute(SELECTED, json!([])), Value::Null);

    // j selects the first, j the second, k the first again; the pane follows.
    b.find("body");
    b.keys("j");
    wait_for(&b, PANE, &json!(ids[0]));
    assert_eq!(b.execute(SELECTED, json!([])), json!(ids[0]));
    b.keys("j");
    wait_for(&b, PANE, &json!(ids[1]));
    assert_eq!(b.execute(SELECTED, json!([])), json!(ids[1]));
    assert!(
        b.current_url().ends_with(&format!("c={}", ids[1])),
        "a reload keeps it"
    );
    b.keys("k");
    wait_for(&b, PANE, &json!(ids[0]));
    b.keys("j");
    wait_for(&b, PANE, &json!(ids[1]));
    let shown = b.text();
    assert!(
        shown.contains(POSTS[n - 2]),
        "the pane shows the second newest post"
    );

    // Typing in a field is typing: the keys go into the field, the selection stays.
    let tag_input = format!("#add-tag-{}", ids[1]);
    b.click(&tag_input);
    b.keys("jeak");
    assert_eq!(
        b.execute(
            &format!("return document.querySelector('{tag_input}').value;"),
            json!([])
        ),
        json!("jeak")
    );
    assert_eq!(b.execute(SELECTED, json!([])), json!(ids[1]));
    assert_eq!(
        b.execute(TOTAL, json!([])),
        json!(n.to_string()),
        "nothing closed"
    );
    b.execute(
        &format!("const i = document.querySelector('{tag_input}'); i.value = ''; i.blur();"),
        json!([]),
    );

    // a assigns it to me: the pane's menu and the list's row say so.
    b.keys("a");
    wait_for(
        &b,
        &format!(
            "return document.querySelector('#assignee-{} option:checked')?.textContent ?? null;",
            ids[1]
        ),
        &json!("Daniela Ortiz"),
    );
    wait_for(
        &b,
        &format!(
            "return document.querySelector('#row-state-{} .inbox-row__assignee')?.textContent ?? null;",
            ids[1]
        ),
        &json!("Daniela Ortiz"),
    );

    // e marks it done: it leaves the open list, the count drops, the next one is selected.
    b.keys("e");
    wait_for(&b, TOTAL, &json!((n - 1).to_string()));
    let left: Vec<String> = serde_json::from_value(b.execute(ROW_IDS, json!([]))).unwrap();
    assert!(!left.contains(&ids[1]), "{left:?}");
    assert_eq!(left.len(), n - 1);
    wait_for(&b, PANE, &json!(ids[2]));
    assert_eq!(b.execute(SELECTED, json!([])), json!(ids[2]));
    b.goto(&format!("{url}/conversations?status=done"));
    b.wait_for_text("reader");
    let done: Vec<String> = serde_json::from_value(b.execute(ROW_IDS, json!([]))).unwrap();
    assert_eq!(done, [ids[1].clone()], "it is under Done, assigned to me");
    assert!(b.text().contains("Daniela Ortiz"));

    // ? lists the shortcuts.
    b.goto(&format!("{url}/conversations?c={}", ids[2]));
    wait_for(&b, PANE, &json!(ids[2]));
    b.find("body");
    b.keys("?");
    wait_for(
        &b,
        "return document.getElementById('inbox-keys').open;",
        &json!(true),
    );
    assert!(b.text().contains("Keyboard shortcuts"));
    b.keys("\u{E00C}"); // Escape
    wait_for(
        &b,
        "return document.getElementById('inbox-keys').open;",
        &json!(false),
    );

    // The inbox at both widths for a reviewer; a phone shows posts first without sideways
    // scrolling.
    b.screenshots_at_both_widths("inbox");
    b.set_width(390);
    b.goto(&format!("{url}/conversations"));
    b.wait_for_text("reader");
    let fits = b.execute(
        "return document.documentElement.scrollWidth <= window.innerWidth;",
        json!([]),
    );
    assert_eq!(fits, json!(true), "no horizontal scroll at 390 px");
    let order = b.execute(
        "const l = document.querySelector('.inbox-list').getBoundingClientRect().top; \
         const bulk = document.querySelector('.inbox-bulk').getBoundingClientRect().top; \
         const form = document.querySelector('.inbox-filters__form'); \
         return [l < bulk, !form.checkVisibility(), l < window.innerHeight];",
        json!([]),
    );
    assert_eq!(
        order,
        json!([true, true, true]),
        "posts before bulk actions, filters folded, posts on the first screen"
    );
    b.set_width(1440);
}
