//! `GET /api/v1/numbers` and its CSV: figures seeded through the store for FI and BR, read by
//! FI's analyst and lead (never BR's), validated filters naming the field, and CSV cells a
//! spreadsheet would run as formulas neutralised. The `/numbers` page is checked in `pages`.

use chorus_core::Role;
use chorus_core::audit::Author;
use chorus_core::numbers::PostCounts;
use chorus_core::org::MarketCode;
use chorus_core::playbook::{PrincipleInput, RawPrinciple};
use chorus_core::stories::CampaignInput;
use chorus_core::{MarketId, PrincipleId};
use chorus_store::{Account, NewAccount, NewPostSnapshot, Store, StoryInput, VariantInput};
use reqwest::StatusCode;

use chorus_core::user::Email;

use crate::support::{Browser, api, email, spawn_app, token};

const RANGE: &str = "from=2026-03-01&to=2026-03-31";

fn ms(s: &str) -> i64 {
    s.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

/// `code`'s market and a Bluesky account connected in it, `@{prefix}-{code}.test` (just
/// `@{code}.test` without a prefix), in lower case. Its credentials are a placeholder: these
/// tests publish nothing through it.
pub async fn market_account(store: &Store, code: &str, prefix: &str) -> (MarketId, Account) {
    let market = store
        .market_by_code(&MarketCode::parse(code).unwrap())
        .await
        .unwrap()
        .id;
    let lower = code.to_lowercase();
    let handle = if prefix.is_empty() {
        format!("{lower}.test")
    } else {
        format!("{prefix}-{lower}.test")
    };
    let account = store
        .connect_account(
            &Author::system("test"),
            &NewAccount {
                market_id: market,
                network: "bluesky",
                handle: &handle,
                external_id: &format!("did:plc:{prefix}{lower}"),
                service_url: "http://localhost:2583",
                sealed: "sealed",
            },
        )
        .await
        .unwrap();
    (market, account)
}

/// One published-looking variant in `code` citing `principle`, measured twice: `likes` and
/// `reposts` at the end.
pub async fn seed_market(
    store: &Store,
    code: &str,
    principle: i64,
    likes: i64,
    reposts: i64,
) -> (MarketId, i64) {
    let sys = Author::system("test");
    let (market, account) = market_account(store, code, "").await;
    let campaign = CampaignInput::parse(
        &format!("=Campaign {code}"),
        vec![],
        vec![market],
        vec![],
        "2026-01-01",
        "2026-12-31",
    )
    .unwrap();
    let campaign = store.create_campaign(&sys, &campaign).await.unwrap().id;
    let admin = store
        .user_by_email(&Email::parse(&email(Role::Admin)).unwrap())
        .await
        .unwrap()
        .unwrap();
    let person = Author::user(admin.id, admin.email.as_str());
    let story = store
        .create_story(
            &person,
            &StoryInput {
                market_id: market,
                campaign_id: Some(campaign),
                title: format!("Story {code}"),
                brief: "b".into(),
                principles: vec![PrincipleId(principle)],
            },
        )
        .await
        .unwrap();
    let variant = store
        .save_variant(
            &person,
            story.id,
            None,
            &VariantInput {
                account_id: account.id,
                locale: "en".into(),
                body: "post".into(),
                scheduled_at_ms: None,
            },
        )
        .await
        .unwrap();
    let snap = |at: &str, likes: i64, reposts: i64| NewPostSnapshot {
        variant_id: variant.id,
        fetched_at_ms: ms(at),
        counts: PostCounts {
            likes: Some(likes),
            reposts: Some(reposts),
            ..PostCounts::default()
        },
        next_due_ms: ms(at) + 86_400_000,
    };
    store
        .record_post_snapshots(&[
            snap("2026-03-10T10:00:00Z", likes / 2, 0),
            snap("2026-03-12T10:00:00Z", likes, reposts),
        ])
        .await
        .unwrap();
    (market, campaign)
}

/// A principle (campaigns' names are the ones a spreadsheet would run as formulas).
pub async fn seed_principle(store: &Store) -> i64 {
    let input = PrincipleInput::parse(&RawPrinciple {
        number: 1,
        pillar: "numbers".into(),
        title: "Define clear objectives".into(),
        statement: "s".into(),
        ..Default::default()
    })
    .unwrap();
    store
        .create_principle(&Author::system("test"), &input)
        .await
        .unwrap()
        .id
        .0
}

#[tokio::test]
async fn analysts_and_leads_read_their_markets_figures_and_never_another_markets() {
    let app = spawn_app().await;
    let p = seed_principle(&app.store).await;
    let (_, fi_campaign) = seed_market(&app.store, "FI", p, 12, 3).await;
    let (_, br_campaign) = seed_market(&app.store, "BR", p, 30, 7).await;

    for role in [Role::Analyst, Role::MarketLead] {
        let fi = api(&app, &token(&app, role).await);
        let (status, body) = fi.get(&format!("/api/v1/numbers?{RANGE}")).await;
        assert_eq!(status, StatusCode::OK, "{role}: {body}");
        let rows = body["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 1, "{role} sees FI only: {body}");
        assert_eq!(rows[0]["subject"], "FI");
        assert_eq!(rows[0]["values"]["likes"], 12);
        assert_eq!(rows[0]["values"]["reposts"], 3);
        // Bluesky reports no impressions: not available, never 0.
        assert!(rows[0]["values"]["impressions"].is_null(), "{body}");
        let imp = body["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == "impressions")
            .unwrap();
        assert_eq!(imp["available"], false);
        assert!(!body.to_string().contains("BR"), "{role}: {body}");

        // The scorecard and a daily series: FI's figures, per day in Helsinki.
        let (_, card) = fi
            .get(&format!(
                "/api/v1/numbers?group_by=principle,market&{RANGE}"
            ))
            .await;
        let card_rows = card["rows"].as_array().unwrap();
        assert_eq!(card_rows.len(), 1, "{card}");
        assert_eq!(card_rows[0]["market"], "FI");
        assert_eq!(card_rows[0]["values"]["likes"], 12);
        let (_, series) = fi
            .get(&format!(
                "/api/v1/numbers?metrics=likes&series=true&{RANGE}"
            ))
            .await;
        let days: Vec<(String, i64)> = series["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["bucket"].as_str().unwrap().to_owned(),
                    r["values"]["likes"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            days,
            [("2026-03-10".to_owned(), 6), ("2026-03-12".to_owned(), 6)]
        );

        // BR does not exist for them, by market or by campaign.
        let (status, body) = fi.get(&format!("/api/v1/numbers?market=BR&{RANGE}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        let (status, body) = fi
            .get(&format!("/api/v1/numbers?campaign={br_campaign}&{RANGE}"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert!(!body.to_string().contains("Campaign BR"), "{body}");

        // The CSV holds the same figures, FI's only.
        let resp = fi
            .http
            .get(format!(
                "{}/api/v1/numbers.csv?group_by=campaign,market&{RANGE}",
                app.base
            ))
            .bearer_auth(&fi.token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        let csv = resp.text().await.unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert!(
            lines[0].starts_with("market,campaign,name,likes,reposts,"),
            "{csv}"
        );
        assert_eq!(lines.len(), 2, "{csv}");
        assert!(
            lines[1].starts_with(&format!("FI,{fi_campaign},'=Campaign FI,12,3,")),
            "{csv}"
        );
        assert!(lines[1].contains("not available"), "{csv}");
        assert!(!csv.contains("BR") && !csv.contains(",30,"), "{csv}");
    }

    // An admin reads both; the totals of the two add up.
    let admin = api(&app, &token(&app, Role::Admin).await);
    let (_, body) = admin.get(&format!("/api/v1/numbers?{RANGE}")).await;
    let likes: Vec<(String, i64)> = body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["subject"].as_str().unwrap().to_owned(),
                r["values"]["likes"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(likes, [("BR".to_owned(), 30), ("FI".to_owned(), 12)]);

    // People who do not measure read no numbers at all.
    for role in [Role::Editor, Role::Contributor, Role::CommunityManager] {
        let (status, _) = api(&app, &token(&app, role).await)
            .get(&format!("/api/v1/numbers?{RANGE}"))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}");
    }
}

#[tokio::test]
async fn bad_filters_are_422_naming_the_field() {
    let app = spawn_app().await;
    let analyst = api(&app, &token(&app, Role::Analyst).await);
    for (query, field) in [
        ("group_by=planet", "group_by"),
        ("group_by=post,story", "group_by"),
        ("from=yesterday", "from"),
        ("to=2026-02-30", "to"),
        ("from=2026-03-02&to=2026-03-01", "from"),
        ("grain=year", "grain"),
        ("metrics=likes,hearts", "metrics"),
        ("network=myspace", "network"),
        ("campaign=abc", "campaign"),
        ("group_by=principle&network=bluesky", "network"),
        ("account=abc", "account"),
        ("tz=Mars/Olympus_Mons", "tz"),
        ("tz=%2B02:00", "tz"),
    ] {
        let (status, body) = analyst.get(&format!("/api/v1/numbers?{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert_eq!(body["error"]["field"], field, "{query}: {body}");
        // The CSV answers the same.
        let (status, body) = analyst.get(&format!("/api/v1/numbers.csv?{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
    }
    // Signed in through a page session, the same report is readable (the page's CSV links).
    let b = Browser::login_as(&app, Role::Analyst).await;
    let resp = b.get(&format!("/api/v1/numbers.csv?{RANGE}")).await;
    assert_eq!(resp.status(), StatusCode::OK);
}

/// The account, `tz` and combined filters, and when each metric was last measured: read by
/// FI's analyst, who never learns anything of BR's.
#[tokio::test]
async fn accounts_zones_combined_filters_and_last_measured() {
    let app = spawn_app().await;
    let p = seed_principle(&app.store).await;
    let (fi, fi_campaign) = seed_market(&app.store, "FI", p, 12, 3).await;
    let (br, _) = seed_market(&app.store, "BR", p, 30, 7).await;
    let fi_account = app.store.accounts(Some(fi)).await.unwrap()[0].id;
    let br_account = app.store.accounts(Some(br)).await.unwrap()[0].id;
    // BR's followers were measured; FI's never were.
    app.store
        .record_follower_snapshots(&[chorus_store::NewFollowerSnapshot {
            account_id: br_account,
            fetched_at_ms: ms("2026-03-20T08:00:00Z"),
            followers: Some(100),
        }])
        .await
        .unwrap();
    let analyst = api(&app, &token(&app, Role::Analyst).await);

    // An account: its figures, grouped by market or by account; BR's is not found.
    for q in [
        format!("account={fi_account}"),
        format!("account={fi_account}&network=bluesky&market=FI"),
    ] {
        let (status, body) = analyst.get(&format!("/api/v1/numbers?{q}&{RANGE}")).await;
        assert_eq!(status, StatusCode::OK, "{q}: {body}");
        let rows = body["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 1, "{q}: {body}");
        assert_eq!(rows[0]["subject"], "FI");
        assert_eq!(rows[0]["values"]["likes"], 12);
        assert!(rows[0]["values"]["conversation_volume"].is_null(), "{body}");
    }
    let (_, body) = analyst
        .get(&format!(
            "/api/v1/numbers?group_by=account&account={fi_account}&{RANGE}"
        ))
        .await;
    assert_eq!(body["rows"][0]["name"], "@fi.test", "{body}");
    assert_eq!(body["rows"][0]["values"]["followers"], 0, "{body}");
    for q in [
        format!("account={br_account}"),
        format!("account={br_account}&market=FI"),
        format!("account={}", br_account + 1000),
    ] {
        let (status, body) = analyst.get(&format!("/api/v1/numbers?{q}&{RANGE}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{q}: {body}");
        assert!(!body.to_string().contains("br.test"), "{body}");
    }
    let admin = api(&app, &token(&app, Role::Admin).await);
    let (status, body) = admin
        .get(&format!(
            "/api/v1/numbers?account={br_account}&market=FI&{RANGE}"
        ))
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "not in the market asked for: {body}"
    );
    let (status, body) = admin
        .get(&format!("/api/v1/numbers?account={br_account}&{RANGE}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["rows"][0]["values"]["likes"], 30, "{body}");

    // Filters the rollups cannot answer together name the second one.
    for (q, field) in [
        (format!("campaign={fi_campaign}&network=bluesky"), "network"),
        (format!("campaign={fi_campaign}&principle={p}"), "principle"),
        (format!("principle={p}&account={fi_account}"), "account"),
        (format!("account={fi_account}&network=mastodon"), "network"),
        (
            format!("group_by=principle&account={fi_account}"),
            "account",
        ),
    ] {
        let (status, body) = analyst.get(&format!("/api/v1/numbers?{q}&{RANGE}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{q}: {body}");
        assert_eq!(body["error"]["field"], field, "{q}: {body}");
    }
    // … and a market with one of them is answered.
    let (status, body) = analyst
        .get(&format!(
            "/api/v1/numbers?market=FI&campaign={fi_campaign}&{RANGE}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["rows"][0]["values"]["likes"], 12, "{body}");

    // tz: "today" there is the default last day; the response says which zone.
    let (status, body) = analyst.get("/api/v1/numbers?tz=Pacific/Kiritimati").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["tz"], "Pacific/Kiritimati");
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::db().get("Pacific/Kiritimati").unwrap())
        .date();
    assert_eq!(body["to"], today.to_string(), "{body}");
    let (_, body) = analyst.get(&format!("/api/v1/numbers?{RANGE}")).await;
    assert_eq!(body["tz"], "UTC");

    // Last measured: FI's posts at the last snapshot; followers never in FI (BR's are not
    // FI's); the admin sees BR's.
    let metric = |body: &serde_json::Value, name: &str| {
        body["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(
        metric(&body, "likes")["last_measured_at"],
        "2026-03-12T10:00:00Z"
    );
    assert_eq!(
        metric(&body, "likes")["sources"][0]["last_measured_at"],
        "2026-03-12T10:00:00Z"
    );
    assert!(
        metric(&body, "followers")["last_measured_at"].is_null(),
        "{body}"
    );
    assert!(metric(&body, "impressions")["last_measured_at"].is_null());
    assert_eq!(body["last_fetched_at"], "2026-03-12T10:00:00Z");
    let (_, all) = admin.get(&format!("/api/v1/numbers?{RANGE}")).await;
    assert_eq!(
        metric(&all, "followers")["last_measured_at"],
        "2026-03-20T08:00:00Z"
    );
    assert_eq!(all["last_fetched_at"], "2026-03-20T08:00:00Z");
    // The CSV says it in its last column.
    let resp = analyst
        .http
        .get(format!("{}/api/v1/numbers.csv?{RANGE}", app.base))
        .bearer_auth(&analyst.token)
        .send()
        .await
        .unwrap();
    let csv = resp.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].ends_with(",leads,last_measured_at"), "{csv}");
    assert!(lines[1].ends_with(",2026-03-12T10:00:00Z"), "{csv}");

    // The page offers the accounts of the viewer's markets and says when it was measured.
    let b = Browser::login_as(&app, Role::Analyst).await;
    let (status, html) = b
        .get_html(&format!(
            "/numbers?account={fi_account}&tz=Europe/Helsinki&{RANGE}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains(">@fi.test</option>"), "{html}");
    assert!(!html.contains("@br.test"), "{html}");
    assert!(
        html.contains("<option value=\"Europe/Helsinki\" selected>"),
        "{html}"
    );
    assert!(html.contains("datetime=\"2026-03-12T10:00:00Z\""), "{html}");
    assert!(html.contains("days ago</time>"), "{html}");
    assert!(
        html.contains(&format!(
            "&#38;account={fi_account}&#38;tz=Europe%2FHelsinki"
        )),
        "the CSV links keep the account and zone: {html}"
    );
    let (status, _) = b.get_html(&format!("/numbers?account={br_account}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_page_shows_the_viewers_markets_figures_and_says_what_is_not_available() {
    let app = spawn_app().await;
    let analyst = Browser::login_as(&app, Role::Analyst).await;
    // Nothing measured yet: the empty state says what to do.
    let (status, html) = analyst.get_html(&format!("/numbers?{RANGE}")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Nothing measured here yet"), "{html}");

    let p = seed_principle(&app.store).await;
    seed_market(&app.store, "FI", p, 12, 3).await;
    seed_market(&app.store, "BR", p, 30, 7).await;
    for role in [Role::Analyst, Role::MarketLead] {
        let b = Browser::login_as(&app, role).await;
        let (status, html) = b.get_html(&format!("/numbers?{RANGE}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!html.contains("Nothing measured here yet"), "{role}");
        assert!(
            html.contains("<p class=\"stat__value\">12</p>"),
            "{role}: {html}"
        );
        assert!(html.contains("not available"), "{role}: impressions");
        assert!(
            html.contains("Define clear objectives"),
            "{role}: the scorecard"
        );
        assert!(
            !html.contains("Brazil") && !html.contains(">30<") && !html.contains("Campaign BR"),
            "{role} sees nothing of BR: {html}"
        );
        // The chart's figures: 6 likes on the 10th and on the 12th of March.
        assert!(
            html.contains("data-y=\"0,0,0,0,0,0,0,0,0,6,0,6,0,"),
            "{role}: {html}"
        );
        // The CSV links carry the same filters.
        assert!(
            html.contains(
                "/api/v1/numbers.csv?group_by=market&#38;from=2026-03-01&#38;to=2026-03-31"
            ),
            "{html}"
        );
        let (status, _) = b.get_html(&format!("/numbers?market=BR&{RANGE}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{role}");
    }
    let editor = Browser::login_as(&app, Role::Editor).await;
    assert_eq!(editor.get("/numbers").await.status(), StatusCode::FORBIDDEN);
}
