//! One real browser through the whole Stories workflow, ending on the local Bluesky PDS: an
//! admin connects an account through the accounts page, a contributor drafts a story and its
//! variant in the composer (the live checks answer as they type) and drags it to another hour in
//! the calendar and back (the page offers them Submit), an editor submits it, the market lead approves and schedules it, and
//! the post appears on the PDS, once, with the story marked published with its record's URI.

use std::path::Path;
use std::time::{Duration, Instant};

use chorus_core::Role;
use chorus_core::audit::Author;
use chorus_core::org::MarketInput;
use chorus_core::user::{Email, Membership};
use chorus_store::{DatabaseUrl, NewUser, Store};
use serde_json::json;

use crate::bluesky_peer::{ALLOW_LOCAL, peer};
use crate::support::Server;
use crate::webdriver::Browser;

const PASSWORD: &str = "stories chromium test";
const ADMIN: &str = "admin@stories.test";
const CONTRIBUTOR: &str = "contributor@stories.test";
const EDITOR: &str = "editor@stories.test";
const LEAD: &str = "lead@stories.test";

/// Finland and four people, written before the server starts.
async fn seed(dir: &Path) {
    let store = Store::open(&DatabaseUrl::sqlite_in(dir)).await.unwrap();
    let sys = Author::system("stories-browser-test");
    let fi = store
        .create_market(
            &sys,
            &MarketInput::parse("FI", "Finland", "FI", &["fi-FI".into()], "Europe/Helsinki")
                .unwrap(),
        )
        .await
        .unwrap();
    let hash = chorus_core::password::hash(PASSWORD).unwrap();
    for (email, role) in [
        (ADMIN, Role::Admin),
        (CONTRIBUTOR, Role::Contributor),
        (EDITOR, Role::Editor),
        (LEAD, Role::MarketLead),
    ] {
        let market = (!role.is_global_only()).then_some(fi.id);
        store
            .create_user(
                &sys,
                &NewUser {
                    email: Email::parse(email).unwrap(),
                    display_name: role.label().into(),
                    password_hash: Some(hash.clone()),
                    memberships: vec![Membership::new(role, market).unwrap()],
                },
            )
            .await
            .unwrap();
    }
    store.close().await;
}

fn sign_in(b: &Browser, url: &str, email: &str) {
    b.goto(&format!("{url}/login"));
    b.fill("#email", email);
    b.fill("#password", PASSWORD);
    b.click("form button[type=submit]");
    b.wait_for_text("Playbook");
}

fn sign_out(b: &Browser) {
    b.click(".user-menu__summary");
    b.click(".user-menu__logout button");
    b.wait_for_text("Sign in to Chorus");
}

/// Drags the first movable calendar entry onto the week view's slot (`date`, `hour`) with the
/// same events a person's drag fires; `/static/stories.js` handles them.
fn drag_to(b: &Browser, date: &str, hour: i8) {
    b.execute(
        "const src = document.querySelector('.cal-entry--movable');
         const dst = document.querySelector(`.cal-slot[data-date=\"${arguments[0]}\"][data-hour=\"${arguments[1]}\"]`);
         const dt = new DataTransfer();
         src.dispatchEvent(new DragEvent('dragstart', {bubbles: true, dataTransfer: dt}));
         dst.dispatchEvent(new DragEvent('dragover', {bubbles: true, cancelable: true, dataTransfer: dt}));
         dst.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: dt}));
         src.dispatchEvent(new DragEvent('dragend', {bubbles: true, dataTransfer: dt}));",
        json!([date, format!("{hour:02}")]),
    );
}

fn entry_in(b: &Browser, date: &str, hour: i8) -> bool {
    has(
        b,
        &format!(".cal-slot[data-date=\"{date}\"][data-hour=\"{hour:02}\"] .cal-entry"),
    )
}

fn has(b: &Browser, css: &str) -> bool {
    b.execute(
        "return document.querySelector(arguments[0]) !== null;",
        json!([css]),
    ) == json!(true)
}

