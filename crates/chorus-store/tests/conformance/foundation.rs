//! Organization, users, sessions, playbook, audit, settings, backup.

use crate::support;

use chorus_core::audit::Author;
use chorus_core::org::{MarketInput, team_name};
use chorus_core::playbook::{MarketExample, PrincipleInput, RawPrinciple};
use chorus_core::user::{Email, Membership};
use chorus_core::{Action, Role, Scope, UserId, permission};
use chorus_store::{AuditQuery, NewUser, Store, StoreError};

fn system() -> Author {
    Author::system("test")
}

fn market(code: &str, tz: &str) -> MarketInput {
    MarketInput::parse(code, &format!("Market {code}"), "FI", &["fi-FI".into()], tz).unwrap()
}

fn principle(number: i64, title: &str) -> PrincipleInput {
    PrincipleInput::parse(&RawPrinciple {
        number,
        pillar: "stories".into(),
        title: title.into(),
        statement: format!("Statement of {title}."),
        ..Default::default()
    })
    .unwrap()
}

async fn migrations_are_idempotent(store: &Store) {
    let again = store.migrate().await.unwrap();
    assert!(again.applied.is_empty(), "{again:?}");
    assert!(again.current >= 1);
    assert!(store.pending_migrations().await.unwrap().is_empty());
    store.ping().await.unwrap();
}

async fn markets_and_teams(store: &Store) {
    let fi = store
        .create_market(&system(), &market("FI", "Europe/Helsinki"))
        .await
        .unwrap();
    let br = store
        .create_market(&system(), &market("BR", "America/Sao_Paulo"))
        .await
        .unwrap();
    let err = store
        .create_market(&system(), &market("FI", "UTC"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::AlreadyExists { field: "code", .. }),
        "{err:?}"
    );

    let mut changed = market("FI", "Europe/Helsinki");
    changed.name = "Suomi".into();
    changed
        .locales
        .push(chorus_core::org::Locale::parse("sv-FI").unwrap());
    store
        .update_market(&system(), fi.id, &changed)
        .await
        .unwrap();
    let got = store.market(fi.id).await.unwrap();
    assert_eq!(got.name, "Suomi");
    assert_eq!(got.locales.len(), 2);
    assert_eq!(got.timezone.as_str(), "Europe/Helsinki");
    let listed: Vec<String> = store
        .markets()
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(listed, ["Market BR", "Suomi"]);

    let name = team_name("Community care").unwrap();
    let team = store.create_team(&system(), br.id, &name).await.unwrap();
    let err = store
        .create_team(&system(), br.id, &name)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::AlreadyExists { field: "name", .. }),
        "{err:?}"
    );
    store.create_team(&system(), fi.id, &name).await.unwrap();
    let err = store
        .create_team(&system(), chorus_core::MarketId(9999), "Ghosts")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Reference(_)), "{err:?}");
    store.rename_team(&system(), team.id, "Care").await.unwrap();
    assert_eq!(store.teams(Some(br.id)).await.unwrap()[0].name, "Care");
    assert_eq!(store.teams(None).await.unwrap().len(), 2);
    store.delete_team(&system(), team.id).await.unwrap();
    assert!(store.teams(Some(br.id)).await.unwrap().is_empty());
}

