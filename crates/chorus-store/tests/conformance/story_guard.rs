//! The publication-state guard: a variant that is publishing or published, and a story that is,
//! do not change. Each refused change answers `State` and leaves everything as it was: the rows,
//! the story's state, the jobs and the audit log.

use chorus_core::audit::Author;
use chorus_core::stories::workflow::{StoryState, Transition};
use chorus_store::{
    AuditQuery, Begin, ImageMeta, Job, PUBLISH_JOB, PubState, QueueCounts, Retry, Store,
    StoreError, Story, StoryInput, Variant, VariantInput,
};

use crate::jobs::scheduled_variants;
use crate::support;

fn sys() -> Author {
    Author::system("test")
}

/// Everything a refused change must leave as it was.
#[derive(Debug, PartialEq)]
struct Everything {
    story: Story,
    variants: Vec<Variant>,
    jobs: QueueCounts,
    audit_entries: usize,
}

async fn everything(store: &Store, story: i64) -> Everything {
    Everything {
        story: store.story(story).await.unwrap(),
        variants: store.variants(story).await.unwrap(),
        jobs: store.queue_counts().await.unwrap(),
        audit_entries: store
            .audit_entries(&AuditQuery {
                limit: 500,
                from_ms: None,
                to_ms: None,
                ..AuditQuery::default()
            })
            .await
            .unwrap()
            .len(),
    }
}

/// Claims the next due publish job and starts it; returns the job and its variant.
async fn start_next(store: &Store) -> (Job, i64) {
    let job = store
        .claim_job("w", &[PUBLISH_JOB], 60_000)
        .await
        .unwrap()
        .unwrap();
    let vid = serde_json::from_str::<serde_json::Value>(&job.payload).unwrap()["variant"]
        .as_i64()
        .unwrap();
    let begun = store.begin_publish(&job, vid).await.unwrap();
    assert!(matches!(begun, Begin::Work { .. }), "{begun:?}");
    (job, vid)
}

fn input_of(story: &Story) -> StoryInput {
    StoryInput {
        market_id: story.market_id,
        campaign_id: story.campaign_id,
        title: story.title.clone(),
        brief: story.brief.clone(),
        principles: story.principles.clone(),
    }
}

fn variant_input(v: &Variant, body: &str) -> VariantInput {
    VariantInput {
        account_id: v.account_id,
        locale: v.locale.clone(),
        body: body.into(),
        scheduled_at_ms: v.scheduled_at_ms,
    }
}

fn assert_state(result: Result<impl std::fmt::Debug, StoreError>, what: &str) {
    match result {
        Err(StoreError::State(message)) => {
            assert!(message.contains("publish"), "{what}: {message}")
        }
        other => panic!("{what}: expected State, got {other:?}"),
    }
}

