//! The users use cases against a real (temporary SQLite) store: who sees whom, who grants what,
//! and that refusals change nothing. The same rules are exercised over HTTP in chorus-web.

use chorus_core::audit::Author;
use chorus_core::org::MarketInput;
use chorus_core::user::{Email, Membership};
use chorus_core::{MarketId, Role, Scope, UserId};
use chorus_store::{AuditQuery, DatabaseUrl, NewUser, Store};

use super::*;
use crate::{App, AppConfig, Caller, Error};

pub(crate) struct World {
    pub app: App,
    pub store: Store,
    pub fi: MarketId,
    pub br: MarketId,
    _dir: tempfile::TempDir,
}

pub(crate) async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&DatabaseUrl::sqlite_in(dir.path()))
        .await
        .unwrap();
    let sys = Author::system("test");
    let mut ids = Vec::new();
    for (code, tz) in [("FI", "Europe/Helsinki"), ("BR", "America/Sao_Paulo")] {
        let input = MarketInput::parse(code, code, code, &["en-US".into()], tz).unwrap();
        ids.push(store.create_market(&sys, &input).await.unwrap().id);
    }
    World {
        app: App::new(store.clone(), AppConfig::default()),
        store,
        fi: ids[0],
        br: ids[1],
        _dir: dir,
    }
}

impl World {
    /// A person holding `roles`, with password `hash` (a stored hash, not checked here).
    pub async fn person(
        &self,
        email: &str,
        roles: &[(Role, Option<MarketId>)],
        hash: Option<String>,
    ) -> UserId {
        let memberships = roles
            .iter()
            .map(|(r, m)| Membership::new(*r, *m).unwrap())
            .collect();
        self.store
            .create_user(
                &Author::system("test"),
                &NewUser {
                    email: Email::parse(email).unwrap(),
                    display_name: email.into(),
                    password_hash: hash,
                    memberships,
                },
            )
            .await
            .unwrap()
            .id
    }

    pub async fn caller(&self, id: UserId) -> Caller {
        let (user, actor) = self.store.user_and_actor(id).await.unwrap();
        Caller::person(user, actor)
    }

