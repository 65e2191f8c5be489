//! Bad input gets a 4xx, never a 5xx, and a 4xx stores nothing. A property test posts random
//! bodies to every page form (urlencoded and multipart, with a valid session and its CSRF
//! token as the first field) and every JSON route that reads a body (random JSON, and bytes
//! that are not JSON), as people of every role of the own market, people with roles in two
//! markets, the global lead and an admin, on real objects of the authorization sweep's world
//! (`crate::sweep::world`). After each answer every table is hashed: a 4xx that changed one is
//! a failure; so is any 5xx. Failures are shrunk to a minimal body and all of them reported.
//!
//! Each group runs on its own server and database, in parallel; each prints a line per route
//! and a summary (`cargo test -p chorus-web --test http bad_input -- --nocapture`).
//! `CHORUS_PROPTEST_CASES` sets the cases per route (48 by default), `CHORUS_PROPTEST_SEED`
//! other cases than the default ones, and `CHORUS_BAD_INPUT_TRACE=<part of a route>` prints
//! each request to the routes it names with the answer. `every_form_and_json_route_is_fuzzed`
//! fails when the router has a form or JSON route that no group posts to.

mod bodies;
mod report;
mod routes;
mod runner;
mod targets;
mod values;

use std::collections::BTreeSet;

use chorus_core::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::*;
use crate::sweep::inventory::{normalize, source_routes};
use crate::sweep::world::World;
use routes::Route;
use runner::Fuzz;
use values::Ids;

/// Runs a group of routes on a world of its own.
fn run(group: &'static str, routes: &[Route]) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (w, ids, openapi) = rt.block_on(async {
        let w = World::seed().await;
        targets::restore_markets(&w).await;
        let ids = Ids::seed(&w).await;
        let openapi: Value = reqwest::get(format!("{}/api/openapi.json", w.app.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (w, ids, openapi)
    });
    let fuzz = Fuzz::new(group, &w, &rt, ids, openapi);
    for r in routes {
        fuzz.route(r);
    }
    fuzz.finish(routes);
}

#[test]
fn pages_admin_playbook_account() {
    run("pages admin, playbook, account", routes::PAGES_ADMIN);
}

#[test]
fn pages_stories() {
    run("pages stories", routes::PAGES_STORIES);
}

#[test]
fn pages_conversations() {
    run("pages conversations", routes::PAGES_CONVERSATIONS);
}

#[test]
fn api_org_conversations() {
    run(
        "API playbook, markets, users, conversations",
        routes::API_ORG_CONVERSATIONS,
    );
}

#[test]
fn api_stories() {
    run("API stories, campaigns, calendar", routes::API_STORIES);
}

#[test]
fn reach_staff() {
    run("Reach for staff", routes::REACH);
}

#[test]
fn reach_webinars() {
    run("Reach webinars", routes::WEBINARS);
}

#[test]
fn every_parameter_of_a_path_is_filled() {
    let t = targets::Target {
        story: 1,
        variant: 2,
        image: 3,
        id: 4,
        reply: 5,
        key: "BR".into(),
        ..targets::Target::default()
    };
    for r in routes::ALL.iter().flat_map(|g| g.iter()) {
        let path = r.path(&t);
        assert!(
            path.starts_with('/') && !path.contains(['{', '}']),
            "{path}"
        );
    }
    let reschedule = &routes::API_STORIES
        .iter()
        .find(|r| r.route.contains("reschedule"))
        .unwrap();
    assert_eq!(reschedule.path(&t), "/api/v1/variants/2/reschedule");
}

/// Page forms this fuzzer leaves to their own tests, and why.
const ELSEWHERE: [(&str, &str); 4] = [
    (
        "POST /r/{}",
        "Reach's public form (a visitor, no caller): tests/http/reach_public/input.rs sends it \
         malformed emails, line breaks, HTML in every field, floods and forged tokens",
    ),
    (
        "POST /r/confirm/{}",
        "a token in the address: tests/http/reach_public/consent.rs",
    ),
    (
        "POST /r/unsubscribe/{}",
        "a signed link: tests/http/reach_public/consent.rs",
    ),
    (
        "POST /r/prefs/{}",
        "a token in the address: tests/http/reach_public/consent.rs",
    ),
];

