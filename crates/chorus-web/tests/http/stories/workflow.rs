//! The workflow matrix over HTTP (role × market × transition, allow or deny), nobody approving
//! their own story, and the pages driving a story from draft to scheduled with comments,
//! a rejection with a reason, notifications and the audit log.

use chorus_core::Role;
use chorus_core::stories::workflow::{StoryState, Transition};
use chorus_store::AuditQuery;
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::json;

use super::seed::{WRITER_FI, world};
use crate::support::*;

const ROLES: [Role; 7] = [
    Role::Admin,
    Role::GlobalLead,
    Role::MarketLead,
    Role::Editor,
    Role::Contributor,
    Role::CommunityManager,
    Role::Analyst,
];

/// Who may do what, by role in the order of ROLES, in the user's own market (FI); `Y` allows.
/// In the other market (BR) only the global roles (admin, global lead) are allowed.
const OWN_MARKET: [(Transition, &str); 7] = [
    (Transition::Submit, "YYYY..."),
    (Transition::Approve, "YYY...."),
    (Transition::Reject, "YYY...."),
    (Transition::Reopen, "YYYY..."),
    (Transition::Schedule, "YYYY..."),
    (Transition::Unschedule, "YYYY..."),
    (Transition::Retry, "YYYY..."),
];

fn from_state(t: Transition) -> StoryState {
    match t {
        Transition::Submit => StoryState::Draft,
        Transition::Approve | Transition::Reject => StoryState::InReview,
        Transition::Reopen => StoryState::Rejected,
        Transition::Schedule => StoryState::Approved,
        Transition::Unschedule => StoryState::Scheduled,
        Transition::Retry => StoryState::Failed,
    }
}

/// Whether `role` (held in FI, or globally) reads the stories of the market.
fn reads(role: Role, own: bool) -> bool {
    match role {
        Role::Admin | Role::GlobalLead => true,
        Role::MarketLead | Role::Editor | Role::Contributor | Role::Analyst => own,
        Role::CommunityManager => false,
    }
}