/// A published variant with an image, and its published story: every change is refused.
async fn published_work_does_not_change(store: &Store) {
    let now = chorus_store::now_ms();
    let v = store
        .variant(scheduled_variants(store, 1, now - 100).await[0])
        .await
        .unwrap();
    let img: ImageMeta = store
        .add_image(&sys(), v.id, "a.png", "image/png", b"\x89PNG", "a speaker")
        .await
        .unwrap();
    let mut s = store.story(v.story_id).await.unwrap();
    for (t, to) in [
        (Transition::Submit, StoryState::InReview),
        (Transition::Approve, StoryState::Approved),
        (Transition::Schedule, StoryState::Scheduled),
    ] {
        s = store
            .transition_story(&sys(), &s, t, to, None)
            .await
            .unwrap();
    }
    let (job, vid) = start_next(store).await;
    store
        .complete_publish(&job, vid, "at://did:plc:abc/app.bsky.feed.post/1")
        .await
        .unwrap();
    let before = everything(store, s.id).await;
    assert_eq!(before.story.state, StoryState::Published);
    assert_eq!(before.variants[0].pub_state, PubState::Published);

    let mut retitled = input_of(&before.story);
    retitled.title = "A new title".into();
    assert_state(
        store.update_story(&sys(), s.id, &retitled).await,
        "update_story",
    );
    assert_state(
        store
            .save_variant(&sys(), s.id, Some(v.id), &variant_input(&v, "edited"))
            .await,
        "save_variant (update)",
    );
    let mut other = variant_input(&v, "another");
    other.locale = "fi-new".into();
    assert_state(
        store.save_variant(&sys(), s.id, None, &other).await,
        "save_variant (new)",
    );
    assert_state(store.delete_variant(&sys(), v.id).await, "delete_variant");
    assert_state(
        store.reschedule_variant(&sys(), v.id, now + 60_000).await,
        "reschedule_variant",
    );
    assert_state(
        store
            .add_image(&sys(), v.id, "b.png", "image/png", b"\x89PNG", "")
            .await,
        "add_image",
    );
    assert_state(
        store
            .set_image_alt(&sys(), v.id, img.id, "other words")
            .await,
        "set_image_alt",
    );
    assert_state(
        store.delete_image(&sys(), v.id, img.id).await,
        "delete_image",
    );
    assert_eq!(
        everything(store, s.id).await,
        before,
        "nothing changed, nothing audited"
    );
}

/// While one variant is being published, the story's other (pending) variants keep their
/// content; only their time may move.
async fn a_publishing_story_keeps_its_content(store: &Store) {
    let now = chorus_store::now_ms();
    let ids = scheduled_variants(store, 2, now - 100).await;
    let (_, publishing) = start_next(store).await;
    let pending = *ids.iter().find(|&&v| v != publishing).unwrap();
    let p = store.variant(pending).await.unwrap();
    let before = everything(store, p.story_id).await;
    assert_eq!(before.story.state, StoryState::Publishing);

    assert_state(
        store.delete_variant(&sys(), publishing).await,
        "delete the variant being published",
    );
    assert_state(
        store.delete_variant(&sys(), pending).await,
        "delete a pending variant of a publishing story (it would never be published)",
    );
    assert_state(
        store
            .save_variant(&sys(), p.story_id, Some(pending), &variant_input(&p, "x"))
            .await,
        "save_variant",
    );
    assert_state(
        store
            .add_image(&sys(), pending, "b.png", "image/png", b"\x89PNG", "")
            .await,
        "add_image",
    );
    let mut retitled = input_of(&before.story);
    retitled.title = "Changed while publishing".into();
    assert_state(
        store.update_story(&sys(), p.story_id, &retitled).await,
        "update_story",
    );
    assert_eq!(everything(store, p.story_id).await, before);

    let later = now + 3_600_000;
    let moved = store
        .reschedule_variant(&sys(), pending, later)
        .await
        .unwrap();
    assert_eq!(moved.scheduled_at_ms, Some(later));
}

/// A failed story with one variant out: the published one stays (and the story stays failed,
/// where the old DELETE skipped the row but moved the story back to draft); the failed one can
/// go.
async fn a_failed_story_deletes_only_what_did_not_go_out(store: &Store) {
    let now = chorus_store::now_ms();
    scheduled_variants(store, 2, now - 100).await;
    let (job, out) = start_next(store).await;
    store
        .complete_publish(&job, out, "at://did:plc:abc/app.bsky.feed.post/2")
        .await
        .unwrap();
    let (job, failed) = start_next(store).await;
    store
        .fail_publish(&job, failed, "invalid record", Retry::Never)
        .await
        .unwrap();
    let story = store.variant(out).await.unwrap().story_id;
    let before = everything(store, story).await;
    assert_eq!(before.story.state, StoryState::Failed);

    assert_state(store.delete_variant(&sys(), out).await, "delete_variant");
    assert_eq!(everything(store, story).await, before);

    store.delete_variant(&sys(), failed).await.unwrap();
    let after = everything(store, story).await;
    assert_eq!(after.story.state, StoryState::Draft);
    assert_eq!(
        after.variants.iter().map(|v| v.id).collect::<Vec<_>>(),
        [out]
    );
    assert_eq!(after.audit_entries, before.audit_entries + 1);
    let err = store.delete_variant(&sys(), failed).await.unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound { what: "variant" }),
        "{err:?}"
    );
}

