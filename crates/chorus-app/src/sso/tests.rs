//! The sign-in use cases against a real (temporary SQLite) store: admins only manage the group
//! rules, bad rules name the field, and password sign-in can be kept for break-glass admins.
//! The sign-in transaction is in the store's conformance suite (`tests/conformance/sso.rs`, both
//! backends); the protocol runs against a real provider in `crates/chorus/tests/cli/oidc`.

use chorus_core::Role;
use chorus_store::AuditQuery;

use super::*;
use crate::users::tests::world;

fn rule(group: &str, role: &str, market: Option<&str>, suffix: bool) -> NewRule {
    NewRule {
        group: group.into(),
        role: role.into(),
        market: market.map(str::to_owned),
        market_from_suffix: suffix,
    }
}

#[tokio::test]
async fn only_admins_manage_rules_and_bad_rules_name_the_field() {
    let w = world().await;
    let admin = w
        .person("admin@example.com", &[(Role::Admin, None)], None)
        .await;
    let admin = w.caller(admin).await;
    let lead = w
        .person("lead@example.com", &[(Role::MarketLead, Some(w.fi))], None)
        .await;
    let lead = w.caller(lead).await;
    assert!(may_manage(&admin) && !may_manage(&lead));
    let made = create_rule(
        &w.app,
        &admin,
        &rule("social-fi-editors", "editor", Some("fi"), false),
    )
    .await
    .unwrap();
    assert_eq!(made.scope, chorus_core::sso::RuleScope::Market(w.fi));
    assert!(matches!(
        create_rule(&w.app, &lead, &rule("x", "editor", Some("FI"), false)).await,
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        rules(&w.app, &lead).await,
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        delete_rule(&w.app, &lead, made.id).await,
        Err(Error::Forbidden(_))
    ));
    for (bad, field) in [
        (rule("g", "emperor", None, false), "role"),
        (rule("g", "editor", Some("XX"), false), "market"),
        (rule("g", "editor", None, true), "market"),
        (rule("a b", "editor", None, false), "group"),
    ] {
        let e = create_rule(&w.app, &admin, &bad).await.unwrap_err();
        assert_eq!(e.field(), Some(field), "{bad:?}: {e}");
    }
    assert_eq!(rules(&w.app, &admin).await.unwrap().len(), 1);
    delete_rule(&w.app, &admin, made.id).await.unwrap();
    assert!(rules(&w.app, &admin).await.unwrap().is_empty());
    let log = w
        .store
        .audit_entries(&AuditQuery {
            subject_type: Some("sso_rule".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["sso_rule.delete", "sso_rule.create"]);
}

#[tokio::test]
async fn password_sign_in_can_be_kept_for_break_glass_admins_only() {
    let w = world().await;
    let hash = chorus_core::password::hash("correct horse battery").unwrap();
    w.person(
        "root@example.com",
        &[(Role::Admin, None)],
        Some(hash.clone()),
    )
    .await;
    w.person("ed@example.com", &[(Role::Editor, Some(w.fi))], Some(hash))
        .await;
    let app = w.app.clone().with_sso(SsoSettings {
        providers: Vec::new(),
        password_sign_in: PasswordSignIn::BreakGlass(vec!["root@example.com".into()]),
    });
    crate::auth::log_in(&app, "root@example.com", "correct horse battery", None)
        .await
        .unwrap();
    let refused = crate::auth::log_in(&app, "ed@example.com", "correct horse battery", None)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, Error::Forbidden(ref m) if m.contains("turned off")),
        "{refused}"
    );
    assert!(matches!(
        crate::auth::log_in(&app, "ed@example.com", "wrong password!!", None).await,
        Err(Error::Unauthenticated)
    ));
}
