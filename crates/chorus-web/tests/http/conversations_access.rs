//! Conversations across markets, through both doors: what a market's people may read of
//! another market (nothing: not found) and of a conversation two markets share (their own
//! queries only); the preview of a draft query shows only posts the caller could read, and
//! matches what ingest will; refusals change nothing.
//!
//! The seeded users hold their market roles in FI; BR is the other market.

use std::sync::Arc;

use chorus_core::Role;
use chorus_core::audit::Author;
use chorus_core::conversations::{ListeningQuery, QueryInput, RawQuery};
use chorus_pipeline::pipeline::Progress;
use chorus_pipeline::{Analyzers, Batch, Incoming, QuerySet, Running};
use chorus_store::NewAccount;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::conversations::{market_id, post};
use crate::support::*;

async fn query(app: &TestApp, market: &str, name: &str, text: &str) -> ListeningQuery {
    let m = market_id(app, market).await;
    let input = QueryInput::parse(
        chorus_core::MarketId(m),
        None,
        &RawQuery {
            name: name.into(),
            query: text.into(),
            ..RawQuery::default()
        },
    )
    .unwrap();
    app.store
        .create_listening_query(&Author::system("test"), &input)
        .await
        .unwrap()
}

/// Conversation ids by post URI, as the admin sees them.
async fn conversation_id(app: &TestApp, uri: &str) -> i64 {
    app.store
        .inbox(&Default::default())
        .await
        .unwrap()
        .iter()
        .find(|c| c.post.uri == uri)
        .unwrap()
        .id
        .0
}

/// Posts of the last hour: one only BR listens for, one FI's, one both markets', one nobody's.
async fn four_posts(app: &TestApp) -> (ListeningQuery, ListeningQuery) {
    let fi = query(app, "FI", "FI brand", "northwind").await;
    let br = query(app, "BR", "BR secret campaign", "northwind").await;
    let (fi_m, br_m) = (fi.market_id.0, br.market_id.0);
    let now = chorus_store::now_ms();
    app.store
        .ingest_batch(
            "test",
            "1",
            vec![
                post(
                    "at://br/1",
                    "northwind in Sao Paulo",
                    now - 1000,
                    &[(br.id.0, br_m)],
                ),
                post(
                    "at://fi/1",
                    "northwind in Helsinki",
                    now - 2000,
                    &[(fi.id.0, fi_m)],
                ),
                post(
                    "at://both/1",
                    "northwind everywhere",
                    now - 3000,
                    &[(fi.id.0, fi_m), (br.id.0, br_m)],
                ),
                post("at://none/1", "northwind nowhere", now - 4000, &[]),
            ],
        )
        .await
        .unwrap();
    (fi, br)
}

