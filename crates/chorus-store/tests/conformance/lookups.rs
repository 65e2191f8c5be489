//! Reads by key and the lists no other test needs: each finds what was written, and `NotFound`
//! (or nothing) for what was not. Also the organization, the store's own description, and a
//! second connection to the same database.

use chorus_core::audit::Author;
use chorus_core::org::{MarketCode, MarketInput};
use chorus_core::stories::CampaignInput;
use chorus_core::stories::workflow::StoryState;
use chorus_core::user::{Email, Membership};
use chorus_core::{MarketId, Role, UserId};
use chorus_store::{
    AuditQuery, Backend, DatabaseUrl, NewAccount, Organization, Store, StoreError, StoryInput,
};

use crate::support;

fn sys() -> Author {
    Author::system("test")
}

async fn market(store: &Store, code: &str) -> MarketId {
    store
        .create_market(
            &sys(),
            &MarketInput::parse(code, code, "FI", &["fi-FI".into()], "UTC").unwrap(),
        )
        .await
        .unwrap()
        .id
}

async fn the_store_and_the_organization(store: &Store) {
    let expected = match store.url() {
        DatabaseUrl::Sqlite(_) => Backend::Sqlite,
        DatabaseUrl::Postgres(_) => Backend::Postgres,
    };
    assert_eq!(store.backend(), expected);
    // A second pool on the same database (connect does not migrate: nothing is pending).
    let other = Store::connect(store.url()).await.unwrap();
    assert!(other.pending_migrations().await.unwrap().is_empty());

    assert_eq!(store.organization().await.unwrap(), None);
    let org = Organization {
        name: "Northwind".into(),
        slug: "northwind".into(),
    };
    store.set_organization(&sys(), &org).await.unwrap();
    let renamed = Organization {
        name: "Northwind Audio".into(),
        ..org.clone()
    };
    other.set_organization(&sys(), &renamed).await.unwrap();
    assert_eq!(store.organization().await.unwrap(), Some(renamed));
    other.close().await;
    let log = store
        .audit_entries(&AuditQuery {
            subject_type: Some("organization".into()),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["organization.update", "organization.create"]);
    assert_eq!(log[0].before.as_ref().unwrap()["name"], "Northwind");
}

async fn markets_teams_and_people_by_key(store: &Store) {
    let fi = market(store, "FI").await;
    let br = market(store, "BR").await;
    let code = MarketCode::parse("FI").unwrap();
    assert_eq!(store.market_by_code(&code).await.unwrap().id, fi);
    let err = store
        .market_by_code(&MarketCode::parse("ZZ").unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound { what: "market" }),
        "{err:?}"
    );
    let team = store.create_team(&sys(), fi, "Care").await.unwrap();
    assert_eq!(store.team(team.id).await.unwrap(), team);

    let cm = |m| Membership::new(Role::CommunityManager, Some(m)).unwrap();
    let ana = support::user(store, "ana@example.com", vec![cm(br)]).await;
    let aino = support::user(store, "aino@example.com", vec![cm(fi), cm(br)]).await;
    let email = Email::parse("Aino@Example.com").unwrap();
    assert_eq!(
        store.user_by_email(&email).await.unwrap().map(|u| u.id),
        Some(aino)
    );
    let nobody = Email::parse("nobody@example.com").unwrap();
    assert_eq!(store.user_by_email(&nobody).await.unwrap(), None);
    let (user, actor) = store.user_and_actor(aino).await.unwrap();
    assert_eq!(user, store.user(aino).await.unwrap());
    assert_eq!(actor, store.actor(aino).await.unwrap());
    assert!(matches!(
        store.user_and_actor(UserId(9_999)).await.unwrap_err(),
        StoreError::NotFound { what: "user" }
    ));
    let in_fi = store
        .users_holding(&[Role::CommunityManager], &[fi])
        .await
        .unwrap();
    assert_eq!(in_fi, [(aino, "aino@example.com".to_owned())]);
    let both = store
        .users_holding(&[Role::CommunityManager], &[fi, br])
        .await
        .unwrap();
    assert_eq!(
        both.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        [aino, ana],
        "by name, once each"
    );
}

