//! A content plan imported at once: every story and variant in one transaction, audited as if
//! created one by one, or nothing when any part fails.

use chorus_core::audit::Author;
use chorus_core::stories::workflow::StoryState;
use chorus_store::{AuditQuery, Store, StoreError, StoryInput, VariantInput};

use crate::support;

fn story(market: chorus_core::MarketId, title: &str) -> StoryInput {
    StoryInput {
        market_id: market,
        campaign_id: None,
        title: title.into(),
        brief: "b".into(),
        principles: vec![],
    }
}

fn variant(account: i64, body: String) -> VariantInput {
    VariantInput {
        account_id: account,
        locale: "fi-FI".into(),
        body,
        scheduled_at_ms: Some(1_792_888_200_000),
    }
}

async fn a_plan_is_imported_in_one_transaction_with_its_audit(store: &Store) {
    let (fi, acct) = crate::support::finland_with_account(store).await;
    let uid = support::user(store, "writer@example.com", vec![]).await;
    let author = Author::user(uid, "writer@example.com");
    let plan = [story(fi, "Autumn launch"), story(fi, "Winter teaser")];
    let created = store
        .import_stories(&author, &plan, |i, s| {
            // The variants see the story's id (UTM tags name it).
            Ok(vec![variant(acct, format!("row {i} of story-{}", s.id))])
        })
        .await
        .unwrap();
    assert_eq!(created.len(), 2);
    assert_eq!(created[0].title, "Autumn launch");
    assert_eq!(created[1].title, "Winter teaser");
    for s in &created {
        let stored = store.story(s.id).await.unwrap();
        assert_eq!(stored.state, StoryState::Draft);
        assert_eq!(stored.author_id, uid);
        let vs = store.variants(s.id).await.unwrap();
        assert_eq!(vs.len(), 1);
        assert!(
            vs[0].body.ends_with(&format!("story-{}", s.id)),
            "{}",
            vs[0].body
        );
        let log = store
            .audit_entries(&AuditQuery {
                subject_type: Some("story".into()),
                subject_id: Some(s.id.to_string()),
                actor_id: None,
                before_id: None,
                limit: 10,
                from_ms: None,
                to_ms: None,
            })
            .await
            .unwrap();
        let actions: Vec<&str> = log.iter().rev().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["story.create", "variant.create"]);
    }
}

async fn a_plan_that_fails_anywhere_leaves_nothing(store: &Store) {
    let (fi, acct) = crate::support::finland_with_account(store).await;
    let uid = support::user(store, "writer@example.com", vec![]).await;
    let author = Author::user(uid, "writer@example.com");
    let before = store.stories(None, None, 100).await.unwrap().len();
    // The second story's variants cannot be made: nothing of the first stays either.
    let plan = [story(fi, "One"), story(fi, "Two")];
    let err = store
        .import_stories(&author, &plan, |i, _| {
            if i == 0 {
                Ok(vec![variant(acct, "fine".into())])
            } else {
                Err("the text changed since it was checked".into())
            }
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Reference(_)), "{err:?}");
    // A variant the database refuses (two for one account and locale) undoes the plan too.
    let err = store
        .import_stories(&author, &plan, |_, _| {
            Ok(vec![variant(acct, "a".into()), variant(acct, "b".into())])
        })
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
    assert_eq!(store.stories(None, None, 100).await.unwrap().len(), before);
    let log = store
        .audit_entries(&AuditQuery {
            subject_type: Some("story".into()),
            subject_id: None,
            actor_id: None,
            before_id: None,
            limit: 10,
            from_ms: None,
            to_ms: None,
        })
        .await
        .unwrap();
    assert!(log.is_empty(), "no audit entry of a plan that was undone");
    // Only a person authors stories.
    let err = store
        .import_stories(&Author::system("cli"), &plan, |_, _| Ok(vec![]))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Reference(_)), "{err:?}");
}

support::conformance_suite!(
    a_plan_is_imported_in_one_transaction_with_its_audit,
    a_plan_that_fails_anywhere_leaves_nothing,
);
