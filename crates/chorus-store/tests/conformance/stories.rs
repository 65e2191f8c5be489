//! Campaigns, stories, variants, the workflow's effects, and the publish lifecycle.

use chorus_core::Role;
use chorus_core::audit::Author;
use chorus_core::stories::rules::{Rule, RuleKind};
use chorus_core::stories::workflow::{StoryState, Transition};
use chorus_core::stories::{CampaignInput, CampaignState, Objective};
use chorus_core::user::Membership;
use chorus_store::{Begin, CalendarFilter, PUBLISH_JOB, PubState, Retry, Store, StoreError};

use crate::jobs::scheduled_variants;
use crate::support;

async fn campaigns_need_objectives_to_go_live(store: &Store) {
    let sys = Author::system("test");
    let m = store
        .create_market(
            &sys,
            &chorus_core::org::MarketInput::parse(
                "BR",
                "Brazil",
                "BR",
                &["pt-BR".into()],
                "America/Sao_Paulo",
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let input = CampaignInput::parse(
        "Carnaval",
        vec![],
        vec![m.id],
        vec![],
        "2026-02-01",
        "2026-03-01",
    )
    .unwrap();
    let c = store.create_campaign(&sys, &input).await.unwrap();
    assert_eq!(c.state, CampaignState::Planning);
    let err = store
        .set_campaign_state(&sys, c.id, CampaignState::Active)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("principle 5"), "{err}");
    let mut with = input.clone();
    with.objectives
        .push(Objective::parse("sign-ups", "2500", "campaign").unwrap());
    store.update_campaign(&sys, c.id, &with).await.unwrap();
    let live = store
        .set_campaign_state(&sys, c.id, CampaignState::Active)
        .await
        .unwrap();
    assert_eq!(live.state, CampaignState::Active);
    assert_eq!(live.objectives[0].target, 2500.0);
    assert_eq!(live.markets, vec![m.id]);
    let dup = store.create_campaign(&sys, &input).await.unwrap_err();
    assert!(
        matches!(dup, StoreError::AlreadyExists { field: "name", .. }),
        "{dup:?}"
    );
}

async fn publishing_lifecycle(store: &Store) {
    let now = chorus_store::now_ms();
    let ids = scheduled_variants(store, 2, now - 100).await;
    let first = store.variant(ids[0]).await.unwrap();
    let story = store.story(first.story_id).await.unwrap();
    assert_eq!(story.state, StoryState::Scheduled);
    assert_eq!(
        story.scheduled_by, None,
        "scheduled by the system author in this test"
    );

    let job = store
        .claim_job("w", &[PUBLISH_JOB], 60_000)
        .await
        .unwrap()
        .unwrap();
    let vid: i64 = serde_json::from_str::<serde_json::Value>(&job.payload).unwrap()["variant"]
        .as_i64()
        .unwrap();
    let Begin::Work {
        variant, key_at_ms, ..
    } = store.begin_publish(&job, vid).await.unwrap()
    else {
        panic!("work expected")
    };
    assert_eq!(variant.pub_state, PubState::Publishing);
    assert_eq!(
        store.story(story.id).await.unwrap().state,
        StoryState::Publishing
    );
    // A crash here, then the same job again: the key time never changes.
    let again = store
        .claim_job("w2", &[PUBLISH_JOB], 60_000)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(
        again.id, job.id,
        "the first job is still leased; this is the other variant"
    );
    let Begin::Work { key_at_ms: k2, .. } = store.begin_publish(&job, vid).await.unwrap() else {
        panic!()
    };
    assert_eq!(k2, key_at_ms, "retries keep the first publish key time");

    store
        .complete_publish(&job, vid, "at://did:plc:abc/app.bsky.feed.post/3k")
        .await
        .unwrap();
    assert!(matches!(
        store.begin_publish(&job, vid).await.unwrap(),
        Begin::AlreadyDone
    ));
    assert_eq!(
        store.story(story.id).await.unwrap().state,
        StoryState::Publishing,
        "one variant left"
    );

    let other = again;
    let ovid: i64 = serde_json::from_str::<serde_json::Value>(&other.payload).unwrap()["variant"]
        .as_i64()
        .unwrap();
    assert!(matches!(
        store.begin_publish(&other, ovid).await.unwrap(),
        Begin::Work { .. }
    ));
    store
        .fail_publish(
            &other,
            ovid,
            "rate limited",
            Retry::At(chorus_store::now_ms()),
        )
        .await
        .unwrap();
    assert_eq!(
        store.variant(ovid).await.unwrap().pub_state,
        PubState::Pending
    );
    let retried = store
        .claim_job("w", &[PUBLISH_JOB], 60_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(retried.id, other.id);
    assert!(matches!(
        store.begin_publish(&retried, ovid).await.unwrap(),
        Begin::Work { .. }
    ));
    store
        .fail_publish(
            &retried,
            ovid,
            "invalid record: text too long",
            Retry::Never,
        )
        .await
        .unwrap();
    let s = store.story(story.id).await.unwrap();
    assert_eq!(s.state, StoryState::Failed);
    let author_notes = store.notifications(s.author_id, 10).await.unwrap();
    assert!(
        author_notes[0]
            .message
            .contains("could not be published: invalid record"),
        "{author_notes:?}"
    );

    // Retry now: back to scheduled, the failed variant re-queued, then published.
    let s = store
        .transition_story(
            &Author::system("test"),
            &s,
            Transition::Retry,
            StoryState::Scheduled,
            None,
        )
        .await
        .unwrap();
    assert_eq!(s.state, StoryState::Scheduled);
    let job = store
        .claim_job("w", &[PUBLISH_JOB], 60_000)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        store.begin_publish(&job, ovid).await.unwrap(),
        Begin::Work { .. }
    ));
    store
        .complete_publish(&job, ovid, "at://did:plc:abc/app.bsky.feed.post/3m")
        .await
        .unwrap();
    let s = store.story(story.id).await.unwrap();
    assert_eq!(s.state, StoryState::Published);
    let uris: Vec<_> = store
        .variants(s.id)
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.published_uri.unwrap())
        .collect();
    assert_eq!(uris.len(), 2);
    assert!(
        store.notifications(s.author_id, 10).await.unwrap()[0]
            .message
            .contains("is published")
    );
}

