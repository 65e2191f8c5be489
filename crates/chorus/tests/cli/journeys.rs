//! Journeys through `chorus serve --demo` in headless Chromium, as the demo's people, each step
//! asserting what the person sees (issue 19): a contributor's story goes to review, an editor
//! looks at it, the market lead approves and schedules it — on an account connected through
//! the accounts page to the local Bluesky PDS, since the demo's own accounts are not connected
//! and nothing is approved for them; and an admin grants a role, after which that person sees
//! the new market. Screenshots of the accounts page and the story page at 1440 and 390 px go
//! to the screenshot directory for a reviewer.

use serde_json::json;

use crate::bluesky_peer::{ALLOW_LOCAL, peer};
use crate::support::Server;
use crate::webdriver::Browser;

const ADMIN: &str = "mikko.lehtinen@demo.chorus.test";
const CONTRIBUTOR_KE: &str = "wanjiru.kamau@demo.chorus.test";
const EDITOR_IN: &str = "priya.raman@demo.chorus.test";
const LEAD_KE: &str = "achieng.otieno@demo.chorus.test";

/// The demo password of `email`, as the server's banner lists it.
fn password(server: &Server, email: &str) -> String {
    server
        .banner
        .lines()
        .find_map(|l| {
            let mut words = l.split_whitespace();
            (words.next() == Some(email)).then(|| words.next().unwrap_or_default().to_owned())
        })
        .unwrap_or_else(|| panic!("{email} is not in the banner:\n{}", server.banner))
}

fn sign_in(b: &Browser, server: &Server, email: &str) {
    b.goto(&format!("{}/login", server.url));
    b.fill("#email", email);
    b.fill("#password", &password(server, email));
    b.click("form button[type=submit]");
    b.wait_for_text("Playbook");
}

fn sign_out(b: &Browser) {
    b.click(".user-menu__summary");
    b.click(".user-menu__logout button");
    b.wait_for_text("Sign in to Chorus");
}

fn has(b: &Browser, css: &str) -> bool {
    b.execute(
        "return document.querySelector(arguments[0]) !== null;",
        json!([css]),
    ) == json!(true)
}