async fn users_memberships_and_actors(store: &Store) {
    let fi = store
        .create_market(&system(), &market("FI", "Europe/Helsinki"))
        .await
        .unwrap();
    let br = store
        .create_market(&system(), &market("BR", "UTC"))
        .await
        .unwrap();
    let lead = Membership::new(Role::MarketLead, Some(fi.id)).unwrap();
    let user = store
        .create_user(
            &system(),
            &NewUser {
                email: Email::parse("Aino@Example.com").unwrap(),
                display_name: "Aino Virtanen".into(),
                password_hash: Some("hash-1".into()),
                memberships: vec![lead],
            },
        )
        .await
        .unwrap();
    assert_eq!(user.email.as_str(), "aino@example.com");
    let err = store
        .create_user(
            &system(),
            &NewUser {
                email: Email::parse("aino@example.com").unwrap(),
                display_name: "Dup".into(),
                password_hash: None,
                memberships: vec![],
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::AlreadyExists { field: "email", .. }),
        "{err:?}"
    );

    let actor = store.actor(user.id).await.unwrap();
    assert!(permission::allows(
        &actor,
        Action::ManageTeams,
        Scope::Market(fi.id)
    ));
    assert!(!permission::allows(
        &actor,
        Action::ManageTeams,
        Scope::Market(br.id)
    ));

    let editor_br = Membership::new(Role::Editor, Some(br.id)).unwrap();
    assert!(store.grant(&system(), user.id, editor_br).await.unwrap());
    assert!(
        !store.grant(&system(), user.id, editor_br).await.unwrap(),
        "granting twice is a no-op"
    );
    let global_analyst = Membership::new(Role::Analyst, None).unwrap();
    assert!(
        store
            .grant(&system(), user.id, global_analyst)
            .await
            .unwrap()
    );
    assert!(
        !store
            .grant(&system(), user.id, global_analyst)
            .await
            .unwrap()
    );
    assert_eq!(store.memberships(user.id).await.unwrap().len(), 3);
    assert_eq!(store.users(Some(br.id)).await.unwrap().len(), 1);
    assert!(store.revoke(&system(), user.id, editor_br).await.unwrap());
    assert!(
        store
            .revoke(&system(), user.id, global_analyst)
            .await
            .unwrap()
    );
    let again = store
        .revoke(&system(), user.id, global_analyst)
        .await
        .unwrap_err();
    assert!(
        matches!(again, StoreError::NotFound { what: "membership" }),
        "revoking what the user does not hold is refused: {again:?}"
    );
    assert_eq!(store.memberships(user.id).await.unwrap(), vec![lead]);
    assert!(store.users(Some(br.id)).await.unwrap().is_empty());
    let bad = Membership::new(Role::Editor, Some(chorus_core::MarketId(4242))).unwrap();
    assert!(matches!(
        store.grant(&system(), user.id, bad).await.unwrap_err(),
        StoreError::Reference(_)
    ));

    let email = Email::parse("aino@example.com").unwrap();
    assert_eq!(
        store.login_credentials(&email).await.unwrap(),
        Some((user.id, "hash-1".into()))
    );
    let (token, _) = store.create_session(user.id, 60_000).await.unwrap();
    assert!(store.session(&token).await.unwrap().is_some());
    store
        .update_user(&system(), user.id, "Aino V.", false)
        .await
        .unwrap();
    assert_eq!(
        store.login_credentials(&email).await.unwrap(),
        None,
        "inactive users cannot log in"
    );
    assert!(
        store.session(&token).await.unwrap().is_none(),
        "deactivation ends sessions"
    );
    assert_eq!(store.user(user.id).await.unwrap().display_name, "Aino V.");

    let team = store.create_team(&system(), fi.id, "Social").await.unwrap();
    store
        .set_team_member(&system(), team.id, user.id, true)
        .await
        .unwrap();
    store
        .set_team_member(&system(), team.id, user.id, true)
        .await
        .unwrap();
    assert_eq!(store.team_members(team.id).await.unwrap(), vec![user.id]);
    store
        .set_team_member(&system(), team.id, user.id, false)
        .await
        .unwrap();
    assert!(store.team_members(team.id).await.unwrap().is_empty());
}

async fn sessions_and_api_tokens(store: &Store) {
    let user = support::user(store, "sam@example.com", vec![]).await;
    let (token, session) = store.create_session(user, 60_000).await.unwrap();
    let found = store.session(&token).await.unwrap().unwrap();
    assert_eq!(found, session);
    assert_ne!(found.csrf_token, token);
    assert!(store.session("not-a-token").await.unwrap().is_none());
    let (expired, _) = store.create_session(user, -1).await.unwrap();
    assert!(store.session(&expired).await.unwrap().is_none());
    assert_eq!(store.delete_expired_sessions().await.unwrap(), 1);
    store.delete_session(&token).await.unwrap();
    assert!(store.session(&token).await.unwrap().is_none());

    let author = Author::user(user, "sam@example.com");
    let created = store
        .create_api_token(&author, user, "reporting")
        .await
        .unwrap();
    assert!(created.secret.starts_with("chorus_"));
    assert!(created.secret.starts_with(&created.token.prefix));
    assert_eq!(
        store.api_token_user(&created.secret).await.unwrap(),
        Some(user)
    );
    assert_eq!(store.api_token_user("chorus_wrong").await.unwrap(), None);
    let listed = store.api_tokens(user).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].last_used_at_ms.is_some());
    assert!(
        !store
            .revoke_api_token(&author, UserId(user.0 + 1), created.token.id)
            .await
            .unwrap()
    );
    assert!(
        store
            .revoke_api_token(&author, user, created.token.id)
            .await
            .unwrap()
    );
    assert_eq!(store.api_token_user(&created.secret).await.unwrap(), None);
}

