//! The JSON API: playbook CRUD and search, permissions, the audit log, operations endpoints.

use chorus_core::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn playbook_crud_and_search_through_the_api() {
    let app = spawn_app().await;
    let lead = api(&app, &token(&app, Role::GlobalLead).await);

    let (status, created) = lead
        .post(
            "/api/v1/principles",
            principle_body(5, "Define clear objectives"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["slug"], "define-clear-objectives");
    assert_eq!(created["market_examples"][0]["market"], "BR");

    let (status, got) = lead.get("/api/v1/principles/define-clear-objectives").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        got["statement"],
        "Know what **success** looks like before you start."
    );

    let mut body = principle_body(5, "Define clear objectives");
    body["statement"] = json!("Set the target first, then the plan.");
    body["market_examples"] = json!([]);
    let (status, updated) = lead
        .put("/api/v1/principles/define-clear-objectives", body)
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["market_examples"], json!([]));

    let (status, hits) = lead.get("/api/v1/playbook/search?q=target%20plan").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(hits[0]["slug"], "define-clear-objectives");
    assert!(
        hits[0]["matched"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == "target")
    );
    let (_, none) = lead.get("/api/v1/playbook/search?q=zebra").await;
    assert_eq!(none, json!([]));

    let (status, dup) = lead
        .post(
            "/api/v1/principles",
            principle_body(6, "Define clear objectives"),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(dup["error"]["field"], "slug");

    let (status, _) = lead
        .delete("/api/v1/principles/define-clear-objectives")
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, gone) = lead.get("/api/v1/principles/define-clear-objectives").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(gone["error"]["code"], "not_found");

    let admin = api(&app, &token(&app, Role::Admin).await);
    let (status, log) = admin.get("/api/v1/audit?subject_type=principle").await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["principle.delete", "principle.update", "principle.create"]
    );
    assert_eq!(log[1]["actor"], email(Role::GlobalLead));
    assert_eq!(
        log[1]["before"]["statement"],
        "Know what **success** looks like before you start."
    );
    assert_eq!(
        log[1]["after"]["statement"],
        "Set the target first, then the plan."
    );
}

#[tokio::test]
async fn who_may_do_what_over_http() {
    let app = spawn_app().await;
    for role in [
        Role::Contributor,
        Role::Editor,
        Role::MarketLead,
        Role::Analyst,
        Role::CommunityManager,
    ] {
        let a = api(&app, &token(&app, role).await);
        let (status, body) = a
            .post("/api/v1/principles", principle_body(1, "Nope"))
            .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{role} must not edit the playbook"
        );
        assert_eq!(body["error"]["code"], "forbidden");
        let (status, _) = a.get("/api/v1/principles").await;
        assert_eq!(status, StatusCode::OK, "{role} reads the playbook");
    }
    for role in [
        Role::GlobalLead,
        Role::MarketLead,
        Role::Editor,
        Role::Analyst,
    ] {
        let (status, _) = api(&app, &token(&app, role).await)
            .get("/api/v1/audit")
            .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "only admins read the audit log, not {role}"
        );
    }
    let (status, _) = api(&app, &token(&app, Role::Admin).await)
        .get("/api/v1/audit")
        .await;
    assert_eq!(status, StatusCode::OK);

    // The FI market lead manages FI's teams and people, never BR's.
    let fi_lead = api(&app, &token(&app, Role::MarketLead).await);
    let (status, _) = fi_lead
        .post("/api/v1/markets/FI/teams", json!({"name": "Care"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = fi_lead
        .post("/api/v1/markets/BR/teams", json!({"name": "Care"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let market = json!({"code": "BR", "name": "Brasil", "country": "BR", "locales": ["pt-BR"], "timezone": "America/Sao_Paulo"});
    let (status, _) = fi_lead.put("/api/v1/markets/BR", market.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let new_user = |market: &str, role: &str| {
        json!({"email": format!("new-{market}-{role}@example.com"), "display_name": "New", "password": "long enough password",
               "memberships": [{"role": role, "market": market}]})
    };
    let (status, _) = fi_lead
        .post("/api/v1/users", new_user("FI", "editor"))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = fi_lead
        .post("/api/v1/users", new_user("BR", "editor"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = fi_lead.post("/api/v1/users", new_user("FI", "admin")).await;
    assert!(status == StatusCode::FORBIDDEN || status == StatusCode::UNPROCESSABLE_ENTITY);
    let (status, users) = fi_lead.get("/api/v1/users").await;
    assert_eq!(status, StatusCode::OK);
    for u in users.as_array().unwrap() {
        let markets: Vec<&str> = u["memberships"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| m["market"].as_str())
            .collect();
        assert!(
            markets.contains(&"FI"),
            "a FI lead sees only FI people: {u}"
        );
    }
    let admin = api(&app, &token(&app, Role::Admin).await);
    let (status, _) = admin.put("/api/v1/markets/BR", market).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = api(&app, &token(&app, Role::Editor).await)
        .get("/api/v1/users")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// `/readyz` lists each role the process runs, and is not ready while one is not (a worker
/// that lost NATS), saying which and why.
#[tokio::test]
async fn readiness_names_each_role() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let connected = Arc::new(AtomicBool::new(true));
    let probe_flag = connected.clone();
    let app = crate::support::spawn_app_with_state(crate::support::web_config(), move |s| {
        s.with_roles(Arc::new(move || {
            let up = probe_flag.load(Ordering::Relaxed);
            vec![
                chorus_web::RoleStatus {
                    role: "worker".into(),
                    ready: up,
                    detail: if up {
                        "NATS connected, lag 0"
                    } else {
                        "NATS disconnected"
                    }
                    .into(),
                },
                chorus_web::RoleStatus {
                    role: "source".into(),
                    ready: true,
                    detail: "firehose leader".into(),
                },
            ]
        }))
    })
    .await;
    let get = || reqwest::get(format!("{}/readyz", app.base));
    let ok = get().await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(
        ok.text().await.unwrap(),
        "ready\ndatabase: ok\nworker: ok (NATS connected, lag 0)\nsource: ok (firehose leader)\n"
    );
    connected.store(false, Ordering::Relaxed);
    let down = get().await.unwrap();
    assert_eq!(down.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        down.text()
            .await
            .unwrap()
            .contains("worker: not ready (NATS disconnected)")
    );
}

#[tokio::test]
async fn operations_endpoints() {
    let app = spawn_app().await;
    let http = reqwest::Client::new();
    let get = |p: &str| http.get(format!("{}{p}", app.base)).send();
    assert_eq!(get("/healthz").await.unwrap().text().await.unwrap(), "ok\n");
    let ready = get("/readyz").await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    let doc: serde_json::Value = get("/api/openapi.json")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/principles",
        "/api/v1/principles/{slug}",
        "/api/v1/markets",
        "/api/v1/users",
        "/api/v1/audit",
    ] {
        assert!(doc["paths"].get(path).is_some(), "openapi lacks {path}");
    }
    let missing = get("/api/v1/nothing-here").await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let body: serde_json::Value = missing.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    let page = get("/nothing-here").await.unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'")
    );

    app.store.close().await;
    assert_eq!(
        get("/readyz").await.unwrap().status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(get("/healthz").await.unwrap().status(), StatusCode::OK);
}