async fn edits_after_approval_return_to_draft_and_cancel_jobs(store: &Store) {
    let now = chorus_store::now_ms();
    let ids = scheduled_variants(store, 1, now + 3_600_000).await;
    let v = store.variant(ids[0]).await.unwrap();
    let sys = Author::system("test");
    // Moving the time only keeps it scheduled and moves the job.
    store
        .reschedule_variant(&sys, v.id, now + 7_200_000)
        .await
        .unwrap();
    assert_eq!(
        store.story(v.story_id).await.unwrap().state,
        StoryState::Scheduled
    );
    assert_eq!(
        store.next_job_due(&[PUBLISH_JOB]).await.unwrap(),
        Some(now + 7_200_000)
    );
    let entries = store
        .calendar(now, now + 86_400_000, &CalendarFilter::default())
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].scheduled_at_ms, now + 7_200_000);
    assert!(
        store
            .calendar(
                now,
                now + 86_400_000,
                &CalendarFilter {
                    state: Some(StoryState::Draft),
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .is_empty()
    );
    // Changing the text sends it back to draft and cancels the job.
    let mut input = chorus_store::VariantInput {
        account_id: v.account_id,
        locale: v.locale.clone(),
        body: "changed after approval".into(),
        scheduled_at_ms: Some(now + 7_200_000),
    };
    store
        .save_variant(&sys, v.story_id, Some(v.id), &input)
        .await
        .unwrap();
    assert_eq!(
        store.story(v.story_id).await.unwrap().state,
        StoryState::Draft
    );
    assert_eq!(store.queue_counts().await.unwrap().cancelled, 1);
    assert!(
        store
            .claim_job("w", &[PUBLISH_JOB], 1000)
            .await
            .unwrap()
            .is_none()
    );
    // A duplicate account + locale is refused by name.
    input.locale = "fi-other".into();
    store
        .save_variant(&sys, v.story_id, None, &input)
        .await
        .unwrap();
    let err = store
        .save_variant(&sys, v.story_id, None, &input)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::AlreadyExists {
                field: "locale",
                ..
            }
        ),
        "{err:?}"
    );
}