    /// Every user with their memberships, and the audit log's length.
    pub async fn state(&self) -> (Vec<UserWithMemberships>, usize) {
        let log = self
            .store
            .audit_entries(&AuditQuery {
                limit: 500,
                from_ms: None,
                to_ms: None,
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        (self.store.users(None).await.unwrap(), log.len())
    }
}

fn fields(role: &str, market: &str) -> MembershipFields {
    MembershipFields {
        role: role.into(),
        market: market.into(),
    }
}

#[tokio::test]
async fn a_lead_sees_and_grants_at_home_only() {
    let w = world().await;
    let lead = w
        .person("lead@example.com", &[(Role::MarketLead, Some(w.fi))], None)
        .await;
    let home = w
        .person("home@example.com", &[(Role::Editor, Some(w.fi))], None)
        .await;
    let away = w
        .person("away@example.com", &[(Role::Editor, Some(w.br))], None)
        .await;
    let both = w
        .person(
            "both@example.com",
            &[(Role::Contributor, Some(w.fi)), (Role::Editor, Some(w.br))],
            None,
        )
        .await;
    let admin = w
        .person("admin@example.com", &[(Role::Admin, None)], None)
        .await;
    let lead = w.caller(lead).await;

    let seen: Vec<UserId> = list(&w.app, &lead)
        .await
        .unwrap()
        .iter()
        .map(|u| u.user.id)
        .collect();
    assert!(seen.contains(&home) && seen.contains(&both));
    assert!(!seen.contains(&away) && !seen.contains(&admin));

    let before = w.state().await;
    for target in [away, admin, UserId(999)] {
        for result in [
            grant(&w.app, &lead, target, &fields("analyst", "FI")).await,
            revoke(&w.app, &lead, target, &fields("editor", "BR")).await,
        ] {
            assert!(matches!(result, Err(Error::NotFound("user"))), "{result:?}");
        }
        let result = update(&w.app, &lead, target, &ProfileFields::default()).await;
        assert!(matches!(result, Err(Error::NotFound("user"))), "{result:?}");
        assert!(matches!(
            user(&w.app, &lead, target).await,
            Err(Error::NotFound("user"))
        ));
    }
    for (role, market) in [
        ("market_lead", "FI"),
        ("admin", ""),
        ("admin", "FI"),
        ("editor", ""),
        ("editor", "global"),
        ("analyst", "BR"),
    ] {
        let result = grant(&w.app, &lead, home, &fields(role, market)).await;
        assert!(
            matches!(result, Err(Error::Forbidden(_))),
            "{role} {market}: {result:?}"
        );
    }
    let result = revoke(&w.app, &lead, both, &fields("editor", "BR")).await;
    assert!(matches!(result, Err(Error::Forbidden(_))), "{result:?}");
    let rename = ProfileFields {
        display_name: Some("Renamed".into()),
        ..ProfileFields::default()
    };
    let result = update(&w.app, &lead, both, &rename).await;
    assert!(matches!(result, Err(Error::Forbidden(_))), "{result:?}");
    assert_eq!(w.state().await, before, "refusals change nothing");

    let granted = grant(&w.app, &lead, both, &fields("analyst", "FI"))
        .await
        .unwrap();
    assert!(granted.memberships.contains(&Membership {
        role: Role::Analyst,
        scope: Scope::Market(w.fi),
    }));
    let renamed = update(&w.app, &lead, home, &rename).await.unwrap();
    assert_eq!(renamed.user.display_name, "Renamed");
}

#[tokio::test]
async fn whoever_may_not_see_people_is_told_so() {
    let w = world().await;
    let editor = w
        .person("ed@example.com", &[(Role::Editor, Some(w.fi))], None)
        .await;
    let editor = w.caller(editor).await;
    assert!(matches!(
        list(&w.app, &editor).await,
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        grant(&w.app, &editor, editor.user_id(), &fields("analyst", "FI")).await,
        Err(Error::Forbidden(_))
    ));
    let new = NewUserFields {
        email: "not an email".into(),
        ..NewUserFields::default()
    };
    assert!(
        matches!(
            create(&w.app, &editor, &new).await,
            Err(Error::Forbidden(_))
        ),
        "refused before the input is read"
    );
}

#[tokio::test]
async fn the_operator_adds_anyone_and_names_fields_on_bad_input() {
    let w = world().await;
    let operator = Caller::operator();
    let mut new = NewUserFields {
        email: "Ana@Example.com".into(),
        display_name: "Ana".into(),
        password: "long enough password".into(),
        memberships: vec![fields("admin", "")],
    };
    let ana = create(&w.app, &operator, &new).await.unwrap();
    assert_eq!(ana.user.email.as_str(), "ana@example.com");
    let log = w
        .store
        .audit_entries(&AuditQuery {
            limit: 1,
            from_ms: None,
            to_ms: None,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(log[0].actor_label, "system (cli)");
    let dup = create(&w.app, &operator, &new).await.unwrap_err();
    assert_eq!(dup.field(), Some("email"));
    new.email = "bo@example.com".into();
    for (membership, field) in [
        (fields("wizard", "FI"), "memberships[0].role"),
        (fields("editor", "ZZ"), "memberships[0].market"),
        (fields("admin", "FI"), "memberships[0].market"),
    ] {
        new.memberships = vec![membership];
        let err = create(&w.app, &operator, &new).await.unwrap_err();
        assert_eq!(err.field(), Some(field), "{err:?}");
    }
    new.memberships = vec![];
    let err = create(&w.app, &operator, &new).await.unwrap_err();
    assert_eq!(err.field(), Some("memberships"));
}

#[tokio::test]
async fn admins_keep_themselves() {
    let w = world().await;
    let admin = w
        .person("admin@example.com", &[(Role::Admin, None)], None)
        .await;
    let me = w.caller(admin).await;
    let before = w.state().await;
    let off = ProfileFields {
        active: Some(false),
        ..ProfileFields::default()
    };
    let err = update(&w.app, &me, admin, &off).await.unwrap_err();
    assert_eq!(err.field(), Some("active"));
    let err = revoke(&w.app, &me, admin, &fields("admin", ""))
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("role"));
    let short = ProfileFields {
        display_name: Some("Renamed".into()),
        password: Some("short".into()),
        ..ProfileFields::default()
    };
    let err = update(&w.app, &me, admin, &short).await.unwrap_err();
    assert_eq!(err.field(), Some("password"));
    assert_eq!(w.state().await, before, "nothing changed");
}
