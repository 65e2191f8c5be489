//! The four-eyes rule on both doors: nobody approves content they wrote or changed. A market
//! lead who changed a contributor's story — its title, a variant's text, an image's alternative
//! text — and submitted it is not offered Approve (the page and the API say who may instead),
//! and is refused it (403, nothing changes, no approval in the audit log); another lead of the
//! market approves it; a lead who only commented approves it. And an approval applies only to
//! the story as the lead was shown it, not to other words submitted since.

use chorus_core::audit::Author;
use chorus_core::stories::workflow::{StoryState, Transition};
use chorus_core::user::{Email, Membership};
use chorus_core::{Role, UserId};
use chorus_store::{AuditQuery, NewUser};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::seed::{WRITER_FI, World, world};
use crate::support::*;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\0\x05\0\x01\xff\x89\x99=\x1d\0\0\0\0IEND\xaeB`\x82";

const REFUSAL: &str = "nobody approves content they changed; ask another lead of this market";

/// The second market lead of Finland (the seeded one is `market_lead@example.com`).
const OTHER_LEAD: &str = "other-lead-fi@example.com";

async fn other_lead(app: &TestApp, w: &World) -> UserId {
    app.store
        .create_user(
            &Author::system("test"),
            &NewUser {
                email: Email::parse(OTHER_LEAD).unwrap(),
                display_name: "Other lead".into(),
                password_hash: Some(chorus_core::password::hash(PASSWORD).unwrap()),
                memberships: vec![Membership::new(Role::MarketLead, Some(w.fi)).unwrap()],
            },
        )
        .await
        .unwrap()
        .id
}

/// A contributor's story in review: one variant, with an image. Answers (story, variant,
/// image).
async fn in_review(app: &TestApp, w: &World) -> (i64, i64, i64) {
    let later = chorus_store::now_ms() + 86_400_000;
    let sid = w.story_in(&app.store, w.fi, StoryState::Draft, later).await;
    let vid = app.store.variants(sid).await.unwrap()[0].id;
    let img = app
        .store
        .add_image(
            &Author::user(w.writer_fi, WRITER_FI),
            vid,
            "speaker.png",
            "image/png",
            PNG,
            "A speaker",
        )
        .await
        .unwrap();
    let s = app.store.story(sid).await.unwrap();
    app.store
        .transition_story(
            &Author::system("test"),
            &s,
            Transition::Submit,
            StoryState::InReview,
            None,
        )
        .await
        .unwrap();
    (sid, vid, img.id)
}

/// What a lead changes in the story.
#[derive(Debug, Clone, Copy)]
enum Edit {
    Title,
    VariantText,
    ImageAlt,
}

/// One door: the pages (a browser) or the API (a token), for one person.
enum Door {
    Page(Browser),
    Api(Api),
}

impl Door {
    async fn of(app: &TestApp, email: &str, page: bool) -> Door {
        if page {
            let mut b = Browser::new(app);
            b.login(email, PASSWORD).await;
            Door::Page(b)
        } else {
            let user = app
                .store
                .user_by_email(&Email::parse(email).unwrap())
                .await
                .unwrap()
                .unwrap();
            let secret = app
                .store
                .create_api_token(&Author::system("test"), user.id, "test")
                .await
                .unwrap()
                .secret;
            Door::Api(api(app, &secret))
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Door::Page(_) => "page",
            Door::Api(_) => "api",
        }
    }

    /// Makes `edit` to the story; answers the status. Images are changed on the composer's
    /// page only (the API has no image routes): `browser` is the same person's.
    async fn edit(
        &self,
        browser: &Browser,
        w: &World,
        edit: Edit,
        (sid, vid, img): (i64, i64, i64),
    ) -> StatusCode {
        let account = w.fi_account.to_string();
        match (self, edit) {
            (Door::Page(b), Edit::Title) => b
                .post_form(
                    &format!("/stories/{sid}"),
                    &[
                        ("market", "FI"),
                        ("title", "Launch, as the lead wrote it"),
                        ("brief", "A brief"),
                        ("principles", "5"),
                    ],
                )
                .await
                .status(),
            (Door::Api(a), Edit::Title) => {
                a.put(
                    &format!("/api/v1/stories/{sid}"),
                    json!({"market": "FI", "title": "Launch, as the lead wrote it",
                        "brief": "A brief", "principles": ["5"]}),
                )
                .await
                .0
            }
            (Door::Page(b), Edit::VariantText) => b
                .post_form(
                    &format!("/stories/{sid}/variants/{vid}"),
                    &[
                        ("account", &account),
                        ("locale", "fi-FI"),
                        ("body", "Words the lead wrote"),
                        ("time", ""),
                    ],
                )
                .await
                .status(),
            (Door::Api(a), Edit::VariantText) => {
                a.put(
                    &format!("/api/v1/stories/{sid}/variants/{vid}"),
                    json!({"account": account, "locale": "fi-FI",
                        "text": "Words the lead wrote"}),
                )
                .await
                .0
            }
            (_, Edit::ImageAlt) => browser
                .post_form(
                    &format!("/stories/{sid}/variants/{vid}/images/{img}"),
                    &[("alt", "A speaker, as the lead described it")],
                )
                .await
                .status(),
        }
    }

    async fn comment(&self, sid: i64) -> StatusCode {
        match self {
            Door::Page(b) => b
                .post_form(
                    &format!("/stories/{sid}/comments"),
                    &[("body", "Looks right to me.")],
                )
                .await
                .status(),
            Door::Api(a) => {
                a.post(
                    &format!("/api/v1/stories/{sid}/comments"),
                    json!({"body": "Looks right to me."}),
                )
                .await
                .0
            }
        }
    }

    /// Asks for `t`; answers the status and the page or the JSON answer as text.
    async fn transition(&self, sid: i64, t: &str) -> (StatusCode, String) {
        match self {
            Door::Page(b) => {
                let r = b
                    .post_form(&format!("/stories/{sid}/transition"), &[("transition", t)])
                    .await;
                (r.status(), r.text().await.unwrap())
            }
            Door::Api(a) => {
                let (s, v) = a
                    .post(
                        &format!("/api/v1/stories/{sid}/transitions"),
                        json!({"transition": t}),
                    )
                    .await;
                (s, v.to_string())
            }
        }
    }

    /// Whether Approve is on offer, and the note saying why not (when there is one).
    async fn offers_approve(&self, sid: i64) -> (bool, Option<String>) {
        match self {
            Door::Page(b) => {
                let (status, html) = b.get_html(&format!("/stories/{sid}")).await;
                assert_eq!(status, StatusCode::OK);
                let note = html.find(r#"id="approval-refused""#).map(|at| {
                    let rest = &html[at..];
                    let start = rest.find('>').unwrap() + 1;
                    rest[start..start + rest[start..].find('<').unwrap()].to_owned()
                });
                (html.contains(r#"data-transition="approve""#), note)
            }
            Door::Api(a) => {
                let (status, s) = a.get(&format!("/api/v1/stories/{sid}")).await;
                assert_eq!(status, StatusCode::OK, "{s}");
                let offered = s["available"]
                    .as_array()
                    .unwrap()
                    .contains(&json!("approve"));
                (offered, s["approval_refused"].as_str().map(str::to_owned))
            }
        }
    }
}

/// The refusal itself: the flash of a page, or an API answer as it is.
fn refusal_of(body: &str) -> &str {
    match body.find("flash--error") {
        Some(at) => {
            let rest = &body[at..];
            &rest[..rest.find("</div>").unwrap_or(rest.len())]
        }
        None => body,
    }
}

async fn approvals(app: &TestApp, sid: i64) -> usize {
    app.store
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
        .unwrap()
        .iter()
        .filter(|e| e.action == "story.approve")
        .count()
}

#[tokio::test]
async fn a_lead_who_changed_a_contributors_story_cannot_approve_it_on_either_door() {
    let app = super::seed::spawn().await;
    let w = world(&app).await;
    let other = other_lead(&app, &w).await;
    let lead_id = app
        .store
        .user_by_email(&Email::parse(&email(Role::MarketLead)).unwrap())
        .await
        .unwrap()
        .unwrap()
        .id;
    let lead_browser = Browser::login_as(&app, Role::MarketLead).await;
    for page in [false, true] {
        let lead = Door::of(&app, &email(Role::MarketLead), page).await;
        let second = Door::of(&app, OTHER_LEAD, page).await;
        for edit in [Edit::Title, Edit::VariantText, Edit::ImageAlt] {
            let case = format!("{} {edit:?}", lead.name());
            let ids = in_review(&app, &w).await;
            let sid = ids.0;
            let status = lead.edit(&lead_browser, &w, edit, ids).await;
            assert!(
                status == StatusCode::OK || status == StatusCode::SEE_OTHER,
                "{case}: the edit answered {status}"
            );
            let s = app.store.story(sid).await.unwrap();
            assert_eq!(s.state, StoryState::Draft, "{case}: back to draft");
            assert!(s.changed_by.contains(&lead_id), "{case}: {s:?}");

            let (status, body) = lead.transition(sid, "submit").await;
            assert!(
                status == StatusCode::OK || status == StatusCode::SEE_OTHER,
                "{case}: submit answered {status}: {body}"
            );
            // Approve is not offered; the reason says who may instead.
            let (offered, note) = lead.offers_approve(sid).await;
            assert!(!offered, "{case}: approve is offered");
            assert!(
                note.as_deref().is_some_and(|n| n.contains(REFUSAL)),
                "{case}: {note:?}"
            );
            // And refused: 403, the story stays in review, no approval is recorded.
            let (status, body) = lead.transition(sid, "approve").await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{case}: {body}");
            assert!(body.contains(REFUSAL), "{case}: {body}");
            let refusal = refusal_of(&body);
            assert!(
                !refusal.contains(OTHER_LEAD) && !refusal.contains("Other lead"),
                "{case}: the refusal names nobody: {refusal}"
            );
            // The page's note of what happens next names who approves it instead (a
            // colleague of the lead's market), never their email.
            if body.contains("id=\"next-step\"") {
                assert!(
                    body.contains("Waiting for Other lead to approve it"),
                    "{case}: {body}"
                );
                assert!(!body.contains(OTHER_LEAD), "{case}: {body}");
            }
            assert_eq!(
                app.store.story(sid).await.unwrap().state,
                StoryState::InReview,
                "{case}"
            );
            assert_eq!(approvals(&app, sid).await, 0, "{case}");

            // Another lead of the market, who changed nothing, is offered it and approves.
            assert_eq!(second.offers_approve(sid).await, (true, None), "{case}");
            let (status, body) = second.transition(sid, "approve").await;
            assert!(
                status == StatusCode::OK || status == StatusCode::SEE_OTHER,
                "{case}: the other lead's approval answered {status}: {body}"
            );
            let s = app.store.story(sid).await.unwrap();
            assert_eq!(s.state, StoryState::Approved, "{case}");
            assert!(s.changed_by.is_empty(), "{case}: {s:?}");
            assert_eq!(approvals(&app, sid).await, 1, "{case}");
            let log = app
                .store
                .audit_entries(&AuditQuery {
                    subject_type: Some("story".into()),
                    subject_id: Some(sid.to_string()),
                    actor_id: Some(other),
                    before_id: None,
                    limit: 10,
                    from_ms: None,
                    to_ms: None,
                })
                .await
                .unwrap();
            assert!(log.iter().any(|e| e.action == "story.approve"), "{case}");
        }
    }
}

#[tokio::test]
async fn a_lead_who_only_commented_approves_on_either_door() {
    let app = super::seed::spawn().await;
    let w = world(&app).await;
    for page in [false, true] {
        let lead = Door::of(&app, &email(Role::MarketLead), page).await;
        let (sid, _, _) = in_review(&app, &w).await;
        let status = lead.comment(sid).await;
        assert!(
            status == StatusCode::CREATED || status == StatusCode::SEE_OTHER,
            "{}: comment answered {status}",
            lead.name()
        );
        assert_eq!(
            lead.offers_approve(sid).await,
            (true, None),
            "{}",
            lead.name()
        );
        let (status, body) = lead.transition(sid, "approve").await;
        assert!(
            status == StatusCode::OK || status == StatusCode::SEE_OTHER,
            "{}: {status} {body}",
            lead.name()
        );
        assert_eq!(
            app.store.story(sid).await.unwrap().state,
            StoryState::Approved
        );
    }
}

/// The probe's scenario (issue 17): a market lead edits a contributor's story — its title and
/// its variant's text — submits it and approves it. The approval is refused; a global lead,
/// who changed nothing, approves it. Afterwards the lead's edits were seen by someone else:
/// when the contributor changes the text again, the lead may approve that.
#[tokio::test]
async fn the_probes_scenario_a_lead_edits_submits_and_may_not_approve() {
    let app = super::seed::spawn().await;
    let w = world(&app).await;
    let lead = api(&app, &token(&app, Role::MarketLead).await);
    let (sid, vid, _) = in_review(&app, &w).await;
    let (status, s) = lead
        .put(
            &format!("/api/v1/stories/{sid}"),
            json!({"market": "FI", "title": "My title now", "principles": ["5"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    let (status, v) = lead
        .put(
            &format!("/api/v1/stories/{sid}/variants/{vid}"),
            json!({"account": "northwind-fi.test", "locale": "fi-FI", "text": "My words now"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let transition = async |who: &Api, t: &str| -> (StatusCode, Value) {
        who.post(
            &format!("/api/v1/stories/{sid}/transitions"),
            json!({"transition": t}),
        )
        .await
    };
    let (status, s) = transition(&lead, "submit").await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert!(
        !s["available"]
            .as_array()
            .unwrap()
            .contains(&json!("approve"))
    );
    assert!(
        s["available"]
            .as_array()
            .unwrap()
            .contains(&json!("reject"))
    );
    assert_eq!(s["approval_refused"], REFUSAL);
    let (status, err) = transition(&lead, "approve").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{err}");
    assert_eq!(err["error"]["message"], REFUSAL);
    assert_eq!(
        app.store.story(sid).await.unwrap().state,
        StoryState::InReview
    );
    assert_eq!(approvals(&app, sid).await, 0);

    let global = api(&app, &token(&app, Role::GlobalLead).await);
    let (status, s) = transition(&global, "approve").await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s["state"], "approved");

    // The contributor changes the text (back to draft); an editor submits; the lead, whose
    // earlier changes were approved by someone else, may approve this.
    let writer = Door::of(&app, WRITER_FI, false).await;
    let Door::Api(writer) = writer else {
        unreachable!()
    };
    let (status, v) = writer
        .put(
            &format!("/api/v1/stories/{sid}/variants/{vid}"),
            json!({"account": "northwind-fi.test", "locale": "fi-FI", "text": "Our words"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["story_state"], "draft");
    let editor = api(&app, &token(&app, Role::Editor).await);
    let (status, s) = transition(&editor, "submit").await;
    assert_eq!(status, StatusCode::OK, "{s}");
    let (status, s) = transition(&lead, "approve").await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(approvals(&app, sid).await, 2);
}

/// The `seen` field of the page's workflow forms.
fn seen_in(html: &str) -> String {
    let at = html
        .find(r#"name="seen" value=""#)
        .expect("the workflow form carries the story's version");
    let rest = &html[at + r#"name="seen" value=""#.len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// A lead opens a story in review; meanwhile its writer changes the text and an editor submits
/// it again (the same state, other words). The lead's approval, from what she was shown, is
/// refused (409, nothing changes) on both doors; approving what she reloads works.
#[tokio::test]
async fn an_approval_applies_only_to_the_words_the_lead_was_shown() {
    let app = super::seed::spawn().await;
    let w = world(&app).await;
    let writer = Door::of(&app, WRITER_FI, false).await;
    let Door::Api(writer) = writer else {
        unreachable!()
    };
    let editor = api(&app, &token(&app, Role::Editor).await);
    let lead_page = Browser::login_as(&app, Role::MarketLead).await;
    let lead_api = api(&app, &token(&app, Role::MarketLead).await);
    for page in [true, false] {
        let door = if page { "page" } else { "api" };
        let (sid, vid, _) = in_review(&app, &w).await;
        // What the lead is shown.
        let seen = if page {
            let (_, html) = lead_page.get_html(&format!("/stories/{sid}")).await;
            seen_in(&html)
        } else {
            let (_, s) = lead_api.get(&format!("/api/v1/stories/{sid}")).await;
            s["version"].as_i64().unwrap().to_string()
        };
        // Meanwhile (times are milliseconds: let one pass).
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
        let (status, v) = writer
            .put(
                &format!("/api/v1/stories/{sid}/variants/{vid}"),
                json!({"account": "northwind-fi.test", "locale": "fi-FI",
                    "text": "Words the lead never saw"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{door}: {v}");
        let (status, s) = editor
            .post(
                &format!("/api/v1/stories/{sid}/transitions"),
                json!({"transition": "submit"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{door}: {s}");
        let before = app.store.story(sid).await.unwrap();
        assert_eq!(before.state, StoryState::InReview);

        let approve = async |seen: &str| -> (StatusCode, String) {
            if page {
                let r = lead_page
                    .post_form(
                        &format!("/stories/{sid}/transition"),
                        &[("transition", "approve"), ("seen", seen)],
                    )
                    .await;
                (r.status(), r.text().await.unwrap())
            } else {
                let (s, v) = lead_api
                    .post(
                        &format!("/api/v1/stories/{sid}/transitions"),
                        json!({"transition": "approve", "version": seen.parse::<i64>().unwrap()}),
                    )
                    .await;
                (s, v.to_string())
            }
        };
        let (status, body) = approve(&seen).await;
        assert_eq!(status, StatusCode::CONFLICT, "{door}: {body}");
        assert!(
            body.contains("changed by someone else since you loaded it"),
            "{door}: {body}"
        );
        assert_eq!(app.store.story(sid).await.unwrap(), before, "{door}");
        assert_eq!(approvals(&app, sid).await, 0, "{door}");

        let fresh = before.updated_at_ms.to_string();
        let (status, body) = approve(&fresh).await;
        assert!(
            status == StatusCode::OK || status == StatusCode::SEE_OTHER,
            "{door}: {status} {body}"
        );
        assert_eq!(
            app.store.story(sid).await.unwrap().state,
            StoryState::Approved
        );
    }
    // A version that is not a number is bad input, named.
    let (sid, _, _) = in_review(&app, &w).await;
    let r = lead_page
        .post_form(
            &format!("/stories/{sid}/transition"),
            &[("transition", "approve"), ("seen", "yesterday")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.store.story(sid).await.unwrap().state,
        StoryState::InReview
    );
}
