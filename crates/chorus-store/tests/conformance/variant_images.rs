//! Image alternative text and removal: audited, and approved work goes back to draft.

use chorus_core::audit::{AuditEntry, Author};
use chorus_core::stories::workflow::{StoryState, Transition};
use chorus_store::{AuditQuery, PUBLISH_JOB, Store, StoreError};

use crate::jobs::scheduled_variants;

async fn actions(store: &Store, story: i64) -> Vec<String> {
    let entries: Vec<AuditEntry> = store
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
        .unwrap();
    entries.into_iter().map(|e| e.action).collect()
}

async fn image_alt_and_removal_return_approved_work_to_draft(store: &Store) {
    let sys = Author::system("test");
    let now = chorus_store::now_ms();
    let ids = scheduled_variants(store, 1, now + 3_600_000).await;
    let v = store.variant(ids[0]).await.unwrap();
    // Adding an image is a content edit: the scheduled story goes back to draft.
    let img = store
        .add_image(&sys, v.id, "a.png", "image/png", b"\x89PNG....", "")
        .await
        .unwrap();
    let story = store.story(v.story_id).await.unwrap();
    assert_eq!(story.state, StoryState::Draft);
    store
        .set_image_alt(&sys, v.id, img.id, "A red speaker on a table")
        .await
        .unwrap();
    assert_eq!(
        store.variant(v.id).await.unwrap().images[0].alt,
        "A red speaker on a table"
    );
    let err = store
        .set_image_alt(&sys, v.id, img.id + 100, "x")
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound { what: "image" }),
        "{err:?}"
    );
    store.delete_image(&sys, v.id, img.id).await.unwrap();
    assert!(store.variant(v.id).await.unwrap().images.is_empty());
    let acts = actions(store, v.story_id).await;
    assert!(acts.contains(&"variant.image_alt".to_owned()), "{acts:?}");
    assert!(
        acts.contains(&"variant.image_remove".to_owned()),
        "{acts:?}"
    );
}

async fn alt_change_of_scheduled_work_cancels_its_job(store: &Store) {
    let sys = Author::system("test");
    let now = chorus_store::now_ms();
    let ids = scheduled_variants(store, 1, now + 3_600_000).await;
    let v = store.variant(ids[0]).await.unwrap();
    let img = store
        .add_image(
            &sys,
            v.id,
            "a.png",
            "image/png",
            b"\x89PNG....",
            "first words",
        )
        .await
        .unwrap();
    // Approve and schedule again, with the image.
    let mut s = store.story(v.story_id).await.unwrap();
    assert_eq!(s.state, StoryState::Draft);
    for (t, to) in [
        (Transition::Submit, StoryState::InReview),
        (Transition::Approve, StoryState::Approved),
        (Transition::Schedule, StoryState::Scheduled),
    ] {
        s = store.transition_story(&sys, &s, t, to, None).await.unwrap();
    }
    assert_eq!(store.queue_counts().await.unwrap().queued, 1);
    // A refused change (unknown image) leaves everything as it was.
    assert!(
        store
            .set_image_alt(&sys, v.id, img.id + 1000, "x")
            .await
            .is_err()
    );
    assert!(store.delete_image(&sys, v.id, img.id + 1000).await.is_err());
    assert_eq!(
        store.story(s.id).await.unwrap().state,
        StoryState::Scheduled
    );
    // Setting the same text again changes nothing that was approved.
    store
        .set_image_alt(&sys, v.id, img.id, "first words")
        .await
        .unwrap();
    assert_eq!(
        store.story(s.id).await.unwrap().state,
        StoryState::Scheduled
    );
    // New words were not approved: back to draft, job cancelled.
    store
        .set_image_alt(&sys, v.id, img.id, "other words")
        .await
        .unwrap();
    assert_eq!(store.story(s.id).await.unwrap().state, StoryState::Draft);
    assert_eq!(store.queue_counts().await.unwrap().queued, 0);
    assert!(
        store
            .claim_job("w", &[PUBLISH_JOB], 1000)
            .await
            .unwrap()
            .is_none()
    );
}

crate::support::conformance_suite!(
    image_alt_and_removal_return_approved_work_to_draft,
    alt_change_of_scheduled_work_cancels_its_job,
);