async fn playbook_crud(store: &Store) {
    let fi = store
        .create_market(&system(), &market("FI", "Europe/Helsinki"))
        .await
        .unwrap();
    let mut input = principle(1, "Consider the social opportunity in everything we do");
    input.market_examples.push(MarketExample {
        market_id: fi.id,
        body: "Helsingissä kysymme ensin: mitä tästä voi jakaa? 🎉 日本語も".into(),
    });
    let p = store.create_principle(&system(), &input).await.unwrap();
    let got = store.principle_by_slug(&p.slug).await.unwrap();
    assert_eq!(
        got.market_examples, input.market_examples,
        "unicode survives the round trip"
    );
    assert_eq!(got.title, input.title);

    let err = store
        .create_principle(
            &system(),
            &principle(2, "Consider the social opportunity in everything we do"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::AlreadyExists { field: "slug", .. }),
        "{err:?}"
    );
    let err = store
        .create_principle(&system(), &principle(1, "Other"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::AlreadyExists {
                field: "number",
                ..
            }
        ),
        "{err:?}"
    );

    let mut edit = input.clone();
    edit.statement = "A new statement.".into();
    edit.market_examples.clear();
    let updated = store
        .update_principle(&system(), p.id, &edit)
        .await
        .unwrap();
    assert_eq!(updated.statement, "A new statement.");
    assert!(
        store
            .principle(p.id)
            .await
            .unwrap()
            .market_examples
            .is_empty()
    );

    let mut bad = edit.clone();
    bad.market_examples.push(MarketExample {
        market_id: chorus_core::MarketId(777),
        body: "x".into(),
    });
    assert!(matches!(
        store
            .update_principle(&system(), p.id, &bad)
            .await
            .unwrap_err(),
        StoreError::Reference(_)
    ));
    assert_eq!(
        store.principle(p.id).await.unwrap().statement,
        "A new statement.",
        "a failed update changes nothing"
    );

    store
        .create_principle(&system(), &principle(2, "Second"))
        .await
        .unwrap();
    let all = store.principles().await.unwrap();
    assert_eq!(all.iter().map(|p| p.number).collect::<Vec<_>>(), [1, 2]);
    store.delete_principle(&system(), p.id).await.unwrap();
    assert!(matches!(
        store.principle(p.id).await.unwrap_err(),
        StoreError::NotFound { .. }
    ));
}

