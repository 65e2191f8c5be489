//! One story, two requests at the same moment, over HTTP on a server with worker threads: two
//! market leads approving (through the API, or one on the page and one through the API), the
//! same lead approving twice, two schedules. Exactly one wins (200, or the page's 303), the
//! other is told the story moved on (409); the story changes state once, the audit log has one
//! entry for it, its author is told once, and each variant has one publish job.

use chorus_core::Role;
use chorus_core::audit::Author;
use chorus_core::stories::workflow::StoryState;
use chorus_core::user::{Email, Membership};
use chorus_store::NewUser;
use reqwest::StatusCode;
use serde_json::json;

use super::seed::{World, world};
use crate::support::*;

/// Rounds per pairing: each a fresh story, so a race lost by timing one round is won another.
const ROUNDS: usize = 6;

fn count(app: &TestApp, sql: &str) -> i64 {
    let db = rusqlite::Connection::open_with_flags(
        app.db_path(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    db.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// A second market lead of FI, with an API token.
async fn second_lead(app: &TestApp, w: &World) -> Api {
    let user = app
        .store
        .create_user(
            &Author::system("test"),
            &NewUser {
                email: Email::parse("second-lead@example.com").unwrap(),
                display_name: "Second lead".into(),
                password_hash: None,
                memberships: vec![Membership::new(Role::MarketLead, Some(w.fi)).unwrap()],
            },
        )
        .await
        .unwrap();
    let secret = app
        .store
        .create_api_token(&Author::system("test"), user.id, "test")
        .await
        .unwrap()
        .secret;
    api(app, &secret)
}

/// Who sends the two requests.
enum Pair<'a> {
    Api(&'a Api, &'a Api),
    PageAndApi(&'a Browser, &'a Api),
}

/// Sends `transition` twice at once: the two statuses, sorted, and what the loser was told
/// ("stale" when it passed the checks and lost at the store, "state" when it came second).
async fn race(pair: &Pair<'_>, sid: i64, transition: &str) -> ([u16; 2], &'static str) {
    let path = format!("/api/v1/stories/{sid}/transitions");
    let body = json!({"transition": transition});
    let (mut got, told) = match pair {
        Pair::Api(a, b) => {
            let (x, y) = tokio::join!(a.post(&path, body.clone()), b.post(&path, body.clone()));
            let told = [&x, &y]
                .iter()
                .find(|r| r.0 != StatusCode::OK)
                .map(|r| r.1["error"]["message"].to_string())
                .unwrap_or_default();
            ([x.0.as_u16(), y.0.as_u16()], told)
        }
        Pair::PageAndApi(page, b) => {
            let form_path = format!("/stories/{sid}/transition");
            let fields = [("transition", transition)];
            let (x, y) = tokio::join!(
                page.post_form(&form_path, &fields),
                b.post(&path, body.clone())
            );
            let page_status = match x.status() {
                StatusCode::SEE_OTHER => 200,
                other => other.as_u16(),
            };
            let told = if y.0 == StatusCode::OK {
                x.text().await.unwrap()
            } else {
                y.1["error"]["message"].to_string()
            };
            ([page_status, y.0.as_u16()], told)
        }
    };
    got.sort_unstable();
    let kind = if told.contains("cannot be") {
        "state"
    } else {
        "stale"
    };
    (got, kind)
}

fn audit_entries(app: &TestApp, sid: i64, action: &str) -> i64 {
    count(
        app,
        &format!(
            "SELECT COUNT(*) FROM audit_log WHERE subject_type = 'story' \
             AND subject_id = '{sid}' AND action = '{action}'"
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_approvals_at_once_approve_once() {
    let app = super::seed::spawn().await;
    let w = world(&app).await;
    let lead = api(&app, &token(&app, Role::MarketLead).await);
    let second = second_lead(&app, &w).await;
    let page = Browser::login_as(&app, Role::MarketLead).await;
    let later = chorus_store::now_ms() + 86_400_000;
    let pairs = [
        ("two leads", Pair::Api(&lead, &second)),
        ("the same lead twice", Pair::Api(&lead, &lead)),
        (
            "a lead on the page, another through the API",
            Pair::PageAndApi(&page, &second),
        ),
    ];
    let mut tally = std::collections::BTreeMap::new();
    for (who, pair) in &pairs {
        for round in 0..ROUNDS {
            let sid = w
                .story_in(&app.store, w.fi, StoryState::InReview, later)
                .await;
            let (got, told) = race(pair, sid, "approve").await;
            *tally.entry(told).or_insert(0) += 1;
            assert_eq!(got, [200, 409], "{who}, round {round}: one approval wins");
            assert_eq!(
                app.store.story(sid).await.unwrap().state,
                StoryState::Approved
            );
            assert_eq!(
                audit_entries(&app, sid, "story.approve"),
                1,
                "{who}, round {round}: one audit entry for the approval"
            );
            assert_eq!(
                count(
                    &app,
                    &format!(
                        "SELECT COUNT(*) FROM notifications WHERE link = '/stories/{sid}' \
                         AND message LIKE '%approved%'"
                    )
                ),
                1,
                "{who}, round {round}: the author is told once"
            );
        }
    }
    // Both outcomes are right; the tally shows the race was run, not only queued.
    eprintln!(
        "the second request was told: {tally:?} (stale: lost at the store; state: came after)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_schedules_at_once_queue_one_job_per_variant() {
    let app = super::seed::spawn().await;
    let w = world(&app).await;
    let lead = api(&app, &token(&app, Role::MarketLead).await);
    let editor = api(&app, &token(&app, Role::Editor).await);
    let later = chorus_store::now_ms() + 86_400_000;
    let pairs = [
        ("a lead and an editor", Pair::Api(&lead, &editor)),
        ("the same editor twice", Pair::Api(&editor, &editor)),
    ];
    let mut tally = std::collections::BTreeMap::new();
    for (who, pair) in &pairs {
        for round in 0..ROUNDS {
            let sid = w
                .story_in(&app.store, w.fi, StoryState::Approved, later)
                .await;
            let (got, told) = race(pair, sid, "schedule").await;
            *tally.entry(told).or_insert(0) += 1;
            assert_eq!(got, [200, 409], "{who}, round {round}: one schedule wins");
            assert_eq!(
                app.store.story(sid).await.unwrap().state,
                StoryState::Scheduled
            );
            assert_eq!(
                audit_entries(&app, sid, "story.schedule"),
                1,
                "{who}, round {round}"
            );
            for v in app.store.variants(sid).await.unwrap() {
                assert_eq!(
                    count(
                        &app,
                        &format!(
                            "SELECT COUNT(*) FROM jobs WHERE key = '{}' AND state = 'queued'",
                            chorus_store::publish_key(v.id)
                        )
                    ),
                    1,
                    "{who}, round {round}: one publish job for variant {}",
                    v.id
                );
            }
            assert_eq!(
                count(
                    &app,
                    &format!(
                        "SELECT COUNT(*) FROM notifications WHERE link = '/stories/{sid}' \
                         AND message LIKE '%is scheduled%'"
                    )
                ),
                1,
                "{who}, round {round}: the author is told once"
            );
        }
    }
    // Both outcomes are right; the tally shows the race was run, not only queued.
    eprintln!(
        "the second request was told: {tally:?} (stale: lost at the store; state: came after)"
    );
}
