//! Users and memberships through both doors (the JSON API and the admin pages): who may see
//! whom, who may grant what where, and that a refusal changes nothing and names no one.
//!
//! The seeded market roles are held in FI; these tests add a BR-only person, a person working
//! in FI and BR, and use the FI market lead as the BR lead of the issue (the rule is the same).

use chorus_core::audit::Author;
use chorus_core::org::MarketCode;
use chorus_core::user::{Email, Membership};
use chorus_core::{Role, UserId};
use chorus_store::{AuditQuery, NewUser};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::*;

async fn market_id(app: &TestApp, code: &str) -> chorus_core::MarketId {
    app.store
        .market_by_code(&MarketCode::parse(code).unwrap())
        .await
        .unwrap()
        .id
}

/// Adds a person (password [`PASSWORD`]) holding `roles` as (role, market code or "" for global).
async fn add_user(app: &TestApp, email: &str, name: &str, roles: &[(Role, &str)]) -> UserId {
    let mut memberships = Vec::new();
    for (role, code) in roles {
        let market = match *code {
            "" => None,
            code => Some(market_id(app, code).await),
        };
        memberships.push(Membership::new(*role, market).unwrap());
    }
    let hash = chorus_core::password::hash(PASSWORD).unwrap();
    app.store
        .create_user(
            &Author::system("test"),
            &NewUser {
                email: Email::parse(email).unwrap(),
                display_name: name.into(),
                password_hash: Some(hash),
                memberships,
            },
        )
        .await
        .unwrap()
        .id
}

async fn user_id(app: &TestApp, email: &str) -> UserId {
    app.store
        .user_by_email(&Email::parse(email).unwrap())
        .await
        .unwrap()
        .unwrap()
        .id
}

/// Everything a refusal must leave alone: every membership and the audit log's length.
async fn snapshot(app: &TestApp) -> (Vec<chorus_store::UserWithMemberships>, usize) {
    let users = app.store.users(None).await.unwrap();
    let audit = app
        .store
        .audit_entries(&AuditQuery {
            limit: 500,
            from_ms: None,
            to_ms: None,
            ..AuditQuery::default()
        })
        .await
        .unwrap()
        .len();
    (users, audit)
}

fn assert_names_nobody(body: &str, who: &[&str]) {
    for w in who {
        assert!(!body.contains(w), "a refusal names {w}: {body}");
    }
}