/// Drafts change freely; approved work that changes goes back to draft and loses its jobs.
async fn open_work_changes_and_returns_to_draft(store: &Store) {
    let now = chorus_store::now_ms();
    let ids = scheduled_variants(store, 2, now + 3_600_000).await;
    let v = store.variant(ids[0]).await.unwrap();
    let s = store.story(v.story_id).await.unwrap();
    let mut edit = input_of(&s);
    edit.title = "Launch, revised".into();
    let (changed, back) = store.update_story(&sys(), s.id, &edit).await.unwrap();
    assert!(back, "a scheduled story goes back to draft");
    assert_eq!(changed.title, "Launch, revised");
    assert_eq!(changed.state, StoryState::Draft);
    assert_eq!(store.queue_counts().await.unwrap().queued, 0);
    edit.brief = "new brief".into();
    let (changed, back) = store.update_story(&sys(), s.id, &edit).await.unwrap();
    assert!(!back, "already a draft");
    assert_eq!(changed.brief, "new brief");

    store.delete_variant(&sys(), ids[1]).await.unwrap();
    assert_eq!(store.variants(s.id).await.unwrap().len(), 1);
    let log = store
        .audit_entries(&AuditQuery {
            subject_type: Some("story".into()),
            subject_id: Some(s.id.to_string()),
            limit: 3,
            from_ms: None,
            to_ms: None,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["variant.delete", "story.update", "story.update"]);
    assert_eq!(log[2].before.as_ref().unwrap()["title"], "Launch");
    let err = store
        .update_story(&sys(), 999_999, &edit)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound { what: "story" }),
        "{err:?}"
    );
}

/// Four people schedule the same approved story at once from the same page: one succeeds, the
/// others are told it changed since they loaded it; one audit entry, one job per variant.
async fn concurrent_transitions_apply_once(store: &Store) {
    let ids = scheduled_variants(store, 1, chorus_store::now_ms() + 60_000).await;
    let s = store
        .story(store.variant(ids[0]).await.unwrap().story_id)
        .await
        .unwrap();
    let approved = store
        .transition_story(
            &sys(),
            &s,
            Transition::Unschedule,
            StoryState::Approved,
            None,
        )
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..4 {
        let (store, approved) = (store.clone(), approved.clone());
        tasks.push(tokio::spawn(async move {
            store
                .transition_story(
                    &Author::system(&format!("scheduler {i}")),
                    &approved,
                    Transition::Schedule,
                    StoryState::Scheduled,
                    None,
                )
                .await
        }));
    }
    let mut done = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(story) => {
                assert_eq!(story.state, StoryState::Scheduled);
                done += 1;
            }
            Err(StoreError::Stale { .. }) => {}
            Err(e) => panic!("expected Stale, got {e:?}"),
        }
    }
    assert_eq!(done, 1, "one of the four schedules applies");
    let schedules = store
        .audit_entries(&AuditQuery {
            subject_type: Some("story".into()),
            subject_id: Some(s.id.to_string()),
            limit: 50,
            from_ms: None,
            to_ms: None,
            ..AuditQuery::default()
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "story.schedule")
        .count();
    assert_eq!(schedules, 2, "the first scheduling and one of the four");
    assert_eq!(store.queue_counts().await.unwrap().queued, 1);
    let err = store
        .transition_story(
            &sys(),
            &approved,
            Transition::Schedule,
            StoryState::Scheduled,
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Stale { .. }), "{err:?}");
}

support::conformance_suite!(
    published_work_does_not_change,
    a_publishing_story_keeps_its_content,
    a_failed_story_deletes_only_what_did_not_go_out,
    open_work_changes_and_returns_to_draft,
    concurrent_transitions_apply_once,
);
