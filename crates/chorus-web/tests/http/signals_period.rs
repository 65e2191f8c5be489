//! The Signals period over HTTP: presets and from/to ranges of days for the volume chart's API,
//! the share of voice and the page (which keeps a period it cannot read in its field, with the
//! reason beside it, once); and times on pages on the viewer's clock (the `chorus_tz` cookie).

use chorus_core::Role;
use reqwest::StatusCode;
use reqwest::header::COOKIE;

use crate::conversations::{market_id, post};
use crate::support::*;

fn ms(s: &str) -> i64 {
    s.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

/// A FI query with 10 posts at noon UTC on 10 November 2026 and 5 on 20 November; its id.
async fn seeded(app: &TestApp) -> i64 {
    let fi = market_id(app, "FI").await;
    let input = chorus_core::conversations::QueryInput::parse(
        chorus_core::MarketId(fi),
        None,
        &chorus_core::conversations::RawQuery {
            name: "FI brand".into(),
            query: "northwind".into(),
            side: Some("us".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let q = app
        .store
        .create_listening_query(&chorus_core::audit::Author::system("test"), &input)
        .await
        .unwrap();
    let mut batch = Vec::new();
    for i in 0..15 {
        let at = if i < 10 {
            ms("2026-11-10T12:00:00Z")
        } else {
            ms("2026-11-20T12:00:00Z")
        };
        batch.push(post(
            &format!("at://p/{i}"),
            "northwind",
            at + i * 1000,
            &[(q.id.0, fi)],
        ));
    }
    app.store.ingest_batch("test", "1", batch).await.unwrap();
    q.id.0
}

fn sum(v: &serde_json::Value) -> i64 {
    v["volume"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64().unwrap())
        .sum()
}

#[tokio::test]
async fn the_volume_and_share_of_voice_cover_a_preset_or_a_range_of_days() {
    let app = spawn_app().await;
    let q = seeded(&app).await;
    let cm = api(&app, &token(&app, Role::CommunityManager).await);

    let (s, v) = cm
        .get(&format!(
            "/api/v1/signals/volume?query={q}&from=2026-11-01&to=2026-11-15"
        ))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let hours = v["hours"].as_array().unwrap();
    assert_eq!(hours.len(), 15 * 24, "both days whole");
    assert_eq!(hours[0], ms("2026-11-01T00:00:00Z") / 1000);
    assert_eq!(sum(&v), 10, "only the 10 November posts");

    let (_, v) = cm
        .get(&format!(
            "/api/v1/signals/volume?query={q}&from=2026-11-01&to=2026-11-30"
        ))
        .await;
    assert_eq!((v["hours"].as_array().unwrap().len(), sum(&v)), (720, 15));

    // A preset ends at the query's latest hour with posts.
    let (_, v) = cm
        .get(&format!("/api/v1/signals/volume?query={q}&days=7"))
        .await;
    assert_eq!((v["hours"].as_array().unwrap().len(), sum(&v)), (168, 5));
    let (_, v) = cm
        .get(&format!("/api/v1/signals/volume?query={q}&days=90"))
        .await;
    assert_eq!(
        (v["hours"].as_array().unwrap().len(), sum(&v)),
        (90 * 24, 15)
    );

    let (_, sov) = cm
        .get("/api/v1/signals/share-of-voice?market=FI&from=2026-11-15&to=2026-11-30")
        .await;
    assert_eq!(sov["total"], 5, "{sov}");

    // A period that cannot be read is refused, naming the field, in words.
    let (s, e) = cm
        .get(&format!(
            "/api/v1/signals/volume?query={q}&from=2026-11-20&to=2026-11-01"
        ))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let text = e.to_string();
    assert!(text.contains("\"to\""), "{text}");
    assert!(
        text.contains("the last day comes before the first day"),
        "{text}"
    );
    let (s, e) = cm
        .get(&format!(
            "/api/v1/signals/volume?query={q}&from=last%20week"
        ))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e.to_string().contains("year-month-day"), "{e}");
}

#[tokio::test]
async fn the_signals_page_offers_presets_and_a_range_and_says_what_it_shows() {
    let app = spawn_app().await;
    let q = seeded(&app).await;
    let b = Browser::login_as(&app, Role::CommunityManager).await;

    let (s, html) = b.get_html("/conversations/signals?market=FI").await;
    assert_eq!(s, StatusCode::OK);
    for days in [7, 14, 30, 90] {
        assert!(
            html.contains(&format!(">Last {days} days</a>")),
            "preset {days}"
        );
    }
    assert!(html.contains("&amp;days=14\" aria-current=\"true\">Last 14 days"));
    assert!(html.contains(&format!("/api/v1/signals/volume?query={q}&amp;days=14")));
    assert!(
        html.contains("Showing 6 Nov 2026 – 20 Nov 2026 (14 days)"),
        "{html}"
    );
    assert!(
        html.contains(r#"id="volume-readout""#),
        "the chart's readout"
    );

    let (s, html) = b
        .get_html("/conversations/signals?market=FI&from=2026-11-01&to=2026-11-15")
        .await;
    assert_eq!(s, StatusCode::OK);
    // Askama writes an escaped `&` as `&#38;`, the same character as `&amp;`.
    let html = html.replace("&#38;", "&amp;");
    assert!(html.contains("Showing 1 Nov 2026 – 15 Nov 2026 (15 days)"));
    assert!(html.contains(&format!(
        "/api/v1/signals/volume?query={q}&amp;from=2026-11-01&amp;to=2026-11-15"
    )));
    assert!(html.contains(
        "/api/v1/signals/share-of-voice?market=FI&amp;from=2026-11-01&amp;to=2026-11-15"
    ));
    assert!(html.contains(r#"name="from" value="2026-11-01""#));
    assert!(
        !html.contains("aria-current=\"true\">Last"),
        "no preset is current"
    );

    // What cannot be read stays in its field, with the reason beside it once; the page shows
    // the default period meanwhile.
    let (s, html) = b
        .get_html("/conversations/signals?market=FI&from=2026-11-20&to=2026-11-01")
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        html.matches("The last day comes before the first day.")
            .count(),
        1
    );
    assert!(html.contains(r#"aria-describedby="period-to-error""#));
    assert!(html.contains(r#"name="to" value="2026-11-01""#));
    assert!(html.contains(&format!("/api/v1/signals/volume?query={q}&amp;days=14")));
}

#[tokio::test]
async fn times_on_pages_are_on_the_viewers_clock() {
    let app = spawn_app().await;
    let b = Browser::login_as(&app, Role::Admin).await;
    token(&app, Role::Admin).await;
    let session = b.session.clone().unwrap();
    let get = |zone: Option<&'static str>| {
        let mut cookie = format!("chorus_session={session}");
        if let Some(z) = zone {
            cookie.push_str(&format!("; chorus_tz={z}"));
        }
        b.http.get(b.url("/account")).header(COOKIE, cookie).send()
    };
    let utc = get(None).await.unwrap().text().await.unwrap();
    assert!(utc.contains(" UTC</td>"), "no zone known: UTC, said");
    let tokyo = get(Some("Asia%2FTokyo"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(tokyo.contains(" JST</td>"), "the viewer's zone");
    assert!(!tokyo.contains(" UTC</td>"));
    assert!(tokyo.contains(r#"<script src="/static/time.js" defer></script>"#));
    let js = b.get("/static/time.js").await;
    assert_eq!(js.status(), StatusCode::OK);
    assert!(js.text().await.unwrap().contains("chorus_tz="));
}
