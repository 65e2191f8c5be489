//! The life of a session and an API token over HTTP: revocation, deactivation, password
//! resets and changes end what they must at once; login never keeps a session it did not issue.

use chorus_core::Role;
use chorus_core::user::Email;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION};

use crate::support::*;

/// Whether the browser is still signed in (a page answers instead of sending to the login).
async fn signed_in(b: &Browser) -> bool {
    let resp = b.get("/playbook").await;
    match resp.status() {
        StatusCode::OK => true,
        StatusCode::SEE_OTHER => {
            assert!(
                resp.headers()[LOCATION]
                    .to_str()
                    .unwrap()
                    .starts_with("/login"),
                "a dead session goes to the login page"
            );
            false
        }
        other => panic!("unexpected {other}"),
    }
}

async fn me_status(app: &TestApp, token: &str) -> StatusCode {
    api(app, token).get("/api/v1/me").await.0
}

async fn user_id(app: &TestApp, role: Role) -> chorus_core::UserId {
    app.store
        .user_by_email(&Email::parse(&email(role)).unwrap())
        .await
        .unwrap()
        .unwrap()
        .id
}

/// The text between `start` and the next `end` after it.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let at = html
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {html}"))
        + start.len();
    let rest = &html[at..];
    &rest[..rest.find(end).unwrap()]
}