async fn transitions_are_atomic_and_notify(store: &Store) {
    let sys = Author::system("test");
    let ids = scheduled_variants(store, 1, chorus_store::now_ms() + 60_000).await;
    let v = store.variant(ids[0]).await.unwrap();
    let s = store.story(v.story_id).await.unwrap();
    // A stale copy (state changed meanwhile) is refused.
    let mut stale = s.clone();
    stale.state = StoryState::Approved;
    let err = store
        .transition_story(
            &sys,
            &stale,
            Transition::Schedule,
            StoryState::Scheduled,
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Stale { .. }), "{err:?}");
    let s = store
        .transition_story(&sys, &s, Transition::Unschedule, StoryState::Approved, None)
        .await
        .unwrap();
    assert_eq!(store.queue_counts().await.unwrap().cancelled, 1);
    let s = store
        .transition_story(&sys, &s, Transition::Reopen, StoryState::Draft, None)
        .await
        .unwrap();
    // Submitting notifies the market's leads.
    let lead = support::user(
        store,
        "lead@example.com",
        vec![Membership::new(Role::MarketLead, Some(s.market_id)).unwrap()],
    )
    .await;
    let br = store
        .create_market(
            &sys,
            &chorus_core::org::MarketInput::parse(
                "BR",
                "Brazil",
                "BR",
                &["pt-BR".into()],
                "America/Sao_Paulo",
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let elsewhere = support::user(
        store,
        "other@example.com",
        vec![Membership::new(Role::MarketLead, Some(br.id)).unwrap()],
    )
    .await;
    store
        .transition_story(
            &Author::user(s.author_id, "writer@example.com"),
            &s,
            Transition::Submit,
            StoryState::InReview,
            None,
        )
        .await
        .unwrap();
    let notes = store.notifications(lead, 10).await.unwrap();
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0].message.contains("asks you to review “Launch”"),
        "{notes:?}"
    );
    assert_eq!(notes[0].link, format!("/stories/{}", s.id));
    assert_eq!(store.unread_notifications(lead).await.unwrap(), 1);
    assert!(
        store.notifications(elsewhere, 10).await.unwrap().is_empty(),
        "other markets' leads are not asked"
    );
    store.mark_notifications_read(lead).await.unwrap();
    assert_eq!(store.unread_notifications(lead).await.unwrap(), 0);
    let s = store.story(s.id).await.unwrap();
    let s = store
        .transition_story(
            &Author::user(lead, "lead@example.com"),
            &s,
            Transition::Reject,
            StoryState::Rejected,
            Some("add a source"),
        )
        .await
        .unwrap();
    assert_eq!(s.reject_reason.as_deref(), Some("add a source"));
    let author_notes = store.notifications(s.author_id, 10).await.unwrap();
    assert!(author_notes[0].message.contains("add a source"));
    let log = store
        .audit_entries(&chorus_store::AuditQuery {
            subject_type: Some("story".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(log.iter().any(
        |e| e.action == "story.reject" && e.after.as_ref().unwrap()["reason"] == "add a source"
    ));
    // Titles by id, for naming stories in the audit log; an unknown id is left out.
    let titles = store.story_titles(&[s.id, 987_654]).await.unwrap();
    assert_eq!(
        titles.into_iter().collect::<Vec<_>>(),
        [(s.id, s.title.clone())]
    );
    assert!(store.story_titles(&[]).await.unwrap().is_empty());
}

async fn post_rules_are_audited(store: &Store) {
    let sys = Author::system("test");
    let r = store
        .save_post_rule(
            &sys,
            &Rule {
                id: 0,
                kind: RuleKind::BannedTerm {
                    term: "cheap".into(),
                },
                market: None,
                principle: None,
                enabled: true,
            },
        )
        .await
        .unwrap();
    let mut off = r.clone();
    off.enabled = false;
    store.save_post_rule(&sys, &off).await.unwrap();
    assert_eq!(store.post_rules().await.unwrap(), vec![off.clone()]);
    store.delete_post_rule(&sys, r.id).await.unwrap();
    assert!(store.post_rules().await.unwrap().is_empty());
    let log = store
        .audit_entries(&chorus_store::AuditQuery {
            subject_type: Some("rule".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        log.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["rule.delete", "rule.update", "rule.create"]
    );
}

support::conformance_suite!(
    campaigns_need_objectives_to_go_live,
    publishing_lifecycle,
    edits_after_approval_return_to_draft_and_cancel_jobs,
    transitions_are_atomic_and_notify,
    post_rules_are_audited,
);
