//! Login, CSRF, session expiry, logout, rate limiting, API tokens.

use std::time::Duration;

use chorus_core::Role;
use chorus_web::LoginLimits;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use crate::support::*;

#[tokio::test]
async fn login_sets_a_safe_cookie_and_logout_ends_the_session() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);

    let anon = b.get("/playbook").await;
    assert_eq!(anon.status(), StatusCode::SEE_OTHER);
    assert_eq!(anon.headers()[LOCATION], "/login?next=/playbook");

    let wrong = b.login(&email(Role::GlobalLead), "not the password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("email or password is not correct")
    );
    assert!(b.session.is_none());

    let ok = b.login(&email(Role::GlobalLead), PASSWORD).await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let set = ok
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("chorus_session="))
        .unwrap();
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("SameSite=Lax"), "{set}");
    let (status, html) = b.get_html("/playbook").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Global lead"),
        "the page shows who is signed in"
    );

    let no_csrf = b.post_form("/logout", &[("csrf", "")]).await;
    assert_eq!(
        no_csrf.status(),
        StatusCode::FORBIDDEN,
        "logout needs the CSRF token"
    );
    let out = b.post_form("/logout", &[]).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(out.headers()[LOCATION], "/login");
    assert_eq!(
        b.get("/playbook").await.status(),
        StatusCode::SEE_OTHER,
        "the old cookie is dead"
    );
}

#[tokio::test]
async fn login_form_needs_its_own_token() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    let resp = b
        .http
        .post(b.url("/login"))
        .form(&[
            ("csrf", "forged"),
            ("email", email(Role::Admin).as_str()),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(super::support::cookie_from(&resp, "chorus_session").is_none());
}

#[tokio::test]
async fn state_changes_without_the_csrf_token_are_refused() {
    let app = spawn_app().await;
    let b = Browser::login_as(&app, Role::GlobalLead).await;
    let fields = [
        ("number", "7"),
        ("pillar", "stories"),
        ("title", "Forged principle"),
        ("statement", "Should never be stored."),
    ];
    let mut forged: Vec<(&str, &str)> = fields.to_vec();
    forged.push(("csrf", "wrong-token"));
    assert_eq!(
        b.post_form("/playbook", &forged).await.status(),
        StatusCode::FORBIDDEN
    );
    let mut missing: Vec<(&str, &str)> = fields.to_vec();
    missing.push(("csrf", ""));
    assert_eq!(
        b.post_form("/playbook", &missing).await.status(),
        StatusCode::FORBIDDEN
    );
    // A JSON API call with the cookie but without the header is refused too.
    let resp = b
        .http
        .post(b.url("/api/v1/principles"))
        .header(
            COOKIE,
            format!("chorus_session={}", b.session.as_ref().unwrap()),
        )
        .json(&principle_body(7, "Forged principle"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(
        app.store.principles().await.unwrap().is_empty(),
        "nothing was stored"
    );

    // With the header, the same cookie call works.
    let resp = b
        .http
        .post(b.url("/api/v1/principles"))
        .header(
            COOKIE,
            format!("chorus_session={}", b.session.as_ref().unwrap()),
        )
        .header("X-CSRF-Token", &b.csrf)
        .json(&principle_body(7, "Real principle"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn sessions_expire() {
    let mut config = web_config();
    config.session_ttl = Duration::from_secs(1);
    let app = spawn_app_with(config).await;
    let b = Browser::login_as(&app, Role::Editor).await;
    assert_eq!(b.get("/playbook").await.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let resp = b.get("/playbook").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(
        resp.headers()[LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );
}

#[tokio::test]
async fn repeated_failed_logins_are_slowed_down() {
    let mut config = web_config();
    config.login_limits = LoginLimits {
        per_address: 100,
        per_email_and_address: 3,
        window: Duration::from_secs(600),
        ..LoginLimits::default()
    };
    let app = spawn_app_with(config).await;
    let mut b = Browser::new(&app);
    for _ in 0..3 {
        assert_eq!(
            b.login(&email(Role::Admin), "guess").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let blocked = b.login(&email(Role::Admin), PASSWORD).await;
    assert_eq!(
        blocked.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    assert!(blocked.headers().get("retry-after").is_some());
    // Another account from the same address is not blocked.
    assert_eq!(
        b.login(&email(Role::Analyst), PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn api_tokens_authenticate_and_revoked_ones_do_not() {
    let app = spawn_app().await;
    let t = token(&app, Role::Analyst).await;
    let (status, me) = api(&app, &t).get("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["email"], email(Role::Analyst));
    assert_eq!(me["memberships"][0]["role"], "analyst");
    assert_eq!(me["memberships"][0]["market"], "FI");
    let (status, body) = api(&app, "chorus_not_a_token").get("/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthenticated");
    let (status, _) = api(&app, "").get("/api/v1/principles").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Revoked, the same token answers 401 on its next request.
    let user = app
        .store
        .user_by_email(&chorus_core::user::Email::parse(&email(Role::Analyst)).unwrap())
        .await
        .unwrap()
        .unwrap();
    let listed = app.store.api_tokens(user.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    let author = chorus_core::audit::Author::user(user.id, user.email.as_str());
    assert!(
        app.store
            .revoke_api_token(&author, user.id, listed[0].id)
            .await
            .unwrap()
    );
    let (status, body) = api(&app, &t).get("/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], "unauthenticated");
    let (status, _) = api(&app, &t).get("/api/v1/principles").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
