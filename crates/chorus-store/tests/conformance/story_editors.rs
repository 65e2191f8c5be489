//! The four-eyes rule's record: who changed a story's content since it was last approved
//! (`Story::changed_by`). Every content change records its author in its own transaction;
//! moving a time, commenting and the workflow record nobody; an approval empties the list, and
//! the store refuses an approval by the author or by anyone on it, changing nothing — and one
//! of a story that changed since it was loaded.

use chorus_core::audit::Author;
use chorus_core::stories::workflow::{StoryState, Transition};
use chorus_core::user::Membership;
use chorus_core::{MarketId, Role, UserId};
use chorus_store::{AuditQuery, Store, StoreError, StoryInput, VariantInput};

use crate::support;

struct World {
    market: MarketId,
    account: i64,
    writer: (UserId, Author),
    lead: (UserId, Author),
    other_lead: (UserId, Author),
}

async fn world(store: &Store) -> World {
    let (market, account) = crate::support::finland_with_account(store).await;
    let person = async |email: &str, role: Role| {
        let id = support::user(
            store,
            email,
            vec![Membership::new(role, Some(market)).unwrap()],
        )
        .await;
        (id, Author::user(id, email))
    };
    World {
        market,
        account,
        writer: person("writer@example.com", Role::Contributor).await,
        lead: person("lead@example.com", Role::MarketLead).await,
        other_lead: person("lead2@example.com", Role::MarketLead).await,
    }
}

impl World {
    fn fields(&self, title: &str) -> StoryInput {
        StoryInput {
            market_id: self.market,
            campaign_id: None,
            title: title.into(),
            brief: "A brief".into(),
            principles: vec![],
        }
    }

    fn variant(&self, body: &str, at: Option<i64>) -> VariantInput {
        VariantInput {
            account_id: self.account,
            locale: "fi-FI".into(),
            body: body.into(),
            scheduled_at_ms: at,
        }
    }

    /// A story by the writer with one variant; answers the story and variant ids.
    async fn story(&self, store: &Store) -> (i64, i64) {
        let s = store
            .create_story(&self.writer.1, &self.fields("Launch"))
            .await
            .unwrap();
        let v = store
            .save_variant(&self.writer.1, s.id, None, &self.variant("Hei!", None))
            .await
            .unwrap();
        (s.id, v.id)
    }
}

async fn changed_by(store: &Store, story: i64) -> Vec<UserId> {
    let mut v = store.story(story).await.unwrap().changed_by;
    v.sort_unstable_by_key(|u| u.0);
    v
}

