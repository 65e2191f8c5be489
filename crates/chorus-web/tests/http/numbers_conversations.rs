//! Conversations in Numbers: matched posts' sentiment share and the inbox's first responses
//! against the market's target, counted where they happen (ingest, reply sent) and read on the
//! `/numbers` page and through `GET /api/v1/numbers` — FI's figures for FI's analyst, never
//! BR's.

use chorus_core::Role;
use chorus_core::audit::Author;
use chorus_core::conversations::{QueryId, QueryInput, RawQuery};
use chorus_core::{MarketId, org::MarketCode};
use chorus_store::{InboxQuery, NewPost, Store};
use reqwest::StatusCode;

use crate::numbers::market_account;
use crate::support::{Browser, api, spawn_app, token};

async fn market(store: &Store, code: &str) -> MarketId {
    store
        .market_by_code(&MarketCode::parse(code).unwrap())
        .await
        .unwrap()
        .id
}

async fn query(store: &Store, market: MarketId) -> QueryId {
    let input = QueryInput::parse(
        market,
        None,
        &RawQuery {
            name: format!("Brand {}", market.0),
            query: "northwind".into(),
            side: Some("us".into()),
            ..RawQuery::default()
        },
    )
    .unwrap();
    store
        .create_listening_query(&Author::system("test"), &input)
        .await
        .unwrap()
        .id
}

fn post(uri: &str, sentiment: f64, matches: &[(QueryId, MarketId)]) -> NewPost {
    NewPost {
        uri: uri.into(),
        network: "bluesky".into(),
        author: "did:plc:someone".into(),
        author_handle: None,
        body: "northwind".into(),
        lang: "en".into(),
        sentiment,
        labels: Default::default(),
        posted_at_ms: chorus_store::now_ms() - 3_600_000,
        reply_parent: None,
        reply_root: None,
        quote_of: None,
        cid: None,
        link: None,
        country: None,
        domains: Vec::new(),
        matches: matches.iter().map(|&m| m.into()).collect(),
    }
}

#[tokio::test]
async fn sentiment_share_and_first_responses_are_numbers_of_the_viewers_market() {
    let app = spawn_app().await;
    let store = &app.store;
    let (fi, br) = (market(store, "FI").await, market(store, "BR").await);
    let (qf, qb) = (query(store, fi).await, query(store, br).await);
    let posts = vec![
        post("at://p/1", 0.6, &[(qf, fi)]),
        post("at://p/2", 0.7, &[(qf, fi)]),
        post("at://p/3", -0.5, &[(qf, fi)]),
        post("at://p/4", 0.0, &[(qf, fi)]),
        post("at://p/5", -0.9, &[(qb, br)]),
    ];
    store.ingest_batch("test", "1", posts).await.unwrap();
    let sys = Author::system("test");
    store.set_response_target(&sys, fi, 60).await.unwrap();
    let (_, account) = market_account(store, "FI", "northwind").await;
    let inbox = store
        .inbox(&InboxQuery {
            market: Some(fi),
            limit: 10,
            ..InboxQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(inbox.len(), 4);
    for c in &inbox[..2] {
        let r = store
            .create_reply(&sys, c.id, account.id, "Thank you!")
            .await
            .unwrap();
        store
            .mark_reply_sent(r.id, &format!("at://brand/{}", r.id), "bafy")
            .await
            .unwrap();
    }

    // The API: the counts behind the shares, FI's only.
    let fi_api = api(&app, &token(&app, Role::Analyst).await);
    let (status, body) = fi_api
        .get(
            "/api/v1/numbers?metrics=conversation_volume,positive_conversations,\
             negative_conversations,first_responses,first_responses_within_target",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let rows = body["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "FI only: {body}");
    let v = &rows[0]["values"];
    assert_eq!(
        (
            &v["conversation_volume"],
            &v["positive_conversations"],
            &v["negative_conversations"],
            &v["first_responses"],
            &v["first_responses_within_target"],
        ),
        (&4.into(), &2.into(), &1.into(), &2.into(), &2.into()),
        "{body}"
    );
    // Conversation metrics are not a campaign's: not available, never 0.
    let (status, by_campaign) = fi_api
        .get("/api/v1/numbers?group_by=campaign&metrics=positive_conversations")
        .await;
    assert_eq!(status, StatusCode::OK, "{by_campaign}");
    assert_eq!(by_campaign["metrics"][0]["name"], "positive_conversations");

    // The page: shares and the mean, in words.
    let analyst = Browser::login_as(&app, Role::Analyst).await;
    let (status, html) = analyst.get_html("/numbers").await;
    assert_eq!(status, StatusCode::OK);
    let section = html
        .split("id=\"conversations-title\"")
        .nth(1)
        .expect("a Conversations section");
    let section = section.split("</section>").next().unwrap();
    for want in [
        "Matched posts</p><p class=\"stat__value\">4<",
        "Positive</p><p class=\"stat__value\">50 %<",
        "Negative: 25 %",
        "2 conversations answered",
        "Answered within target</p><p class=\"stat__value\">100 %<",
        "Mean first response</p><p class=\"stat__value\">0 min<",
    ] {
        assert!(section.contains(want), "{want:?} in:\n{section}");
    }
    // The counts behind the shares are not totals of their own on the page.
    assert!(
        !html.contains("stat__label\">Positive conversations"),
        "{html}"
    );
}
