//! Long invalid input gives a short message: errors quote at most the start of what they
//! refuse (a probe saw a 60 KB value echoed whole in a 422).

use chorus_core::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

fn long() -> String {
    "x".repeat(60_000)
}

/// A message that names the problem without echoing the input: short, and no long run of it.
fn assert_short(what: &str, text: &str) {
    assert!(
        text.len() < 400,
        "{what}: {} bytes: {}",
        text.len(),
        &text[..400]
    );
    assert!(!text.contains(&"x".repeat(41)), "{what}: {text}");
}

#[tokio::test]
async fn long_invalid_input_gives_a_short_message() {
    let app = spawn_app().await;
    let admin = api(&app, &token(&app, Role::Admin).await);
    let cases: Vec<(&str, Value)> = vec![
        // A parser of ours refuses it (core quotes through validate::quoted).
        ("pillar", {
            let mut b = principle_body(1, "Long");
            b["pillar"] = long().into();
            b
        }),
        ("market_examples[0].market", {
            let mut b = principle_body(1, "Long");
            b["market_examples"][0]["market"] = format!("{}!", long()).into();
            b
        }),
        // serde refuses it: a string where a number goes, a key nobody knows.
        ("number", {
            let mut b = principle_body(1, "Long");
            b["number"] = long().into();
            b
        }),
        ("unknown key", {
            let mut b = principle_body(1, "Long");
            b[long()] = 1.into();
            b
        }),
    ];
    for (what, body) in cases {
        let (s, answer) = admin.post("/api/v1/principles", body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{what}");
        assert_short(what, answer["error"]["message"].as_str().unwrap());
        let field = answer["error"]["field"].as_str().unwrap_or("");
        assert!(field.chars().count() <= 101, "{what}: field {field}");
    }
    let (s, answer) = admin
        .post(
            "/api/v1/users",
            json!({"email": long(), "display_name": "Long", "password": "long enough password",
                   "memberships": [{"role": "analyst", "market": "FI"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["error"]["field"], "email");
    assert_short("email", answer["error"]["message"].as_str().unwrap());

    // In a query string, over the API and on a page.
    let (s, answer) = admin
        .get(&format!("/api/v1/conversations?status={}", long()))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let message = answer["error"]["message"].as_str().unwrap();
    assert_short("status", message);
    assert!(message.starts_with(r#""xxxxxxxxxx"#), "{message}");
    let b = Browser::login_as(&app, Role::Admin).await;
    let (s, page) = b
        .get_html(&format!("/conversations?status={}", long()))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!page.contains(&"x".repeat(41)), "the page echoes the input");
}
