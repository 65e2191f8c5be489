//! `GET /l/{code}`, the click redirect: it counts the click (people and bots apart) and forwards
//! to the stored target with its UTM tags; nothing from the request chooses where it leads; and
//! 1,000 concurrent clicks are counted exactly, on SQLite and (when it can be reached) on
//! PostgreSQL.

use chorus_core::audit::Author;
use chorus_core::org::MarketInput;
use chorus_core::user::{Email, Membership};
use chorus_core::{MarketId, Role};
use chorus_store::{Link, NewAccount, NewUser, Store, StoryInput, VariantInput};
use chorus_web::AppState;
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, LOCATION, REFERRER_POLICY, USER_AGENT};

use crate::support::{self, spawn_app};

const TAGGED: &str = "https://example.com/launch?utm_source=bluesky&utm_medium=social&utm_campaign=spring&utm_content=story-1&utm_term=fi";
const UNICODE: &str = "https://example.org/päivä?q=ü#top";
const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

/// A story in `market` with one variant holding [`TAGGED`] and [`UNICODE`], whose links got
/// their codes as the publisher gives them.
async fn published_links(store: &Store, market: MarketId) -> (i64, Vec<Link>) {
    let sys = Author::system("test");
    let writer = match store
        .user_by_email(&Email::parse("writer@example.com").unwrap())
        .await
        .unwrap()
    {
        Some(u) => u.id,
        None => {
            store
                .create_user(
                    &sys,
                    &NewUser {
                        email: Email::parse("writer@example.com").unwrap(),
                        display_name: "Writer".into(),
                        password_hash: None,
                        memberships: vec![Membership::new(Role::Editor, Some(market)).unwrap()],
                    },
                )
                .await
                .unwrap()
                .id
        }
    };
    let author = Author::user(writer, "writer@example.com");
    let account = store
        .connect_account(
            &sys,
            &NewAccount {
                market_id: market,
                network: "bluesky",
                handle: "northwind.test",
                external_id: "did:plc:abc",
                service_url: "http://localhost:2583",
                sealed: "sealed-bytes",
            },
        )
        .await
        .unwrap()
        .id;
    let story = store
        .create_story(
            &author,
            &StoryInput {
                market_id: market,
                campaign_id: None,
                title: "Launch".into(),
                brief: String::new(),
                principles: vec![],
            },
        )
        .await
        .unwrap();
    let v = store
        .save_variant(
            &author,
            story.id,
            None,
            &VariantInput {
                account_id: account,
                locale: "fi-FI".into(),
                body: format!("Launch: {TAGGED}. Read more ({UNICODE})"),
                scheduled_at_ms: None,
            },
        )
        .await
        .unwrap();
    let links = store
        .variant_links(v.id, &[TAGGED.to_owned(), UNICODE.to_owned()])
        .await
        .unwrap();
    (v.id, links)
}

