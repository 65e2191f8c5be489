//! The sign-in rules and the sign-in transaction against a real (temporary SQLite) store: admins
//! only manage rules; a first sign-in creates the person with what the rules give; later
//! sign-ins follow group changes, keep memberships granted by hand, and end all access of someone
//! the rules give nothing. The protocol itself runs against a real provider in
//! `crates/chorus/tests/cli/oidc`.

use chorus_core::Role;
use chorus_core::audit::Author;
use chorus_core::user::Membership;
use chorus_store::{AuditQuery, SsoOutcome, SsoProfile};

use super::*;
use crate::users::tests::world;

fn profile(sub: &str, email: &str, groups: &[&str]) -> SsoProfile {
    SsoProfile {
        provider: "idp".into(),
        subject: sub.into(),
        email: Email::parse(email).unwrap(),
        email_verified: true,
        display_name: "Aino".into(),
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
    }
}

fn rule(group: &str, role: &str, market: Option<&str>, suffix: bool) -> NewRule {
    NewRule {
        group: group.into(),
        role: role.into(),
        market: market.map(str::to_owned),
        market_from_suffix: suffix,
    }
}

async fn sign_in(
    w: &crate::users::tests::World,
    p: &SsoProfile,
) -> (SsoOutcome, Vec<chorus_store::SourcedMembership>) {
    let rules = w.store.sso_rules().await.unwrap();
    let markets: Vec<(MarketId, String)> = w
        .store
        .markets()
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.id, m.code.to_string()))
        .collect();
    let given = memberships_for(&p.groups, &rules, &markets);
    let outcome = w.store.sso_sign_in(p, &given, 60_000).await.unwrap();
    let user = match &outcome {
        SsoOutcome::SignedIn { user, .. } => Some(*user),
        SsoOutcome::NoAccess { user } => *user,
        _ => None,
    };
    let held = match user {
        Some(u) => w.store.sourced_memberships(u).await.unwrap(),
        None => Vec::new(),
    };
    (outcome, held)
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
async fn memberships_follow_the_groups_at_each_sign_in() {
    let w = world().await;
    let admin = w
        .person("admin@example.com", &[(Role::Admin, None)], None)
        .await;
    let admin = w.caller(admin).await;
    create_rule(
        &w.app,
        &admin,
        &rule("social-fi-editors", "editor", Some("FI"), false),
    )
    .await
    .unwrap();
    let leads = create_rule(
        &w.app,
        &admin,
        &rule("social-leads-*", "market_lead", None, true),
    )
    .await
    .unwrap();

    // First sign-in: created, an editor in FI by the first rule.
    let (outcome, held) = sign_in(
        &w,
        &profile("s1", "aino@example.com", &["social-fi-editors"]),
    )
    .await;
    let SsoOutcome::SignedIn { user, created, .. } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(created);
    assert_eq!(held.len(), 1);
    assert_eq!(
        held[0].membership,
        Membership::new(Role::Editor, Some(w.fi)).unwrap()
    );
    assert!(held[0].rule.is_some());

    // An admin grants an analyst role by hand; the groups change to lead BR.
    w.app
        .store
        .grant(
            &admin.author(),
            user,
            Membership::new(Role::Analyst, Some(w.br)).unwrap(),
        )
        .await
        .unwrap();
    let (outcome, held) =
        sign_in(&w, &profile("s1", "aino@example.com", &["social-leads-br"])).await;
    assert!(matches!(
        outcome,
        SsoOutcome::SignedIn { created: false, .. }
    ));
    let mut got: Vec<(Membership, Option<i64>)> =
        held.iter().map(|h| (h.membership, h.rule)).collect();
    got.sort_by_key(|(m, _)| format!("{m:?}"));
    assert_eq!(
        got,
        vec![
            (Membership::new(Role::Analyst, Some(w.br)).unwrap(), None),
            (
                Membership::new(Role::MarketLead, Some(w.br)).unwrap(),
                Some(leads.id)
            ),
        ],
        "the editor role went with the group; the hand-granted analyst role stayed"
    );

    // Removed from every mapped group, with nothing by hand: no access, sessions and tokens end.
    w.app
        .store
        .revoke(
            &admin.author(),
            user,
            Membership::new(Role::Analyst, Some(w.br)).unwrap(),
        )
        .await
        .unwrap();
    let token = w
        .store
        .create_api_token(&Author::system("test"), user, "script")
        .await
        .unwrap();
    let (other_session, _) = w.store.create_session(user, 60_000).await.unwrap();
    let (outcome, held) = sign_in(&w, &profile("s1", "aino@example.com", &["unrelated"])).await;
    assert_eq!(outcome, SsoOutcome::NoAccess { user: Some(user) });
    assert!(held.is_empty());
    assert!(w.store.session(&other_session).await.unwrap().is_none());
    assert!(
        w.store
            .api_token_user(&token.secret)
            .await
            .unwrap()
            .is_none()
    );
    let ended = w
        .store
        .audit_entries(&AuditQuery {
            subject_type: Some("user".into()),
            subject_id: Some(user.to_string()),
            limit: 20,
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = ended.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions[0], "user.access_ended", "{actions:?}");
    assert!(actions.contains(&"membership.revoke") && actions.contains(&"user.create"));
}

#[tokio::test]
async fn nobody_is_created_without_a_mapped_group_and_deactivated_people_stay_out() {
    let w = world().await;
    let admin = w
        .person("admin@example.com", &[(Role::Admin, None)], None)
        .await;
    let admin = w.caller(admin).await;
    create_rule(
        &w.app,
        &admin,
        &rule("staff", "contributor", Some("FI"), false),
    )
    .await
    .unwrap();
    let (outcome, _) = sign_in(&w, &profile("s9", "nobody@example.com", &["other"])).await;
    assert_eq!(outcome, SsoOutcome::NoAccess { user: None });
    assert!(
        w.store
            .user_by_email(&Email::parse("nobody@example.com").unwrap())
            .await
            .unwrap()
            .is_none()
    );

    // An existing user with the email: linked only when the provider vouches for it.
    let existing = w.person("kai@example.com", &[], None).await;
    let mut unverified = profile("s2", "kai@example.com", &["staff"]);
    unverified.email_verified = false;
    assert_eq!(sign_in(&w, &unverified).await.0, SsoOutcome::EmailTaken);
    let (outcome, _) = sign_in(&w, &profile("s2", "kai@example.com", &["staff"])).await;
    assert!(
        matches!(outcome, SsoOutcome::SignedIn { user, created: false, .. } if user == existing)
    );

    w.store
        .update_user(&admin.author(), existing, "Kai", false)
        .await
        .unwrap();
    assert_eq!(
        sign_in(&w, &profile("s2", "kai@example.com", &["staff"]))
            .await
            .0,
        SsoOutcome::Deactivated
    );
}

#[tokio::test]
async fn a_state_is_taken_once_and_only_before_it_expires() {
    let w = world().await;
    let pending = PendingSignIn {
        provider: "idp".into(),
        nonce: "n".into(),
        code_verifier: "v".into(),
        next: "/playbook".into(),
    };
    w.store
        .begin_sso_login("state-1", &pending, 60_000)
        .await
        .unwrap();
    assert_eq!(
        w.store.take_sso_login("state-1").await.unwrap(),
        Some(pending.clone())
    );
    assert_eq!(
        w.store.take_sso_login("state-1").await.unwrap(),
        None,
        "replayed"
    );
    w.store
        .begin_sso_login("state-2", &pending, -1)
        .await
        .unwrap();
    assert_eq!(
        w.store.take_sso_login("state-2").await.unwrap(),
        None,
        "expired"
    );
    assert_eq!(w.store.take_sso_login("never").await.unwrap(), None);
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
