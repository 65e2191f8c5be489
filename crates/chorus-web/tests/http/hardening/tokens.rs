//! A password reset by an admin ends the person's API tokens as well as their sessions (unless
//! the admin keeps them on purpose); a person's own password change keeps their tokens.

use chorus_core::Role;
use chorus_core::user::Email;
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::json;

use crate::support::*;

const NEW_PASSWORD: &str = "a brand new password";

async fn user_id(app: &TestApp, role: Role) -> i64 {
    app.store
        .user_by_email(&Email::parse(&email(role)).unwrap())
        .await
        .unwrap()
        .unwrap()
        .id
        .0
}

#[tokio::test]
async fn an_admins_reset_on_the_page_ends_sessions_and_api_tokens() {
    let app = spawn_app().await;
    let script = token(&app, Role::Analyst).await;
    let analyst = Browser::login_as(&app, Role::Analyst).await;
    assert_eq!(api(&app, &script).get("/api/v1/me").await.0, StatusCode::OK);
    let (_, page) = analyst.get_html("/account").await;
    assert!(
        page.contains("If an admin resets your password, every session and every API token"),
        "the account page says what a reset does"
    );

    let admin = Browser::login_as(&app, Role::Admin).await;
    let uid = user_id(&app, Role::Analyst).await;
    let (_, form) = admin.get_html(&format!("/admin/users/{uid}")).await;
    assert!(
        form.contains("revokes their API tokens"),
        "the admin is told"
    );
    let resp = admin
        .post_form(
            &format!("/admin/users/{uid}"),
            &[
                ("display_name", "Analyst"),
                ("active", "on"),
                ("password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let to = resp.headers()[LOCATION].to_str().unwrap().to_owned();
    let (_, done) = admin.get_html(&to).await;
    assert!(done.contains("their API tokens are revoked"), "{to}");

    let (s, body) = api(&app, &script).get("/api/v1/me").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    let (s, _) = analyst.get_html("/account").await;
    assert_ne!(s, StatusCode::OK, "the session ended too");
    let tokens = app
        .store
        .api_tokens(chorus_core::UserId(uid))
        .await
        .unwrap();
    assert!(tokens.iter().all(|t| t.revoked), "{tokens:?}");
    // The person signs in with the new password and makes new tokens.
    let mut again = Browser::new(&app);
    let resp = again.login(&email(Role::Analyst), NEW_PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_reset_over_the_api_ends_tokens_unless_kept_on_purpose() {
    let app = spawn_app().await;
    let admin = api(&app, &token(&app, Role::Admin).await);
    let uid = user_id(&app, Role::Editor).await;

    let script = token(&app, Role::Editor).await;
    let (s, body) = admin
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/users/{uid}"),
            Some(json!({"password": NEW_PASSWORD})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(
        api(&app, &script).get("/api/v1/me").await.0,
        StatusCode::UNAUTHORIZED
    );

    let script = token(&app, Role::Editor).await;
    let (s, body) = admin
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/users/{uid}"),
            Some(json!({"password": "yet another password", "keep_api_tokens": true})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(api(&app, &script).get("/api/v1/me").await.0, StatusCode::OK);

    // A change of name alone touches neither.
    let (s, _) = admin
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/users/{uid}"),
            Some(json!({"display_name": "Editor Two"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(api(&app, &script).get("/api/v1/me").await.0, StatusCode::OK);
}

#[tokio::test]
async fn ones_own_password_change_keeps_ones_tokens() {
    let app = spawn_app().await;
    let script = token(&app, Role::Analyst).await;
    let me = Browser::login_as(&app, Role::Analyst).await;
    let resp = me
        .post_form(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, page) = me.get_html("/account?done=password").await;
    assert!(
        page.contains("your API tokens still work"),
        "the flash says so"
    );
    assert_eq!(api(&app, &script).get("/api/v1/me").await.0, StatusCode::OK);
}