#[tokio::test]
async fn workflow_matrix_role_by_market_by_transition() {
    let app = super::seed::spawn().await;
    let w = world(&app).await;
    let mut tokens = Vec::new();
    for role in ROLES {
        tokens.push((role, api(&app, &token(&app, role).await)));
    }
    let later = chorus_store::now_ms() + 86_400_000;
    let mut checked = 0;
    for (t, own_row) in OWN_MARKET {
        for (market, own) in [(w.fi, true), (w.br, false)] {
            for (i, (role, client)) in tokens.iter().enumerate() {
                let from = from_state(t);
                // A failed story needs a due job to fail; every other story is due tomorrow.
                let at = if from == StoryState::Failed {
                    chorus_store::now_ms() - 1_000
                } else {
                    later
                };
                let sid = w.story_in(&app.store, market, from, at).await;
                let allowed = if own {
                    own_row.as_bytes()[i] == b'Y'
                } else {
                    matches!(role, Role::Admin | Role::GlobalLead)
                };
                let mut body = json!({"transition": t.as_str()});
                if t == Transition::Reject {
                    body["reason"] = json!("The claim in line two needs a source.");
                }
                let (status, resp) = client
                    .post(&format!("/api/v1/stories/{sid}/transitions"), body)
                    .await;
                let place = if own { "own market" } else { "other market" };
                if allowed {
                    assert_eq!(status, StatusCode::OK, "{role} × {place} × {t:?}: {resp}");
                    assert_eq!(resp["state"], t.edge().1.as_str(), "{role} × {t:?}");
                } else {
                    let want = if reads(*role, own) {
                        StatusCode::FORBIDDEN
                    } else {
                        StatusCode::NOT_FOUND
                    };
                    assert_eq!(status, want, "{role} × {place} × {t:?}: {resp}");
                    assert_eq!(
                        app.store.story(sid).await.unwrap().state,
                        from,
                        "a refused transition changes nothing"
                    );
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 7 * 2 * 7);
}

#[tokio::test]
async fn wrong_states_conflict_reasons_are_required_and_nobody_approves_their_own_story() {
    let app = super::seed::spawn().await;
    let w = world(&app).await;
    let lead = api(&app, &token(&app, Role::MarketLead).await);
    let later = chorus_store::now_ms() + 86_400_000;
    let draft = w.story_in(&app.store, w.fi, StoryState::Draft, later).await;
    let (status, err) = lead
        .post(
            &format!("/api/v1/stories/{draft}/transitions"),
            json!({"transition": "approve"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    assert_eq!(
        err["error"]["message"],
        "a story that is draft cannot be approved"
    );

    let review = w
        .story_in(&app.store, w.fi, StoryState::InReview, later)
        .await;
    let (status, err) = lead
        .post(
            &format!("/api/v1/stories/{review}/transitions"),
            json!({"transition": "reject", "reason": "  "}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["field"], "reason");

    // The lead writes a story, submits it, and may not approve it.
    let (status, story) = lead
        .post(
            "/api/v1/stories",
            json!({"market": "FI", "title": "Lead's own", "principles": ["5"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{story}");
    let sid = story["id"].as_i64().unwrap();
    let (status, v) = lead
        .post(
            &format!("/api/v1/stories/{sid}/variants"),
            json!({"account": "northwind-fi.test", "locale": "fi-FI", "text": "Hei!"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let (status, s) = lead
        .post(
            &format!("/api/v1/stories/{sid}/transitions"),
            json!({"transition": "submit"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert!(
        !s["available"]
            .as_array()
            .unwrap()
            .contains(&json!("approve"))
    );
    let (status, err) = lead
        .post(
            &format!("/api/v1/stories/{sid}/transitions"),
            json!({"transition": "approve"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nobody approves their own story")
    );
    // Another lead (the admin) may.
    let admin = api(&app, &token(&app, Role::Admin).await);
    let (status, s) = admin
        .post(
            &format!("/api/v1/stories/{sid}/transitions"),
            json!({"transition": "approve"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    // Scheduling needs a time on every variant.
    let (status, err) = lead
        .post(
            &format!("/api/v1/stories/{sid}/transitions"),
            json!({"transition": "schedule"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("has no time"),
        "{err}"
    );
}

fn location(r: &reqwest::Response) -> String {
    r.headers()[LOCATION].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn pages_take_a_story_from_draft_to_scheduled_with_comments_notifications_and_audit() {
    let app = super::seed::spawn().await;
    let w = world(&app).await;
    let mut writer = Browser::new(&app);
    writer.login(WRITER_FI, PASSWORD).await;
    // The Stories section is real now, not a "coming soon" page.
    let (status, html) = writer.get_html("/stories").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("New story") && !html.contains("Coming soon"),
        "{html}"
    );

    let r = writer
        .post_form(
            "/stories",
            &[
                ("title", "Earbuds <launch>"),
                ("market", "FI"),
                ("brief", "Day one"),
                ("principles", "5"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let story_url = location(&r);
    let sid: i64 = story_url
        .trim_start_matches("/stories/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let (_, html) = writer.get_html(&story_url).await;
    assert!(
        html.contains("Earbuds &#60;launch&#62;"),
        "titles are escaped"
    );
    assert!(html.contains("Define clear objectives from the outset"));

    let account = w.fi_account.to_string();
    let r = writer
        .post_form(
            &format!("/stories/{sid}/variants"),
            &[
                ("account", &account),
                ("locale", "fi-FI"),
                ("body", "Uudet nappikuulokkeet!"),
                ("time", "2030-06-15 09:30"),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    // The contributor submits their own draft: the page offers it and says it is theirs to
    // do. (Here the editor submits it for them.)
    let (_, html) = writer.get_html(&format!("/stories/{sid}")).await;
    assert!(html.contains(r#"data-transition="submit""#));
    assert!(html.contains("Your turn: submit it for review"), "{html}");

    let editor = Browser::login_as(&app, Role::Editor).await;
    let (_, html) = editor.get_html(&format!("/stories/{sid}")).await;
    assert!(html.contains(r#"data-transition="submit""#));
    let r = editor
        .post_form(
            &format!("/stories/{sid}/transition"),
            &[("transition", "submit")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("/stories/{sid}?done=submit"));

    let lead = Browser::login_as(&app, Role::MarketLead).await;
    let (_, html) = lead.get_html("/stories").await;
    assert!(
        html.contains(r#"aria-label="1 unread""#),
        "the lead is told: {html}"
    );
    let (_, html) = lead.get_html("/notifications").await;
    assert!(
        html.contains("asks you to review “Earbuds &#60;launch&#62;”"),
        "{html}"
    );
    // Rejecting needs a reason.
    let r = lead
        .post_form(
            &format!("/stories/{sid}/transition"),
            &[("transition", "reject"), ("reason", "")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("say why the story is rejected")
    );
    let r = lead
        .post_form(
            &format!("/stories/{sid}/transition"),
            &[
                ("transition", "reject"),
                ("reason", "Add the price <please>."),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = writer.get_html("/notifications").await;
    assert!(
        html.contains("was sent back by Market lead: Add the price &#60;please&#62;."),
        "{html}"
    );
    let (_, html) = writer.get_html(&format!("/stories/{sid}")).await;
    assert!(
        html.contains("Add the price &#60;please&#62;."),
        "the reason is on the story"
    );
    let r = writer
        .post_form(
            &format!("/stories/{sid}/comments"),
            &[("body", "Price added: 79 €.")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // The author reopens, the editor submits again, the lead approves and schedules.
    let r = writer
        .post_form(
            &format!("/stories/{sid}/transition"),
            &[("transition", "reopen")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    for (who, t) in [(&editor, "submit"), (&lead, "approve"), (&lead, "schedule")] {
        let r = who
            .post_form(&format!("/stories/{sid}/transition"), &[("transition", t)])
            .await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "{t}: {}",
            r.text().await.unwrap()
        );
    }
    let (_, html) = lead.get_html(&format!("/stories/{sid}")).await;
    assert!(html.contains(r#"id="story-state">Scheduled<"#), "{html}");
    assert!(html.contains("Price added: 79 €."));
    assert!(
        html.contains("Sat 15 Jun 2030, 09:30 EEST"),
        "market time: {html}"
    );
    // A stale form (the story moved on) is refused, not applied twice.
    let r = lead
        .post_form(
            &format!("/stories/{sid}/transition"),
            &[("transition", "approve")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // Everything is in the audit log.
    let log = app
        .store
        .audit_entries(&AuditQuery {
            subject_type: Some("story".into()),
            subject_id: Some(sid.to_string()),
            actor_id: None,
            before_id: None,
            limit: 100,
            from_ms: None,
            to_ms: None,
        })
        .await
        .unwrap();
    let mut actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    actions.reverse();
    assert_eq!(
        actions,
        [
            "story.create",
            "variant.create",
            "story.submit",
            "story.reject",
            "story.reopen",
            "story.submit",
            "story.approve",
            "story.schedule"
        ]
    );
    assert_eq!(
        log.iter()
            .find(|e| e.action == "story.reject")
            .unwrap()
            .after
            .as_ref()
            .unwrap()["reason"],
        "Add the price <please>."
    );
    // Marking read clears the count.
    let r = lead.post_form("/notifications/read", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = lead.get_html("/stories").await;
    assert!(!html.contains("unread\""), "{html}");
}

#[tokio::test]
async fn the_openapi_document_describes_the_stories_endpoints() {
    let app = super::seed::spawn().await;
    let admin = api(&app, &token(&app, Role::Admin).await);
    let (status, doc) = admin.get("/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    for (path, method) in [
        ("/api/v1/stories", "post"),
        ("/api/v1/stories/{id}/variants", "post"),
        ("/api/v1/stories/{id}/check", "post"),
        ("/api/v1/stories/{id}/transitions", "post"),
        ("/api/v1/campaigns/{id}/state", "post"),
        ("/api/v1/calendar", "get"),
        ("/api/v1/variants/{id}/reschedule", "post"),
        ("/api/v1/notifications", "get"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} is documented"
        );
    }
    assert!(doc["components"]["schemas"]["TransitionBody"].is_object());
}
