//! Conversations over HTTP: listening queries (permissions, live check, preview), the inbox
//! (visibility per market, filters, paging), changes with their audit entries, response
//! targets and signals; the pages render untrusted post text escaped.

use chorus_core::Role;
use chorus_core::conversations::{ListeningQuery, QueryId};
use chorus_store::NewPost;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::*;

pub(crate) fn post(uri: &str, text: &str, at: i64, matches: &[(i64, i64)]) -> NewPost {
    NewPost {
        uri: uri.into(),
        network: "bluesky".into(),
        author: "did:plc:fan".into(),
        author_handle: Some("fan.test".into()),
        body: text.into(),
        lang: "en".into(),
        sentiment: if text.contains("love") { 0.6 } else { -0.4 },
        labels: Default::default(),
        posted_at_ms: at,
        reply_parent: None,
        reply_root: None,
        quote_of: None,
        cid: None,
        link: None,
        country: None,
        domains: Vec::new(),
        matches: matches
            .iter()
            .map(|(q, m)| (QueryId(*q), chorus_core::MarketId(*m)).into())
            .collect(),
    }
}

pub(crate) async fn market_id(app: &TestApp, code: &str) -> i64 {
    app.store
        .market_by_code(&chorus_core::org::MarketCode::parse(code).unwrap())
        .await
        .unwrap()
        .id
        .0
}

