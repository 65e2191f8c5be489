//! Moving a variant (the calendar's drag and drop, the story page's form, the API): a variant of
//! a scheduled story is never moved to a time that has passed, where it would be published at
//! once; the three doors give the same answer and nothing changes. Drafts publish nothing and
//! may still be moved anywhere. The calendar marks the same variants movable on the page and the
//! API.

use chorus_core::Role;
use chorus_core::stories::workflow::StoryState;
use chorus_store::{AuditQuery, PUBLISH_JOB};
use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use serde_json::json;

use super::seed::world;
use crate::support::*;

/// The Helsinki wall-clock time `hours` from now, as the calendar posts it.
fn helsinki(hours: i64) -> String {
    Timestamp::now()
        .checked_add(SignedDuration::from_hours(hours))
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get("Europe/Helsinki").unwrap())
        .strftime("%Y-%m-%dT%H:%M")
        .to_string()
}

async fn moves(app: &TestApp, story: i64) -> usize {
    app.store
        .audit_entries(&AuditQuery {
            subject_type: Some("story".into()),
            subject_id: Some(story.to_string()),
            actor_id: None,
            before_id: None,
            limit: 50,
            from_ms: None,
            to_ms: None,
        })
        .await
        .unwrap()
        .iter()
        .filter(|e| e.action == "variant.reschedule")
        .count()
}

#[tokio::test]
async fn a_scheduled_variant_is_not_moved_into_the_past_on_any_door() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let due = Timestamp::now().as_millisecond() + 2 * 86_400_000;
    let sid = w
        .story_in(&app.store, w.fi, StoryState::Scheduled, due)
        .await;
    let vid = app.store.variants(sid).await.unwrap()[0].id;
    let lead = Browser::login_as(&app, Role::MarketLead).await;
    let lead_api = api(&app, &token(&app, Role::MarketLead).await);
    let yesterday = helsinki(-24);

    // The API.
    let (status, err) = lead_api
        .post(
            &format!("/api/v1/variants/{vid}/reschedule"),
            json!({"local": yesterday}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["field"], "time");
    let message = err["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("in the past") && message.contains("published at once"),
        "{message}"
    );
    // The calendar's drag and drop (JSON), then the story page's form.
    let r = lead
        .http
        .post(lead.url(&format!("/stories/variants/{vid}/reschedule")))
        .header(
            "cookie",
            format!("chorus_session={}", lead.session.as_deref().unwrap()),
        )
        .header("x-csrf-token", &lead.csrf)
        .header("accept", "application/json")
        .form(&[("local", yesterday.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["ok"], false);
    assert_eq!(body["message"], message, "the page says what the API says");
    let r = lead
        .post_form(
            &format!("/stories/variants/{vid}/reschedule"),
            &[("local", &yesterday)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("The variant was not moved") && html.contains("in the past"),
        "{html}"
    );

    // Nothing moved: the time, the job (not due now) and the audit log are as they were.
    assert_eq!(
        app.store.variant(vid).await.unwrap().scheduled_at_ms,
        Some(due)
    );
    assert!(
        app.store
            .claim_job("test", &[PUBLISH_JOB], 60_000)
            .await
            .unwrap()
            .is_none(),
        "the publishing job is not due"
    );
    assert_eq!(moves(&app, sid).await, 0);

    // A later time moves it, on both doors.
    let (status, body) = lead_api
        .post(
            &format!("/api/v1/variants/{vid}/reschedule"),
            json!({"local": helsinki(30)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let r = lead
        .post_form(
            &format!("/stories/variants/{vid}/reschedule"),
            &[("local", &helsinki(50))],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(moves(&app, sid).await, 2);

    // A draft publishes nothing: its author may still put it on a past day.
    let draft = w.story_in(&app.store, w.fi, StoryState::Draft, due).await;
    let dvid = app.store.variants(draft).await.unwrap()[0].id;
    let (status, body) = lead_api
        .post(
            &format!("/api/v1/variants/{dvid}/reschedule"),
            json!({"local": yesterday}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn the_calendar_marks_the_same_variants_movable_on_the_page_and_the_api() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let due = 1_792_888_200_000; // 2026-10-25 03:30 EEST
    let scheduled = w
        .story_titled(
            &app.store,
            w.fi,
            StoryState::Scheduled,
            due,
            "Scheduled one",
        )
        .await;
    let draft = w
        .story_titled(
            &app.store,
            w.fi,
            StoryState::Draft,
            due + 3_600_000,
            "Draft one",
        )
        .await;
    let analyst = api(&app, &token(&app, Role::Analyst).await);
    let lead = api(&app, &token(&app, Role::MarketLead).await);
    let q = "/api/v1/calendar?view=month&date=2026-10-01&market=FI";
    for (who, movable) in [(&analyst, false), (&lead, true)] {
        let (status, cal) = who.get(q).await;
        assert_eq!(status, StatusCode::OK, "{cal}");
        let entries = cal["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 2, "{cal}");
        for e in entries {
            assert_eq!(e["movable"], movable, "{e}");
        }
    }
    // The page draws the lead's as draggable and the analyst's not.
    for (role, movable) in [(Role::Analyst, 0), (Role::MarketLead, 2)] {
        let b = Browser::login_as(&app, role).await;
        let (status, html) = b
            .get_html("/stories/calendar?view=month&date=2026-10-01&market=FI")
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Scheduled one") && html.contains("Draft one"));
        assert_eq!(
            html.matches("cal-entry--movable").count(),
            movable,
            "{role} ({scheduled}, {draft})"
        );
    }
}
