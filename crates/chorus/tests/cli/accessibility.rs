//! axe-core in headless Chromium on every page of the demo, as the roles that see them, at
//! 1440 and 390 px: the test fails on any serious or critical violation and prints (and saves
//! next to the screenshots, as `accessibility.txt`) a table of every page's results, so a
//! reviewer can quote it. It also keeps the calendar's month and week views at both widths.
//!
//! axe-core comes from npm (`.ci/setup-axe.sh`); the test finds `axe.min.js` through
//! `$CHORUS_AXE`, else the setup script's default directory, and skips with the reason printed
//! when it is absent (fails instead when `CHORUS_REQUIRE_SERVICES=1`). One server, one browser,
//! one sign-in per role.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::support::{Server, services_required};
use crate::webdriver::{Browser, screenshot_dir};

/// Where `.ci/setup-axe.sh` installs axe-core when `CHORUS_AXE_DIR` is not set.
const DEFAULT_AXE: &str = "/var/tmp/chorus-axe/node_modules/axe-core/axe.min.js";

/// The source of axe.min.js, or `None` (with the reason printed) when it is not installed.
fn axe_source() -> Option<String> {
    let path = std::env::var("CHORUS_AXE")
        .ok()
        .filter(|p| std::path::Path::new(p).is_file())
        .unwrap_or_else(|| DEFAULT_AXE.to_owned());
    match std::fs::read_to_string(&path) {
        Ok(src) => Some(src),
        Err(e) => {
            let reason = format!("axe-core is not installed at {path} ({e}); run .ci/setup-axe.sh");
            assert!(!services_required(), "{reason}");
            eprintln!("skipping accessibility test: {reason}");
            None
        }
    }
}

/// One page's axe result at one width.
struct Row {
    page: String,
    role: &'static str,
    width: u32,
    /// Violations (rules broken) by impact: critical, serious, moderate, minor.
    counts: [usize; 4],
    /// "rule-id (impact): first target" for each serious or critical violation.
    blocking: Vec<String>,
    /// The same for moderate and minor ones (reported, not failed on).
    other: Vec<String>,
}

const IMPACTS: [&str; 4] = ["critical", "serious", "moderate", "minor"];

/// Runs axe on the page now open; injects it first when the page does not have it.
fn audit(b: &Browser, axe: &str) -> Value {
    let loaded = b.execute("return typeof window.axe === 'object';", json!([]));
    if loaded != json!(true) {
        // WebDriver scripts run outside the page's Content-Security-Policy, so the library is
        // defined on `window` without a nonce or a change to the app's headers.
        b.execute(
            &format!("(function(){{ {axe} }}).call(window); return typeof window.axe;"),
            json!([]),
        );
    }
    b.execute(
        "return window.axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length, target: (v.nodes[0] && v.nodes[0].target.join(' ')) || ''})));",
        json!([]),
    )
}

fn row(b: &Browser, axe: &str, page: &str, role: &'static str, width: u32) -> Row {
    let violations = audit(b, axe);
    let mut counts = [0; 4];
    let mut blocking = Vec::new();
    let mut other = Vec::new();
    for v in violations.as_array().into_iter().flatten() {
        let impact = v["impact"].as_str().unwrap_or("minor");
        if let Some(i) = IMPACTS.iter().position(|x| *x == impact) {
            counts[i] += 1;
        }
        let line = format!(
            "{} ({impact}, {} element(s)): {} — first at `{}`",
            v["id"].as_str().unwrap_or("?"),
            v["nodes"],
            v["help"].as_str().unwrap_or(""),
            v["target"].as_str().unwrap_or("")
        );
        if impact == "critical" || impact == "serious" {
            blocking.push(line);
        } else {
            other.push(line);
        }
    }
    Row {
        page: page.to_owned(),
        role,
        width,
        counts,
        blocking,
        other,
    }
}

/// The demo login printed for `role_label`, e.g. "Community manager".
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

fn sign_in(b: &Browser, url: &str, banner: &str, role: &str) {
    let (email, password) = login_for(banner, role);
    b.goto(&format!("{url}/login"));
    b.fill("#email", &email);
    b.fill("#password", &password);
    b.click("form button[type=submit]");
    b.wait_for_text("Playbook");
}

fn sign_out(b: &Browser) {
    b.set_width(1440);
    b.click(".user-menu__summary");
    b.click(".user-menu__logout button");
    b.wait_for_text("Sign in to Chorus");
}