#[tokio::test]
async fn queries_are_managed_by_market_leads_with_checks_and_previews() {
    let app = spawn_app().await;
    let lead = api(&app, &token(&app, Role::MarketLead).await);
    let analyst = api(&app, &token(&app, Role::Analyst).await);

    let body = json!({"market": "FI", "name": "Brand", "query": "northwind OR #northwind",
                      "languages": ["fi", "en"], "side": "us"});
    let (s, _) = analyst
        .post("/api/v1/listening-queries", body.clone())
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "analysts read, they do not change queries"
    );
    let (s, created) = lead.post("/api/v1/listening-queries", body).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    assert_eq!(created["languages"], json!(["fi", "en"]));
    let (s, _) = lead
        .post(
            "/api/v1/listening-queries",
            json!({"market": "BR", "name": "Marca", "query": "northwind"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a FI lead cannot add BR queries");
    let (s, err) = lead
        .post(
            "/api/v1/listening-queries",
            json!({"market": "FI", "name": "Broken", "query": "northwind AND (phone"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "query");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unclosed parenthesis")
    );

    let (s, check) = analyst
        .post(
            "/api/v1/listening-queries/check",
            json!({"query": "nokia NEAR/3"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(check["valid"], false);
    assert!(check["error"]["rendered"].as_str().unwrap().contains('^'));
    let (_, ok) = analyst
        .post(
            "/api/v1/listening-queries/check",
            json!({"query": "nokia  lumia*"}),
        )
        .await;
    assert_eq!(ok["valid"], true, "{ok}");

    let now = chorus_store::now_ms();
    app.store
        .ingest_batch(
            "test",
            "1",
            vec![
                post("at://a/1", "I love the Northwind buds", now - 1000, &[]),
                post("at://a/2", "Contoso again", now - 2000, &[]),
                post("at://a/3", "northwind battery died", now - 3000, &[]),
            ],
        )
        .await
        .unwrap();
    let (s, p) = analyst
        .post(
            "/api/v1/listening-queries/preview",
            json!({"query": "northwind"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(
        (p["scanned"].as_i64(), p["matched"].as_i64()),
        (Some(3), Some(2))
    );
    assert_eq!(p["samples"][0]["text"], "I love the Northwind buds");
    let (_, p) = analyst
        .post(
            "/api/v1/listening-queries/preview",
            json!({"query": "northwind", "languages": ["fi"]}),
        )
        .await;
    assert_eq!(p["matched"], 0, "narrowed by language");

    let id = created["id"].as_i64().unwrap();
    let mut changed =
        json!({"market": "FI", "name": "Brand", "query": "northwind", "active": false});
    let (s, _) = lead
        .put(&format!("/api/v1/listening-queries/{id}"), changed.clone())
        .await;
    assert_eq!(s, StatusCode::OK);
    changed["bogus"] = json!(1);
    let (s, e) = lead
        .put(&format!("/api/v1/listening-queries/{id}"), changed)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["field"], "bogus");
    let (_, log) = api(&app, &token(&app, Role::Admin).await)
        .get("/api/v1/audit?subject_type=listening_query")
        .await;
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["listening_query.update", "listening_query.create"]
    );
}

#[tokio::test]
async fn the_inbox_shows_each_market_its_own_and_audits_every_change() {
    let app = spawn_app().await;
    let (fi, br) = (market_id(&app, "FI").await, market_id(&app, "BR").await);
    let sys = chorus_core::audit::Author::system("test");
    let mk = |m: i64, name: &str| {
        chorus_core::conversations::QueryInput::parse(
            chorus_core::MarketId(m),
            None,
            &chorus_core::conversations::RawQuery {
                name: name.into(),
                query: "northwind".into(),
                ..Default::default()
            },
        )
        .unwrap()
    };
    let qf = app
        .store
        .create_listening_query(&sys, &mk(fi, "FI brand"))
        .await
        .unwrap();
    let qb = app
        .store
        .create_listening_query(&sys, &mk(br, "BR marca"))
        .await
        .unwrap();
    let t = 1_700_000_000_000;
    let mut batch = Vec::new();
    for i in 0..60 {
        let q = if i < 55 { (qf.id.0, fi) } else { (qb.id.0, br) };
        let text = if i % 2 == 0 {
            "I love northwind"
        } else {
            "northwind broke"
        };
        batch.push(post(&format!("at://p/{i}"), text, t + i * 1000, &[q]));
    }
    app.store.ingest_batch("test", "1", batch).await.unwrap();

    let cm = api(&app, &token(&app, Role::CommunityManager).await);
    let (s, page) = cm.get("/api/v1/conversations").await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let first = page["conversations"].as_array().unwrap();
    assert_eq!(first.len(), 50);
    assert_eq!(
        first[0]["post"]["uri"], "at://p/54",
        "newest FI first; BR is not mine"
    );
    let next = page["next"].as_str().unwrap();
    let (_, rest) = cm
        .get(&format!("/api/v1/conversations?before={next}"))
        .await;
    assert_eq!(rest["conversations"].as_array().unwrap().len(), 5);
    assert!(rest["next"].is_null());
    let (_, neg) = cm
        .get("/api/v1/conversations?sentiment=negative&limit=200")
        .await;
    assert_eq!(neg["conversations"].as_array().unwrap().len(), 27);
    let (s, bad) = cm.get("/api/v1/conversations?status=closed").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad["error"]["field"], "status");

    // BR's conversation is not found for the FI community manager, in the API and the UI.
    let (_, br_page) = api(&app, &token(&app, Role::Admin).await)
        .get("/api/v1/conversations?market=BR")
        .await;
    let br_id = br_page["conversations"][0]["id"].as_i64().unwrap();
    let (s, _) = cm.get(&format!("/api/v1/conversations/{br_id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = cm
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/conversations/{br_id}"),
            Some(json!({"status": "done"})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let a = first[0]["id"].as_i64().unwrap();
    let b = first[1]["id"].as_i64().unwrap();
    let (s, r) = cm
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/conversations/{a}"),
            Some(json!({"status": "open", "assignee_id": null, "add_tags": ["Battery Life"]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["changed"], 1);
    let (s, r) = cm
        .post(
            "/api/v1/conversations/bulk",
            json!({"ids": [a, b], "status": "done"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["changed"], 2);
    let (s, _) = cm
        .post(
            &format!("/api/v1/conversations/{a}/notes"),
            json!({"body": "Sent them a manual."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, detail) = cm.get(&format!("/api/v1/conversations/{a}")).await;
    assert_eq!(detail["conversation"]["status"], "done");
    assert_eq!(detail["conversation"]["tags"], json!(["battery-life"]));
    assert_eq!(detail["notes"][0]["body"], "Sent them a manual.");
    let (s, e) = cm
        .post(
            &format!("/api/v1/conversations/{a}/replies"),
            json!({"account_id": 1, "body": "Hi!"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "no such account: {e}");

    let analyst = api(&app, &token(&app, Role::Analyst).await);
    let (s, _) = analyst
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/conversations/{a}"),
            Some(json!({"status": "new"})),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "analysts read the inbox, they do not work it"
    );

    let (_, log) = api(&app, &token(&app, Role::Admin).await)
        .get(&format!(
            "/api/v1/audit?subject_type=conversation&subject_id={a}"
        ))
        .await;
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "conversation.note",
            "conversation.update",
            "conversation.update"
        ]
    );
    assert_eq!(log[2]["actor"], email(Role::CommunityManager));

    // Response targets: the FI lead sets FI's; the figures come per team.
    let lead = api(&app, &token(&app, Role::MarketLead).await);
    let (s, _) = lead
        .put("/api/v1/markets/FI/response-target", json!({"minutes": 90}))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = lead
        .put("/api/v1/markets/BR/response-target", json!({"minutes": 90}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = lead
        .put("/api/v1/markets/FI/response-target", json!({"minutes": 1}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, times) = cm.get("/api/v1/response-times").await;
    assert_eq!(times[0]["market"], "FI");
    assert_eq!(times[0]["conversations"], 55);
    assert_eq!(times[0]["target_minutes"], 90);

    // Signals: hourly volume with baseline; share of voice.
    let (s, vol) = cm
        .get(&format!("/api/v1/signals/volume?query={}&days=1", qf.id))
        .await;
    assert_eq!(s, StatusCode::OK, "{vol}");
    assert_eq!(vol["hours"].as_array().unwrap().len(), 24);
    assert_eq!(
        vol["volume"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .sum::<i64>(),
        55
    );
    let (s, _) = cm
        .get(&format!("/api/v1/signals/volume?query={}", qb.id))
        .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "BR's query is not the FI CM's to see"
    );
}

#[tokio::test]
async fn pages_escape_post_text_and_check_queries_live() {
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
                    name: "Brand <b>".into(),
                    query: "northwind".into(),
                    ..Default::default()
                },
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let evil = "northwind <script>alert(1)</script> <img src=x onerror=alert(2)>";
    app.store
        .ingest_batch(
            "t",
            "1",
            vec![post("at://e/1", evil, 1_700_000_000_000, &[(q.id.0, fi)])],
        )
        .await
        .unwrap();
    let b = Browser::login_as(&app, Role::CommunityManager).await;
    let (s, html) = b.get_html("/conversations").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "escaped text"
    );
    assert!(!html.contains("<script>alert(1)"));
    assert!(!html.contains("<img src=x"));
    assert!(html.contains("Brand &#60;b&#62;"));
    let id = app.store.inbox(&Default::default()).await.unwrap()[0].id;
    let (s, html) = b.get_html(&format!("/conversations/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("&#60;img src=x onerror=alert(2)&#62;"));
    assert!(
        !html.contains("https://bsky.app/profile/"),
        "no link for a fake URI"
    );

    let r = b
        .post_form(
            &format!("/conversations/{id}/change"),
            &[("status", "open"), ("add_tag", "urgent")],
        )
        .await;
    assert!(r.status().is_redirection(), "{}", r.status());
    let (_, html) = b.get_html(&format!("/conversations/{id}")).await;
    assert!(html.contains("#urgent"));
    assert!(
        html.contains("marked it open, tagged it “urgent” in the conversation"),
        "history shows the change in words: {html}"
    );

    // The live check answers with a caret under the problem; the preview runs over stored posts.
    let lead = Browser::login_as(&app, Role::MarketLead).await;
    let r = lead
        .post_form("/conversations/queries/check", &[("query", "northwind OR")])
        .await;
    let frag = r.text().await.unwrap();
    assert!(frag.contains("expected a term"), "{frag}");
    assert!(frag.contains('^'));
    let (s, html) = lead.get_html("/conversations/queries/new").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("hx-post=\"/conversations/queries/check\""));
    let r = lead
        .post_form(
            "/conversations/queries",
            &[
                ("market", "FI"),
                ("name", "Bad"),
                ("query", "(x"),
                ("side", "us"),
                ("active", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = lead
        .post_form(
            "/conversations/queries",
            &[
                ("market", "FI"),
                ("name", "Good"),
                ("query", "contoso"),
                ("side", "competitor"),
                ("active", "1"),
            ],
        )
        .await;
    assert!(r.status().is_redirection(), "{}", r.status());
    let (s, html) = b.get_html("/conversations/signals?market=FI").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("data-chart=\"volume\""));
    assert!(html.contains("/static/uplot.min.js"));
    let (s, _) = b.get_html("/conversations/responses").await;
    assert_eq!(s, StatusCode::OK);
    let contributor = Browser::login_as(&app, Role::Contributor).await;
    let (s, _) = contributor.get_html("/conversations").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_query_filter_becomes_a_name_search_when_there_are_many_queries() {
    let app = spawn_app().await;
    let fi = market_id(&app, "FI").await;
    let sys = chorus_core::audit::Author::system("test");
    let mk = |name: String| {
        chorus_core::conversations::QueryInput::parse(
            chorus_core::MarketId(fi),
            None,
            &chorus_core::conversations::RawQuery {
                name,
                query: "northwind".into(),
                ..Default::default()
            },
        )
        .unwrap()
    };
    let first = app
        .store
        .create_listening_query(&sys, &mk("Care 0".into()))
        .await
        .unwrap();
    let t = 1_700_000_000_000;
    app.store
        .ingest_batch(
            "t",
            "1",
            vec![post("at://q/0", "northwind care", t, &[(first.id.0, fi)])],
        )
        .await
        .unwrap();
    let b = Browser::login_as(&app, Role::CommunityManager).await;
    let (s, html) = b.get_html("/conversations").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(r#"<select class="select" id="f-query" name="query">"#));
    assert!(!html.contains(r#"name="query_name""#));

    // 200 more: past the menu's limit, the filter is a search on the query's name.
    create_queries(&app, fi, "Brand", 200).await;
    let brand_150 = query_named(&app, "Brand 150").await;
    app.store
        .ingest_batch(
            "t",
            "2",
            vec![post(
                "at://q/150",
                "northwind brand",
                t + 1000,
                &[(brand_150.id.0, fi)],
            )],
        )
        .await
        .unwrap();
    let (s, html) = b.get_html("/conversations").await;
    assert_eq!(s, StatusCode::OK);
    assert!(!html.contains(r#"id="f-query""#), "no 201-entry menu");
    assert!(!html.contains("Brand 007<"), "no query listed as an option");
    assert!(html.contains(r#"name="query_name""#));
    assert!(html.contains("at://q/150") || html.contains("northwind brand"));

    let (s, html) = b.get_html("/conversations?query_name=CARE").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("northwind care"));
    assert!(!html.contains("northwind brand"));
    assert!(
        html.contains(r#"value="CARE""#),
        "the search stays in its field"
    );

    // A link to one query (a badge) keeps it as a box to untick, named.
    let (s, html) = b
        .get_html(&format!("/conversations?query={}", brand_150.id))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("northwind brand"));
    assert!(!html.contains("northwind care"));
    assert!(html.contains(&format!(
        r#"<input type="checkbox" name="query" value="{}" checked> only “Brand 150”"#,
        brand_150.id
    )));

    let long = "x".repeat(201);
    let (s, html) = b
        .get_html(&format!("/conversations?query_name={long}"))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("at most 200 characters"), "{html}");
}

#[tokio::test]
async fn the_query_list_comes_in_pages_and_searches_by_name() {
    let app = spawn_app().await;
    let fi = market_id(&app, "FI").await;
    create_queries(&app, fi, "Brand", 150).await;
    let b = Browser::login_as(&app, Role::MarketLead).await;
    let rows = |html: &str| html.matches(r#"<th scope="row">"#).count();

    let (s, html) = b.get_html("/conversations/queries").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(rows(&html), 100);
    assert!(html.contains("Queries 1–100 of 150"));
    assert!(html.contains("Brand 100<") && !html.contains("Brand 101<"));
    assert!(html.contains(r#"href="/conversations/queries?page=2""#));
    assert!(!html.contains(">Previous<"));

    let (_, html) = b.get_html("/conversations/queries?page=2").await;
    assert_eq!(rows(&html), 50);
    assert!(html.contains("Queries 101–150 of 150"));
    assert!(html.contains("Brand 150<"));
    assert!(html.contains(r#"href="/conversations/queries?page=1""#));
    assert!(!html.contains(">Next<"));

    let (_, html) = b
        .get_html("/conversations/queries?market=FI&name=brand+14")
        .await;
    assert_eq!(rows(&html), 10, "Brand 140 to 149");
    assert!(html.contains("Queries 1–10 of 10"));
    assert!(html.contains(r#"value="brand 14""#));

    let (_, html) = b.get_html("/conversations/queries?name=nothing").await;
    assert!(html.contains("name contains “nothing”"), "{html}");
    let (s, html) = b.get_html("/conversations/queries?page=99").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("No queries on this page"));
}

#[tokio::test]
async fn the_signals_menu_lists_200_queries_and_a_linked_one() {
    let app = spawn_app().await;
    let fi = market_id(&app, "FI").await;
    create_queries(&app, fi, "Topic", 250).await;
    let last = query_named(&app, "Topic 250").await;
    let b = Browser::login_as(&app, Role::MarketLead).await;
    let options = |html: &str| html.matches("<option value=").count();

    let (s, html) = b.get_html("/conversations/signals?market=FI").await;
    assert_eq!(s, StatusCode::OK);
    let markets = html.matches("<option value=\"").count() - options_in_query_menu(&html);
    assert!(markets >= 1);
    assert_eq!(options_in_query_menu(&html), 200);
    assert!(html.contains("200 of 250 queries, by name"));
    assert!(!html.contains(">Topic 250<"));
    assert!(options(&html) > 200);

    // A link to a query past the menu (as a spike alert gives) shows it, selected.
    let (s, html) = b
        .get_html(&format!("/conversations/signals?query={}", last.id))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(options_in_query_menu(&html), 201);
    assert!(html.contains(&format!(
        r#"<option value="{}" selected>Topic 250</option>"#,
        last.id
    )));
    assert!(html.contains(&format!("/api/v1/signals/volume?query={}", last.id)));
    // An unknown query falls back to the market's first.
    let (s, _) = b.get_html("/conversations/signals?query=999999").await;
    assert_eq!(s, StatusCode::OK);
}

/// Options of the signals page's query menu (the `<select id="query">`).
fn options_in_query_menu(html: &str) -> usize {
    html.split(r#"<select class="select" id="query" name="query">"#)
        .nth(1)
        .and_then(|rest| rest.split("</select>").next())
        .map_or(0, |menu| menu.matches("<option").count())
}

/// `n` listening queries in `market`, named `{prefix} 001`, `{prefix} 002` …
async fn create_queries(app: &TestApp, market: i64, prefix: &str, n: usize) {
    let inputs: Vec<_> = (1..=n)
        .map(|i| {
            chorus_core::conversations::QueryInput::parse(
                chorus_core::MarketId(market),
                None,
                &chorus_core::conversations::RawQuery {
                    name: format!("{prefix} {i:03}"),
                    query: "northwind".into(),
                    ..Default::default()
                },
            )
            .unwrap()
        })
        .collect();
    app.store
        .create_listening_queries(&chorus_core::audit::Author::system("test"), &inputs)
        .await
        .unwrap();
}

/// The query named `name`.
async fn query_named(app: &TestApp, name: &str) -> ListeningQuery {
    app.store
        .listening_queries_page(None, Some(name), 0, 100)
        .await
        .unwrap()
        .0
        .into_iter()
        .find(|c| c.name == name)
        .unwrap()
}