async fn actions(store: &Store, story: i64) -> Vec<String> {
    store
        .audit_entries(&AuditQuery {
            subject_type: Some("story".into()),
            subject_id: Some(story.to_string()),
            actor_id: None,
            before_id: None,
            limit: 100,
            from_ms: None,
            to_ms: None,
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

async fn every_content_change_records_who_made_it(store: &Store) {
    let w = world(store).await;
    let (writer, lead, other) = (w.writer.0, w.lead.0, w.other_lead.0);
    let (sid, vid) = w.story(store).await;
    assert_eq!(changed_by(store, sid).await, vec![writer], "the author");

    // Saving the story's fields unchanged, moving a time, commenting: nobody new.
    store
        .update_story(&w.lead.1, sid, &w.fields("Launch"))
        .await
        .unwrap();
    store
        .save_variant(&w.lead.1, sid, Some(vid), &w.variant("Hei!", Some(1_000)))
        .await
        .unwrap();
    store
        .reschedule_variant(&w.lead.1, vid, 2_000)
        .await
        .unwrap();
    store
        .add_comment(&w.lead.1, sid, "Looks good")
        .await
        .unwrap();
    assert_eq!(changed_by(store, sid).await, vec![writer]);

    // The title.
    store
        .update_story(&w.lead.1, sid, &w.fields("Launch day"))
        .await
        .unwrap();
    assert_eq!(changed_by(store, sid).await, vec![writer, lead]);

    // A variant's text, on another story.
    let (sid2, vid2) = w.story(store).await;
    store
        .save_variant(&w.lead.1, sid2, Some(vid2), &w.variant("Moi!", None))
        .await
        .unwrap();
    assert_eq!(changed_by(store, sid2).await, vec![writer, lead]);

    // Images: adding, new words, the same words again (nothing), removing.
    let (sid3, vid3) = w.story(store).await;
    let img = store
        .add_image(&w.writer.1, vid3, "a.png", "image/png", b"\x89PNG....", "")
        .await
        .unwrap();
    assert_eq!(changed_by(store, sid3).await, vec![writer]);
    store
        .set_image_alt(&w.lead.1, vid3, img.id, "")
        .await
        .unwrap();
    assert_eq!(changed_by(store, sid3).await, vec![writer], "same words");
    store
        .set_image_alt(&w.lead.1, vid3, img.id, "A speaker")
        .await
        .unwrap();
    assert_eq!(changed_by(store, sid3).await, vec![writer, lead]);
    store
        .delete_image(&w.other_lead.1, vid3, img.id)
        .await
        .unwrap();
    assert_eq!(changed_by(store, sid3).await, vec![writer, lead, other]);

    // A new variant, and deleting one.
    let (sid4, vid4) = w.story(store).await;
    let mut second = w.variant("Hej!", None);
    second.locale = "sv-FI".into();
    store
        .save_variant(&w.lead.1, sid4, None, &second)
        .await
        .unwrap();
    assert_eq!(changed_by(store, sid4).await, vec![writer, lead]);
    store.delete_variant(&w.other_lead.1, vid4).await.unwrap();
    assert_eq!(changed_by(store, sid4).await, vec![writer, lead, other]);

    // The system is nobody who could approve: not recorded.
    store
        .update_story(&Author::system("test"), sid4, &w.fields("By the system"))
        .await
        .unwrap();
    assert_eq!(changed_by(store, sid4).await, vec![writer, lead, other]);

    // A refused change records nothing either.
    let err = store
        .save_variant(&w.other_lead.1, sid2, Some(vid4), &w.variant("x", None))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    assert_eq!(changed_by(store, sid2).await, vec![writer, lead]);

    // Lists carry the same record as the story itself.
    let listed = store.stories(Some(&[w.market]), None, 100).await.unwrap();
    assert_eq!(listed.len(), 4);
    for s in listed {
        let mut got = s.changed_by.clone();
        got.sort_unstable_by_key(|u| u.0);
        assert_eq!(got, changed_by(store, s.id).await, "story {}", s.id);
    }

    // An imported plan records its importer.
    let imported = store
        .import_stories(&w.lead.1, &[w.fields("Imported")], |_, _| {
            Ok(vec![w.variant("Tuotu", None)])
        })
        .await
        .unwrap();
    assert_eq!(imported[0].changed_by, vec![lead]);
    assert_eq!(changed_by(store, imported[0].id).await, vec![lead]);
}

async fn nobody_approves_what_they_wrote_or_changed_and_approval_starts_afresh(store: &Store) {
    let w = world(store).await;
    let sys = Author::system("test");
    let (sid, vid) = w.story(store).await;
    store
        .save_variant(&w.lead.1, sid, Some(vid), &w.variant("Moi!", None))
        .await
        .unwrap();
    let s = store.story(sid).await.unwrap();
    let s = store
        .transition_story(
            &w.lead.1,
            &s,
            Transition::Submit,
            StoryState::InReview,
            None,
        )
        .await
        .unwrap();

    // The lead who changed it, and the writer, are refused: nothing changes, nothing audited.
    for who in [&w.lead.1, &w.writer.1] {
        let err = store
            .transition_story(who, &s, Transition::Approve, StoryState::Approved, None)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Stale { .. }), "{err:?}");
        let now = store.story(sid).await.unwrap();
        assert_eq!(now.state, StoryState::InReview);
        assert_eq!(now.changed_by, s.changed_by);
    }
    assert!(!actions(store, sid).await.contains(&"story.approve".into()));
    // Rejecting stays open to them; reopening and submitting again changes no content.
    let s = store
        .transition_story(
            &w.lead.1,
            &s,
            Transition::Reject,
            StoryState::Rejected,
            Some("my edit was wrong"),
        )
        .await
        .unwrap();
    let s = store
        .transition_story(&sys, &s, Transition::Reopen, StoryState::Draft, None)
        .await
        .unwrap();
    let s = store
        .transition_story(&sys, &s, Transition::Submit, StoryState::InReview, None)
        .await
        .unwrap();
    assert!(s.changed_by.contains(&w.lead.0));

    // Another lead approves: the list empties, and the first lead no longer stands in the way
    // of approvals to come (what she changed was seen by someone else).
    let s = store
        .transition_story(
            &w.other_lead.1,
            &s,
            Transition::Approve,
            StoryState::Approved,
            None,
        )
        .await
        .unwrap();
    assert_eq!(s.state, StoryState::Approved);
    assert!(s.changed_by.is_empty(), "{:?}", s.changed_by);
    assert!(actions(store, sid).await.contains(&"story.approve".into()));

    // The other lead changes it now (back to draft); the first lead may approve that.
    store
        .update_story(&w.other_lead.1, sid, &w.fields("Launch, revised"))
        .await
        .unwrap();
    let s = store.story(sid).await.unwrap();
    assert_eq!(s.state, StoryState::Draft);
    assert_eq!(s.changed_by, vec![w.other_lead.0]);
    let s = store
        .transition_story(&sys, &s, Transition::Submit, StoryState::InReview, None)
        .await
        .unwrap();
    let err = store
        .transition_story(
            &w.other_lead.1,
            &s,
            Transition::Approve,
            StoryState::Approved,
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Stale { .. }), "{err:?}");
    let s = store
        .transition_story(
            &w.lead.1,
            &s,
            Transition::Approve,
            StoryState::Approved,
            None,
        )
        .await
        .unwrap();
    assert_eq!(s.state, StoryState::Approved);
    // The author stays the author after any approval.
    let s = store
        .transition_story(&sys, &s, Transition::Reopen, StoryState::Draft, None)
        .await
        .unwrap();
    let s = store
        .transition_story(&sys, &s, Transition::Submit, StoryState::InReview, None)
        .await
        .unwrap();
    assert!(s.changed_by.is_empty());
    let err = store
        .transition_story(
            &w.writer.1,
            &s,
            Transition::Approve,
            StoryState::Approved,
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Stale { .. }), "{err:?}");
}