#[tokio::test]
async fn a_market_lead_cannot_reach_people_outside_their_markets_through_either_door() {
    let app = spawn_app().await;
    let br_only = add_user(
        &app,
        "brenda@example.com",
        "Brenda Brasil",
        &[(Role::Editor, "BR")],
    )
    .await;
    let admin = user_id(&app, &email(Role::Admin)).await;
    let lead = api(&app, &token(&app, Role::MarketLead).await);
    let before = snapshot(&app).await;

    // The request: revoking an admin's (non-existent) editor role answered 200 with
    // the admin's email, name and memberships.
    for (target, body) in [
        (admin, json!({"role": "editor", "market": "FI"})),
        (admin, json!({"role": "editor", "market": "BR"})),
        (br_only, json!({"role": "editor", "market": "BR"})),
        (br_only, json!({"role": "analyst", "market": "FI"})),
        (UserId(9999), json!({"role": "editor", "market": "FI"})),
    ] {
        for path in ["", "/revoke"] {
            let (status, reply) = lead
                .post(
                    &format!("/api/v1/users/{target}/memberships{path}"),
                    body.clone(),
                )
                .await;
            assert_eq!(
                status,
                StatusCode::NOT_FOUND,
                "{path} {target} {body}: {reply}"
            );
            assert_eq!(reply["error"]["code"], "not_found");
            assert_names_nobody(
                &reply.to_string(),
                &[
                    &email(Role::Admin),
                    "brenda@example.com",
                    "Brenda",
                    "\"Admin\"",
                ],
            );
        }
    }
    // The same through the pages (the same use case).
    let page = Browser::login_as(&app, Role::MarketLead).await;
    for target in [admin, br_only, UserId(9999)] {
        for (path, fields) in [
            (
                format!("/admin/users/{target}/memberships"),
                vec![("role", "analyst"), ("market", "FI")],
            ),
            (
                format!("/admin/users/{target}/memberships/revoke"),
                vec![("role", "editor"), ("market", "BR")],
            ),
            (
                format!("/admin/users/{target}"),
                vec![("display_name", "Renamed"), ("active", "on")],
            ),
        ] {
            let resp = page.post_form(&path, &fields).await;
            assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
            let html = resp.text().await.unwrap();
            assert_names_nobody(
                &html,
                &[&email(Role::Admin), "brenda@example.com", "Brenda"],
            );
        }
        assert_eq!(
            page.get(&format!("/admin/users/{target}")).await.status(),
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(
        snapshot(&app).await,
        before,
        "nothing changed, nothing audited"
    );
}

#[tokio::test]
async fn escalation_is_forbidden_and_changes_nothing() {
    let app = spawn_app().await;
    let editor = user_id(&app, &email(Role::Editor)).await;
    let lead = api(&app, &token(&app, Role::MarketLead).await);
    let page = Browser::login_as(&app, Role::MarketLead).await;
    let global = api(&app, &token(&app, Role::GlobalLead).await);
    let editor_api = api(&app, &token(&app, Role::Editor).await);
    let before = snapshot(&app).await;
    for (role, market) in [
        ("market_lead", json!("FI")),
        ("admin", json!(null)),
        ("admin", json!("FI")),
        ("global_lead", json!(null)),
        ("editor", json!(null)),
        ("analyst", json!("BR")),
    ] {
        let body = json!({"role": role, "market": market});
        for path in ["", "/revoke"] {
            let (status, reply) = lead
                .post(
                    &format!("/api/v1/users/{editor}/memberships{path}"),
                    body.clone(),
                )
                .await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path} {body}: {reply}");
            assert_names_nobody(&reply.to_string(), &[&email(Role::Editor)]);
            let market = market.as_str().unwrap_or("global");
            let resp = page
                .post_form(
                    &format!("/admin/users/{editor}/memberships{path}"),
                    &[("role", role), ("market", market)],
                )
                .await;
            assert_eq!(resp.status(), StatusCode::FORBIDDEN, "page {path} {body}");
        }
    }
    // A global lead sees everyone but grants nothing.
    let (status, _) = global
        .post(
            &format!("/api/v1/users/{editor}/memberships"),
            json!({"role": "analyst", "market": "FI"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Someone who may not see people at all is told so, as on the list.
    let (status, _) = editor_api
        .post(
            &format!("/api/v1/users/{editor}/memberships"),
            json!({"role": "analyst", "market": "FI"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        snapshot(&app).await,
        before,
        "nothing changed, nothing audited"
    );

    // What a lead may do, they can: a working role in their market, granted and revoked.
    let (status, reply) = lead
        .post(
            &format!("/api/v1/users/{editor}/memberships"),
            json!({"role": "analyst", "market": "FI"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert!(
        reply["memberships"]
            .as_array()
            .unwrap()
            .contains(&json!({"role": "analyst", "market": "FI"})),
        "{reply}"
    );
    let (status, reply) = lead
        .post(
            &format!("/api/v1/users/{editor}/memberships/revoke"),
            json!({"role": "analyst", "market": "FI"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(
        reply["memberships"],
        json!([{"role": "editor", "market": "FI"}])
    );
    let resp = page
        .post_form(
            &format!("/admin/users/{editor}/memberships"),
            &[("role", "analyst"), ("market", "FI")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn people_working_in_several_markets_are_seen_and_granted_but_not_managed_by_one_lead() {
    let app = spawn_app().await;
    let both = add_user(
        &app,
        "dual@example.com",
        "Dual Worker",
        &[(Role::Contributor, "FI"), (Role::Editor, "BR")],
    )
    .await;
    let lead = api(&app, &token(&app, Role::MarketLead).await);
    let (status, list) = lead.get("/api/v1/users").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|u| u["email"] == "dual@example.com")
    );
    let (status, one) = lead.get(&format!("/api/v1/users/{both}")).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_eq!(one["email"], "dual@example.com");

    let (status, reply) = lead
        .post(
            &format!("/api/v1/users/{both}/memberships"),
            json!({"role": "analyst", "market": "FI"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    let before = snapshot(&app).await;
    let (status, _) = lead
        .post(
            &format!("/api/v1/users/{both}/memberships/revoke"),
            json!({"role": "editor", "market": "BR"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not the lead's market");
    let (status, _) = lead
        .send(
            Method::PATCH,
            &format!("/api/v1/users/{both}"),
            Some(json!({"display_name": "Renamed"})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "only an admin changes someone working elsewhere"
    );
    let page = Browser::login_as(&app, Role::MarketLead).await;
    let (status, html) = page.get_html(&format!("/admin/users/{both}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("only an admin can change their profile"));
    for fields in [
        vec![("display_name", "Renamed"), ("active", "on")],
        vec![("display_name", "Dual Worker")],
        vec![
            ("display_name", "Dual Worker"),
            ("active", "on"),
            ("password", "a brand new password"),
        ],
    ] {
        let resp = page
            .post_form(&format!("/admin/users/{both}"), &fields)
            .await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{fields:?}");
    }
    assert_eq!(
        snapshot(&app).await,
        before,
        "nothing changed, nothing audited"
    );

    // An admin may.
    let admin = api(&app, &token(&app, Role::Admin).await);
    let (status, reply) = admin
        .send(
            Method::PATCH,
            &format!("/api/v1/users/{both}"),
            Some(json!({"display_name": "Dual W."})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["display_name"], "Dual W.");
    assert_eq!(reply["active"], true);
}

#[tokio::test]
async fn a_refused_profile_change_changes_nothing() {
    let app = spawn_app().await;
    let editor = user_id(&app, &email(Role::Editor)).await;
    let admin = Browser::login_as(&app, Role::Admin).await;
    let before = snapshot(&app).await;
    // Deactivating with a password too short: the page said nothing was saved, but the
    // person was deactivated and renamed all the same.
    let resp = admin
        .post_form(
            &format!("/admin/users/{editor}"),
            &[("display_name", "Renamed"), ("password", "short")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let me = user_id(&app, &email(Role::Admin)).await;
    let resp = admin
        .post_form(&format!("/admin/users/{me}"), &[("display_name", "Admin")])
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "no deactivating oneself"
    );
    let resp = admin
        .post_form(
            &format!("/admin/users/{me}/memberships/revoke"),
            &[("role", "admin"), ("market", "global")],
        )
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "no removing one's own admin role"
    );
    assert_eq!(
        snapshot(&app).await,
        before,
        "nothing changed, nothing audited"
    );
}
