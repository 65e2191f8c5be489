//! People's words on pages: a refused field is named in words and its message shown once, beside
//! it (no `objectives[0]`, no byte offsets).

use chorus_core::Role;
use reqwest::StatusCode;

use crate::support::*;

#[tokio::test]
async fn a_refused_objective_is_said_once_beside_its_row() {
    let app = spawn_app().await;
    let mut lead = Browser::login_as(&app, Role::MarketLead).await;
    let (_, html) = lead.get_html("/stories/campaigns/new").await;
    lead.csrf = csrf_in(&html);
    let r = lead
        .post_form(
            "/stories/campaigns",
            &[
                ("name", "Winter launch"),
                ("starts_on", "2026-12-01"),
                ("ends_on", "2026-12-31"),
                ("metric_0", "likes"),
                ("target_0", "lots"),
                ("period_0", "campaign"),
                ("markets", "FI"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(!html.contains("objectives["), "no field paths: {html}");
    let at = html
        .find(r#"id="objective-1-error""#)
        .expect("the message sits under the first objective's row");
    let message = &html[at..html[at..].find("</p>").unwrap() + at];
    assert!(message.contains("Objective 1: "), "{message}");
    let text = message.split("Objective 1: ").nth(1).unwrap();
    assert!(text.starts_with(char::is_uppercase), "a sentence: {text}");
    assert_eq!(html.matches(text).count(), 1, "said once: {html}");
    assert!(html.contains(r#"value="lots""#), "what was typed is kept");
}

#[tokio::test]
async fn a_query_that_does_not_parse_is_explained_in_characters_not_bytes() {
    let app = spawn_app().await;
    let mut lead = Browser::login_as(&app, Role::MarketLead).await;
    let (_, html) = lead.get_html("/conversations/queries/new").await;
    lead.csrf = csrf_in(&html);
    let r = lead
        .post_form(
            "/conversations/queries",
            &[
                ("market", "FI"),
                ("name", "São Paulo"),
                ("query", "\"São Paulo\" AND (loja"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(!html.contains("at byte"), "{html}");
    assert!(html.contains("(character 17)"), "{html}");
}
