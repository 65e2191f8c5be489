//! Bad input gets a 4xx that names the field, never a 5xx.

use chorus_core::Role;
use proptest::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

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

/// Every endpoint that reads a JSON body.
const JSON_ENDPOINTS: &[(&str, &str)] = &[
    ("POST", "/api/v1/principles"),
    ("PUT", "/api/v1/principles/anything"),
    ("POST", "/api/v1/markets"),
    ("PUT", "/api/v1/markets/FI"),
    ("POST", "/api/v1/markets/FI/teams"),
    ("POST", "/api/v1/users"),
    ("POST", "/api/v1/users/1/memberships"),
    ("POST", "/api/v1/users/1/memberships/revoke"),
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,20}".prop_map(Value::String),
        prop_oneof![
            Just("FI"),
            Just("numbers"),
            Just("editor"),
            Just("Europe/Helsinki"),
            Just("x@y.io"),
            Just("fi-FI"),
            Just("global"),
            Just("")
        ]
        .prop_map(|s| Value::String(s.into())),
    ];
    let keys = prop_oneof![
        Just("number"),
        Just("pillar"),
        Just("title"),
        Just("statement"),
        Just("slug"),
        Just("code"),
        Just("name"),
        Just("country"),
        Just("locales"),
        Just("timezone"),
        Just("email"),
        Just("role"),
        Just("market"),
        Just("password"),
        Just("display_name"),
        Just("memberships"),
        Just("market_examples"),
        Just("body"),
        Just("zzz")
    ];
    leaf.prop_recursive(3, 24, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(keys.clone().prop_map(String::from), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[test]
fn random_bodies_never_cause_a_server_error() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (app, admin) = rt.block_on(async {
        let app = spawn_app().await;
        let t = token(&app, Role::Admin).await;
        (app, t)
    });
    let client = reqwest::Client::new();
    let cases = if std::env::var("CHORUS_PROPTEST_CASES").is_ok() {
        0
    } else {
        64
    };
    let config = ProptestConfig {
        cases: if cases == 0 { 256 } else { cases },
        ..ProptestConfig::default()
    };
    proptest!(config, |(body in prop_oneof![
        json_value().prop_map(|v| v.to_string().into_bytes()),
        prop::collection::vec(any::<u8>(), 0..200),
    ], endpoint in 0..JSON_ENDPOINTS.len())| {
        let (method, path) = JSON_ENDPOINTS[endpoint];
        let status = rt.block_on(async {
            client
                .request(method.parse().unwrap(), format!("{}{path}", app.base))
                .bearer_auth(&admin)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await
                .unwrap()
                .status()
        });
        prop_assert!(
            !status.is_server_error(),
            "{method} {path} with {:?} gave {status}",
            String::from_utf8_lossy(&body)
        );
    });
}
