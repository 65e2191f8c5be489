//! Stories for accounts Chorus cannot publish from, and what every story page says happens
//! next. Approving, scheduling or retrying a story with a variant for an account that is not
//! connected (its credentials do not open with the server's key, or the server has none) is
//! refused on both doors with which account, that it is not connected, and where it gets
//! connected; nothing changes. The story page says so before anyone presses Approve, and the
//! accounts page marks the account. Every state's page says who acts next, by name.

use chorus_core::audit::Author;
use chorus_core::stories::workflow::StoryState;
use chorus_core::user::{Email, Membership};
use chorus_core::{MarketId, Role};
use chorus_networks::bluesky::credentials::StoredAccount;
use chorus_networks::bluesky::{Secret, SecretKey};
use chorus_store::{NewAccount, NewUser};
use reqwest::StatusCode;
use serde_json::json;

use super::seed::{WRITER_FI, sealed_credentials, spawn, world};
use crate::support::*;

/// Replaces the credentials of `handle` in `market` with `sealed`, as connecting it again does.
async fn reconnect(app: &TestApp, market: MarketId, handle: &str, sealed: &str) {
    app.store
        .connect_account(
            &Author::system("test"),
            &NewAccount {
                market_id: market,
                network: "bluesky",
                handle,
                external_id: "did:plc:test",
                service_url: "http://127.0.0.1:9",
                sealed,
            },
        )
        .await
        .unwrap();
}

/// Credentials sealed with a key other than the server's (a key that was changed).
fn sealed_with_another_key(handle: &str) -> String {
    let sealed = StoredAccount {
        pds: "http://127.0.0.1:9".into(),
        did: "did:plc:test".into(),
        handle: handle.into(),
        app_password: Secret::new("app-pass"),
        refresh_jwt: None,
    }
    .seal(&SecretKey::from_bytes([8; 32]))
    .unwrap();
    serde_json::to_string(&sealed).unwrap()
}

const NOT_CONNECTED: &str = "@northwind-fi.test is not connected, so Chorus cannot publish from \
                             it: an admin or a lead of Finland connects it under Stories → \
                             Accounts, then approve the story";