#[tokio::test]
async fn a_token_revoked_on_the_account_page_stops_working_at_once() {
    let app = spawn_app().await;
    let b = Browser::login_as(&app, Role::Analyst).await;
    let resp = b
        .post_form("/account/tokens", &[("name", "weekly report")])
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    let secret = between(&html, "Your new token</p><p class=\"mono\">", "<").to_owned();
    assert!(secret.starts_with("chorus_"), "{secret}");
    assert_eq!(me_status(&app, &secret).await, StatusCode::OK);
    let id = between(&html, "action=\"/account/tokens/", "/revoke").to_owned();

    // Someone else cannot revoke it: the token is not theirs to find.
    let other = Browser::login_as(&app, Role::Editor).await;
    let resp = other
        .post_form(&format!("/account/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(me_status(&app, &secret).await, StatusCode::OK);

    let resp = b
        .post_form(&format!("/account/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(me_status(&app, &secret).await, StatusCode::UNAUTHORIZED);
    let (_, html) = b.get_html("/account").await;
    assert!(html.contains("Revoked"), "the list says so");
}

#[tokio::test]
async fn deactivating_a_user_ends_every_session_and_token_of_theirs() {
    let app = spawn_app().await;
    let editor = user_id(&app, Role::Editor).await;
    let laptop = Browser::login_as(&app, Role::Editor).await;
    let phone = Browser::login_as(&app, Role::Editor).await;
    let script = token(&app, Role::Editor).await;
    assert_eq!(me_status(&app, &script).await, StatusCode::OK);

    let admin = Browser::login_as(&app, Role::Admin).await;
    let resp = admin
        .post_form(
            &format!("/admin/users/{editor}"),
            &[("display_name", "Editor")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);

    assert!(!signed_in(&laptop).await);
    assert!(!signed_in(&phone).await);
    assert_eq!(me_status(&app, &script).await, StatusCode::UNAUTHORIZED);
    let (status, body) = api(&app, &script).get("/api/v1/principles").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let mut again = Browser::new(&app);
    assert_eq!(
        again.login(&email(Role::Editor), PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED,
        "nor can they sign in again"
    );
    assert!(signed_in(&admin).await, "the admin is untouched");
}

#[tokio::test]
async fn an_admins_password_reset_ends_all_of_that_users_sessions() {
    let app = spawn_app().await;
    let editor = user_id(&app, Role::Editor).await;
    let laptop = Browser::login_as(&app, Role::Editor).await;
    let phone = Browser::login_as(&app, Role::Editor).await;
    let admin = Browser::login_as(&app, Role::Admin).await;
    let resp = admin
        .post_form(
            &format!("/admin/users/{editor}"),
            &[
                ("display_name", "Editor"),
                ("active", "on"),
                ("password", "a fresh start 2026"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(!signed_in(&laptop).await);
    assert!(!signed_in(&phone).await);
    assert!(signed_in(&admin).await);
    let mut b = Browser::new(&app);
    assert_eq!(
        b.login(&email(Role::Editor), PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        b.login(&email(Role::Editor), "a fresh start 2026")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn changing_ones_password_ends_the_other_sessions_and_keeps_this_one() {
    let app = spawn_app().await;
    let here = Browser::login_as(&app, Role::Contributor).await;
    let elsewhere = Browser::login_as(&app, Role::Contributor).await;
    let script = token(&app, Role::Contributor).await;
    let (status, html) = here.get_html("/account").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("action=\"/account/password\""),
        "the form is there"
    );

    let audit_len = || async {
        app.store
            .audit_entries(&chorus_store::AuditQuery {
                limit: 500,
                ..Default::default()
            })
            .await
            .unwrap()
            .len()
    };
    let before = audit_len().await;
    for (current, new, field) in [
        (
            "not my password",
            "a new long password",
            "Current password: is not your current password",
        ),
        (PASSWORD, "short", "New password: is 5 characters long"),
    ] {
        let resp = here
            .post_form(
                "/account/password",
                &[("current_password", current), ("new_password", new)],
            )
            .await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = resp.text().await.unwrap();
        assert!(html.contains(field), "{field}: {html}");
        assert!(signed_in(&elsewhere).await, "a refused change ends nothing");
    }
    assert_eq!(audit_len().await, before);

    let resp = here
        .post_form(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a new long password"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()[LOCATION], "/account?done=password");
    assert!(signed_in(&here).await, "this session stays");
    assert!(!signed_in(&elsewhere).await, "the others end");
    assert_eq!(
        me_status(&app, &script).await,
        StatusCode::OK,
        "tokens are separate credentials"
    );
    let mut b = Browser::new(&app);
    assert_eq!(
        b.login(&email(Role::Contributor), PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        b.login(&email(Role::Contributor), "a new long password")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

/// Posts the login form with `cookie` as the browser's session cookie (set before login).
async fn login_with_cookie(app: &TestApp, cookie: &str, role: Role) -> reqwest::Response {
    let b = Browser::new(app);
    let page = b.http.get(b.url("/login")).send().await.unwrap();
    let login_cookie = cookie_from(&page, "chorus_login_csrf").unwrap();
    let csrf = csrf_in(&page.text().await.unwrap());
    b.http
        .post(b.url("/login"))
        .header(
            COOKIE,
            format!("chorus_login_csrf={login_cookie}; chorus_session={cookie}"),
        )
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", email(role).as_str()),
            ("password", PASSWORD),
            ("next", "/playbook"),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn login_always_issues_a_new_session() {
    let app = spawn_app().await;
    // A value an attacker chose and planted.
    let planted = "attacker-chosen-session-value";
    let resp = login_with_cookie(&app, planted, Role::Editor).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let issued = cookie_from(&resp, "chorus_session").unwrap();
    assert_ne!(issued, planted);

    // A live session of the attacker's own, planted in the victim's browser: the victim's
    // login neither fails nor keeps it.
    let attacker = Browser::login_as(&app, Role::Contributor).await;
    let planted = attacker.session.clone().unwrap();
    let resp = login_with_cookie(&app, &planted, Role::Editor).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "the victim signs in");
    let issued = cookie_from(&resp, "chorus_session").unwrap();
    assert_ne!(issued, planted, "with a session of their own");
    assert!(!signed_in(&attacker).await, "the planted session is ended");
    let mut victim = Browser::new(&app);
    victim.session = Some(issued);
    let (status, html) = victim.get_html("/playbook").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&email(Role::Editor)),
        "signed in as the victim"
    );
}