#[tokio::test]
async fn the_preview_shows_only_posts_the_caller_could_read_on_page_and_api_alike() {
    let app = spawn_app().await;
    four_posts(&app).await;
    let lead = api(&app, &token(&app, Role::MarketLead).await);
    let (s, p) = lead
        .post(
            "/api/v1/listening-queries/preview",
            json!({"query": "northwind"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["matched"], 4, "every match is counted: {p}");
    let texts: Vec<&str> = p["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "northwind in Helsinki",
            "northwind everywhere",
            "northwind nowhere"
        ],
        "BR's conversation is not shown to the FI lead"
    );
    // The inbox agrees: BR's conversation is not found for them.
    let br_only = conversation_id(&app, "at://br/1").await;
    let (s, _) = lead.get(&format!("/api/v1/conversations/{br_only}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The page fragment answers the same.
    let page = Browser::login_as(&app, Role::MarketLead).await;
    let r = page
        .post_form("/conversations/queries/preview", &[("query", "northwind")])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("<strong>4</strong>"), "{html}");
    assert!(html.contains("northwind in Helsinki"));
    assert!(html.contains("northwind nowhere"));
    assert!(!html.contains("Sao Paulo"), "{html}");

    // Someone who reads every market sees every match.
    let admin = api(&app, &token(&app, Role::Admin).await);
    let (_, p) = admin
        .post(
            "/api/v1/listening-queries/preview",
            json!({"query": "northwind"}),
        )
        .await;
    assert_eq!(p["samples"].as_array().unwrap().len(), 4);
    // Someone who reads no conversations is refused, on both doors.
    let contributor = api(&app, &token(&app, Role::Contributor).await);
    let (s, _) = contributor
        .post(
            "/api/v1/listening-queries/preview",
            json!({"query": "northwind"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let page = Browser::login_as(&app, Role::Contributor).await;
    let r = page
        .post_form("/conversations/queries/preview", &[("query", "northwind")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_draft_previews_what_ingest_then_matches() {
    let app = spawn_app().await;
    let lead = api(&app, &token(&app, Role::MarketLead).await);
    for (name, q) in [
        ("Our site", "site:nokia.com"),
        ("Brazil phones", "country:BR AND phone"),
    ] {
        let (s, body) = lead
            .post(
                "/api/v1/listening-queries",
                json!({"market": "FI", "name": name, "query": q}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
    // One post through the real pipeline, as a feed or the firehose hands it over.
    let queries = app.store.active_listening_queries().await.unwrap();
    let (_tx, rx) = tokio::sync::watch::channel(Arc::new(QuerySet::build(&queries, 1)));
    let running = Running::start(
        app.store.clone(),
        Analyzers::new(),
        rx,
        Arc::new(Progress::default()),
    );
    let incoming = Incoming {
        uri: "at://did:plc:fan/app.bsky.feed.post/1".into(),
        network: "bluesky".into(),
        author: "did:plc:fan".into(),
        author_handle: Some("fan.test".into()),
        text: "My new phone came today, details on the site".into(),
        declared_langs: vec!["en".into()],
        country: Some("BR".into()),
        domains: vec!["www.nokia.com".into()],
        posted_at_ms: chorus_store::now_ms() - 60_000,
        reply_parent: None,
        reply_root: None,
        quote_of: None,
        cid: None,
        link: None,
    };
    running
        .input
        .send(Batch {
            source: Arc::from("test:one"),
            position: "1".into(),
            items: vec![incoming],
        })
        .await
        .unwrap();
    running.finish().await.unwrap();
    let live = app.store.inbox(&Default::default()).await.unwrap();
    assert_eq!(live.len(), 1, "ingest matched it");
    assert_eq!(
        live[0].queries.len(),
        2,
        "by both queries: {:?}",
        live[0].queries
    );

    for q in ["site:nokia.com", "country:BR AND phone"] {
        let (s, p) = lead
            .post("/api/v1/listening-queries/preview", json!({"query": q}))
            .await;
        assert_eq!(s, StatusCode::OK, "{p}");
        assert_eq!(p["matched"], 1, "{q} previews what it matched live: {p}");
    }
}

#[tokio::test]
async fn a_shared_conversation_shows_each_market_its_own_queries() {
    let app = spawn_app().await;
    four_posts(&app).await;
    let both = conversation_id(&app, "at://both/1").await;
    let cm = api(&app, &token(&app, Role::CommunityManager).await);
    let names = |c: &serde_json::Value| -> Vec<String> {
        c["queries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, list) = cm.get("/api/v1/conversations").await;
    let row = list["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == both)
        .unwrap()
        .clone();
    assert_eq!(names(&row), ["FI brand"]);
    let (s, one) = cm.get(&format!("/api/v1/conversations/{both}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(names(&one["conversation"]), ["FI brand"]);
    let b = Browser::login_as(&app, Role::CommunityManager).await;
    for path in [
        "/conversations".to_owned(),
        format!("/conversations/{both}"),
    ] {
        let (s, html) = b.get_html(&path).await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("FI brand"), "{path}");
        assert!(!html.contains("BR secret campaign"), "{path}: {html}");
    }
    // The admin reads both markets and sees both queries.
    let admin = api(&app, &token(&app, Role::Admin).await);
    let (_, one) = admin.get(&format!("/api/v1/conversations/{both}")).await;
    assert_eq!(
        names(&one["conversation"]),
        ["FI brand", "BR secret campaign"]
    );
}

#[tokio::test]
async fn another_markets_query_is_not_found_and_a_readers_change_is_forbidden() {
    let app = spawn_app().await;
    let (fi, br) = four_posts(&app).await;
    let body = |market: &str| json!({"market": market, "name": "Renamed", "query": "contoso"});

    // The FI lead may not read BR's queries: not found, page and API alike.
    let lead = api(&app, &token(&app, Role::MarketLead).await);
    let page = Browser::login_as(&app, Role::MarketLead).await;
    let at = format!("/api/v1/listening-queries/{}", br.id);
    assert_eq!(lead.get(&at).await.0, StatusCode::NOT_FOUND);
    assert_eq!(lead.put(&at, body("BR")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(lead.delete(&at).await.0, StatusCode::NOT_FOUND);
    let at = format!("/conversations/queries/{}", br.id);
    assert_eq!(page.get_html(&at).await.0, StatusCode::NOT_FOUND);
    let form = [("market", "BR"), ("name", "Renamed"), ("query", "contoso")];
    assert_eq!(
        page.post_form(&at, &form).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        page.post_form(&format!("{at}/delete"), &[]).await.status(),
        StatusCode::NOT_FOUND
    );

    // The FI analyst reads FI's queries but may not change them: forbidden, both doors.
    let analyst = api(&app, &token(&app, Role::Analyst).await);
    let page = Browser::login_as(&app, Role::Analyst).await;
    let at = format!("/api/v1/listening-queries/{}", fi.id);
    assert_eq!(analyst.get(&at).await.0, StatusCode::OK);
    assert_eq!(analyst.put(&at, body("FI")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(analyst.delete(&at).await.0, StatusCode::FORBIDDEN);
    let at = format!("/conversations/queries/{}", fi.id);
    assert_eq!(page.get_html(&at).await.0, StatusCode::OK);
    let form = [("market", "FI"), ("name", "Renamed"), ("query", "contoso")];
    assert_eq!(
        page.post_form(&at, &form).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        page.post_form(&format!("{at}/delete"), &[]).await.status(),
        StatusCode::FORBIDDEN
    );

    // Nothing changed.
    let names: Vec<String> = app
        .store
        .listening_queries(None)
        .await
        .unwrap()
        .into_iter()
        .map(|q| q.name)
        .collect();
    assert_eq!(names, ["FI brand", "BR secret campaign"]);
    let log = app
        .store
        .audit_entries(&chorus_store::AuditQuery {
            subject_type: Some("listening_query".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(log.len(), 2, "the two creations only");
}

/// A second server on the same store that can unseal account credentials (so its pages offer
/// replies); its base URL.
async fn with_secret_key(app: &TestApp) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let key = chorus_networks::bluesky::SecretKey::from_bytes([7; 32]);
    let state =
        chorus_web::AppState::new(app.store.clone(), web_config(), None).with_secret_key(key);
    tokio::spawn(chorus_web::serve(listener, state, std::future::pending()));
    base
}

#[tokio::test]
async fn conversations_and_replies_answer_not_found_or_forbidden_alike() {
    let app = spawn_app().await;
    four_posts(&app).await;
    let br_only = conversation_id(&app, "at://br/1").await;
    let fi_only = conversation_id(&app, "at://fi/1").await;
    let both = conversation_id(&app, "at://both/1").await;
    let sys = Author::system("test");
    let account = |market: i64, handle: &'static str| NewAccount {
        market_id: chorus_core::MarketId(market),
        network: "bluesky",
        handle,
        external_id: "did:plc:brand",
        service_url: "http://127.0.0.1:9",
        sealed: "sealed",
    };
    let br_account = app
        .store
        .connect_account(&sys, &account(market_id(&app, "BR").await, "br.test"))
        .await
        .unwrap();
    let fi_account = app
        .store
        .connect_account(&sys, &account(market_id(&app, "FI").await, "fi.test"))
        .await
        .unwrap();
    let reply = app
        .store
        .create_reply(
            &sys,
            chorus_core::conversations::ConversationId(fi_only),
            fi_account.id,
            "Hi",
        )
        .await
        .unwrap();

    // BR's conversation does not exist for FI's community manager.
    let cm = api(&app, &token(&app, Role::CommunityManager).await);
    let page = Browser::login_as(&app, Role::CommunityManager).await;
    for (method, path, body) in [
        (
            Method::GET,
            format!("/api/v1/conversations/{br_only}"),
            None,
        ),
        (
            Method::PATCH,
            format!("/api/v1/conversations/{br_only}"),
            Some(json!({"status": "done"})),
        ),
        (
            Method::POST,
            format!("/api/v1/conversations/{br_only}/notes"),
            Some(json!({"body": "x"})),
        ),
        (
            Method::POST,
            format!("/api/v1/conversations/{br_only}/replies"),
            Some(json!({"account_id": br_account.id, "body": "x"})),
        ),
    ] {
        assert_eq!(
            cm.send(method, &path, body).await.0,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert_eq!(
        page.get_html(&format!("/conversations/{br_only}")).await.0,
        StatusCode::NOT_FOUND
    );
    for (path, form) in [
        (
            format!("/conversations/{br_only}/change"),
            vec![("status", "done")],
        ),
        (
            format!("/conversations/{br_only}/notes"),
            vec![("body", "x")],
        ),
        (
            format!("/conversations/{br_only}/replies/{}/retry", reply.id),
            vec![],
        ),
    ] {
        assert_eq!(
            page.post_form(&path, &form).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }

    // The analyst reads FI's conversations but does not work them: forbidden, both doors.
    let analyst = api(&app, &token(&app, Role::Analyst).await);
    let page_a = Browser::login_as(&app, Role::Analyst).await;
    let (s, _) = analyst
        .post(
            &format!("/api/v1/conversations/{fi_only}/notes"),
            json!({"body": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    for (path, form) in [
        (
            format!("/conversations/{fi_only}/change"),
            vec![("status", "done")],
        ),
        (
            format!("/conversations/{fi_only}/notes"),
            vec![("body", "x")],
        ),
        (
            format!("/conversations/{fi_only}/replies/{}/retry", reply.id),
            vec![],
        ),
    ] {
        assert_eq!(
            page_a.post_form(&path, &form).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }

    // A reply that is not failed is not sent again: its state forbids it.
    let r = page
        .post_form(
            &format!("/conversations/{fi_only}/replies/{}/retry", reply.id),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // On a conversation FI and BR share, FI's community manager replies from FI's accounts
    // only, and the page offers only those.
    let (s, e) = cm
        .post(
            &format!("/api/v1/conversations/{both}/replies"),
            json!({"account_id": br_account.id, "body": "Olá"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "account");
    let keyed = with_secret_key(&app).await;
    let mut page_k = Browser::new(&app);
    page_k.base = keyed;
    page_k.login(&email(Role::CommunityManager), PASSWORD).await;
    let (s, html) = page_k.get_html(&format!("/conversations/{both}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("@fi.test"), "{html}");
    assert!(!html.contains("@br.test"), "{html}");

    // None of this changed anything.
    let (_, detail) = api(&app, &token(&app, Role::Admin).await)
        .get(&format!("/api/v1/conversations/{fi_only}"))
        .await;
    assert_eq!(detail["conversation"]["status"], "new");
    assert!(detail["notes"].as_array().unwrap().is_empty());
    assert_eq!(detail["replies"].as_array().unwrap().len(), 1);
    assert_eq!(detail["replies"][0]["state"], "sending");
}

/// Assigning a conversation: only to an active person who may work it. Someone who may not,
/// someone deactivated and an id nobody has get one and the same answer (no way to find out
/// who has an account), and nothing changes.
#[tokio::test]
async fn a_conversation_is_assigned_only_to_active_people_who_may_work_it() {
    let app = spawn_app().await;
    four_posts(&app).await;
    let fi_conversation = conversation_id(&app, "at://fi/1").await;
    let cm = api(&app, &token(&app, Role::CommunityManager).await);
    let admin = api(&app, &token(&app, Role::Admin).await);
    let id_of = |role| {
        let app = &app;
        async move {
            app.store
                .user_by_email(&chorus_core::user::Email::parse(&email(role)).unwrap())
                .await
                .unwrap()
                .unwrap()
                .id
                .0
        }
    };
    let path = format!("/api/v1/conversations/{fi_conversation}");
    let assign = |who: i64| json!({ "assignee_id": who });

    // The FI market lead works FI's inbox: fine.
    let lead = id_of(Role::MarketLead).await;
    let (s, r) = cm.send(Method::PATCH, &path, Some(assign(lead))).await;
    assert_eq!(s, StatusCode::OK, "{r}");

    // A contributor, an id nobody has, and the lead once deactivated: refused alike.
    let contributor = id_of(Role::Contributor).await;
    let (s, r) = admin
        .send(
            Method::PATCH,
            &format!("/api/v1/users/{lead}"),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let mut answers = Vec::new();
    for who in [contributor, 987_654, lead] {
        let (s, r) = cm
            .send(
                Method::PATCH,
                &path,
                Some(json!({"status": "open", "assignee_id": who})),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "assignee {who}: {r}");
        assert_eq!(r["error"]["field"], "assignee", "{r}");
        answers.push(r.to_string());
    }
    assert!(
        answers.windows(2).all(|w| w[0] == w[1]),
        "the answers tell the cases apart: {answers:?}"
    );
    let (_, c) = cm.get(&path).await;
    let c = &c["conversation"];
    assert_eq!(c["status"], "new", "a refused change changes nothing: {c}");
    assert_eq!(c["assignee_id"], lead, "{c}");
}
