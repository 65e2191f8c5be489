//! Admin → Webhooks over HTTP: an admin adds a webhook through the page and the API, sees its
//! secret, the "Send test event" button and the delivery log, and is told which field is wrong;
//! a private address is refused naming `url`; the OpenAPI document lists the routes; the tab
//! shows for admins only.

use reqwest::StatusCode;
use reqwest::header::LOCATION;

use crate::support::{Browser, api, spawn_app_with_state, token, web_config};
use chorus_core::Role;

async fn app() -> crate::support::TestApp {
    spawn_app_with_state(web_config(), |s| {
        s.with_secret_key(chorus_networks::bluesky::SecretKey::from_bytes([5; 32]))
    })
    .await
}

/// The name `CRM <sync>` as askama escapes it, and never raw.
fn escaped_name(html: &str) -> bool {
    !html.contains("CRM <sync>")
        && (html.contains("CRM &lt;sync&gt;") || html.contains("CRM &#60;sync&#62;"))
}

#[tokio::test]
async fn an_admin_adds_a_webhook_on_the_page_and_sends_a_test_event() {
    let app = app().await;
    let b = Browser::login_as(&app, Role::Admin).await;
    let (status, html) = b.get_html("/admin/webhooks").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No webhooks yet"), "{html}");
    assert!(html.contains("A Reach lead confirms"));
    let r = b
        .post_form(
            "/admin/webhooks",
            &[
                ("name", "CRM <sync>"),
                ("url", "https://93.184.215.14/hooks"),
                ("market", "FI"),
                ("events", "story.published"),
                ("events", "reach.lead_confirmed"),
                ("enabled", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(
        to.starts_with("/admin/webhooks/") && to.ends_with("?done=created"),
        "{to}"
    );
    let (_, html) = b.get_html(&to).await;
    assert!(escaped_name(&html), "escaped");
    assert!(html.contains("whsec_"), "the secret is shown to admins");
    assert!(html.contains("Send test event"));
    assert!(html.contains("Nothing sent yet"));
    let path = to.trim_end_matches("?done=created");
    let r = b.post_form(&format!("{path}/test"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = b.get_html(&format!("{path}?done=test")).await;
    assert!(html.contains("Test event queued"));
    assert!(
        html.contains("webhook.test"),
        "the queued event is in the log"
    );
    let (_, list) = b.get_html("/admin/webhooks").await;
    assert!(escaped_name(&list) && list.contains(">FI<"), "{list}");

    // A refused field comes back named, with what was typed.
    let r = b
        .post_form(
            "/admin/webhooks",
            &[
                ("name", "Local"),
                ("url", "http://127.0.0.1:9/x"),
                ("events", "story.failed"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("allow_private_addresses"), "{html}");
    assert!(
        html.contains("http://127.0.0.1:9/x"),
        "what was typed is shown again"
    );
}

#[tokio::test]
async fn the_api_creates_reads_and_refuses_by_field() {
    let app = app().await;
    let admin = api(&app, &token(&app, Role::Admin).await);
    let (s, made) = admin
        .post(
            "/api/v1/webhooks",
            serde_json::json!({"name": "Warehouse", "url": "https://93.184.215.14/in",
                "events": ["story.approved", "signals.spike"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{made}");
    assert!(made["secret"].as_str().unwrap().starts_with("whsec_"));
    assert_eq!(made["market"], serde_json::Value::Null);
    let id = made["id"].as_i64().unwrap();
    let (s, test) = admin
        .post(
            &format!("/api/v1/webhooks/{id}/test"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let (_, one) = admin.get(&format!("/api/v1/webhooks/{id}")).await;
    assert_eq!(one["secret"], made["secret"]);
    assert_eq!(one["deliveries"][0]["event_id"], test["event_id"]);
    assert_eq!(one["deliveries"][0]["state"], "queued");
    let (s, rotated) = admin
        .post(
            &format!("/api/v1/webhooks/{id}/secret"),
            serde_json::json!({"confirm": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_ne!(rotated["secret"], made["secret"]);
    for (body, field) in [
        (
            serde_json::json!({"name": "x", "url": "http://10.0.0.8/", "events": ["story.failed"]}),
            "url",
        ),
        (
            serde_json::json!({"name": "x", "url": "https://93.184.215.14/", "events": []}),
            "events",
        ),
        (
            serde_json::json!({"name": "x", "url": "https://93.184.215.14/", "market": "ZZ", "events": ["story.failed"]}),
            "market",
        ),
    ] {
        let (s, e) = admin.post("/api/v1/webhooks", body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["field"], field, "{e}");
    }
    let lead = api(&app, &token(&app, Role::MarketLead).await);
    assert_eq!(lead.get("/api/v1/webhooks").await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        lead.get(&format!("/api/v1/webhooks/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, doc) = admin.get("/api/openapi.json").await;
    assert!(doc["paths"]["/api/v1/webhooks/{id}/test"]["post"].is_object());
}

#[tokio::test]
async fn the_tab_shows_for_admins_only() {
    let app = app().await;
    let (_, html) = Browser::login_as(&app, Role::Admin)
        .await
        .get_html("/admin/users")
        .await;
    assert!(html.contains("href=\"/admin/webhooks\""));
    let lead = Browser::login_as(&app, Role::MarketLead).await;
    let (_, html) = lead.get_html("/admin/users").await;
    assert!(!html.contains("href=\"/admin/webhooks\""));
    assert_eq!(
        lead.get("/admin/webhooks").await.status(),
        StatusCode::FORBIDDEN
    );
}
