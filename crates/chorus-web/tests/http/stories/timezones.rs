//! Times on DST-change days in both hemispheres, through the composer, the calendar's move
//! endpoint and the calendar itself: Europe/Helsinki (clocks forward 2026-03-29 03:00→04:00,
//! back 2026-10-25 04:00→03:00) and Australia/Sydney (forward 2026-10-04 02:00→03:00, back
//! 2026-04-05 03:00→02:00).

use chorus_core::Role;
use chorus_core::audit::Author;
use chorus_core::org::MarketInput;
use chorus_store::NewAccount;
use reqwest::StatusCode;
use serde_json::json;

use super::seed::world;
use crate::support::*;

#[tokio::test]
async fn dst_gaps_are_refused_and_folds_take_the_first_time_in_both_hemispheres() {
    let app = spawn_app().await;
    world(&app).await;
    let sys = Author::system("test");
    let au = app
        .store
        .create_market(
            &sys,
            &MarketInput::parse(
                "AU",
                "Australia",
                "AU",
                &["en-AU".into()],
                "Australia/Sydney",
            )
            .unwrap(),
        )
        .await
        .unwrap();
    app.store
        .connect_account(
            &sys,
            &NewAccount {
                market_id: au.id,
                network: "bluesky",
                handle: "northwind-au.test",
                external_id: "did:plc:au",
                service_url: "http://127.0.0.1:9",
                sealed: "x",
            },
        )
        .await
        .unwrap();
    let admin = api(&app, &token(&app, Role::Admin).await);
    let story = |market: &'static str| {
        let admin = &admin;
        async move {
            let (status, s) = admin
                .post("/api/v1/stories", json!({"market": market, "title": format!("DST {market}"), "principles": ["5"]}))
                .await;
            assert_eq!(status, StatusCode::CREATED, "{s}");
            s["id"].as_i64().unwrap()
        }
    };
    let fi = story("FI").await;
    let syd = story("AU").await;
    let variant = |sid: i64, account: &'static str, locale: &'static str, time: &'static str| {
        let admin = &admin;
        async move {
            admin
                .post(
                    &format!("/api/v1/stories/{sid}/variants"),
                    json!({"account": account, "locale": locale, "text": "Hello", "time": time}),
                )
                .await
        }
    };
    // Spring forward: the skipped half hour does not exist; the message says so and offers times.
    let (status, err) = variant(fi, "northwind-fi.test", "fi-FI", "2026-03-29 03:30").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["field"], "time");
    let msg = err["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("03:30 does not exist in Europe/Helsinki on 2026-03-29"),
        "{msg}"
    );
    let (status, err) = variant(syd, "northwind-au.test", "en-AU", "2026-10-04 02:15").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("does not exist in Australia/Sydney")
    );
    // Fall back: the repeated half hour takes its first occurrence, with a note.
    let (status, v) = variant(fi, "northwind-fi.test", "fi-FI", "2026-10-25 03:30").await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(
        v["variant"]["scheduled_at"], "2026-10-25T00:30:00Z",
        "EEST, UTC+3"
    );
    assert!(v["note"].as_str().unwrap().contains("happens twice"), "{v}");
    let fi_variant = v["variant"]["id"].as_i64().unwrap();
    let (status, v) = variant(syd, "northwind-au.test", "en-AU", "2026-04-05 02:30").await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(
        v["variant"]["scheduled_at"], "2026-04-04T15:30:00Z",
        "AEDT, UTC+11"
    );
    let syd_variant = v["variant"]["id"].as_i64().unwrap();

    // The story page shows the market's time, the viewer's beside it, and the fold note.
    let lead = Browser::login_as(&app, Role::MarketLead).await;
    let (_, html) = lead
        .get_html(&format!("/stories/{fi}?tz=Europe/Berlin"))
        .await;
    assert!(html.contains("Sun 25 Oct 2026, 03:30 EEST"), "{html}");
    assert!(html.contains("02:30 CEST your time"), "{html}");
    assert!(
        html.contains("03:30 happens twice in Europe/Helsinki that day"),
        "{html}"
    );

    // Dragging in the calendar: onto the skipped hour is refused, an hour later works.
    let move_to = |vid: i64, local: &'static str| {
        let lead = &lead;
        async move {
            let r = lead
                .http
                .post(lead.url(&format!("/stories/variants/{vid}/reschedule")))
                .header(
                    "cookie",
                    format!("chorus_session={}", lead.session.as_deref().unwrap()),
                )
                .header("x-csrf-token", &lead.csrf)
                .header("accept", "application/json")
                .form(&[("local", local)])
                .send()
                .await
                .unwrap();
            let status = r.status();
            (status, r.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (status, body) = move_to(fi_variant, "2026-03-29T03:15:00").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("the clocks go forward"),
        "{body}"
    );
    let (status, body) = move_to(fi_variant, "2026-03-29T04:15:00").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["scheduled_at"], "2026-03-29T01:15:00Z",
        "EEST after the change"
    );
    // The Sydney lead is not ours: a Finnish market lead may not move Australia's posts.
    let (status, _) = move_to(syd_variant, "2026-04-05T09:00:00").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = admin
        .post(
            &format!("/api/v1/variants/{syd_variant}/reschedule"),
            json!({"local": "2026-10-04 02:30"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = admin
        .post(
            &format!("/api/v1/variants/{syd_variant}/reschedule"),
            json!({"local": "2026-10-04 03:30"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["scheduled_at"], "2026-10-03T16:30:00Z",
        "AEDT after the change"
    );
    // The move is audited.
    let log = app
        .store
        .audit_entries(&chorus_store::AuditQuery {
            subject_type: Some("story".into()),
            subject_id: Some(fi.to_string()),
            actor_id: None,
            before_id: None,
            limit: 10,
            from_ms: None,
            to_ms: None,
        })
        .await
        .unwrap();
    assert_eq!(log[0].action, "variant.reschedule");
    assert_eq!(log[0].actor_label, "market_lead@example.com");

    // The week of the spring change in Helsinki: the post sits in the 04 row of Sunday, the
    // 03 row that day is marked as skipped, and the viewer's time (Sydney) is alongside.
    let (status, html) = lead
        .get_html("/stories/calendar?view=week&date=2026-03-29&market=FI&tz=Australia/Sydney")
        .await;
    assert_eq!(status, StatusCode::OK);
    let gap = r#"class="cal-slot cal-slot--gap" data-date="2026-03-29" data-hour="03""#;
    assert!(html.contains(gap), "{html}");
    let slot = html
        .find(r#"data-date="2026-03-29" data-hour="04""#)
        .unwrap();
    let cell = &html[slot..];
    let end = cell.find(r#"data-hour="05""#).unwrap();
    assert!(cell[..end].contains("04:15 EEST"), "{}", &cell[..end]);
    assert!(html.contains("12:15 AEDT yours"), "{html}");
    // The fall-back week marks the repeated hour.
    let (_, html) = lead
        .get_html("/stories/calendar?view=week&date=2026-10-25&market=FI")
        .await;
    assert!(
        html.contains(
            r#"class="cal-slot cal-slot--repeated" data-date="2026-10-25" data-hour="03""#
        ),
        "{html}"
    );

    // The calendar API gives both clocks.
    let (status, cal) = admin
        .get("/api/v1/calendar?view=month&date=2026-04-05&market=AU&tz=Europe/Helsinki")
        .await;
    assert_eq!(status, StatusCode::OK, "{cal}");
    assert_eq!(
        cal["entries"].as_array().unwrap().len(),
        0,
        "the Sydney post moved to October"
    );
    let (_, cal) = admin
        .get("/api/v1/calendar?view=month&date=2026-10-01&market=AU&tz=Europe/Helsinki")
        .await;
    let e = &cal["entries"][0];
    assert_eq!(e["market_time"], "Sun 4 Oct 2026, 03:30 AEDT");
    assert_eq!(e["viewer_time"], "Sat 3 Oct, 19:30 EEST your time");
    assert_eq!(e["market_local"], "2026-10-04T03:30");
    // A draft's state filter hides it from a "scheduled" calendar.
    let (_, cal) = admin
        .get("/api/v1/calendar?view=month&date=2026-10-01&market=AU&state=scheduled")
        .await;
    assert!(cal["entries"].as_array().unwrap().is_empty());
}