/// The first link on `list` whose path matches the JavaScript regular expression `pattern`.
fn first_link(b: &Browser, url: &str, list: &str, pattern: &str) -> String {
    maybe_link(b, url, list, pattern)
        .unwrap_or_else(|| panic!("no link matching {pattern} on {list}"))
}

/// As [`first_link`], `None` when the list has none.
fn maybe_link(b: &Browser, url: &str, list: &str, pattern: &str) -> Option<String> {
    b.goto(&format!("{url}{list}"));
    let found = b.execute(
        "const re = new RegExp(arguments[0]); return Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href')).find(h => re.test(h)) || null;",
        json!([pattern]),
    );
    found.as_str().map(str::to_owned)
}

/// Opens `path`, audits it at 1440 then 390 px, and keeps screenshots of the calendar views.
fn visit(b: &Browser, axe: &str, url: &str, path: &str, role: &'static str, rows: &mut Vec<Row>) {
    b.set_width(1440);
    b.goto(&format!("{url}{path}"));
    b.find("body");
    let shot = match path {
        "/stories/calendar" => Some("calendar-month"),
        "/stories/calendar?view=week" => Some("calendar-week"),
        _ => None,
    };
    for width in [1440, 390] {
        if width != 1440 {
            b.set_width(width);
            b.execute("location.reload();", json!([]));
            std::thread::sleep(std::time::Duration::from_millis(200));
            b.find("body");
        }
        rows.push(row(b, axe, path, role, width));
        if let Some(name) = shot {
            // The grid, not the page's header, is what a reviewer looks for.
            b.execute(
                "const h = document.querySelector('.cal-head'); if (h) h.scrollIntoView();",
                json!([]),
            );
            b.screenshot(name);
        }
    }
    b.set_width(1440);
}