#[tokio::test]
async fn approving_and_scheduling_for_an_account_that_is_not_connected_is_refused_with_what_to_do()
{
    let app = spawn().await;
    let w = world(&app).await;
    let later = chorus_store::now_ms() + 86_400_000;
    let sid = w
        .story_in(&app.store, w.fi, StoryState::InReview, later)
        .await;
    reconnect(
        &app,
        w.fi,
        "northwind-fi.test",
        &sealed_with_another_key("northwind-fi.test"),
    )
    .await;
    let lead = api(&app, &token(&app, Role::MarketLead).await);

    // The API refuses, naming the account and the place; nothing changes.
    let (status, err) = lead
        .post(
            &format!("/api/v1/stories/{sid}/transitions"),
            json!({"transition": "approve"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    assert_eq!(err["error"]["field"], "accounts");
    assert_eq!(err["error"]["message"], NOT_CONNECTED);
    assert_eq!(
        app.store.story(sid).await.unwrap().state,
        StoryState::InReview
    );

    // The page says it before anyone presses Approve, and refuses it in the same words.
    let b = Browser::login_as(&app, Role::MarketLead).await;
    let (_, html) = b.get_html(&format!("/stories/{sid}")).await;
    assert!(html.contains("id=\"next-blocked\""), "{html}");
    assert!(
        html.contains("Not yet: @northwind-fi.test is not connected"),
        "{html}"
    );
    let r = b
        .post_form(
            &format!("/stories/{sid}/transition"),
            &[("transition", "approve")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Approve was not done: @northwind-fi.test is not connected"),
        "{html}"
    );
    assert!(!html.contains("sealed"), "no words about sealing: {html}");

    // Connected again, it is approved; broken again, scheduling is refused the same way.
    let good = sealed_credentials("did:plc:test", "northwind-fi.test");
    reconnect(&app, w.fi, "northwind-fi.test", &good).await;
    let (status, s) = lead
        .post(
            &format!("/api/v1/stories/{sid}/transitions"),
            json!({"transition": "approve"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    let bad = sealed_with_another_key("northwind-fi.test");
    reconnect(&app, w.fi, "northwind-fi.test", &bad).await;
    let (status, err) = lead
        .post(
            &format!("/api/v1/stories/{sid}/transitions"),
            json!({"transition": "schedule"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .ends_with("then schedule the story"),
        "{err}"
    );
    assert_eq!(
        app.store.story(sid).await.unwrap().state,
        StoryState::Approved
    );

    // The accounts page marks it and says how to connect it.
    let admin = Browser::login_as(&app, Role::Admin).await;
    let (_, html) = admin.get_html("/admin/accounts").await;
    assert!(html.contains("One account is not connected"), "{html}");
    assert!(html.contains("Not connected"), "{html}");
    assert!(
        html.contains("Connected</span>"),
        "the BR account is: {html}"
    );
}

/// Without its secret key a server can publish from no account: approving is refused.
#[tokio::test]
async fn a_server_without_its_key_approves_nothing() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let later = chorus_store::now_ms() + 86_400_000;
    let sid = w
        .story_in(&app.store, w.fi, StoryState::InReview, later)
        .await;
    let lead = api(&app, &token(&app, Role::MarketLead).await);
    let (status, err) = lead
        .post(
            &format!("/api/v1/stories/{sid}/transitions"),
            json!({"transition": "approve"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    assert_eq!(err["error"]["message"], NOT_CONNECTED);
}

/// The "What happens next" note of a story's page, as text.
async fn next_note(b: &Browser, sid: i64) -> String {
    let (status, html) = b.get_html(&format!("/stories/{sid}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("Nothing for you to do"), "{html}");
    let start = html.find("id=\"next-step\"").expect("a next-step note");
    let end = start + html[start..].find("</section>").unwrap();
    html[start..end].to_owned()
}

#[tokio::test]
async fn every_story_page_says_who_acts_next_by_name() {
    let app = spawn().await;
    let w = world(&app).await;
    let later = chorus_store::now_ms() + 86_400_000;
    let mut writer = Browser::new(&app);
    writer.login(WRITER_FI, PASSWORD).await;
    let lead = Browser::login_as(&app, Role::MarketLead).await;
    let editor = Browser::login_as(&app, Role::Editor).await;

    // A contributor's own draft: theirs to submit, with the button.
    let draft = w.story_in(&app.store, w.fi, StoryState::Draft, later).await;
    let note = next_note(&writer, draft).await;
    assert!(note.contains("Your turn: submit it for review"), "{note}");
    let (_, html) = writer.get_html(&format!("/stories/{draft}")).await;
    assert!(html.contains("data-transition=\"submit\""), "{html}");
    // The editor sees it is the writer's (or theirs too).
    let note = next_note(&editor, draft).await;
    assert!(note.contains("Your turn: submit it for review"), "{note}");

    // In review: the writer waits for the market's lead, by name (admins left out, and the
    // global lead, who works in no market with them, is not named to them).
    let review = w
        .story_in(&app.store, w.fi, StoryState::InReview, later)
        .await;
    let note = next_note(&writer, review).await;
    assert!(
        note.contains("Waiting for Market lead to approve it"),
        "{note}"
    );
    assert!(!note.contains("@example.com"), "names, not emails: {note}");
    let note = next_note(&lead, review).await;
    assert!(note.contains("Your turn: approve it"), "{note}");

    // Approved: an editor or lead schedules it; scheduled: Chorus publishes it.
    let approved = w
        .story_in(&app.store, w.fi, StoryState::Approved, later)
        .await;
    let note = next_note(&writer, approved).await;
    assert!(
        note.contains("Waiting for Editor or Market lead to schedule it"),
        "{note}"
    );
    let scheduled = w
        .story_in(&app.store, w.fi, StoryState::Scheduled, later)
        .await;
    let note = next_note(&writer, scheduled).await;
    assert!(
        note.contains("Chorus publishes each variant at its time"),
        "{note}"
    );

    // A market with no lead: the global lead approves there, whom its contributor is not told
    // of by name: the note says the role.
    let br_review = w
        .story_in(&app.store, w.br, StoryState::InReview, later)
        .await;
    app.store
        .create_user(
            &Author::system("test"),
            &NewUser {
                email: Email::parse("contributor-br@example.com").unwrap(),
                display_name: "Bruna".into(),
                password_hash: Some(chorus_core::password::hash(PASSWORD).unwrap()),
                memberships: vec![Membership::new(Role::Contributor, Some(w.br)).unwrap()],
            },
        )
        .await
        .unwrap();
    let mut bruna = Browser::new(&app);
    bruna.login("contributor-br@example.com", PASSWORD).await;
    let note = next_note(&bruna, br_review).await;
    assert!(
        note.contains(
            "Waiting for a market or global lead who neither wrote nor changed it to approve \
             it, or send it back with a reason."
        ),
        "{note}"
    );
    assert!(!note.contains("Global lead"), "{note}");
    assert!(
        !note.contains("Who may:"),
        "the roles are said once: {note}"
    );
}
