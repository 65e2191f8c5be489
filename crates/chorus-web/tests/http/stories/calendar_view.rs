//! What the calendar page shows: each variant in its own state (a story that failed on one post
//! still has its other posts scheduled), every post of a crowded hour in the week view, the
//! week opening at the working day, and the month's small-screen grid reaching every day.

use chorus_core::Role;
use chorus_core::audit::Author;
use chorus_core::stories::workflow::{StoryState, Transition};
use chorus_store::{PUBLISH_JOB, Retry, VariantInput};
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;

use super::seed::world;
use crate::support::*;

fn helsinki() -> TimeZone {
    TimeZone::get("Europe/Helsinki").unwrap()
}

/// The instant of a Helsinki wall-clock time `YYYY-MM-DDTHH:MM`.
fn at(local: &str) -> i64 {
    local
        .parse::<DateTime>()
        .unwrap()
        .to_zoned(helsinki())
        .unwrap()
        .timestamp()
        .as_millisecond()
}

/// The calendar item of variant `vid` in `html` (from its `data-variant` to its end).
fn item(html: &str, vid: i64) -> &str {
    let start = html
        .find(&format!(r#"data-variant="{vid}""#))
        .unwrap_or_else(|| panic!("variant {vid} is not on the page: {html}"));
    let rest = &html[start..];
    &rest[..rest.find("</a>").unwrap()]
}

/// The cell of day `date` at hour `hour` in a week view.
fn cell<'a>(html: &'a str, date: &str, hour: &str) -> &'a str {
    let start = html
        .find(&format!(r#"data-date="{date}" data-hour="{hour}""#))
        .unwrap_or_else(|| panic!("no cell {date} {hour}: {html}"));
    let rest = &html[start..];
    let end = rest[1..].find("data-date=").map_or(rest.len(), |e| e + 1);
    &rest[..end]
}

#[tokio::test]
async fn each_variant_shows_its_own_state_not_its_storys() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let now = Timestamp::now();
    let past = now.as_millisecond() - 2 * 3_600_000;
    let later = now
        .checked_add(SignedDuration::from_hours(3))
        .unwrap()
        .as_millisecond();
    // A story with two posts: the first (due) fails for good, the second waits for its time.
    let sid = w
        .story_titled(&app.store, w.fi, StoryState::Draft, past, "Half failed")
        .await;
    let failed = app.store.variants(sid).await.unwrap()[0].id;
    let (uid, email) = w.writer(w.fi);
    let waiting = app
        .store
        .save_variant(
            &Author::user(uid, email),
            sid,
            None,
            &VariantInput {
                account_id: w.fi_account,
                locale: "sv-FI".into(),
                body: "Hej".into(),
                scheduled_at_ms: Some(later),
            },
        )
        .await
        .unwrap()
        .id;
    let sys = Author::system("test");
    let mut story = app.store.story(sid).await.unwrap();
    for (t, to) in [
        (Transition::Submit, StoryState::InReview),
        (Transition::Approve, StoryState::Approved),
        (Transition::Schedule, StoryState::Scheduled),
    ] {
        story = app
            .store
            .transition_story(&sys, &story, t, to, None)
            .await
            .unwrap();
    }
    let job = app
        .store
        .claim_job("test", &[PUBLISH_JOB], 60_000)
        .await
        .unwrap()
        .expect("the first post is due");
    assert!(job.payload.contains(&failed.to_string()), "{}", job.payload);
    app.store.begin_publish(&job, failed).await.unwrap();
    app.store
        .fail_publish(&job, failed, "the network refused the post", Retry::Never)
        .await
        .unwrap();
    assert_eq!(
        app.store.story(sid).await.unwrap().state,
        StoryState::Failed
    );
    // A draft's post is pending, whatever its time.
    let draft = w
        .story_titled(&app.store, w.fi, StoryState::Draft, later, "Still a draft")
        .await;
    let pending = app.store.variants(draft).await.unwrap()[0].id;

    let admin = Browser::login_as(&app, Role::Admin).await;
    let day = |ms: i64| {
        Timestamp::from_millisecond(ms)
            .unwrap()
            .to_zoned(helsinki())
            .date()
    };
    for (vid, when, status, label) in [
        (failed, past, "failed", "Failed"),
        (waiting, later, "scheduled", "Scheduled"),
        (pending, later, "pending", "Pending · Draft"),
    ] {
        for view in ["week", "month"] {
            let (code, html) = admin
                .get_html(&format!(
                    "/stories/calendar?view={view}&date={}&market=FI",
                    day(when)
                ))
                .await;
            assert_eq!(code, StatusCode::OK);
            let shown = item(&html, vid);
            assert!(
                shown.contains(&format!(r#"data-status="{status}""#))
                    && shown.contains(&format!(r#"cal-entry__state">{label}<"#)),
                "{view}: variant {vid} should read {label}: {shown}"
            );
            assert!(
                html.contains(&format!("cal-entry cal-entry--{status}")),
                "coloured by its own status"
            );
        }
    }
    // The API says the same, beside the story's state.
    let lead = api(&app, &token(&app, Role::Admin).await);
    let (code, cal) = lead
        .get(&format!(
            "/api/v1/calendar?view=week&date={}&market=FI",
            day(later)
        ))
        .await;
    assert_eq!(code, StatusCode::OK, "{cal}");
    let entry = cal["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["variant_id"] == waiting)
        .unwrap();
    assert_eq!(entry["story_state"], "failed");
    assert_eq!(entry["status"], "scheduled");

    // The calendar filters by each post's own status, on the page and in the API.
    let on = |html: &str, vid: i64| html.contains(&format!(r#"data-variant="{vid}""#));
    let (_, html) = admin
        .get_html(&format!(
            "/stories/calendar?view=week&date={}&market=FI&status=pending",
            day(later)
        ))
        .await;
    assert!(
        on(&html, pending) && !on(&html, waiting),
        "only pending posts"
    );
    assert!(html.contains(r#"<option value="pending" selected>Pending</option>"#));
    let (_, html) = admin
        .get_html(&format!(
            "/stories/calendar?view=week&date={}&market=FI&status=scheduled",
            day(later)
        ))
        .await;
    assert!(
        on(&html, waiting) && !on(&html, pending),
        "only scheduled posts"
    );
    assert!(
        html.contains("status=scheduled"),
        "the filter is kept in the view's links"
    );
    let (_, cal) = lead
        .get(&format!(
            "/api/v1/calendar?view=month&date={}&market=FI&status=failed",
            day(past)
        ))
        .await;
    let ids: Vec<i64> = cal["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["variant_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [failed], "{cal}");
}

#[tokio::test]
async fn a_crowded_hour_shows_every_post_and_the_week_opens_at_the_working_day() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let mut titles = Vec::new();
    for minute in [5, 10, 15, 20, 30, 45] {
        let title = format!("Launch post {minute}");
        w.story_titled(
            &app.store,
            w.fi,
            StoryState::Draft,
            at(&format!("2026-10-14T10:{minute:02}")),
            &title,
        )
        .await;
        titles.push(title);
    }
    let admin = Browser::login_as(&app, Role::Admin).await;
    let week = "/stories/calendar?view=week&date=2026-10-14&market=FI";
    let (code, html) = admin.get_html(week).await;
    assert_eq!(code, StatusCode::OK);
    // All six are in Wednesday's 10:00 cell: three shown, three behind "+3 more".
    let ten = cell(&html, "2026-10-14", "10");
    for t in &titles {
        assert!(ten.contains(t.as_str()), "{t} is missing from {ten}");
    }
    let (shown, folded) = ten.split_at(ten.find("<details").expect("a +N more"));
    assert_eq!(shown.matches("cal-entry cal-entry--").count(), 3, "{ten}");
    assert!(folded.contains("<summary>+3 more</summary>"), "{folded}");
    assert_eq!(folded.matches("cal-entry cal-entry--").count(), 3);
    // Nothing before 08:00: the week opens at the working day, whose row is the anchor.
    assert!(html.contains(r#"data-start-hour="08""#), "{html}");
    assert!(html.contains(r#"id="cal-h08""#));
    // An early post moves the opening hour up to it.
    w.story_titled(
        &app.store,
        w.fi,
        StoryState::Draft,
        at("2026-10-15T06:40"),
        "Early bird",
    )
    .await;
    let (_, html) = admin.get_html(week).await;
    assert!(html.contains(r#"data-start-hour="06""#), "{html}");
    assert!(cell(&html, "2026-10-15", "06").contains("Early bird"));
    // A week without posts opens at 08:00 too, and the script that scrolls there is served.
    let (_, empty) = admin
        .get_html("/stories/calendar?view=week&date=2026-11-18&market=FI")
        .await;
    assert!(empty.contains(r#"data-start-hour="08""#));
    let js = admin.get("/static/stories.js").await.text().await.unwrap();
    assert!(js.contains("data-start-hour") && js.contains("scrollTop"));

    // The month: a small grid of every day (seven to a week) links to the days with posts;
    // the legend names each state.
    let (_, month) = admin
        .get_html("/stories/calendar?view=month&date=2026-10-14&market=FI")
        .await;
    let mini = &month[month.find(r#"class="cal-mini""#).unwrap()..];
    let mini = &mini[..mini.find("</nav>").unwrap()];
    // October 2026 runs from Monday 28 September to Sunday 1 November: five weeks.
    assert_eq!(
        mini.matches(r#"class="cal-mini__day"#).count(),
        35,
        "{mini}"
    );
    assert!(mini.contains(r##"href="#day-2026-10-14""##), "{mini}");
    assert_eq!(mini.matches("cal-dot cal-dot--pending").count(), 4 + 1);
    assert!(month.contains(r#"id="day-2026-10-14""#));
    for label in [
        "Pending",
        "Scheduled",
        "Publishing",
        "Published",
        "Failed",
        "Bluesky",
    ] {
        assert!(
            month.contains(&format!("<strong>{label}</strong>"))
                || month.contains(&format!("</span>{label}</li>")),
            "the legend lacks {label}"
        );
    }
}