async fn every_change_is_audited(store: &Store) {
    let author = Author::system("audit-test");
    let m = store
        .create_market(&author, &market("KE", "Africa/Nairobi"))
        .await
        .unwrap();
    let t = store.create_team(&author, m.id, "Social").await.unwrap();
    store.rename_team(&author, t.id, "Social KE").await.unwrap();
    let u = store
        .create_user(
            &author,
            &NewUser {
                email: Email::parse("wanjiru@example.com").unwrap(),
                display_name: "Wanjiru".into(),
                password_hash: Some("secret-hash".into()),
                memberships: vec![Membership::new(Role::Editor, Some(m.id)).unwrap()],
            },
        )
        .await
        .unwrap();
    store
        .set_password_hash(&author, u.id, "other-hash", true)
        .await
        .unwrap();
    let p = store
        .create_principle(&author, &principle(3, "Audit me"))
        .await
        .unwrap();
    let mut edit = principle(3, "Audit me");
    edit.statement = "Changed.".into();
    store.update_principle(&author, p.id, &edit).await.unwrap();

    let all = store.audit_entries(&AuditQuery::default()).await.unwrap();
    let actions: Vec<&str> = all.iter().rev().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "market.create",
            "team.create",
            "team.update",
            "user.create",
            "user.password",
            "principle.create",
            "principle.update"
        ]
    );
    for entry in &all {
        assert_eq!(entry.actor_label, "system (audit-test)");
        let text = format!("{:?}{:?}", entry.before, entry.after);
        assert!(
            !text.contains("hash"),
            "secrets never reach the audit log: {text}"
        );
    }
    let update = &all[0];
    let changes = chorus_core::audit::diff(update.before.as_ref(), update.after.as_ref());
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].field, "statement");
    assert_eq!(changes[0].after.as_deref(), Some("Changed."));

    let only_principle = store
        .audit_entries(&AuditQuery {
            subject_type: Some("principle".into()),
            subject_id: Some(p.id.to_string()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(only_principle.len(), 2);
    let page = store
        .audit_entries(&AuditQuery {
            before_id: Some(all[2].id),
            limit: 2,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        page.iter().map(|e| e.id).collect::<Vec<_>>(),
        [all[3].id, all[4].id]
    );

    // A time window: `from_ms` inclusive, `to_ms` exclusive.
    let first = all.iter().map(|e| e.at_ms).min().unwrap();
    let last = all.iter().map(|e| e.at_ms).max().unwrap();
    let window = |from_ms, to_ms| AuditQuery {
        from_ms,
        to_ms,
        ..Default::default()
    };
    let within = store
        .audit_entries(&window(Some(first), Some(last + 1)))
        .await
        .unwrap();
    assert_eq!(within.len(), all.len());
    let after = store
        .audit_entries(&window(Some(last + 1), None))
        .await
        .unwrap();
    assert!(after.is_empty(), "{after:?}");
    let before = store
        .audit_entries(&window(None, Some(first)))
        .await
        .unwrap();
    assert!(before.is_empty(), "{before:?}");
    let by_nobody = store
        .audit_entries(&AuditQuery {
            actor_id: Some(chorus_core::UserId(987_654)),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(by_nobody.is_empty());
}

async fn settings_set_once(store: &Store) {
    assert_eq!(store.setting("demo").await.unwrap(), None);
    assert!(store.set_setting_once("demo", "v1").await.unwrap());
    assert!(!store.set_setting_once("demo", "v2").await.unwrap());
    assert_eq!(store.setting("demo").await.unwrap().as_deref(), Some("v1"));
    store.set_setting("demo", "v3").await.unwrap();
    assert_eq!(store.setting("demo").await.unwrap().as_deref(), Some("v3"));
}

support::conformance_suite!(
    migrations_are_idempotent,
    markets_and_teams,
    users_memberships_and_actors,
    sessions_and_api_tokens,
    playbook_crud,
    every_change_is_audited,
    settings_set_once,
);

#[tokio::test]
async fn sqlite_backup_restores_into_a_fresh_directory() {
    let (store, _dir) = support::sqlite_store().await;
    store
        .create_principle(&system(), &principle(1, "Backed up"))
        .await
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("chorus.backup");
    let mut calls = 0;
    let report = store.backup_sqlite(&file, |_, _| calls += 1).await.unwrap();
    assert!(report.pages > 0 && report.bytes > 0 && calls > 0);
    assert!(
        store.backup_sqlite(&file, |_, _| ()).await.is_err(),
        "never overwrites"
    );

    let fresh = out.path().join("restored").join("chorus.db");
    let db = chorus_store::restore_sqlite(&file, &fresh).await.unwrap();
    let restored = Store::open(&chorus_store::DatabaseUrl::Sqlite(db))
        .await
        .unwrap();
    let titles: Vec<String> = restored
        .principles()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.title)
        .collect();
    assert_eq!(titles, ["Backed up"]);
    let err = chorus_store::restore_sqlite(&file, &fresh)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("restore into an empty one"),
        "{err}"
    );

    let junk = out.path().join("junk.db");
    std::fs::write(&junk, b"not a database at all").unwrap();
    let err = chorus_store::restore_sqlite(&junk, &out.path().join("x"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not a SQLite database"), "{err}");
}

/// A new SQLite database is created in WAL mode with 16 KiB pages (the file header says so),
/// and a backup restored from it keeps them.
#[tokio::test]
async fn sqlite_new_database_has_16_kib_pages_and_wal() {
    fn header(path: &std::path::Path) -> (u32, u8) {
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(&bytes[..16], b"SQLite format 3\0", "{}", path.display());
        let size = match u16::from_be_bytes([bytes[16], bytes[17]]) {
            1 => 65_536,
            n => u32::from(n),
        };
        (size, bytes[18])
    }
    let (store, dir) = support::sqlite_store().await;
    let db = dir.path().join("chorus.db");
    assert_eq!(
        header(&db),
        (16_384, 2),
        "page size and write version (2 = WAL)"
    );
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("chorus.backup");
    store.backup_sqlite(&file, |_, _| ()).await.unwrap();
    let restored = chorus_store::restore_sqlite(&file, &out.path().join("r").join("chorus.db"))
        .await
        .unwrap();
    assert_eq!(header(&restored).0, 16_384);
}
