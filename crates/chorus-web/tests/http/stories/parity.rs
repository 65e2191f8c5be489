//! The page and the API give the same answer to the same request: the story list's filters
//! and the live checks (with a variant's images) are one use case behind both doors.

use chorus_core::Role;
use chorus_core::audit::Author;
use chorus_core::stories::rules::{Rule, RuleKind};
use chorus_core::stories::workflow::StoryState;
use reqwest::StatusCode;
use serde_json::json;

use super::seed::world;
use crate::support::*;

#[tokio::test]
async fn the_story_list_filters_alike_on_the_page_and_the_api() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let admin = api(&app, &token(&app, Role::Admin).await);
    let mut campaigns = Vec::new();
    for (name, market) in [("Nordic launch", "FI"), ("Carnaval secreto", "BR")] {
        let (status, c) = admin
            .post(
                "/api/v1/campaigns",
                json!({"name": name, "markets": [market], "starts_on": "2026-01-01",
                    "ends_on": "2026-02-01"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{c}");
        campaigns.push(c["id"].as_i64().unwrap());
    }
    let (fi_campaign, br_campaign) = (campaigns[0], campaigns[1]);
    let editor = api(&app, &token(&app, Role::Editor).await);
    let (status, s) = editor
        .post(
            "/api/v1/stories",
            json!({"market": "FI", "title": "In the campaign", "campaign_id": fi_campaign}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{s}");
    let later = chorus_store::now_ms() + 86_400_000;
    w.story_titled(&app.store, w.fi, StoryState::Draft, later, "Outside it")
        .await;
    w.story_titled(&app.store, w.br, StoryState::Draft, later, "Brazil only")
        .await;
    let page = Browser::login_as(&app, Role::Editor).await;

    // Unknown values are bad input on both doors, named.
    for (query, field) in [
        ("market=XX", "market"),
        ("state=bogus", "state"),
        ("campaign=nope", "campaign"),
        // A campaign of a market the caller does not read does not exist for them.
        (&*format!("campaign={br_campaign}"), "campaign"),
    ] {
        let (status, err) = editor.get(&format!("/api/v1/stories?{query}")).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "API {query}: {err}"
        );
        assert_eq!(err["error"]["field"], field, "{query}");
        assert!(!err.to_string().contains("Carnaval"), "{err}");
        let (status, html) = page.get_html(&format!("/stories?{query}")).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "page {query}: {html}"
        );
        assert!(!html.contains("Carnaval"), "{html}");
    }

    // The same stories for the same filters.
    for (query, want) in [
        ("", vec!["Outside it", "In the campaign"]),
        (
            "market=FI&state=draft",
            vec!["Outside it", "In the campaign"],
        ),
        (&*format!("campaign={fi_campaign}"), vec!["In the campaign"]),
        // A market whose stories the caller does not read lists nothing.
        ("market=BR", vec![]),
    ] {
        let (status, list) = editor.get(&format!("/api/v1/stories?{query}")).await;
        assert_eq!(status, StatusCode::OK, "API {query}: {list}");
        let titles: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["title"].as_str().unwrap())
            .collect();
        assert_eq!(titles, want, "API {query}");
        let (status, html) = page.get_html(&format!("/stories?{query}")).await;
        assert_eq!(status, StatusCode::OK, "page {query}");
        for title in ["Outside it", "In the campaign", "Brazil only"] {
            assert_eq!(
                html.contains(&format!(">{title}</a>")),
                want.contains(&title),
                "page {query} × {title}"
            );
        }
    }
}

#[tokio::test]
async fn the_live_check_sees_a_variants_images_on_the_page_and_the_api() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let sys = Author::system("test");
    app.store
        .save_post_rule(
            &sys,
            &Rule {
                id: 0,
                kind: RuleKind::AltText,
                market: None,
                principle: Some(w.principle),
                enabled: true,
            },
        )
        .await
        .unwrap();
    let later = chorus_store::now_ms() + 86_400_000;
    let sid = w.story_in(&app.store, w.fi, StoryState::Draft, later).await;
    let vid = app.store.variants(sid).await.unwrap()[0].id;
    app.store
        .add_image(
            &sys,
            vid,
            "speaker.png",
            "image/png",
            b"\x89PNG\r\n\x1a\n",
            "",
        )
        .await
        .unwrap();
    let missing = "Image “speaker.png” has no alternative text";

    let editor = api(&app, &token(&app, Role::Editor).await);
    let (status, c) = editor
        .post(
            &format!("/api/v1/stories/{sid}/check"),
            json!({"account_id": w.fi_account, "text": "Hei!", "variant_id": vid}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["passes"], false, "{c}");
    assert!(c.to_string().contains(missing), "{c}");

    let page = Browser::login_as(&app, Role::Editor).await;
    let r = page
        .http
        .post(page.url(&format!("/stories/{sid}/check")))
        .header(
            "cookie",
            format!("chorus_session={}", page.session.as_deref().unwrap()),
        )
        .header("x-csrf-token", &page.csrf)
        .form(&[
            ("account", w.fi_account.to_string().as_str()),
            ("body", "Hei!"),
            ("variant", vid.to_string().as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains(missing), "{html}");
    assert!(html.contains("1 problem to fix"), "{html}");
}
