//! The one door for audited writes: "before" is read inside the transaction, a change that finds
//! nothing to change is refused and leaves no trace, and of two concurrent changes only the one
//! that happened is audited.

use chorus_core::audit::Author;
use chorus_core::org::MarketInput;
use chorus_core::user::Membership;
use chorus_core::{MarketId, Role, UserId};
use chorus_store::{AuditQuery, Store, StoreError};

use crate::support;

fn sys() -> Author {
    Author::system("test")
}

async fn audit_count(store: &Store) -> usize {
    store
        .audit_entries(&AuditQuery {
            limit: 500,
            from_ms: None,
            to_ms: None,
            ..AuditQuery::default()
        })
        .await
        .unwrap()
        .len()
}

/// Four admins remove the same role at once: one removes it and is audited; the others are
/// told it is not there, and write nothing.
async fn concurrent_revokes_are_audited_once(store: &Store) {
    let fi = store
        .create_market(
            &sys(),
            &MarketInput::parse("FI", "Finland", "FI", &["fi-FI".into()], "Europe/Helsinki")
                .unwrap(),
        )
        .await
        .unwrap();
    let editor = Membership::new(Role::Editor, Some(fi.id)).unwrap();
    let lead = Membership::new(Role::MarketLead, Some(fi.id)).unwrap();
    let user = support::user(store, "aino@example.com", vec![editor, lead]).await;
    let mut tasks = Vec::new();
    for i in 0..4 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .revoke(&Author::system(&format!("admin {i}")), user, editor)
                .await
        }));
    }
    let mut revoked = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(true) => revoked += 1,
            Err(StoreError::NotFound { what: "membership" }) => {}
            other => panic!("expected true or NotFound, got {other:?}"),
        }
    }
    assert_eq!(revoked, 1);
    assert_eq!(store.memberships(user).await.unwrap(), [lead]);
    let revokes: Vec<_> = store
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
        .filter(|e| e.action == "membership.revoke")
        .collect();
    assert_eq!(revokes.len(), 1, "{revokes:?}");
    let before = revokes[0].before.as_ref().unwrap()["memberships"].clone();
    assert_eq!(
        before.as_array().unwrap().len(),
        2,
        "before is what the revoke replaced: {before}"
    );
}

/// Changes of things that are not there (or no longer are) answer `NotFound` and write no audit
/// entry.
async fn refused_writes_leave_no_trace(store: &Store) {
    let m = store
        .create_market(
            &sys(),
            &MarketInput::parse("KE", "Kenya", "KE", &["en-KE".into()], "Africa/Nairobi").unwrap(),
        )
        .await
        .unwrap();
    let team = store.create_team(&sys(), m.id, "Care").await.unwrap();
    store.delete_team(&sys(), team.id).await.unwrap();
    let n = audit_count(store).await;
    let not_found = |r: Result<(), StoreError>, what: &str| match r {
        Err(StoreError::NotFound { what: w }) if w == what => {}
        other => panic!("expected NotFound {what}, got {other:?}"),
    };
    not_found(
        store
            .rename_team(&sys(), team.id, "Care again")
            .await
            .map(|_| ()),
        "team",
    );
    not_found(store.delete_team(&sys(), team.id).await, "team");
    not_found(
        store
            .set_team_member(&sys(), team.id, UserId(1), true)
            .await,
        "team",
    );
    let input = MarketInput::parse("XX", "Nowhere", "FI", &["fi-FI".into()], "UTC").unwrap();
    not_found(
        store
            .update_market(&sys(), MarketId(9_999), &input)
            .await
            .map(|_| ()),
        "market",
    );
    let ghost = UserId(9_999);
    let editor = Membership::new(Role::Editor, Some(m.id)).unwrap();
    not_found(store.grant(&sys(), ghost, editor).await.map(|_| ()), "user");
    not_found(
        store.revoke(&sys(), ghost, editor).await.map(|_| ()),
        "user",
    );
    not_found(
        store
            .update_user(&sys(), ghost, "Nobody", true)
            .await
            .map(|_| ()),
        "user",
    );
    not_found(
        store.set_password_hash(&sys(), ghost, "h", true).await,
        "user",
    );
    not_found(
        store
            .create_api_token(&sys(), ghost, "script")
            .await
            .map(|_| ()),
        "user",
    );
    not_found(store.delete_post_rule(&sys(), 9_999).await, "rule");
    not_found(
        store
            .set_campaign_state(&sys(), 9_999, chorus_core::stories::CampaignState::Active)
            .await
            .map(|_| ()),
        "campaign",
    );
    not_found(
        store
            .mark_reply_sent(9_999, "at://x", "cid")
            .await
            .map(|_| ()),
        "reply",
    );
    assert_eq!(audit_count(store).await, n, "no refusal was audited");
    assert_eq!(
        store.team(team.id).await.unwrap_err().to_string(),
        "team not found"
    );
}

support::conformance_suite!(
    concurrent_revokes_are_audited_once,
    refused_writes_leave_no_trace,
);