/// On the Signals chart, the legend and the readout under it give the figures of the hour under
/// the pointer (they showed "--").
fn signals_chart_reads_out_the_hour_under_the_pointer(b: &Browser, url: &str) {
    b.set_width(1440);
    b.goto(&format!("{url}/conversations/signals"));
    b.find("[data-chart=volume] .u-over");
    let hover = b.execute(
        "document.querySelector('[data-chart=volume]').scrollIntoView({block: 'center'});
         const o = document.querySelector('[data-chart=volume] .u-over'); const r = o.getBoundingClientRect();
         const at = {clientX: r.left + r.width * 0.6, clientY: r.top + r.height / 2, bubbles: true};
         o.dispatchEvent(new MouseEvent('mouseenter', at)); o.dispatchEvent(new MouseEvent('mousemove', at));
         return {readout: document.getElementById('volume-readout').textContent,
                 values: Array.from(document.querySelectorAll('[data-chart=volume] .u-legend .u-value')).map(v => v.textContent)};",
        json!([]),
    );
    let readout = hover["readout"].as_str().unwrap_or_default();
    assert!(
        readout.contains(" post"),
        "the readout names the hour's posts: {hover}"
    );
    let values: Vec<&str> = hover["values"]
        .as_array()
        .map(|v| v.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert!(
        values.len() >= 3,
        "a legend with the time and each series: {hover}"
    );
    assert!(
        values.iter().all(|v| *v != "--" && !v.is_empty()),
        "every legend value is a figure: {hover}"
    );
    b.screenshot("signals-hover");
}

fn table(rows: &[Row]) -> String {
    let mut out = String::new();
    let w = rows.iter().map(|r| r.page.len()).max().unwrap_or(4).max(4);
    let _ = writeln!(
        out,
        "| {:w$} | {:17} | width | critical | serious | moderate | minor |",
        "page", "role"
    );
    let _ = writeln!(
        out,
        "|{}|{}|-------|----------|---------|----------|-------|",
        "-".repeat(w + 2),
        "-".repeat(19)
    );
    for r in rows {
        let _ = writeln!(
            out,
            "| {:w$} | {:17} | {:5} | {:8} | {:7} | {:8} | {:5} |",
            r.page, r.role, r.width, r.counts[0], r.counts[1], r.counts[2], r.counts[3]
        );
    }
    for r in rows
        .iter()
        .filter(|r| !r.blocking.is_empty() || !r.other.is_empty())
    {
        let _ = writeln!(out, "\n{} at {} px as {}:", r.page, r.width, r.role);
        for b in r.blocking.iter().chain(&r.other) {
            let _ = writeln!(out, "  - {b}");
        }
    }
    out
}

#[test]
fn every_page_has_no_serious_or_critical_accessibility_violation() {
    let Some(axe) = axe_source() else { return };
    let Some(b) = Browser::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--demo"]);
    let url = &server.url;
    // Conversations in the inbox, so a conversation's page and pane are checked too.
    crate::inbox_keyboard::ingest_demo_posts(dir.path());
    let mut rows = Vec::new();

    // Signed out: the sign-in page and a page that does not exist.
    visit(&b, &axe, url, "/login", "signed out", &mut rows);
    visit(&b, &axe, url, "/no-such-page", "signed out", &mut rows);

    // The admin sees every section; detail pages are found from their lists.
    sign_in(&b, url, &server.banner, "Admin");
    let principle = first_link(
        &b,
        url,
        "/playbook",
        r"^/playbook/(?!new$|search$)[a-z0-9-]+$",
    );
    let story = first_link(&b, url, "/stories", r"^/stories/\d+$");
    let composer = first_link(&b, url, &story, r"^/stories/\d+/variants/(new|\d+)$");
    let campaign = first_link(&b, url, "/stories/campaigns", r"^/stories/campaigns/\d+$");
    let numbers_campaign = first_link(&b, url, "/numbers/campaigns", r"^/numbers/campaigns/\d+$");
    let numbers_post = first_link(&b, url, "/numbers/posts", r"^/numbers/posts/\d+$");
    let conversation = first_link(
        &b,
        url,
        "/conversations?status=all",
        r"^/conversations/\d+$",
    );
    let query = first_link(
        &b,
        url,
        "/conversations/queries",
        r"^/conversations/queries/\d+$",
    );
    let user = first_link(&b, url, "/admin/users", r"^/admin/users/\d+$");
    let market = first_link(&b, url, "/admin/markets", r"^/admin/markets/[A-Z]+$");
    let webhook = first_link(&b, url, "/admin/webhooks", r"^/admin/webhooks/\d+$");
    let admin_pages = [
        "/playbook",
        principle.as_str(),
        &format!("{principle}/edit"),
        "/playbook/new",
        "/playbook/search?q=objectives",
        "/stories",
        story.as_str(),
        "/stories/new",
        composer.as_str(),
        "/stories/calendar",
        "/stories/calendar?view=week",
        "/stories/campaigns",
        campaign.as_str(),
        "/stories/import",
        "/numbers",
        "/numbers/campaigns",
        numbers_campaign.as_str(),
        "/numbers/posts",
        numbers_post.as_str(),
        "/numbers/markets",
        "/conversations",
        conversation.as_str(),
        &format!(
            "/conversations?c={}",
            &conversation["/conversations/".len()..]
        ),
        "/conversations/queries",
        query.as_str(),
        "/conversations/queries/new",
        "/conversations/signals",
        "/conversations/responses",
        "/reach",
        "/reach/assets",
        "/reach/assets/new",
        // The demo's gated asset and its first lead (demo/reach.rs makes them first).
        "/reach/assets/1",
        "/reach/consent",
        "/reach/leads",
        "/reach/leads/1",
        "/notifications",
        "/account",
        "/admin/users",
        user.as_str(),
        "/admin/markets",
        market.as_str(),
        "/admin/accounts",
        "/admin/rules",
        "/admin/audit",
        "/admin/webhooks",
        webhook.as_str(),
    ];
    for path in admin_pages {
        visit(&b, &axe, url, path, "Admin", &mut rows);
    }
    sign_out(&b);

    // A contributor's own working pages.
    sign_in(&b, url, &server.banner, "Contributor");
    for path in ["/stories", story.as_str(), "/stories/calendar"] {
        visit(&b, &axe, url, path, "Contributor", &mut rows);
    }
    sign_out(&b);

    // A community manager lives in Conversations.
    sign_in(&b, url, &server.banner, "Community manager");
    for path in ["/conversations", "/conversations/signals", "/notifications"] {
        visit(&b, &axe, url, path, "Community manager", &mut rows);
    }
    signals_chart_reads_out_the_hour_under_the_pointer(&b, url);
    sign_out(&b);

    // An analyst reads Numbers, and is refused Admin (the 403 page in the layout).
    sign_in(&b, url, &server.banner, "Analyst");
    for path in ["/numbers", "/admin/users"] {
        visit(&b, &axe, url, path, "Analyst", &mut rows);
    }

    let report = table(&rows);
    eprintln!("axe-core results per page:\n{report}");
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("accessibility.txt"), &report).unwrap();
    let failing: Vec<&Row> = rows.iter().filter(|r| !r.blocking.is_empty()).collect();
    assert!(
        failing.is_empty(),
        "{} page views have serious or critical violations:\n{report}",
        failing.len()
    );
}
