//! Redirect targets taken from a request (`next` on `/login`, `back` on `/conversations/bulk`):
//! a table of hostile values answers a same-origin path or 400, never a 5xx, and a refused
//! bulk change changes nothing.

use chorus_core::Role;
use chorus_core::audit::Author;
use chorus_core::conversations::{QueryId, QueryInput, RawQuery};
use chorus_store::NewPost;
use reqwest::StatusCode;

use super::{assert_local, location, login_token, no_redirects, post_login};
use crate::support::*;

/// Values a hostile link or a forged form may carry, as the server receives them (decoded).
fn hostile() -> Vec<String> {
    let mut v: Vec<String> = [
        "/\t/evil.example/x",
        "/%09/evil.example/x",
        "\t//evil.example",
        "/\r\nSet-Cookie: chorus_session=x",
        "/conversations\r\n",
        "/conversations\n//evil.example",
        "/conversations?status=open\u{0}",
        "/conversations\u{7f}",
        "/conversations\u{a0}x",
        "//evil.example",
        "///evil.example/x",
        "/\\evil.example",
        "\\\\evil.example",
        "/\\/evil.example",
        "/.//evil.example",
        "/conversations/..//evil.example",
        "/%2F%2Fevil.example",
        "%2F%2Fevil.example",
        "/%5Cevil.example",
        "%5C%5Cevil.example",
        "https://evil.example/x",
        "http://evil.example",
        "https:evil.example",
        "HTTPS://EVIL.EXAMPLE",
        "//user@evil.example",
        "http://127.0.0.1@evil.example/",
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "mailto:a@evil.example",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    v.push(format!("/conversations?q={}", "a".repeat(60_000)));
    v.push(format!("//evil.example/{}", "%2F".repeat(3_000)));
    v
}

#[tokio::test]
async fn login_next_is_a_local_path_whatever_the_link_says() {
    let app = spawn_app().await;
    let http = no_redirects();
    let b = Browser::login_as(&app, Role::Analyst).await;
    for next in hostile() {
        let context = format!("next={:?}", next.chars().take(60).collect::<String>());
        // Signed in, the login page sends the person on at once.
        let resp = with_session(
            &b,
            http.get(b.url("/login")).query(&[("next", next.as_str())]),
        )
        .send()
        .await
        .unwrap();
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{context}");
        assert_local(&location(&resp).unwrap(), &context);

        // Not signed in, the form carries a safe `next`, and signing in goes there.
        let resp = http
            .get(format!("{}/login", app.base))
            .query(&[("next", next.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{context}");
        let html = resp.text().await.unwrap();
        let carried = hidden(&html, "next");
        assert_local(&carried, &format!("{context} (form)"));

        let token = login_token(&app).await;
        let resp = post_login(
            &http,
            &app.base,
            &token,
            &[
                ("email", &email(Role::Analyst)),
                ("password", PASSWORD),
                ("next", &next),
            ],
            &[],
        )
        .await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{context} (post)");
        assert_local(&location(&resp).unwrap(), &format!("{context} (post)"));
    }
    // The issue's own example, as a browser sends it, and a page of the site kept as it is.
    let resp = with_session(
        &b,
        http.get(format!("{}/login?next=/%09/evil.example/x", app.base)),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(location(&resp).as_deref(), Some("/playbook"));
    let resp = with_session(
        &b,
        http.get(format!(
            "{}/login?next=%2Fstories%3Fstate%3Ddraft%23list",
            app.base
        )),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(
        location(&resp).as_deref(),
        Some("/stories?state=draft#list")
    );
}

#[tokio::test]
async fn bulk_back_is_checked_before_anything_changes() {
    let app = spawn_app().await;
    let ids = seed_conversations(&app, 2).await;
    let (open, other) = (ids[0].to_string(), ids[1].to_string());
    let b = Browser::login_as(&app, Role::CommunityManager).await;
    let admin = api(&app, &token(&app, Role::Admin).await);
    let status_of = async |id: &str| {
        let (s, c) = admin.get(&format!("/api/v1/conversations/{id}")).await;
        assert_eq!(s, StatusCode::OK, "{c}");
        c["conversation"]["status"].as_str().unwrap().to_owned()
    };
    let before = status_of(&open).await;
    assert_ne!(before, "done");
    for back in hostile() {
        let context = format!("back={:?}", back.chars().take(60).collect::<String>());
        let resp = b
            .post_form(
                "/conversations/bulk",
                &[("id", &open), ("action", "status:done"), ("back", &back)],
            )
            .await;
        let status = resp.status();
        match status {
            StatusCode::BAD_REQUEST => {
                assert_eq!(status_of(&open).await, before, "{context}: changed anyway");
            }
            StatusCode::SEE_OTHER => {
                let to = location(&resp).unwrap();
                assert_local(&to, &context);
                assert!(to.starts_with("/conversations"), "{context}: {to}");
                // It was applied: put it back for the next row.
                let r = b
                    .post_form(
                        "/conversations/bulk",
                        &[("id", &open), ("action", "status:new")],
                    )
                    .await;
                assert_eq!(r.status(), StatusCode::SEE_OTHER);
            }
            other => panic!("{context}: answered {other}"),
        }
    }
    // The issue's probe: control characters answered 500 after the change was applied.
    let resp = b
        .post_form(
            "/conversations/bulk",
            &[
                ("id", &open),
                ("action", "status:done"),
                ("back", "/conversations\r\n"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(status_of(&open).await, before);
    // A page of the inbox is where it goes back to.
    let resp = b
        .post_form(
            "/conversations/bulk",
            &[
                ("id", &other),
                ("action", "status:done"),
                ("back", "/conversations?status=open&before=5_6"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&resp).as_deref(),
        Some("/conversations?status=open&before=5_6")
    );
    assert_eq!(status_of(&other).await, "done");
}

/// `n` conversations in FI (a listening query and one post each); their ids.
async fn seed_conversations(app: &TestApp, n: i64) -> Vec<i64> {
    let fi = app
        .store
        .market_by_code(&chorus_core::org::MarketCode::parse("FI").unwrap())
        .await
        .unwrap()
        .id;
    let input = QueryInput::parse(
        fi,
        None,
        &RawQuery {
            name: "brand".into(),
            query: "northwind".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let q = app
        .store
        .create_listening_query(&Author::system("test"), &input)
        .await
        .unwrap();
    let posts = (0..n)
        .map(|i| NewPost {
            uri: format!("at://p/{i}"),
            network: "bluesky".into(),
            author: "did:plc:fan".into(),
            author_handle: Some("fan.test".into()),
            body: "northwind broke".into(),
            lang: "en".into(),
            sentiment: -0.4,
            labels: Default::default(),
            posted_at_ms: 1_700_000_000_000 + i * 1000,
            reply_parent: None,
            reply_root: None,
            quote_of: None,
            cid: None,
            link: None,
            country: None,
            domains: Vec::new(),
            matches: vec![(QueryId(q.id.0), fi).into()],
        })
        .collect();
    app.store.ingest_batch("test", "1", posts).await.unwrap();
    let (_, page) = api(app, &token(app, Role::Admin).await)
        .get("/api/v1/conversations")
        .await;
    page["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

fn with_session(b: &Browser, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    rb.header(
        reqwest::header::COOKIE,
        format!("chorus_session={}", b.session.as_deref().unwrap()),
    )
}

/// The value of the hidden input `name` in a page, unescaped.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let at = html.find(&marker).expect("the field is in the page") + marker.len();
    let rest = &html[at..];
    rest[..rest.find('"').unwrap()]
        .replace("&amp;", "&")
        .replace("&#x2f;", "/")
        .replace("&#47;", "/")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}
