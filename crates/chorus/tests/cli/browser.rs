//! One real browser: the demo global lead opens a principle, edits it, sees the change; an admin
//! then finds the edit in the audit log, in a sentence naming them, with the text before and
//! after. Untrusted text typed into the playbook never runs as script.

use serde_json::json;

use crate::support::Server;
use crate::webdriver::Browser;

/// The demo login printed for `role_label`, e.g. "Global lead".
fn login_for(banner: &str, role_label: &str) -> (String, String) {
    let line = banner
        .lines()
        .find(|l| l.contains(&format!("{role_label} (")))
        .unwrap_or_else(|| panic!("no demo login for {role_label} in:\n{banner}"));
    let mut parts = line.split_whitespace();
    (
        parts.next().unwrap().to_owned(),
        parts.next().unwrap().to_owned(),
    )
}

fn sign_in(b: &Browser, url: &str, email: &str, password: &str) {
    b.goto(&format!("{url}/login"));
    b.fill("#email", email);
    b.fill("#password", password);
    b.click("form button[type=submit]");
    b.wait_for_text("Playbook");
}

#[test]
fn global_lead_edits_a_principle_and_the_audit_log_shows_it() {
    let Some(b) = Browser::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--demo"]);
    let url = &server.url;
    let (lead_email, lead_pw) = login_for(&server.banner, "Global lead");
    let (admin_email, admin_pw) = login_for(&server.banner, "Admin");

    sign_in(&b, url, &lead_email, &lead_pw);
    b.goto(&format!("{url}/playbook"));
    b.click("a[href='/playbook/clear-objectives']");
    b.wait_for_text("Define clear objectives from the outset");
    let before = b.execute(
        "return document.querySelector('#statement .prose').innerText;",
        json!([]),
    );
    let before = before.as_str().unwrap().to_owned();
    assert!(!before.is_empty());

    b.click("a[href='/playbook/clear-objectives/edit']");
    let edited = "Edited in Chromium: every campaign names its target before its first post.";
    b.fill("#statement", edited);
    b.click("form.form button.btn--primary");
    b.wait_for_text(edited);
    assert!(b.text().contains("Saved."), "a confirmation is shown");
    assert!(
        b.current_url()
            .ends_with("/playbook/clear-objectives?done=saved")
    );
    // The run keeps what it looked at, at both widths, for a reviewer.
    for shot in b.screenshots_at_both_widths("playbook-principle") {
        let png = std::fs::read(&shot).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{} is a PNG", shot.display());
    }

    // Untrusted text in a principle is shown, never run.
    b.click("a[href='/playbook/clear-objectives/edit']");
    b.fill(
        "#implications",
        "- <img src=x onerror=\"window.__pwned=1\"> <script>window.__pwned=2</script> [x](javascript:window.__pwned=3)",
    );
    b.click("form.form button.btn--primary");
    b.wait_for_text("window.__pwned=2");
    let links = b.execute(
        "return Array.from(document.querySelectorAll('a')).filter(a => a.href.startsWith('javascript')).length;",
        json!([]),
    );
    assert_eq!(links, json!(0));
    // The page's Content-Security-Policy would stop an injected handler from running even if
    // escaping broke, so `window.__pwned` alone proves little: the DOM must hold no element
    // that came from the text (no script without our src, no event-handler attribute, no
    // iframe), and the payload must be on screen as text.
    let foreign = b.execute(
        "return Array.from(document.querySelectorAll('script, iframe, img, [onload], [onerror], [onclick], [onmouseover]')).filter(e => !(e.tagName === 'SCRIPT' && (e.getAttribute('src') || '').startsWith('/static/'))).map(e => e.outerHTML);",
        json!([]),
    );
    assert_eq!(
        foreign,
        json!([]),
        "no element came from the principle's text"
    );
    let prose = b.execute(
        "return Array.from(document.querySelectorAll('.prose')).map(e => e.textContent).join('\\n');",
        json!([]),
    );
    let prose = prose.as_str().unwrap_or_default();
    assert!(
        prose.contains("<img src=x onerror=")
            && prose.contains("<script>window.__pwned=2</script>"),
        "the markup is shown as text: {prose}"
    );
    if let Some(a) = b.execute("return Array.from(document.querySelectorAll('.prose a')).map(a => a.textContent).indexOf('x');", json!([])).as_i64()
        && a >= 0
    {
        b.execute("document.querySelectorAll('.prose a')[arguments[0]].click();", json!([a]));
    }
    assert_eq!(
        b.execute("return window.__pwned === undefined;", json!([])),
        json!(true)
    );

    b.click(".user-menu__summary");
    b.click(".user-menu__logout button");
    b.wait_for_text("Sign in to Chorus");

    sign_in(&b, url, &admin_email, &admin_pw);
    b.goto(&format!("{url}/admin/audit?subject=principle"));
    // One sentence per change, the editor by name (the demo's global lead), not by email.
    b.wait_for_text(
        "Aino Virtanen changed the principle “Define clear objectives from the outset”",
    );
    assert!(
        !b.text().contains(&lead_email),
        "names, not email addresses"
    );
    // The fields before and after, behind each entry's disclosure.
    b.execute(
        "document.querySelectorAll('details.audit-list__details').forEach(d => d.open = true);",
        json!([]),
    );
    let text = b.text();
    assert!(text.contains(edited), "the after value");
    assert!(text.contains(before.trim()), "the before value");
}