fn client() -> reqwest::Client {
    // The workspace builds reqwest without a default TLS provider (one crypto backend: ring).
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn click(base: &str, path: &str, ua: Option<&str>) -> reqwest::Response {
    let mut rb = client().get(format!("{base}{path}"));
    if let Some(ua) = ua {
        rb = rb.header(USER_AGENT, ua);
    }
    rb.send().await.unwrap()
}

/// (people, bots) clicks per link of `variant`.
async fn counts(store: &Store, variant: i64) -> Vec<(i64, i64)> {
    store
        .link_clicks(variant)
        .await
        .unwrap()
        .iter()
        .map(|c| (c.human, c.bot))
        .collect()
}

async fn fi(store: &Store) -> MarketId {
    store.markets().await.unwrap()[0].id
}

#[tokio::test]
async fn a_click_counts_and_forwards_with_the_utm_tags() {
    let app = spawn_app().await;
    let (variant, links) = published_links(&app.store, fi(&app.store).await).await;

    let r = click(&app.base, &format!("/l/{}", links[0].code), Some(BROWSER)).await;
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(
        r.headers()[LOCATION],
        TAGGED,
        "the target with its UTM tags"
    );
    assert_eq!(r.headers()[CACHE_CONTROL], "no-store");
    assert_eq!(r.headers()[REFERRER_POLICY], "no-referrer");
    assert_eq!(counts(&app.store, variant).await, [(1, 0), (0, 0)]);

    // A target typed with non-ASCII characters goes out percent-encoded, which browsers read
    // as the same address.
    let r = click(&app.base, &format!("/l/{}", links[1].code), Some(BROWSER)).await;
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(
        r.headers()[LOCATION],
        "https://example.org/p%C3%A4iv%C3%A4?q=%C3%BC#top"
    );
    // Twice more on the first link; a signed-in person's click counts like anyone's.
    let b = support::Browser::login_as(&app, Role::Editor).await;
    let r = b
        .http
        .get(b.url(&format!("/l/{}", links[0].code)))
        .header(USER_AGENT, BROWSER)
        .header(
            reqwest::header::COOKIE,
            format!("chorus_session={}", b.session.clone().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    click(&app.base, &format!("/l/{}", links[0].code), Some(BROWSER)).await;
    assert_eq!(counts(&app.store, variant).await, [(3, 0), (1, 0)]);
}

#[tokio::test]
async fn bots_are_forwarded_but_not_counted_as_people() {
    let app = spawn_app().await;
    let (variant, links) = published_links(&app.store, fi(&app.store).await).await;
    let path = format!("/l/{}", links[0].code);
    for ua in [
        None,
        Some(""),
        Some("curl/8.5.0"),
        Some("python-requests/2.32.3"),
        Some("Mozilla/5.0 (compatible; Bluesky Cardyb/1.1; +mailto:support@bsky.app)"),
        Some("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"),
        Some("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"),
        Some("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
    ] {
        let r = click(&app.base, &path, ua).await;
        assert_eq!(r.status(), StatusCode::FOUND, "{ua:?}");
        assert_eq!(r.headers()[LOCATION], TAGGED, "{ua:?}");
    }
    click(&app.base, &path, Some(BROWSER)).await;
    assert_eq!(counts(&app.store, variant).await, [(1, 8), (0, 0)]);
}

#[tokio::test]
async fn nothing_from_the_request_chooses_where_a_redirect_leads() {
    let app = spawn_app().await;
    let (variant, links) = published_links(&app.store, fi(&app.store).await).await;
    let code = &links[0].code;

    // Parameters and fragments beside a real code change nothing: the stored target it is.
    for extra in [
        "?url=https://evil.test/",
        "?next=//evil.test&redirect=https%3A%2F%2Fevil.test",
        "?utm_source=evil",
        "#https://evil.test",
    ] {
        let r = click(&app.base, &format!("/l/{code}{extra}"), Some(BROWSER)).await;
        assert_eq!(r.status(), StatusCode::FOUND, "{extra}");
        assert_eq!(r.headers()[LOCATION], TAGGED, "{extra}");
    }
    assert_eq!(counts(&app.store, variant).await, [(4, 0), (0, 0)]);

    // Unknown codes and path tricks: the 404 page, no Location, nothing counted.
    let mut swapped = code.clone();
    let last = swapped.pop().unwrap();
    swapped.push(if last == 'a' { 'b' } else { 'a' });
    let case = if code.to_lowercase() != *code {
        code.to_lowercase()
    } else {
        code.to_uppercase()
    };
    let tricks = [
        "/l/zzzzzzzzzz".to_owned(),
        format!("/l/{swapped}"),
        format!("/l/{case}"),
        format!("/l/{code}x"),
        format!("/l/{}", &code[..code.len() - 1]),
        format!("/l/{code}/"),
        format!("/l/{code}/https://evil.test"),
        format!("/l/{code}%2F..%2F..%2Fevil"),
        format!("/l/{code}%2Fhttps:%2F%2Fevil.test"),
        format!("/l/{code}%00"),
        "/l/%2F%2Fevil.test".to_owned(),
        "/l/https:%2F%2Fevil.test%2F".to_owned(),
        "/l/https://evil.test/".to_owned(),
        "/l//evil.test".to_owned(),
        "/l/..%2F..%2Fapi%2Fv1%2Fstories".to_owned(),
        "/l/%E2%80%AEzzzzzzzz".to_owned(),
        "/l/%ff%fe".to_owned(),
        "/l/".to_owned(),
        "/l".to_owned(),
        format!("/L/{code}"),
    ];
    for path in &tricks {
        let r = click(&app.base, path, Some(BROWSER)).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(r.headers().get(LOCATION).is_none(), "{path}");
        let body = r.text().await.unwrap();
        assert!(
            !body.contains("evil.test"),
            "{path}: the page echoes nothing"
        );
    }
    // Only GET follows a link.
    let r = client()
        .post(format!("{}/l/{code}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.headers().get(LOCATION).is_none());
    assert_eq!(
        counts(&app.store, variant).await,
        [(4, 0), (0, 0)],
        "no refused request counted"
    );
}

/// Fires 1,000 clicks at once (nine people to one bot) and checks every one was counted.
async fn thousand_clicks(base: &str, store: &Store, variant: i64, code: &str) {
    let http = client();
    let mut clicks = tokio::task::JoinSet::new();
    for i in 0..1000 {
        let http = http.clone();
        let url = format!("{base}/l/{code}");
        let ua = if i % 10 == 0 { "curl/8.5.0" } else { BROWSER };
        clicks.spawn(async move {
            let r = http.get(url).header(USER_AGENT, ua).send().await.unwrap();
            (r.status(), r.headers().get(LOCATION).cloned())
        });
    }
    while let Some(done) = clicks.join_next().await {
        let (status, location) = done.unwrap();
        assert_eq!(status, StatusCode::FOUND);
        assert_eq!(location.unwrap(), TAGGED);
    }
    assert_eq!(counts(store, variant).await, [(900, 100), (0, 0)]);
    // Every person's click is in Numbers' rollups too (added in the click's transaction).
    let mut q = chorus_store::RollupQuery::new(
        chorus_core::numbers::Dimension::Post,
        chorus_core::numbers::Grain::Month,
    );
    q.metrics = vec![chorus_core::numbers::Metric::Clicks];
    let total: i64 = store
        .rollups(&q)
        .await
        .unwrap()
        .iter()
        .map(|r| r.value)
        .sum();
    assert_eq!(total, 900);
}

/// Clicks through the redirect are Numbers' clicks: the API reports people's clicks (never a
/// bot's) for the post's market, and says when the last one was counted.
#[tokio::test]
async fn clicks_are_reported_by_numbers() {
    let app = spawn_app().await;
    let market = app.store.markets().await.unwrap()[0].clone();
    let (_, links) = published_links(&app.store, market.id).await;
    let path = format!("/l/{}", links[0].code);
    click(&app.base, &path, Some(BROWSER)).await;
    click(&app.base, &path, Some(BROWSER)).await;
    click(&app.base, &path, Some("Googlebot/2.1")).await;
    let admin = support::api(&app, &support::token(&app, Role::Admin).await);
    let (status, body) = admin
        .get("/api/v1/numbers?metrics=clicks&from=2020-01-01&to=2099-12-31")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let row = body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["subject"] == market.code.as_str())
        .unwrap()
        .clone();
    assert_eq!(row["values"]["clicks"], 2, "{body}");
    let total: i64 = body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["values"]["clicks"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 2, "in the link's market only: {body}");
    assert_eq!(body["metrics"][0]["available"], true, "{body}");
    assert!(
        body["metrics"][0]["last_measured_at"].is_string(),
        "the last click's time: {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_clicks_are_counted_exactly_on_sqlite() {
    let app = spawn_app().await;
    let (variant, links) = published_links(&app.store, fi(&app.store).await).await;
    thousand_clicks(&app.base, &app.store, variant, &links[0].code).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_clicks_are_counted_exactly_on_postgres() {
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    let store = db.store.clone();
    let market = store
        .create_market(
            &Author::system("test"),
            &MarketInput::parse("FI", "Finland", "FI", &["fi-FI".into()], "Europe/Helsinki")
                .unwrap(),
        )
        .await
        .unwrap()
        .id;
    let (variant, links) = published_links(&store, market).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = AppState::new(store.clone(), support::web_config(), None);
    let server = tokio::spawn(chorus_web::serve(listener, state, std::future::pending()));
    thousand_clicks(&base, &store, variant, &links[0].code).await;
    server.abort();
    db.drop_now().await;
}

/// A fresh PostgreSQL database from `CHORUS_TEST_DATABASE_URL` (as the store's conformance
/// suite makes them), dropped at the end; `None` (with a printed reason) when that variable is
/// unset or the server cannot be reached, unless `CHORUS_REQUIRE_SERVICES=1`.
struct PgDatabase {
    store: Store,
    admin_url: String,
    name: String,
}

impl PgDatabase {
    async fn create() -> Option<PgDatabase> {
        use sqlx::Connection as _;
        let Ok(admin_url) = std::env::var("CHORUS_TEST_DATABASE_URL") else {
            eprintln!("skipping: CHORUS_TEST_DATABASE_URL is not set");
            return None;
        };
        let mut admin = match sqlx::PgConnection::connect(&admin_url).await {
            Ok(c) => c,
            Err(e) => {
                let reason = format!("PostgreSQL unreachable at {admin_url}: {e}");
                assert!(
                    std::env::var("CHORUS_REQUIRE_SERVICES").as_deref() != Ok("1"),
                    "{reason} (CHORUS_REQUIRE_SERVICES=1)"
                );
                eprintln!("skipping: {reason}");
                return None;
            }
        };
        let name = format!(
            "chorus_web_{}_{}",
            std::process::id(),
            rand::random::<u32>()
        );
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap();
        let (server, _) = admin_url.rsplit_once('/').unwrap();
        let url = chorus_store::DatabaseUrl::parse(&format!("{server}/{name}")).unwrap();
        Some(PgDatabase {
            store: Store::open(&url).await.unwrap(),
            admin_url,
            name,
        })
    }

    async fn drop_now(self) {
        use sqlx::Connection as _;
        self.store.close().await;
        if let Ok(mut admin) = sqlx::PgConnection::connect(&self.admin_url).await {
            let _ = sqlx::query(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut admin)
            .await;
        }
    }
}