async fn accounts_campaigns_stories_and_comments(store: &Store) {
    let fi = market(store, "FI").await;
    let br = market(store, "BR").await;
    let new = |market_id, sealed| NewAccount {
        market_id,
        network: "bluesky",
        handle: "northwind.test",
        external_id: "did:plc:nw",
        service_url: "http://localhost:2583",
        sealed,
    };
    let account = store
        .connect_account(&sys(), &new(fi, "first"))
        .await
        .unwrap();
    assert_eq!(store.account(account.id).await.unwrap(), account);
    assert_eq!(
        store.account_credentials(account.id).await.unwrap(),
        "first"
    );
    let again = store
        .connect_account(&sys(), &new(fi, "second"))
        .await
        .unwrap();
    assert_eq!(
        again.id, account.id,
        "the same handle is replaced, not added"
    );
    assert_eq!(
        store.account_credentials(account.id).await.unwrap(),
        "second"
    );
    assert_eq!(store.accounts(Some(fi)).await.unwrap(), [again]);
    assert!(store.accounts(Some(br)).await.unwrap().is_empty());
    assert_eq!(store.accounts(None).await.unwrap().len(), 1);
    assert!(matches!(
        store.account_credentials(9_999).await.unwrap_err(),
        StoreError::NotFound { what: "account" }
    ));

    let campaign = store
        .create_campaign(
            &sys(),
            &CampaignInput::parse(
                "Launch",
                vec![],
                vec![fi],
                vec![],
                "2026-01-01",
                "2026-02-01",
            )
            .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(store.campaign(campaign.id).await.unwrap(), campaign);
    assert_eq!(store.campaigns().await.unwrap(), [campaign]);

    let writer = support::user(store, "writer@example.com", vec![]).await;
    let as_writer = Author::user(writer, "writer@example.com");
    let story = |market_id, title: &str| StoryInput {
        market_id,
        campaign_id: None,
        title: title.into(),
        brief: String::new(),
        principles: vec![],
    };
    let a = store
        .create_story(&as_writer, &story(fi, "A"))
        .await
        .unwrap();
    let b = store
        .create_story(&as_writer, &story(br, "B"))
        .await
        .unwrap();
    let titles = |v: Vec<chorus_store::Story>| v.into_iter().map(|s| s.title).collect::<Vec<_>>();
    assert_eq!(
        titles(store.stories(None, None, 10).await.unwrap()),
        ["B", "A"]
    );
    assert_eq!(
        titles(store.stories(Some(&[fi]), None, 10).await.unwrap()),
        ["A"]
    );
    assert!(store.stories(Some(&[]), None, 10).await.unwrap().is_empty());
    assert!(
        store
            .stories(None, Some(StoryState::Scheduled), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(titles(store.stories(None, None, 1).await.unwrap()), ["B"]);

    store
        .add_comment(&as_writer, a.id, "First draft.")
        .await
        .unwrap();
    store
        .add_comment(&as_writer, a.id, "Second.")
        .await
        .unwrap();
    let comments = store.comments(a.id).await.unwrap();
    let bodies: Vec<&str> = comments.iter().map(|(_, body, _)| body.as_str()).collect();
    assert_eq!(bodies, ["First draft.", "Second."]);
    assert_eq!(comments[0].0, writer);
    assert!(store.comments(b.id).await.unwrap().is_empty());
    assert!(matches!(
        store.add_comment(&sys(), a.id, "x").await.unwrap_err(),
        StoreError::Reference(_)
    ));
    assert!(matches!(
        store.add_comment(&as_writer, 9_999, "x").await.unwrap_err(),
        StoreError::Reference(_)
    ));

    let v = store
        .save_variant(
            &as_writer,
            a.id,
            None,
            &chorus_store::VariantInput {
                account_id: account.id,
                locale: "fi-FI".into(),
                body: "Hei".into(),
                scheduled_at_ms: None,
            },
        )
        .await
        .unwrap();
    let bytes = b"\x89PNG\r\n\x1a\n-bytes".to_vec();
    let meta = store
        .add_image(&as_writer, v.id, "a.png", "image/png", &bytes, "alt")
        .await
        .unwrap();
    let (got, got_bytes) = store.image(meta.id).await.unwrap();
    assert_eq!((got, got_bytes), (meta, bytes));
    assert!(matches!(
        store.image(9_999).await.unwrap_err(),
        StoreError::NotFound { what: "image" }
    ));
}

support::conformance_suite!(
    the_store_and_the_organization,
    markets_teams_and_people_by_key,
    accounts_campaigns_stories_and_comments,
);