async fn review_requests_go_to_the_leads_who_may_approve(store: &Store) {
    let w = world(store).await;
    let sys = Author::system("test");
    let (sid, vid) = w.story(store).await;
    store
        .save_variant(&w.lead.1, sid, Some(vid), &w.variant("Moi!", None))
        .await
        .unwrap();
    let s = store.story(sid).await.unwrap();
    store
        .transition_story(&sys, &s, Transition::Submit, StoryState::InReview, None)
        .await
        .unwrap();
    let asked = async |who: UserId| {
        store
            .notifications(who, 50)
            .await
            .unwrap()
            .iter()
            .any(|n| n.message.contains("asks you to review"))
    };
    assert!(
        !asked(w.lead.0).await,
        "she changed it: she may not approve"
    );
    assert!(asked(w.other_lead.0).await);
}

async fn an_approval_applies_to_the_story_as_it_was_loaded(store: &Store) {
    let w = world(store).await;
    let sys = Author::system("test");
    let (sid, vid) = w.story(store).await;
    let s = store.story(sid).await.unwrap();
    let shown = store
        .transition_story(&sys, &s, Transition::Submit, StoryState::InReview, None)
        .await
        .unwrap();
    // Meanwhile the writer changes the text (back to draft) and it is submitted again: the same
    // state, other words. (Times are milliseconds: let one pass.)
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    store
        .save_variant(&w.writer.1, sid, Some(vid), &w.variant("Other words", None))
        .await
        .unwrap();
    let now = store.story(sid).await.unwrap();
    let now = store
        .transition_story(&sys, &now, Transition::Submit, StoryState::InReview, None)
        .await
        .unwrap();
    assert_eq!(now.state, shown.state);
    let err = store
        .transition_story(
            &w.lead.1,
            &shown,
            Transition::Approve,
            StoryState::Approved,
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Stale { .. }), "{err:?}");
    assert_eq!(store.story(sid).await.unwrap(), now, "nothing changed");
    assert!(!actions(store, sid).await.contains(&"story.approve".into()));
    store
        .transition_story(
            &w.lead.1,
            &now,
            Transition::Approve,
            StoryState::Approved,
            None,
        )
        .await
        .unwrap();
}

crate::support::conformance_suite!(
    an_approval_applies_to_the_story_as_it_was_loaded,
    every_content_change_records_who_made_it,
    nobody_approves_what_they_wrote_or_changed_and_approval_starts_afresh,
    review_requests_go_to_the_leads_who_may_approve,
);
