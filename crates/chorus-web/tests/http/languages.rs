//! Languages over HTTP (issue 21): the inbox's language filter and a listening query's languages
//! take names and codes alike and refuse an unknown value saying what is accepted; `lang:` in a
//! query's text asks for the code; the detected language and the source's label both reach the
//! API, and the conversation page says where they disagree.

use chorus_core::Role;
use chorus_store::{Labels, NewPost};
use reqwest::StatusCode;
use serde_json::json;

use crate::conversations::{market_id, post};
use crate::support::*;

fn labelled(uri: &str, text: &str, lang: &str, source: &str, q: (i64, i64)) -> NewPost {
    NewPost {
        lang: lang.into(),
        labels: Labels {
            detected_lang: Some(lang.into()),
            source_lang: Some(source.into()),
            lang_confidence: Some(0.93),
            sentiment_confidence: Some(0.7),
        },
        ..post(uri, text, 1_700_000_000_000, &[q])
    }
}

#[tokio::test]
async fn language_filters_take_names_and_codes_and_refuse_the_unknown() {
    let app = spawn_app().await;
    let fi = market_id(&app, "FI").await;
    let sys = chorus_core::audit::Author::system("test");
    let q = app
        .store
        .create_listening_query(
            &sys,
            &chorus_core::conversations::QueryInput::parse(
                chorus_core::MarketId(fi),
                None,
                &chorus_core::conversations::RawQuery {
                    name: "Brand".into(),
                    query: "northwind".into(),
                    ..Default::default()
                },
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let batch = vec![
        // The source said English; the detector read Spanish.
        labelled(
            "at://l/es",
            "me encanta northwind",
            "es",
            "en",
            (q.id.0, fi),
        ),
        labelled("at://l/en", "I love northwind", "en", "en", (q.id.0, fi)),
    ];
    app.store.ingest_batch("test", "1", batch).await.unwrap();

    let cm = api(&app, &token(&app, Role::CommunityManager).await);
    for value in ["es", "ES", "spa", "Spanish", "espa%C3%B1ol", "espanol"] {
        let (s, page) = cm.get(&format!("/api/v1/conversations?lang={value}")).await;
        assert_eq!(s, StatusCode::OK, "{value}: {page}");
        let list = page["conversations"].as_array().unwrap();
        assert_eq!(list.len(), 1, "{value}");
        let p = &list[0]["post"];
        assert_eq!(p["uri"], "at://l/es");
        assert_eq!(
            (&p["lang"], &p["detected_lang"], &p["source_lang"]),
            (&json!("es"), &json!("es"), &json!("en")),
            "{value}"
        );
        assert_eq!(p["lang_confidence"], json!(0.93));
        assert_eq!(p["sentiment_confidence"], json!(0.7));
    }
    let (s, bad) = cm.get("/api/v1/conversations?lang=Klingon").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(bad["error"]["field"], "lang");
    let message = bad["error"]["message"].as_str().unwrap();
    assert!(message.contains("e.g. Spanish, español or es"), "{message}");

    // The inbox page: the same filter by name, and the same refusal in words.
    let web = Browser::login_as(&app, Role::CommunityManager).await;
    let (s, html) = web.get_html("/conversations?lang=Spanish").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("me encanta northwind"), "{html}");
    assert!(!html.contains("I love northwind"));
    let (_, html) = web.get_html("/conversations?lang=Klingon").await;
    assert!(html.contains("is not a language Chorus knows"), "{html}");

    // The conversation says where the source disagreed.
    let id = cm.get("/api/v1/conversations?lang=es").await.1["conversations"][0]["id"]
        .as_i64()
        .unwrap();
    let (s, html) = web.get_html(&format!("/conversations/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("Detected Spanish · source said English"),
        "{html}"
    );
    let en = cm.get("/api/v1/conversations?lang=English").await.1["conversations"][0]["id"]
        .as_i64()
        .unwrap();
    let (_, html) = web.get_html(&format!("/conversations/{en}")).await;
    assert!(!html.contains("source said"), "they agree: one name");
}

#[tokio::test]
async fn a_query_takes_language_names_and_asks_for_codes_in_lang_fields() {
    let app = spawn_app().await;
    let lead = api(&app, &token(&app, Role::MarketLead).await);
    let (s, created) = lead
        .post(
            "/api/v1/listening-queries",
            json!({"market": "FI", "name": "Brand", "query": "northwind",
                   "languages": ["Finnish", "svenska", "en"], "side": "us"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    assert_eq!(created["languages"], json!(["fi", "sv", "en"]));
    let (s, err) = lead
        .post(
            "/api/v1/listening-queries",
            json!({"market": "FI", "name": "Odd", "query": "northwind",
                   "languages": ["Klingon"]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["field"], "languages");

    let (s, err) = lead
        .post(
            "/api/v1/listening-queries",
            json!({"market": "FI", "name": "Named", "query": "northwind AND lang:Spanish"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["field"], "query");
    let message = err["error"]["message"].as_str().unwrap();
    assert!(message.contains("write lang:es (Spanish)"), "{message}");
    let (_, check) = lead
        .post(
            "/api/v1/listening-queries/check",
            json!({"query": "northwind lang:klingon"}),
        )
        .await;
    assert_eq!(check["valid"], false);
    assert_eq!(
        check["error"]["rendered"],
        "northwind lang:klingon\n          ^^^^^^^^^^^^"
    );
}
