//! Corrections over HTTP: a conversation's sentiment and language corrected in the inbox in
//! one click (htmx fragment, or a redirect without JavaScript), shown and filtered as corrected
//! while the model's answer is kept, refused to readers and unknown to other markets, and
//! downloaded as the dataset `chorus text train --with-corrections` reads (page and API alike).

use chorus_core::Role;
use chorus_core::audit::Author;
use chorus_core::conversations::{QueryInput, RawQuery};
use reqwest::StatusCode;
use serde_json::json;

use crate::conversations::{market_id, post};
use crate::support::*;

const TEXT: &str = "please fix this, I rely on these earbuds";

/// A FI conversation Chorus read as positive Tagalog, and a BR one; their ids.
async fn seed(app: &TestApp) -> (i64, i64) {
    let sys = Author::system("test");
    let mut queries = Vec::new();
    for code in ["FI", "BR"] {
        let m = market_id(app, code).await;
        let input = QueryInput::parse(
            chorus_core::MarketId(m),
            None,
            &RawQuery {
                name: format!("{code} earbuds"),
                query: "earbuds".into(),
                ..RawQuery::default()
            },
        )
        .unwrap();
        let q = app
            .store
            .create_listening_query(&sys, &input)
            .await
            .unwrap();
        queries.push((q.id.0, m));
    }
    let mut fi = post("at://fi/1", TEXT, 1_790_000_000_000, &[queries[0]]);
    fi.lang = "tl".into();
    fi.sentiment = 0.6;
    let br = post(
        "at://br/1",
        "earbuds in Brazil",
        1_790_000_001_000,
        &[queries[1]],
    );
    app.store
        .ingest_batch("test", "1", vec![fi, br])
        .await
        .unwrap();
    let all = app.store.inbox(&Default::default()).await.unwrap();
    let id = |uri: &str| all.iter().find(|c| c.post.uri == uri).unwrap().id.0;
    (id("at://fi/1"), id("at://br/1"))
}

async fn htmx_post(b: &Browser, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let mut f: Vec<(&str, &str)> = fields.to_vec();
    f.push(("csrf", &b.csrf));
    let r = b
        .with_cookie(
            b.http
                .post(b.url(path))
                .header("hx-request", "true")
                .form(&f),
        )
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

fn pressed(html: &str, value: &str) -> bool {
    let at = html
        .find(&format!("name=\"sentiment\" value=\"{value}\""))
        .unwrap_or_else(|| panic!("no {value} button"));
    html[at..].starts_with(&format!(
        "name=\"sentiment\" value=\"{value}\" aria-pressed=\"true\""
    ))
}

#[tokio::test]
async fn a_correction_in_the_inbox_is_shown_kept_and_downloaded() {
    let app = spawn_app().await;
    let (id, br) = seed(&app).await;
    let cm = Browser::login_as(&app, Role::CommunityManager).await;
    let labels = format!("/conversations/{id}/labels");

    let (_, pane) = cm.get_html(&format!("/conversations/{id}/pane")).await;
    assert!(pane.contains(&format!("id=\"labels-{id}\"")), "{pane}");
    assert!(pressed(&pane, "positive") && !pressed(&pane, "negative"));
    assert!(pane.contains("<option value=\"tl\" selected>Tagalog</option>"));
    assert!(pane.contains("If it is wrong, correct it"));
    assert!(pane.contains(&format!(
        "<span id=\"post-labels-{id}\">Tagalog · <span class=\"badge badge--success\">positive</span>"
    )));

    // One click: the block comes back with the new label pressed and who corrected it.
    let (s, html) = htmx_post(&cm, &labels, &[("sentiment", "negative")]).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(!html.contains("<html"), "a fragment");
    assert!(pressed(&html, "negative") && !pressed(&html, "positive"));
    assert!(html.contains("Saved."));
    assert!(
        html.contains(&format!(
            "<span id=\"post-labels-{id}\" hx-swap-oob=\"true\">Tagalog · <span class=\"badge badge--danger\">negative</span>"
        )),
        "the thread's labels follow, out of band: {html}"
    );
    assert!(
        html.contains(&format!(
            "Corrected by {}, ",
            Role::CommunityManager.label()
        )),
        "{html}"
    );
    assert!(
        html.contains("Chorus had read it as positive, in Tagalog."),
        "{html}"
    );
    assert!(
        html.contains("<option value=\"tl\" selected>"),
        "the language stays"
    );

    // Without JavaScript: a redirect back, names accepted as languages.
    let r = cm.post_form(&labels, &[("lang", "Spanish")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        format!("/conversations/{id}?done=corrected").as_str()
    );
    let (_, page) = cm
        .get_html(&format!("/conversations/{id}?done=corrected"))
        .await;
    assert!(page.contains("Corrected. Chorus learns from corrections."));
    assert!(page.contains("<option value=\"es\" selected>Spanish</option>"));
    assert!(pressed(&page, "negative"));
    assert!(page.contains(": language Spanish"), "the history says it");
    assert!(page.contains(": sentiment negative"));

    // A refused value is answered beside the control.
    let (s, html) = htmx_post(&cm, &labels, &[("lang", "Klingon")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("is not a language Chorus knows"), "{html}");

    // The inbox filters by the corrected labels.
    let (_, list) = cm
        .get_html("/conversations?sentiment=negative&lang=es")
        .await;
    assert!(list.contains(&format!("id=\"row-{id}\"")));
    let (_, list) = cm.get_html("/conversations?sentiment=positive").await;
    assert!(!list.contains(&format!("id=\"row-{id}\"")));

    // The dataset, from the page and from the API.
    let want = format!("{{\"text\":\"{TEXT}\",\"language\":\"es\",\"sentiment\":\"negative\"}}\n");
    let r = cm.get("/conversations/corrections.jsonl").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment; filename=\"chorus-corrections.jsonl\""
    );
    assert_eq!(r.text().await.unwrap(), want);
    let analyst = api(&app, &token(&app, Role::Analyst).await);
    let r = analyst
        .http
        .get(format!(
            "{}/api/v1/conversations/corrections.jsonl",
            app.base
        ))
        .bearer_auth(&analyst.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.unwrap(), want);

    // The API: readers may not correct, another market's conversation does not exist.
    let (s, _) = analyst
        .post(
            &format!("/api/v1/conversations/{id}/labels"),
            json!({"sentiment": "neutral"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let cm_api = api(&app, &token(&app, Role::CommunityManager).await);
    let (s, _) = cm_api
        .post(
            &format!("/api/v1/conversations/{br}/labels"),
            json!({"sentiment": "neutral"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, body) = cm_api
        .post(
            &format!("/api/v1/conversations/{id}/labels"),
            json!({"language": "en", "sentiment": "neutral"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["changed"], true);
    assert_eq!(
        (body["language"].as_str(), body["sentiment"].as_str()),
        (Some("en"), Some("neutral"))
    );
    assert_eq!(
        (
            body["model_language"].as_str(),
            body["model_sentiment"].as_str()
        ),
        (Some("tl"), Some("positive"))
    );
    assert_eq!(body["corrections"].as_array().unwrap().len(), 3);
    let (_, got) = cm_api.get(&format!("/api/v1/conversations/{id}")).await;
    assert_eq!(got["conversation"]["sentiment"], "neutral");
    assert_eq!(got["conversation"]["post"]["lang"], "tl");
}
