//! Single sign-on's records on both backends: a sign-in's state is taken once and only before
//! it expires; rules are audited; a sign-in creates the person it brings (nobody when the rules
//! give nothing), sets their rule-given memberships to what the rules give now while keeping
//! those granted by hand, and — left with no membership — ends every session and API token.

use chorus_core::audit::Author;
use chorus_core::org::MarketInput;
use chorus_core::sso::{GroupPattern, RuleScope, memberships_for};
use chorus_core::user::{Email, Membership};
use chorus_core::{MarketId, Role};
use chorus_store::{AuditQuery, PendingSignIn, SsoOutcome, SsoProfile, Store};

async fn market(store: &Store, code: &str) -> MarketId {
    store
        .create_market(
            &Author::system("test"),
            &MarketInput::parse(code, code, code, &["en-GB".into()], "Europe/London").unwrap(),
        )
        .await
        .unwrap()
        .id
}

fn profile(email: &str, groups: &[&str]) -> SsoProfile {
    SsoProfile {
        provider: "idp".into(),
        subject: "sub-1".into(),
        email: Email::parse(email).unwrap(),
        email_verified: true,
        display_name: "Aino".into(),
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
    }
}

/// Signs `p` in under the stored rules; answers the outcome and the memberships held after.
async fn sign_in(store: &Store, p: &SsoProfile) -> (SsoOutcome, Vec<(Membership, bool)>) {
    let rules = store.sso_rules().await.unwrap();
    let markets: Vec<(MarketId, String)> = store
        .markets()
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.id, m.code.to_string()))
        .collect();
    let given = memberships_for(&p.groups, &rules, &markets);
    let outcome = store.sso_sign_in(p, &given, 60_000).await.unwrap();
    let user = match &outcome {
        SsoOutcome::SignedIn { user, .. } | SsoOutcome::NoAccess { user: Some(user) } => *user,
        _ => return (outcome, Vec::new()),
    };
    let held = store
        .sourced_memberships(user)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.membership, m.rule.is_some()))
        .collect();
    (outcome, held)
}

async fn a_state_is_taken_once_before_it_expires(store: &Store) {
    let pending = PendingSignIn {
        provider: "idp".into(),
        nonce: "n".into(),
        code_verifier: "v".repeat(43),
        next: "/playbook".into(),
    };
    store.begin_sso_login("s1", &pending, 60_000).await.unwrap();
    assert_eq!(
        store.take_sso_login("s1").await.unwrap(),
        Some(pending.clone())
    );
    assert_eq!(store.take_sso_login("s1").await.unwrap(), None, "replayed");
    store.begin_sso_login("s2", &pending, -1).await.unwrap();
    assert_eq!(store.take_sso_login("s2").await.unwrap(), None, "expired");
}

