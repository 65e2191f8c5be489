//! Campaigns (activation needs an objective with a target, principle 5), the post-rules editor
//! (admins and global leads, audited) and the accounts page (admins and market leads).

use chorus_core::Role;
use chorus_store::AuditQuery;
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::json;

use super::seed::world;
use crate::support::*;

#[tokio::test]
async fn campaigns_go_live_only_with_an_objective_with_a_target() {
    let app = spawn_app().await;
    world(&app).await;
    let lead = Browser::login_as(&app, Role::MarketLead).await;
    let r = lead
        .post_form(
            "/stories/campaigns",
            &[
                ("name", "Autumn <launch>"),
                ("markets", "FI"),
                ("principles", "5"),
                ("starts_on", "2026-09-01"),
                ("ends_on", "2026-10-31"),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let url = r.headers()[LOCATION].to_str().unwrap().to_owned();
    let cid: i64 = url
        .trim_start_matches("/stories/campaigns/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let (_, html) = lead.get_html(&url).await;
    assert!(
        html.contains("Autumn &#60;launch&#62;") && html.contains("No objective yet"),
        "{html}"
    );

    let r = lead
        .post_form(
            &format!("/stories/campaigns/{cid}/state"),
            &[("state", "active")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("principle 5: define clear objectives from the outset"),
        "{html}"
    );

    // A bad target is named; then a good objective.
    let fields = |target: &'static str| {
        vec![
            ("name", "Autumn <launch>"),
            ("markets", "FI"),
            ("principles", "5"),
            ("starts_on", "2026-09-01"),
            ("ends_on", "2026-10-31"),
            ("metric_0", "sign-ups"),
            ("target_0", target),
            ("period_0", "campaign"),
        ]
    };
    let r = lead
        .post_form(&format!("/stories/campaigns/{cid}"), &fields("lots"))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("is not a number"));
    let r = lead
        .post_form(&format!("/stories/campaigns/{cid}"), &fields("5,000"))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = lead
        .post_form(
            &format!("/stories/campaigns/{cid}/state"),
            &[("state", "active")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = lead.get_html(&format!("/stories/campaigns/{cid}")).await;
    assert!(html.contains(r#"id="campaign-state">active<"#), "{html}");
    assert!(html.contains("5000"));

    // Over the API: an editor may not create campaigns; a market lead may not run one in BR.
    let editor = api(&app, &token(&app, Role::Editor).await);
    let body =
        json!({"name": "X", "markets": ["FI"], "starts_on": "2026-01-01", "ends_on": "2026-02-01"});
    assert_eq!(
        editor.post("/api/v1/campaigns", body.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    let lead_api = api(&app, &token(&app, Role::MarketLead).await);
    let mut br = body.clone();
    br["markets"] = json!(["FI", "BR"]);
    assert_eq!(
        lead_api.post("/api/v1/campaigns", br).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, c) = lead_api.post("/api/v1/campaigns", body).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let (status, err) = lead_api
        .post(
            &format!("/api/v1/campaigns/{}/state", c["id"]),
            json!({"state": "active"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "objectives");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("principle 5")
    );
    // Stories can join a campaign that runs in their market.
    let (status, s) = editor
        .post(
            "/api/v1/stories",
            json!({"market": "FI", "title": "In the campaign", "campaign_id": cid}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    let log = app
        .store
        .audit_entries(&AuditQuery {
            subject_type: Some("campaign".into()),
            subject_id: Some(cid.to_string()),
            actor_id: None,
            before_id: None,
            limit: 10,
            from_ms: None,
            to_ms: None,
        })
        .await
        .unwrap();
    let actions: Vec<&str> = log.iter().rev().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["campaign.create", "campaign.update", "campaign.state"]
    );
}

#[tokio::test]
async fn rules_are_edited_by_admins_and_global_leads_and_audited() {
    let app = spawn_app().await;
    world(&app).await;
    for role in [Role::Editor, Role::MarketLead] {
        let b = Browser::login_as(&app, role).await;
        assert_eq!(
            b.get("/admin/rules").await.status(),
            StatusCode::FORBIDDEN,
            "{role}"
        );
        let r = b
            .post_form("/admin/rules", &[("kind", "alt_text"), ("enabled", "on")])
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role}");
    }
    let gl = Browser::login_as(&app, Role::GlobalLead).await;
    let (status, html) = gl.get_html("/stories").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(r#"href="/admin/rules""#),
        "global leads find the rules from Stories"
    );
    let r = gl
        .post_form(
            "/admin/rules",
            &[
                ("kind", "banned_term"),
                ("term", "guaranteed"),
                ("market", "FI"),
                ("principle", "5"),
                ("enabled", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = gl
        .post_form(
            "/admin/rules",
            &[("kind", "banned_term"), ("term", ""), ("enabled", "on")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("must not be empty"));
    let rules = app.store.post_rules().await.unwrap();
    assert_eq!(rules.len(), 1);
    let id = rules[0].id;
    // Switched off (no "enabled" field), then deleted.
    let r = gl
        .post_form(
            &format!("/admin/rules/{id}"),
            &[
                ("kind", "banned_term"),
                ("term", "guaranteed"),
                ("market", "FI"),
                ("principle", "5"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(!app.store.post_rules().await.unwrap()[0].enabled);
    let r = gl
        .post_form(&format!("/admin/rules/{id}/delete"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let log = app
        .store
        .audit_entries(&AuditQuery {
            subject_type: Some("rule".into()),
            subject_id: None,
            actor_id: None,
            before_id: None,
            limit: 10,
            from_ms: None,
            to_ms: None,
        })
        .await
        .unwrap();
    let actions: Vec<&str> = log.iter().rev().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["rule.create", "rule.update", "rule.delete"]);
    assert!(
        log.iter()
            .all(|e| e.actor_label == "global_lead@example.com")
    );
}

#[tokio::test]
async fn accounts_are_connected_by_admins_and_market_leads() {
    let app = spawn_app().await;
    world(&app).await;
    let editor = Browser::login_as(&app, Role::Editor).await;
    assert_eq!(
        editor.get("/admin/accounts").await.status(),
        StatusCode::FORBIDDEN
    );
    let lead = Browser::login_as(&app, Role::MarketLead).await;
    let (status, html) = lead.get_html("/admin/accounts").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("@northwind-fi.test") && !html.contains("@northwind-br.test"),
        "only FI's: {html}"
    );
    assert!(html.contains(r#"<option value="FI""#) && !html.contains(r#"<option value="BR""#));
    assert!(
        !html.contains("not-real-credentials"),
        "credentials never reach a page"
    );
    // This test server runs without a secret key: connecting says why it cannot.
    assert!(html.contains("Connecting is off"));
    let r = lead
        .post_form(
            "/admin/accounts",
            &[
                ("market", "FI"),
                ("pds", "https://bsky.social"),
                ("handle", "x.test"),
                ("app_password", "p"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("without its secret key"));
    let r = lead
        .post_form(
            "/admin/accounts",
            &[
                ("market", "BR"),
                ("pds", "https://bsky.social"),
                ("handle", "x.test"),
                ("app_password", "p"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}