/// The page forms are every page route but GET (less [`ELSEWHERE`]); the JSON routes every API
/// route with a request body in the OpenAPI document, and every POST, PUT and PATCH of the
/// API's router.
#[tokio::test]
async fn every_form_and_json_route_is_fuzzed() {
    let app = spawn_app().await;
    let doc: Value = reqwest::get(format!("{}/api/openapi.json", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut expected = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op.get("requestBody").is_some() {
                expected.insert(normalize(&format!("{} {path}", method.to_uppercase())));
            }
        }
    }
    let json_routes = expected.len();
    for (m, p) in source_routes("api") {
        if matches!(m.as_str(), "POST" | "PUT" | "PATCH") {
            expected.insert(normalize(&format!("{m} /api{p}")));
        }
    }
    let pages: Vec<String> = source_routes("ui")
        .into_iter()
        .filter(|(m, _)| m != "GET")
        .map(|(m, p)| normalize(&format!("{m} {p}")))
        .filter(|r| !ELSEWHERE.iter().any(|(e, _)| normalize(e) == *r))
        .collect();
    let page_routes = pages.len();
    expected.extend(pages);
    assert!(
        json_routes > 20 && page_routes > 40,
        "found too few routes ({json_routes} JSON, {page_routes} pages): did the router change?"
    );
    let fuzzed: BTreeSet<String> = routes::ALL
        .iter()
        .flat_map(|g| g.iter())
        .map(|r| normalize(r.route))
        .collect();
    let missing: Vec<&String> = expected.difference(&fuzzed).collect();
    assert!(
        missing.is_empty(),
        "form and JSON routes no bad-input group posts to (add each to a table in \
         tests/http/bad_input/routes.rs, with its object and fields): {missing:?}"
    );
    let stale: Vec<&String> = fuzzed.difference(&expected).collect();
    assert!(
        stale.is_empty(),
        "the bad-input tables list routes that no longer exist: {stale:?}"
    );
    eprintln!(
        "bad input inventory: {json_routes} JSON routes with a body and {page_routes} page forms, \
         all fuzzed"
    );
}

#[tokio::test]
async fn json_errors_name_the_field() {
    let app = spawn_app().await;
    let admin = api(&app, &token(&app, Role::Admin).await);
    let raw = |body: &'static str| {
        admin
            .http
            .post(format!("{}/api/v1/principles", app.base))
            .bearer_auth(&admin.token)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let resp = raw("{\"number\": 1, \"title\": ").await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_request");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not valid JSON")
    );

    let cases = [
        (
            json!({"number": "five", "pillar": "numbers", "title": "t", "statement": "s"}),
            "number",
        ),
        (
            json!({"pillar": "numbers", "title": "t", "statement": "s"}),
            "number",
        ),
        (
            json!({"number": 1, "pillar": "numbers", "title": "t", "statement": "s", "colour": "red"}),
            "colour",
        ),
        (
            json!({"number": 1, "pillar": "vibes", "title": "t", "statement": "s"}),
            "pillar",
        ),
        (
            json!({"number": 1, "pillar": "numbers", "title": "  ", "statement": "s"}),
            "title",
        ),
        (
            json!({"number": 1, "pillar": "numbers", "title": "t", "statement": "s", "market_examples": [{"market": "ZZ", "body": "x"}]}),
            "market_examples[0].market",
        ),
        (
            json!({"number": 1, "pillar": "numbers", "title": "t", "statement": "s", "market_examples": [{"market": 7, "body": "x"}]}),
            "market_examples[0].market",
        ),
    ];
    for (body, field) in cases {
        let (status, resp) = admin.post("/api/v1/principles", body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(resp["error"]["field"], field, "{body} -> {resp}");
        assert!(!resp["error"]["message"].as_str().unwrap().is_empty());
    }

    let market = |tz: &str, locale: &str| json!({"code": "JP", "name": "Japan", "country": "JP", "locales": [locale], "timezone": tz});
    let (status, resp) = admin
        .post("/api/v1/markets", market("Tokyo", "ja-JP"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(resp["error"]["field"], "timezone");
    assert!(resp["error"]["message"].as_str().unwrap().contains("IANA"));
    let (status, resp) = admin
        .post("/api/v1/markets", market("Asia/Tokyo", "japanese!"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(resp["error"]["field"], "locales");
    let (status, _) = admin
        .post("/api/v1/markets", market("Asia/Tokyo", "ja-JP"))
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let resp = admin
        .http
        .post(format!("{}/api/v1/markets", app.base))
        .bearer_auth(&admin.token)
        .body("code=JP")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "not JSON");

    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(200 * 1024));
    let resp = admin
        .http
        .post(format!("{}/api/v1/markets/FI/teams", app.base))
        .bearer_auth(&admin.token)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large");
}