/// The text of the element `css` (empty when there is none).
fn text_of(b: &Browser, css: &str) -> String {
    b.execute(
        "const e = document.querySelector(arguments[0]); return e ? e.innerText : '';",
        json!([css]),
    )
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

/// Chooses the option of the select `css` whose text contains `label`.
fn choose(b: &Browser, css: &str, label: &str) {
    let found = b.execute(
        "const s = document.querySelector(arguments[0]);
         const o = [...s.options].find(o => o.text.includes(arguments[1]));
         if (!o) return false;
         s.value = o.value; s.dispatchEvent(new Event('change', {bubbles: true}));
         return true;",
        json!([css, label]),
    );
    assert_eq!(found, json!(true), "{css} offers no {label:?}");
}

/// The admin gives `name` the `role` in `market` on their page under Admin → Users.
fn grant(b: &Browser, server: &Server, name: &str, role: &str, market: &str) {
    b.goto(&format!("{}/admin/users", server.url));
    b.wait_for_text(name);
    let href = b.execute(
        "return [...document.querySelectorAll('a')].find(a => a.innerText.trim() === arguments[0]).getAttribute('href');",
        json!([name]),
    );
    b.goto(&format!("{}{}", server.url, href.as_str().unwrap()));
    choose(b, "#grant-role", role);
    choose(b, "#grant-market", market);
    b.click("form[action$='/memberships'] button[type=submit]");
    b.wait_for_text("Role granted.");
}

#[test]
fn a_contributors_story_is_reviewed_approved_and_scheduled() {
    let Some(peer) = peer() else { return };
    let Some(b) = Browser::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    // The PDS runs on loopback: this server is told to reach the local networks.
    let server = Server::start_with_env(dir.path(), &["--demo"], &[ALLOW_LOCAL]);
    let url = &server.url;
    let (handle, _did, app_password) = peer.new_account("journey");

    // The admin sees that the demo's accounts are not connected and how to connect one, and
    // connects a Kenyan account.
    sign_in(&b, &server, ADMIN);
    b.goto(&format!("{url}/admin/accounts"));
    b.wait_for_text("accounts are not connected");
    b.wait_for_text("Connect a Bluesky account");
    assert!(text_of(&b, "#accounts").contains("Not connected"));
    b.screenshots_at_both_widths("accounts");
    choose(&b, "#market", "KE");
    b.fill("#pds", &peer.pds);
    b.fill("#handle", &handle);
    b.fill("#app_password", &app_password);
    b.click("form[action='/admin/accounts'] button[type=submit]");
    b.wait_for_text(&format!("@{handle}"));
    let row = b.execute(
        "return [...document.querySelectorAll('#accounts tr')].find(r => r.innerText.includes(arguments[0])).innerText;",
        json!([format!("@{handle}")]),
    );
    let row = row.as_str().unwrap();
    assert!(
        row.contains("Connected") && !row.contains("Not connected"),
        "{row}"
    );
    // Priya, an editor in India, is to look over Kenya's stories too.
    grant(&b, &server, "Priya Raman", "Editor", "KE");
    sign_out(&b);

    // The contributor writes the story; the page says it is theirs to submit.
    sign_in(&b, &server, CONTRIBUTOR_KE);
    b.goto(&format!("{url}/stories/new"));
    b.fill("#title", "Earbuds for the Nairobi marathon");
    // Every story cites a principle of the playbook (the demo's rules say so).
    b.click("#principles input[type=checkbox]");
    b.click("form.form button.btn--primary");
    b.wait_for_text("Story created");
    let story_url = b.current_url().split('?').next().unwrap().to_owned();
    assert!(text_of(&b, "#next-step").contains("Your turn: submit it for review"));
    assert!(has(&b, "button[data-transition=submit]"));
    assert!(!b.text().contains("Nothing for you to do"));

    // In the composer the demo's accounts say they are not connected; they write for the
    // connected one, at a time two days ahead.
    b.click("a[href$='/variants/new']");
    b.wait_for_text("Checks and preview");
    assert!(text_of(&b, "#account").contains("Not connected: @northwind-ke.example"));
    assert!(text_of(&b, "#account-hint").contains("Stories → Accounts"));
    choose(&b, "#account", &handle);
    let n: u32 = rand::random();
    let text = format!("Running the Nairobi marathon? Our earbuds stay put. #{n:08x}");
    b.fill("#body", &text);
    b.wait_for_text(&text);
    let due = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(48))
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get("Africa/Nairobi").unwrap());
    b.execute(
        "document.getElementById('time').value = arguments[0];",
        json!([due.strftime("%Y-%m-%dT%H:%M:%S").to_string()]),
    );
    b.click("#composer-form button[type=submit]");
    b.wait_for_text("Variant saved");
    b.click("button[data-transition=submit]");
    b.wait_for_text("Submitted for review");
    assert_eq!(text_of(&b, "#story-state"), "In review");
    let next = text_of(&b, "#next-step");
    assert!(
        next.contains("Waiting for Achieng Otieno to approve it"),
        "{next}"
    );
    assert!(!has(&b, "button[data-transition=approve]"));
    b.screenshots_at_both_widths("story-in-review");
    sign_out(&b);

    // The editor, newly working in Kenya, reads it, sees who approves it, and comments.
    sign_in(&b, &server, EDITOR_IN);
    b.goto(&story_url);
    b.wait_for_text("Earbuds for the Nairobi marathon");
    let next = text_of(&b, "#next-step");
    assert!(
        next.contains("Waiting for Achieng Otieno to approve it"),
        "{next}"
    );
    assert!(!has(&b, "button[data-transition=approve]"));
    b.fill(
        "#comment-body",
        "Checked the race date and the hashtag: good to go.",
    );
    b.click("form[action$='/comments'] button[type=submit]");
    b.wait_for_text("Comment added.");
    b.wait_for_text("Priya Raman");
    sign_out(&b);

    // The market lead approves it, then schedules it; Chorus publishes it at its time.
    sign_in(&b, &server, LEAD_KE);
    b.goto(&story_url);
    b.wait_for_text("Checked the race date");
    assert!(text_of(&b, "#next-step").contains("Your turn: approve it"));
    assert!(!has(&b, "#next-blocked"), "the account is connected");
    b.click("button[data-transition=approve]");
    b.wait_for_text("Approved.");
    assert_eq!(text_of(&b, "#story-state"), "Approved");
    assert!(text_of(&b, "#next-step").contains("Your turn: schedule it"));
    b.click("button[data-transition=schedule]");
    b.wait_for_text("Scheduled.");
    assert_eq!(text_of(&b, "#story-state"), "Scheduled");
    let next = text_of(&b, "#next-step");
    assert!(
        next.contains("Chorus publishes each variant at its time"),
        "{next}"
    );
    b.wait_for_text(&due.strftime("%H:%M").to_string());
    b.screenshots_at_both_widths("story");
    sign_out(&b);
}

#[test]
fn an_admin_grants_a_role_and_the_person_sees_the_new_market() {
    let Some(b) = Browser::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--demo"]);
    let url = &server.url;
    let kenya = "#f-market option[value=KE]";

    // Priya edits India's stories; Kenya is not among her markets.
    sign_in(&b, &server, EDITOR_IN);
    b.goto(&format!("{url}/stories"));
    b.wait_for_text("Stories");
    assert!(has(&b, "#f-market option[value=IN]"));
    assert!(!has(&b, kenya), "Kenya is not hers yet");
    sign_out(&b);

    // The admin gives her the editor role in Kenya; her page lists it.
    sign_in(&b, &server, ADMIN);
    grant(&b, &server, "Priya Raman", "Editor", "KE");
    b.wait_for_text("KE");
    sign_out(&b);

    // Signed in again, she finds Kenya's stories.
    sign_in(&b, &server, EDITOR_IN);
    b.goto(&format!("{url}/stories"));
    assert!(has(&b, kenya), "Kenya is among her markets now");
    b.goto(&format!("{url}/stories?market=KE"));
    b.wait_for_text("KE");
    let rows = b.execute(
        "return document.querySelectorAll('table tbody tr').length;",
        json!([]),
    );
    assert!(rows.as_u64().unwrap_or(0) > 0, "Kenya's stories are listed");
}