#[test]
fn a_contributors_draft_is_submitted_approved_scheduled_and_published_on_the_pds() {
    let Some(peer) = peer() else { return };
    let Some(b) = Browser::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(seed(dir.path()));
    // The PDS runs on loopback: this server is told to reach the local networks.
    let server = Server::start_with_env(dir.path(), &[], &[ALLOW_LOCAL]);
    let url = &server.url;
    let (handle, did, password) = peer.new_account("stories");

    // The admin connects the Finnish account on the accounts page.
    sign_in(&b, url, ADMIN);
    b.goto(&format!("{url}/admin/accounts"));
    b.fill("#pds", &peer.pds);
    b.fill("#handle", &handle);
    b.fill("#app_password", &password);
    b.click("form[action='/admin/accounts'] button[type=submit]");
    b.wait_for_text(&format!("@{handle}"));
    assert!(
        !b.text().contains(&password),
        "the password never comes back"
    );
    sign_out(&b);

    // The contributor drafts the story and its variant; the composer checks as they type.
    sign_in(&b, url, CONTRIBUTOR);
    b.goto(&format!("{url}/stories/new"));
    b.fill("#title", "Chromium launch <day one>");
    b.click("form.form button.btn--primary");
    b.wait_for_text("Story created");
    let story_url = b.current_url();
    let story_url = story_url.split('?').next().unwrap().to_owned();
    b.click("a[href$='/variants/new']");
    b.wait_for_text("Checks and preview");
    let n: u32 = rand::random();
    let text = format!("Northwind's new earbuds, posted from Chromium #{n:08x}");
    b.fill("#body", &text);
    // The live check returns the preview of exactly this text.
    b.wait_for_text(&text);
    let counter = b.execute(
        "return document.getElementById('counter').innerText;",
        json!([]),
    );
    let want = format!("{} / 300", text.chars().count());
    assert!(
        counter.as_str().unwrap().starts_with(&want),
        "{counter} vs {want}"
    );
    let due = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_secs(60))
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get("Europe/Helsinki").unwrap());
    b.execute(
        "document.getElementById('time').value = arguments[0];",
        json!([due.strftime("%Y-%m-%dT%H:%M:%S").to_string()]),
    );
    b.click("#composer-form button[type=submit]");
    b.wait_for_text("Variant saved");
    assert!(
        has(&b, "button[data-transition=submit]"),
        "the author submits their own draft"
    );
    b.wait_for_text("Your turn: submit it for review");

    // In the calendar's week view the post sits at its Helsinki hour; dragging it an hour away
    // moves it (the author may move a draft), and dragging it back restores the time.
    let date = due.date().to_string();
    let hour = due.hour();
    let other = if hour < 23 { hour + 1 } else { hour - 1 };
    b.goto(&format!(
        "{url}/stories/calendar?view=week&date={date}&market=FI"
    ));
    b.wait_for_text("Chromium launch");
    assert!(
        entry_in(&b, &date, hour),
        "the post is in the {hour:02}:00 row"
    );
    drag_to(&b, &date, other);
    b.wait_for_text("Moved to");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !entry_in(&b, &date, other) {
        assert!(
            Instant::now() < deadline,
            "the post never showed in its new hour"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    drag_to(&b, &date, hour);
    b.wait_for_text("Moved to");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !entry_in(&b, &date, hour) {
        assert!(
            Instant::now() < deadline,
            "the post never came back to its hour"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    b.goto(&story_url);
    b.wait_for_text(&due.strftime("%H:%M %Z").to_string());
    sign_out(&b);

    // The editor submits it for review.
    sign_in(&b, url, EDITOR);
    b.goto(&story_url);
    b.click("button[data-transition=submit]");
    b.wait_for_text("Submitted for review");
    sign_out(&b);

    // The market lead, told by a notification, approves and schedules it.
    sign_in(&b, url, LEAD);
    b.click("#nav-notifications");
    b.wait_for_text("asks you to review");
    b.goto(&story_url);
    b.click("button[data-transition=approve]");
    b.wait_for_text("Approved.");
    b.click("button[data-transition=schedule]");
    b.wait_for_text("Scheduled.");

    // The scheduler publishes it once, at its time.
    let deadline = Instant::now() + Duration::from_secs(180);
    let ours = loop {
        let ours: Vec<(String, String)> = peer
            .posts(&did)
            .into_iter()
            .filter(|(_, t)| *t == text)
            .collect();
        if !ours.is_empty() {
            break ours;
        }
        assert!(Instant::now() < deadline, "the post never reached the PDS");
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(ours.len(), 1, "published exactly once: {ours:?}");
    let uri = &ours[0].0;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        b.goto(&story_url);
        let page = b.text();
        if page.contains("Published as") {
            assert!(
                page.contains(uri.as_str()),
                "the story shows the record's URI {uri}: {page}"
            );
            assert!(has(&b, "#story-state"));
            let state = b.execute(
                "return document.getElementById('story-state').innerText;",
                json!([]),
            );
            assert_eq!(state, json!("Published"));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the story never showed its publication: {page}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    // Still once, a little later.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        peer.posts(&did).iter().filter(|(_, t)| *t == text).count(),
        1
    );
}
