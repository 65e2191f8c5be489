//! One listening query's page: the market's leads change it there (Save, through
//! `queries::update`), with a refusal said next to the field that caused it and the typed
//! values kept; everyone else who reads it sees it as text, not as a form without a Save, and is
//! told whom to ask, by name. A community manager's "New query" ends in the layout with words.

use reqwest::StatusCode;
use reqwest::header::LOCATION;

use crate::support::*;
use chorus_core::Role;

#[tokio::test]
async fn a_query_page_saves_for_its_leads_and_reads_as_text_for_everyone_else() {
    let app = spawn_app().await;
    let lead = Browser::login_as(&app, Role::MarketLead).await;
    let fields = |name: &'static str, query: &'static str| {
        vec![
            ("market", "FI"),
            ("name", name),
            ("query", query),
            ("languages", "fi, en"),
            ("side", "us"),
            ("spike_factor", "3"),
            ("active", "1"),
        ]
    };
    let r = lead
        .post_form("/conversations/queries", &fields("Brand", "northwind"))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let at = r.headers()[LOCATION]
        .to_str()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();

    // The lead's page is a form with a Save.
    let (s, html) = lead.get_html(&at).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(">Save query</button>"), "{html}");

    // A bad query is refused next to its field, the typed values kept, nothing saved.
    let r = lead
        .post_form(&at, &fields("Brand renamed", "northwind OR"))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    let field = html.find("for=\"query\"").expect("the query field");
    let error = html
        .find("<p class=\"field__error\">Query:")
        .expect("its error");
    let next_field = html.find("for=\"languages\"").expect("the next field");
    assert!(
        field < error && error < next_field,
        "the error sits under Query"
    );
    assert!(
        html.contains("value=\"Brand renamed\""),
        "typed values kept"
    );
    let saved = app.store.listening_queries(None).await.unwrap();
    assert_eq!(saved[0].name, "Brand");

    // Saved: the page comes back saying so, with the new values.
    let r = lead
        .post_form(&at, &fields("Brand renamed", "northwind OR contoso"))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], format!("{at}?done=saved"));
    let saved = app.store.listening_queries(None).await.unwrap();
    assert_eq!(saved[0].name, "Brand renamed");
    assert_eq!(saved[0].query, "northwind OR contoso");

    // The community manager reads it as text and is told whom to ask; no inputs, no Save.
    let cm = Browser::login_as(&app, Role::CommunityManager).await;
    let (s, html) = cm.get_html(&at).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("You can read this query, not change it"),
        "{html}"
    );
    assert!(html.contains("ask Market lead if it should"), "{html}");
    assert!(html.contains("<code>northwind OR contoso</code>"), "{html}");
    assert!(!html.contains("<textarea"), "{html}");
    assert!(!html.contains("Save query"), "{html}");
    assert!(html.contains("Preview last 7 days"), "{html}");

    // Their "New query" is not offered, and typed, it is refused inside the layout, in words.
    let (_, list) = cm.get_html("/conversations/queries").await;
    assert!(!list.contains("/conversations/queries/new"), "{list}");
    let (s, html) = cm.get_html("/conversations/queries/new").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(
        html.contains("you may not create listening queries: each market&#39;s leads"),
        "{html}"
    );
    assert!(html.contains("Back to Conversations"), "{html}");
    assert!(
        html.contains("class=\"sidebar"),
        "inside the layout: {html}"
    );
}
