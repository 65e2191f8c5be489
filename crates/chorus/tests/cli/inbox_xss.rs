//! Untrusted post text in a real browser: posts carrying script tags, event handlers and
//! `javascript:` links are ingested with `chorus ingest file` and shown in the inbox and the
//! thread view of the demo's community manager; nothing they carry runs, no link they carry
//! is clickable, and their text is shown as text.

use serde_json::json;

use crate::support::{Server, chorus};
use crate::webdriver::Browser;

const PAYLOADS: &[&str] = &[
    "<script>window.__pwned = 'script'</script>",
    "<img src=x onerror=\"window.__pwned = 'img'\">",
    "<a href=\"javascript:window.__pwned = 'link'\">click me</a>",
    "<svg onload=\"window.__pwned = 'svg'\"></svg>",
    "\"><script>window.__pwned = 'attr'</script>",
    "<iframe srcdoc=\"<script>parent.__pwned = 'iframe'</script>\"></iframe>",
];

fn login(b: &Browser, url: &str, email: &str, password: &str) {
    b.goto(&format!("{url}/login"));
    b.fill("#email", email);
    b.fill("#password", password);
    b.click("form button[type=submit]");
    b.wait_for_text("Playbook");
}

#[test]
fn hostile_posts_render_as_text_and_never_run() {
    let Some(b) = Browser::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--demo"]);
    let url = &server.url;

    // Posts the US market's "Northwind (US)" query finds, each with a payload; one also in the
    // author's handle and one in a link field.
    let mut lines = String::new();
    for (i, p) in PAYLOADS.iter().enumerate() {
        let post = json!({
            "id": format!("xss:{i}"),
            "network": "rss",
            "text": format!("The new northwind earbuds are great and the battery lasts all day {p}"),
            "author": format!("evil{i}"),
            "author_handle": if i == 0 { "<b onmouseover=\"window.__pwned='handle'\">evil</b>" } else { "evil.example" },
            "lang": "en",
            "ts": 1_790_000_000 + i as i64,
        });
        lines.push_str(&post.to_string());
        lines.push('\n');
    }
    let file = dir.path().join("hostile.jsonl");
    std::fs::write(&file, lines).unwrap();
    let out = chorus()
        .args(["ingest", "file", "--quiet"])
        .arg(&file)
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        summary.contains(&format!("{} conversations", PAYLOADS.len())),
        "every hostile post is a conversation: {summary}"
    );

    let line = server
        .banner
        .lines()
        .find(|l| l.contains("Community manager ("))
        .unwrap();
    let mut parts = line.split_whitespace();
    let (email, password) = (parts.next().unwrap(), parts.next().unwrap());
    login(&b, url, email, password);

    let assert_clean = |page: &str| {
        let pwned = b.execute(
            "return window.__pwned === undefined ? null : window.__pwned;",
            json!([]),
        );
        assert_eq!(pwned, json!(null), "{page}: a payload ran");
        let js_links = b.execute(
            "return Array.from(document.querySelectorAll('a[href]')).filter(a => !/^(https?:|\\/|#|\\?)/.test(a.getAttribute('href'))).map(a => a.getAttribute('href'));",
            json!([]),
        );
        assert_eq!(js_links, json!([]), "{page}: only http(s) and local links");
        let foreign = b.execute(
            "return Array.from(document.querySelectorAll('script, iframe, [onload], [onerror], [onmouseover], [onclick]')).filter(e => !(e.tagName === 'SCRIPT' && (e.getAttribute('src') || '').startsWith('/static/'))).map(e => e.outerHTML);",
            json!([]),
        );
        assert_eq!(foreign, json!([]), "{page}: no element came from a post");
    };

    b.goto(&format!("{url}/conversations"));
    b.wait_for_text("battery lasts all day");
    let text = b.text();
    for p in PAYLOADS {
        assert!(text.contains(p.trim()), "the inbox shows {p:?} as text");
    }
    assert_clean("inbox");

    // Every thread page, with its reply and note forms.
    let links = b.execute(
        "return Array.from(document.querySelectorAll('a[href^=\"/conversations/\"]')).map(a => a.getAttribute('href')).filter(h => /^\\/conversations\\/\\d+$/.test(h));",
        json!([]),
    );
    let links: Vec<String> = serde_json::from_value(links).unwrap();
    assert_eq!(links.len(), PAYLOADS.len(), "{links:?}");
    for l in &links {
        b.goto(&format!("{url}{l}"));
        b.wait_for_text("Internal notes");
        // Hovering and clicking what the payloads would have made interactive does nothing.
        b.execute(
            "document.querySelectorAll('.post__text, .post__author').forEach(e => { e.dispatchEvent(new MouseEvent('mouseover', {bubbles: true})); e.click(); });",
            json!([]),
        );
        assert_clean(l);
    }
    assert!(b.text().contains("battery lasts all day"));
}
