//! A person's change of their own password: the other sessions end, the one they made it from
//! stays, API tokens stay, the change is audited without the hash. An admin's reset: every
//! session ends, and the API tokens too unless kept.

use chorus_core::UserId;
use chorus_core::audit::Author;
use chorus_core::user::Email;
use chorus_store::{AuditQuery, Store, StoreError};

use crate::support;

async fn password_audit(store: &Store, user: UserId) -> Vec<chorus_core::audit::AuditEntry> {
    store
        .audit_entries(&AuditQuery {
            subject_type: Some("user".into()),
            subject_id: Some(user.to_string()),
            limit: 50,
            from_ms: None,
            to_ms: None,
            ..AuditQuery::default()
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "user.password")
        .collect()
}

async fn changing_a_password_keeps_only_the_session_it_came_from(store: &Store) {
    let user = support::user(store, "pia@example.com", vec![]).await;
    let other = support::user(store, "olli@example.com", vec![]).await;
    let author = Author::user(user, "pia@example.com");
    let (here, _) = store.create_session(user, 60_000).await.unwrap();
    let (laptop, _) = store.create_session(user, 60_000).await.unwrap();
    let (phone, _) = store.create_session(user, 60_000).await.unwrap();
    let (theirs, _) = store.create_session(other, 60_000).await.unwrap();
    let token = store
        .create_api_token(&author, user, "script")
        .await
        .unwrap();

    store
        .change_password(&author, user, "hash-2", Some(&here))
        .await
        .unwrap();
    assert!(
        store.session(&here).await.unwrap().is_some(),
        "this one stays"
    );
    assert!(store.session(&laptop).await.unwrap().is_none());
    assert!(store.session(&phone).await.unwrap().is_none());
    assert!(
        store.session(&theirs).await.unwrap().is_some(),
        "nobody else's session ends"
    );
    assert_eq!(
        store.api_token_user(&token.secret).await.unwrap(),
        Some(user),
        "tokens are separate credentials"
    );
    assert_eq!(
        store
            .login_credentials(&Email::parse("pia@example.com").unwrap())
            .await
            .unwrap(),
        Some((user, "hash-2".to_owned()))
    );
    let audit = password_audit(store, user).await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].actor_label, "pia@example.com");
    assert_eq!(audit[0].after.as_ref().unwrap()["sessions_ended"], 2);
    assert!(
        !audit[0]
            .after
            .as_ref()
            .unwrap()
            .to_string()
            .contains("hash-2")
    );

    // Without a session to keep (a script's token), every session ends.
    store
        .change_password(&author, user, "hash-3", None)
        .await
        .unwrap();
    assert!(store.session(&here).await.unwrap().is_none());
    assert!(store.session(&theirs).await.unwrap().is_some());

    let missing = store
        .change_password(&author, UserId(user.0 + 100), "hash-4", None)
        .await
        .unwrap_err();
    assert!(
        matches!(missing, StoreError::NotFound { what: "user" }),
        "{missing:?}"
    );
    assert_eq!(
        password_audit(store, UserId(user.0 + 100)).await.len(),
        0,
        "nothing recorded for a refusal"
    );
}

/// An admin's reset: every session ends and, unless kept, every live API token of theirs is
/// revoked, counted in the audit entry; nobody else's credentials change.
async fn a_reset_ends_sessions_and_api_tokens_unless_kept(store: &Store) {
    let user = support::user(store, "pia@example.com", vec![]).await;
    let other = support::user(store, "olli@example.com", vec![]).await;
    let admin = Author::system("admin");
    let (session, _) = store.create_session(user, 60_000).await.unwrap();
    let mine = store.create_api_token(&admin, user, "a").await.unwrap();
    let mine_too = store.create_api_token(&admin, user, "b").await.unwrap();
    let theirs = store.create_api_token(&admin, other, "c").await.unwrap();

    store
        .set_password_hash(&admin, user, "hash-2", false)
        .await
        .unwrap();
    assert!(store.session(&session).await.unwrap().is_none());
    assert_eq!(
        store.api_token_user(&mine.secret).await.unwrap(),
        Some(user)
    );

    store
        .set_password_hash(&admin, user, "hash-3", true)
        .await
        .unwrap();
    for t in [&mine, &mine_too] {
        assert_eq!(store.api_token_user(&t.secret).await.unwrap(), None);
    }
    assert!(
        store
            .api_tokens(user)
            .await
            .unwrap()
            .iter()
            .all(|t| t.revoked)
    );
    assert_eq!(
        store.api_token_user(&theirs.secret).await.unwrap(),
        Some(other)
    );
    let audit = password_audit(store, user).await;
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[0].after.as_ref().unwrap()["api_tokens_revoked"], 2);
    assert_eq!(audit[1].after.as_ref().unwrap()["api_tokens_revoked"], 0);
    assert_eq!(audit[1].after.as_ref().unwrap()["sessions_ended"], 1);
}

support::conformance_suite!(
    changing_a_password_keeps_only_the_session_it_came_from,
    a_reset_ends_sessions_and_api_tokens_unless_kept
);
