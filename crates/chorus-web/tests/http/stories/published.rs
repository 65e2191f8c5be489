//! What went out stays as it went out: a published (or publishing) story keeps its fields,
//! variants and images, and a published variant keeps its text, whichever door is knocked on
//! (the pages, the JSON API). Every refusal is a 409 on `state` and changes nothing: no row, no
//! story state, no audit entry.

use chorus_core::Role;
use chorus_core::audit::Author;
use chorus_core::stories::workflow::{StoryState, Transition};
use std::collections::HashMap;

use chorus_store::{
    AuditQuery, Begin, Job, NewAccount, PUBLISH_JOB, Retry, Story, StoryInput, Variant,
    VariantInput,
};
use reqwest::StatusCode;
use serde_json::json;

use super::seed::{World, world};
use crate::support::*;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\0\x05\0\x01\xff\x89\x99=\x1d\0\0\0\0IEND\xaeB`\x82";

/// Everything a refused request must leave as it was: the story, its variants with their
/// images, and the story's audit trail.
#[derive(Debug, PartialEq)]
struct Snapshot {
    story: Story,
    variants: Vec<Variant>,
    audit: Vec<i64>,
    /// Jobs by state: queued, running, done, failed, cancelled.
    jobs: [i64; 5],
}

async fn snapshot(app: &TestApp, sid: i64) -> Snapshot {
    let audit = app
        .store
        .audit_entries(&AuditQuery {
            subject_type: Some("story".into()),
            subject_id: Some(sid.to_string()),
            actor_id: None,
            before_id: None,
            limit: 1000,
            from_ms: None,
            to_ms: None,
        })
        .await
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    let q = app.store.queue_counts().await.unwrap();
    Snapshot {
        story: app.store.story(sid).await.unwrap(),
        variants: app.store.variants(sid).await.unwrap(),
        audit,
        jobs: [q.queued, q.running, q.done, q.failed, q.cancelled],
    }
}

/// A FI story with one variant per account (each with an image), approved and scheduled a
/// second ago, so its publish jobs are due.
async fn scheduled_story(app: &TestApp, w: &World, accounts: &[i64]) -> (i64, Vec<i64>) {
    let author = Author::user(w.writer_fi, super::seed::WRITER_FI);
    let story = app
        .store
        .create_story(
            &author,
            &StoryInput {
                market_id: w.fi,
                campaign_id: None,
                title: "Launch day".into(),
                brief: "What went out".into(),
                principles: vec![w.principle],
            },
        )
        .await
        .unwrap();
    let due = chorus_store::now_ms() - 1_000;
    let mut vids = Vec::new();
    for (i, account) in accounts.iter().enumerate() {
        let v = app
            .store
            .save_variant(
                &author,
                story.id,
                None,
                &VariantInput {
                    account_id: *account,
                    locale: "fi-FI".into(),
                    body: format!("Uudet nappikuulokkeet {i}"),
                    scheduled_at_ms: Some(due),
                },
            )
            .await
            .unwrap();
        app.store
            .add_image(&author, v.id, "speaker.png", "image/png", PNG, "A speaker")
            .await
            .unwrap();
        vids.push(v.id);
    }
    let sys = Author::system("test");
    let mut s = story;
    for (t, to) in [
        (Transition::Submit, StoryState::InReview),
        (Transition::Approve, StoryState::Approved),
        (Transition::Schedule, StoryState::Scheduled),
    ] {
        s = app
            .store
            .transition_story(&sys, &s, t, to, None)
            .await
            .unwrap();
    }
    (s.id, vids)
}

/// Claims every due publish job, by the variant it publishes.
async fn claim_all(app: &TestApp) -> HashMap<i64, Job> {
    let mut jobs = HashMap::new();
    while let Some(job) = app
        .store
        .claim_job("test", &[PUBLISH_JOB], 60_000)
        .await
        .unwrap()
    {
        let payload: serde_json::Value = serde_json::from_str(&job.payload).unwrap();
        jobs.insert(payload["variant"].as_i64().unwrap(), job);
    }
    jobs
}

/// Starts publishing `variant` with its claimed job.
async fn begin(app: &TestApp, jobs: &HashMap<i64, Job>, variant: i64) -> Job {
    let job = jobs[&variant].clone();
    let begun = app.store.begin_publish(&job, variant).await.unwrap();
    assert!(matches!(begun, Begin::Work { .. }));
    job
}

/// A published FI story (one variant, one image).
async fn published_story(app: &TestApp, w: &World) -> (i64, i64, i64) {
    let (sid, vids) = scheduled_story(app, w, &[w.fi_account]).await;
    let jobs = claim_all(app).await;
    let job = begin(app, &jobs, vids[0]).await;
    app.store
        .complete_publish(&job, vids[0], "at://did:plc:test/app.bsky.feed.post/1")
        .await
        .unwrap();
    let v = app.store.variant(vids[0]).await.unwrap();
    assert_eq!(
        app.store.story(sid).await.unwrap().state,
        StoryState::Published
    );
    (sid, v.id, v.images[0].id)
}

/// A second FI account (`northwind-fi-2.test`), so a story can have two variants.
async fn second_account(app: &TestApp, w: &World) -> i64 {
    app.store
        .connect_account(
            &Author::system("test"),
            &NewAccount {
                market_id: w.fi,
                network: "bluesky",
                handle: "northwind-fi-2.test",
                external_id: "did:plc:test2",
                service_url: "http://127.0.0.1:9",
                sealed: "not-real-credentials",
            },
        )
        .await
        .unwrap()
        .id
}

fn upload_form(token: &str) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .text("csrf", token.to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(PNG).file_name("more.png"),
        )
        .text("alt", "Another speaker")
}

#[tokio::test]
async fn a_published_story_keeps_its_fields_variants_and_images_on_every_door() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (sid, vid, img) = published_story(&app, &w).await;
    let before = snapshot(&app, sid).await;
    let editor = Browser::login_as(&app, Role::Editor).await;
    let rest = api(&app, &token(&app, Role::Editor).await);
    let account = w.fi_account.to_string();

    // The pages: image upload, alt text, image removal, the story's fields, the variant.
    let r = editor
        .http
        .post(editor.url(&format!("/stories/{sid}/variants/{vid}/images")))
        .header(
            "cookie",
            format!("chorus_session={}", editor.session.as_deref().unwrap()),
        )
        .multipart(upload_form(&editor.csrf))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let html = r.text().await.unwrap();
    assert_eq!(status, StatusCode::CONFLICT, "upload: {html}");
    assert!(
        html.contains("its content is final"),
        "said in words: {html}"
    );
    for (path, fields) in [
        (
            format!("/stories/{sid}/variants/{vid}/images/{img}"),
            vec![("alt", "Changed after the fact")],
        ),
        (
            format!("/stories/{sid}/variants/{vid}/images/{img}/delete"),
            vec![],
        ),
        (
            format!("/stories/{sid}"),
            vec![("title", "Rewritten history"), ("principles", "5")],
        ),
        (
            format!("/stories/{sid}/variants/{vid}"),
            vec![
                ("account", account.as_str()),
                ("locale", "fi-FI"),
                ("body", "Rewritten"),
            ],
        ),
        (format!("/stories/{sid}/variants/{vid}/delete"), vec![]),
    ] {
        let r = editor.post_form(&path, &fields).await;
        let status = r.status();
        let html = r.text().await.unwrap();
        assert_eq!(status, StatusCode::CONFLICT, "POST {path}: {html}");
        assert!(
            html.contains("is published (or publishing)"),
            "POST {path} says why: {html}"
        );
    }
    // The forms themselves say so, and the story page offers no edit.
    for path in [
        format!("/stories/{sid}/edit"),
        format!("/stories/{sid}/variants/{vid}"),
        format!("/stories/{sid}/variants/new"),
    ] {
        let (status, html) = editor.get_html(&path).await;
        assert_eq!(status, StatusCode::CONFLICT, "GET {path}: {html}");
        assert!(html.contains("is published (or publishing)"), "{html}");
    }
    let (_, html) = editor.get_html(&format!("/stories/{sid}")).await;
    assert!(!html.contains("Edit story"), "{html}");
    assert!(!html.contains("Edit in the composer"), "{html}");

    // The API: the story's fields, the variant (change, delete), a new variant.
    let (status, err) = rest
        .put(
            &format!("/api/v1/stories/{sid}"),
            json!({"market": "FI", "title": "Rewritten history", "principles": ["5"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "PUT story: {err}");
    assert_eq!(err["error"]["field"], "state");
    let (status, err) = rest
        .put(
            &format!("/api/v1/stories/{sid}/variants/{vid}"),
            json!({"account": "northwind-fi.test", "locale": "fi-FI", "text": "Rewritten"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "PUT variant: {err}");
    assert_eq!(err["error"]["field"], "state");
    let (status, err) = rest
        .delete(&format!("/api/v1/stories/{sid}/variants/{vid}"))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "DELETE variant: {err}");
    assert_eq!(err["error"]["field"], "state");
    let (status, err) = rest
        .post(
            &format!("/api/v1/stories/{sid}/variants"),
            json!({"account": "northwind-fi.test", "locale": "fi-FI", "text": "More"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "POST variant: {err}");

    assert_eq!(snapshot(&app, sid).await, before, "nothing changed");
    // Reading still works: the image is served, comments may still be added.
    assert_eq!(
        editor
            .get(&format!("/stories/{sid}/variants/{vid}/images/{img}"))
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_published_variant_stays_on_both_doors_while_the_rest_of_the_story_is_open() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let second = second_account(&app, &w).await;
    // Two variants: the first goes out, the second fails for good; the story is failed, open
    // to edits (which send it back to draft), but its published variant is on the network.
    let (sid, vids) = scheduled_story(&app, &w, &[w.fi_account, second]).await;
    let (out, failed) = (vids[0], vids[1]);
    let jobs = claim_all(&app).await;
    let job = begin(&app, &jobs, out).await;
    app.store
        .complete_publish(&job, out, "at://did:plc:test/app.bsky.feed.post/1")
        .await
        .unwrap();
    let job = begin(&app, &jobs, failed).await;
    app.store
        .fail_publish(&job, failed, "the network refused the post", Retry::Never)
        .await
        .unwrap();
    assert_eq!(
        app.store.story(sid).await.unwrap().state,
        StoryState::Failed
    );
    let before = snapshot(&app, sid).await;
    let editor = Browser::login_as(&app, Role::Editor).await;
    let rest = api(&app, &token(&app, Role::Editor).await);
    let img = before.variants[0].images[0].id;

    let (status, err) = rest
        .put(
            &format!("/api/v1/stories/{sid}/variants/{out}"),
            json!({"account": "northwind-fi.test", "locale": "fi-FI", "text": "Rewritten"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "PUT: {err}");
    assert_eq!(err["error"]["field"], "state");
    let (status, err) = rest
        .delete(&format!("/api/v1/stories/{sid}/variants/{out}"))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "DELETE: {err}");
    assert_eq!(err["error"]["field"], "state");
    let account = w.fi_account.to_string();
    for (path, fields) in [
        (
            format!("/stories/{sid}/variants/{out}"),
            vec![
                ("account", account.as_str()),
                ("locale", "fi-FI"),
                ("body", "Rewritten"),
            ],
        ),
        (format!("/stories/{sid}/variants/{out}/delete"), vec![]),
        (
            format!("/stories/{sid}/variants/{out}/images/{img}"),
            vec![("alt", "Changed after the fact")],
        ),
        (
            format!("/stories/{sid}/variants/{out}/images/{img}/delete"),
            vec![],
        ),
    ] {
        let r = editor.post_form(&path, &fields).await;
        let status = r.status();
        let html = r.text().await.unwrap();
        assert_eq!(status, StatusCode::CONFLICT, "POST {path}: {html}");
        assert!(html.contains("cannot change"), "POST {path}: {html}");
    }
    assert_eq!(snapshot(&app, sid).await, before, "nothing changed");

    // The failed variant is still the author's to fix: editing it sends the story to draft.
    let (status, saved) = rest
        .put(
            &format!("/api/v1/stories/{sid}/variants/{failed}"),
            json!({"account": "northwind-fi-2.test", "locale": "fi-FI", "text": "Fixed"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["story_state"], "draft");
}

#[tokio::test]
async fn a_publishing_story_keeps_its_pending_variants() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let second = second_account(&app, &w).await;
    let (sid, vids) = scheduled_story(&app, &w, &[w.fi_account, second]).await;
    let jobs = claim_all(&app).await;
    begin(&app, &jobs, vids[0]).await;
    assert_eq!(
        app.store.story(sid).await.unwrap().state,
        StoryState::Publishing
    );
    let pending = vids[1];
    let before = snapshot(&app, sid).await;
    let editor = Browser::login_as(&app, Role::Editor).await;
    let rest = api(&app, &token(&app, Role::Editor).await);
    let (status, err) = rest
        .delete(&format!("/api/v1/stories/{sid}/variants/{pending}"))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    let r = editor
        .post_form(&format!("/stories/{sid}/variants/{pending}/delete"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(snapshot(&app, sid).await, before, "nothing changed");
}