async fn rules_are_audited(store: &Store) {
    let fi = market(store, "FI").await;
    let admin = Author::system("test");
    let rule = store
        .create_sso_rule(
            &admin,
            &GroupPattern::parse("social-fi-editors").unwrap(),
            Role::Editor,
            RuleScope::Market(fi),
        )
        .await
        .unwrap();
    let suffix = store
        .create_sso_rule(
            &admin,
            &GroupPattern::parse("social-leads-*").unwrap(),
            Role::MarketLead,
            RuleScope::FromSuffix,
        )
        .await
        .unwrap();
    assert_eq!(store.sso_rules().await.unwrap(), vec![rule.clone(), suffix]);
    store.delete_sso_rule(&admin, rule.id).await.unwrap();
    assert!(
        store.delete_sso_rule(&admin, rule.id).await.is_err(),
        "gone"
    );
    let log = store
        .audit_entries(&AuditQuery {
            subject_type: Some("sso_rule".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["sso_rule.delete", "sso_rule.create", "sso_rule.create"]
    );
}

async fn sign_ins_follow_the_groups_and_end_access(store: &Store) {
    let fi = market(store, "FI").await;
    let br = market(store, "BR").await;
    let admin = Author::system("test");
    for (group, role, scope) in [
        ("social-fi-editors", Role::Editor, RuleScope::Market(fi)),
        ("social-leads-*", Role::MarketLead, RuleScope::FromSuffix),
    ] {
        store
            .create_sso_rule(&admin, &GroupPattern::parse(group).unwrap(), role, scope)
            .await
            .unwrap();
    }
    assert_eq!(
        sign_in(store, &profile("nobody@example.com", &["other"]))
            .await
            .0,
        SsoOutcome::NoAccess { user: None },
        "nobody is created without a mapped group"
    );
    let (outcome, held) =
        sign_in(store, &profile("aino@example.com", &["social-fi-editors"])).await;
    let SsoOutcome::SignedIn {
        user,
        token,
        created: true,
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(
        held,
        vec![(Membership::new(Role::Editor, Some(fi)).unwrap(), true)]
    );
    assert_eq!(store.session(&token).await.unwrap().unwrap().user_id, user);

    let by_hand = Membership::new(Role::Analyst, Some(br)).unwrap();
    store.grant(&admin, user, by_hand).await.unwrap();
    let (_, mut held) = sign_in(store, &profile("aino@example.com", &["social-leads-br"])).await;
    held.sort_by_key(|(m, _)| format!("{m:?}"));
    assert_eq!(
        held,
        vec![
            (by_hand, false),
            (Membership::new(Role::MarketLead, Some(br)).unwrap(), true),
        ]
    );

    store.revoke(&admin, user, by_hand).await.unwrap();
    let api = store
        .create_api_token(&admin, user, "script")
        .await
        .unwrap();
    let (outcome, held) = sign_in(store, &profile("aino@example.com", &[])).await;
    assert_eq!(outcome, SsoOutcome::NoAccess { user: Some(user) });
    assert!(held.is_empty());
    assert!(
        store.session(&token).await.unwrap().is_none(),
        "sessions ended"
    );
    assert!(
        store.api_token_user(&api.secret).await.unwrap().is_none(),
        "tokens revoked"
    );
    let log = store
        .audit_entries(&AuditQuery {
            subject_type: Some("user".into()),
            subject_id: Some(user.to_string()),
            limit: 20,
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions[0], "user.access_ended", "{actions:?}");
    assert!(actions.contains(&"user.create"));
    assert_eq!(
        log.iter()
            .filter(|e| e.action == "membership.grant")
            .count(),
        3
    );

    store
        .update_user(&admin, user, "Aino", false)
        .await
        .unwrap();
    assert_eq!(
        sign_in(store, &profile("aino@example.com", &["social-fi-editors"]))
            .await
            .0,
        SsoOutcome::Deactivated
    );
}

async fn a_first_sign_in_takes_over_an_existing_user_only_with_a_verified_email(store: &Store) {
    let fi = market(store, "FI").await;
    let admin = Author::system("test");
    store
        .create_sso_rule(
            &admin,
            &GroupPattern::parse("staff").unwrap(),
            Role::Contributor,
            RuleScope::Market(fi),
        )
        .await
        .unwrap();
    let existing = store
        .create_user(
            &admin,
            &chorus_store::NewUser {
                email: Email::parse("kai@example.com").unwrap(),
                display_name: "Kai".into(),
                password_hash: None,
                memberships: Vec::new(),
            },
        )
        .await
        .unwrap()
        .id;
    let mut unverified = profile("kai@example.com", &["staff"]);
    unverified.email_verified = false;
    assert_eq!(sign_in(store, &unverified).await.0, SsoOutcome::EmailTaken);
    let (outcome, held) = sign_in(store, &profile("kai@example.com", &["staff"])).await;
    assert!(
        matches!(outcome, SsoOutcome::SignedIn { user, created: false, .. } if user == existing),
        "{outcome:?}"
    );
    assert_eq!(
        held,
        vec![(Membership::new(Role::Contributor, Some(fi)).unwrap(), true)]
    );
}

crate::support::conformance_suite!(
    a_first_sign_in_takes_over_an_existing_user_only_with_a_verified_email,
    a_state_is_taken_once_before_it_expires,
    rules_are_audited,
    sign_ins_follow_the_groups_and_end_access,
);
