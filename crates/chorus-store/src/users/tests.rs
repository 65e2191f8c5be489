//! Unit tests of `users.rs` on SQLite (the conformance suite runs these reads on both
//! backends too).

use chorus_core::org::MarketInput;

use super::*;
use crate::DatabaseUrl;

/// A fresh SQLite store (keep the directory alive while using it).
async fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&DatabaseUrl::sqlite_in(dir.path()))
        .await
        .unwrap();
    (dir, store)
}

async fn market(store: &Store, code: &str) -> MarketId {
    let input = MarketInput::parse(code, code, code, &["en-US".into()], "UTC").unwrap();
    let system = Author::system("test");
    store.create_market(&system, &input).await.unwrap().id
}

/// Creates each (email, memberships) as a user named by their email; returns their ids.
async fn users(store: &Store, people: Vec<(&str, Vec<Membership>)>) -> Vec<UserId> {
    let mut ids = Vec::new();
    for (email, memberships) in people {
        let new = NewUser {
            email: Email::parse(email).unwrap(),
            display_name: email.into(),
            password_hash: None,
            memberships,
        };
        let system = Author::system("test");
        ids.push(store.create_user(&system, &new).await.unwrap().id);
    }
    ids
}

#[tokio::test]
async fn user_and_actor_is_user_plus_actor() {
    let (_dir, store) = store().await;
    let fi = market(&store, "FI").await;
    let ids = users(
        &store,
        vec![
            ("none@example.com", vec![]),
            (
                "two@example.com",
                vec![
                    Membership::new(Role::MarketLead, Some(fi)).unwrap(),
                    Membership::new(Role::Admin, None).unwrap(),
                ],
            ),
        ],
    )
    .await;
    for &id in &ids {
        let (user, actor) = store.user_and_actor(id).await.unwrap();
        assert_eq!(user, store.user(id).await.unwrap());
        assert_eq!(actor, store.actor(id).await.unwrap());
    }
    let two = store.user_and_actor(ids[1]).await.unwrap().1;
    assert_eq!(two.memberships.len(), 2);
    let missing = store.user_and_actor(UserId(999)).await.unwrap_err();
    assert!(
        matches!(missing, StoreError::NotFound { what: "user" }),
        "{missing:?}"
    );
}

#[tokio::test]
async fn users_holding_reads_only_those_roles_in_those_markets() {
    let (_dir, store) = store().await;
    let (fi, br) = (market(&store, "FI").await, market(&store, "BR").await);
    let cm = |m: MarketId| Membership::new(Role::CommunityManager, Some(m)).unwrap();
    let ids = users(
        &store,
        vec![
            ("b-fi-cm@example.com", vec![cm(fi), cm(br)]),
            ("a-br-cm@example.com", vec![cm(br)]),
            (
                "c-admin@example.com",
                vec![Membership::new(Role::Admin, None).unwrap()],
            ),
            (
                "d-fi-editor@example.com",
                vec![Membership::new(Role::Editor, Some(fi)).unwrap()],
            ),
        ],
    )
    .await;
    let roles = [Role::CommunityManager, Role::Admin];
    let names = |v: Vec<(UserId, String)>| v.into_iter().map(|(_, n)| n).collect::<Vec<_>>();
    assert_eq!(
        names(store.users_holding(&roles, &[fi]).await.unwrap()),
        ["b-fi-cm@example.com", "c-admin@example.com"],
        "one row per person, by name; the global admin counts everywhere"
    );
    assert_eq!(
        names(store.users_holding(&roles, &[fi, br]).await.unwrap()),
        [
            "a-br-cm@example.com",
            "b-fi-cm@example.com",
            "c-admin@example.com"
        ]
    );
    assert_eq!(
        names(store.users_holding(&roles, &[]).await.unwrap()),
        ["c-admin@example.com"]
    );
    store
        .update_user(
            &Author::system("test"),
            ids[2],
            "c-admin@example.com",
            false,
        )
        .await
        .unwrap();
    assert!(
        names(store.users_holding(&roles, &[]).await.unwrap()).is_empty(),
        "inactive users are left out"
    );
}
