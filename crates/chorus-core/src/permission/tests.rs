//! Small cases of the rule table; the full matrix is in `matrix.rs`.

use super::*;

const OWN: MarketId = MarketId(1);
const OTHER: MarketId = MarketId(2);

/// An actor holding `role` in the "own" market (or globally, for global-only roles).
fn actor(role: Role) -> Actor {
    let scope = if role.is_global_only() {
        Scope::Global
    } else {
        Scope::Market(OWN)
    };
    Actor {
        user_id: UserId(10),
        memberships: vec![Membership { role, scope }],
    }
}

#[test]
fn no_roles_means_nothing() {
    let nobody = Actor {
        user_id: UserId(1),
        memberships: vec![],
    };
    for action in Action::ALL {
        for scope in [Scope::Global, Scope::Market(OWN)] {
            assert!(!allows(&nobody, action, scope), "{action:?}");
        }
    }
}

#[test]
fn market_leads_grant_working_roles_in_their_market_only() {
    let lead = actor(Role::MarketLead);
    assert!(may_grant(&lead, Role::Editor, Scope::Market(OWN)));
    assert!(may_grant(&lead, Role::CommunityManager, Scope::Market(OWN)));
    assert!(!may_grant(&lead, Role::Editor, Scope::Market(OTHER)));
    assert!(!may_grant(&lead, Role::Editor, Scope::Global));
    assert!(!may_grant(&lead, Role::MarketLead, Scope::Market(OWN)));
    assert!(!may_grant(&lead, Role::Admin, Scope::Global));
    let admin = actor(Role::Admin);
    assert!(may_grant(&admin, Role::Admin, Scope::Global));
    assert!(!may_grant(
        &actor(Role::GlobalLead),
        Role::Editor,
        Scope::Market(OWN)
    ));
}

#[test]
fn market_leads_manage_only_their_markets_people() {
    let lead = actor(Role::MarketLead);
    let own_editor = [Membership {
        role: Role::Editor,
        scope: Scope::Market(OWN),
    }];
    let other_editor = [Membership {
        role: Role::Editor,
        scope: Scope::Market(OTHER),
    }];
    let both = [own_editor[0], other_editor[0]];
    let other_lead = [Membership {
        role: Role::MarketLead,
        scope: Scope::Market(OWN),
    }];
    assert!(may_manage_user(&lead, &own_editor));
    assert!(!may_manage_user(&lead, &other_editor));
    assert!(!may_manage_user(&lead, &both));
    assert!(!may_manage_user(&lead, &other_lead));
    assert!(!may_manage_user(&lead, &[]));
    assert!(may_manage_user(&actor(Role::Admin), &both));
}

#[test]
fn global_analysts_and_community_managers_reach_every_market() {
    let global = |role| Actor {
        user_id: UserId(4),
        memberships: vec![Membership {
            role,
            scope: Scope::Global,
        }],
    };
    let analyst = global(Role::Analyst);
    assert!(allows(
        &analyst,
        Action::ReadConversations,
        Scope::Market(OTHER)
    ));
    assert!(!allows(
        &analyst,
        Action::WorkConversations,
        Scope::Market(OTHER)
    ));
    let cm = global(Role::CommunityManager);
    assert!(allows(&cm, Action::WorkConversations, Scope::Market(OTHER)));
    assert!(!allows(
        &cm,
        Action::ManageListeningQueries,
        Scope::Market(OTHER)
    ));
}

#[test]
fn global_membership_applies_in_every_market() {
    let global_editor = Actor {
        user_id: UserId(3),
        memberships: vec![Membership {
            role: Role::Editor,
            scope: Scope::Global,
        }],
    };
    assert!(global_editor.holds(Role::Editor, Scope::Market(OTHER)));
    assert_eq!(global_editor.markets_with(Role::Editor), None);
    let lead = actor(Role::MarketLead);
    assert_eq!(lead.markets_with(Role::MarketLead), Some(vec![OWN]));
}

#[test]
fn denial_says_what() {
    let err = authorize(&actor(Role::Editor), Action::EditPlaybook, Scope::Global).unwrap_err();
    assert_eq!(err.to_string(), "you may not edit the playbook");
    let err = authorize(
        &actor(Role::MarketLead),
        Action::ManageTeams,
        Scope::Market(OTHER),
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "you may not manage teams in this market");
}

#[test]
fn who_sees_whom() {
    let own_editor = [Membership {
        role: Role::Editor,
        scope: Scope::Market(OWN),
    }];
    let other_editor = [Membership {
        role: Role::Editor,
        scope: Scope::Market(OTHER),
    }];
    let both = [own_editor[0], other_editor[0]];
    let admin = [Membership {
        role: Role::Admin,
        scope: Scope::Global,
    }];
    let lead = actor(Role::MarketLead);
    assert!(may_see_user(&lead, &own_editor));
    assert!(may_see_user(&lead, &both), "someone working here too");
    assert!(!may_see_user(&lead, &other_editor));
    assert!(!may_see_user(&lead, &admin));
    assert!(!may_see_user(&lead, &[]));
    for role in [Role::Admin, Role::GlobalLead] {
        for target in [&own_editor[..], &other_editor, &admin, &[]] {
            assert!(may_see_user(&actor(role), target), "{role} sees everyone");
        }
    }
    for role in [
        Role::Editor,
        Role::Contributor,
        Role::CommunityManager,
        Role::Analyst,
    ] {
        assert!(!may_see_user(&actor(role), &own_editor), "{role}");
    }
}

#[test]
fn grantable_roles_follow_may_grant() {
    assert_eq!(grantable_roles(&actor(Role::Admin)), Role::ALL.to_vec());
    assert_eq!(
        grantable_roles(&actor(Role::MarketLead)),
        [
            Role::Editor,
            Role::Contributor,
            Role::CommunityManager,
            Role::Analyst
        ]
    );
    for role in [
        Role::GlobalLead,
        Role::Editor,
        Role::Contributor,
        Role::CommunityManager,
        Role::Analyst,
    ] {
        assert!(grantable_roles(&actor(role)).is_empty(), "{role}");
    }
}

#[test]
fn conversations_are_assigned_only_to_people_who_may_work_them() {
    let global = |role| Actor {
        user_id: UserId(11),
        memberships: vec![Membership {
            role,
            scope: Scope::Global,
        }],
    };
    for (who, assignee, markets, may) in [
        ("lead here", actor(Role::MarketLead), &[OWN][..], true),
        (
            "community manager here",
            actor(Role::CommunityManager),
            &[OWN],
            true,
        ),
        (
            "community manager, found here and elsewhere",
            actor(Role::CommunityManager),
            &[OTHER, OWN],
            true,
        ),
        (
            "community manager elsewhere",
            actor(Role::CommunityManager),
            &[OTHER],
            false,
        ),
        ("lead elsewhere", actor(Role::MarketLead), &[OTHER], false),
        ("editor here", actor(Role::Editor), &[OWN], false),
        ("analyst here", actor(Role::Analyst), &[OWN], false),
        ("contributor here", actor(Role::Contributor), &[OWN], false),
        ("global lead", actor(Role::GlobalLead), &[OWN], false),
        (
            "global community manager",
            global(Role::CommunityManager),
            &[OTHER],
            true,
        ),
        ("admin", actor(Role::Admin), &[OTHER], true),
        (
            "nobody",
            Actor {
                user_id: UserId(12),
                memberships: vec![],
            },
            &[OWN],
            false,
        ),
        (
            "a conversation of no market",
            actor(Role::CommunityManager),
            &[],
            false,
        ),
    ] {
        assert_eq!(may_be_assigned(&assignee, markets), may, "{who}");
    }
}

#[test]
fn numbers_are_read_by_analysts_and_leads_of_their_markets() {
    // (role, where held) → reads OWN's numbers, OTHER's, the organization's as a whole.
    let cases = [
        (Role::Analyst, Some(OWN), true, false, false),
        (Role::Analyst, None, true, true, true),
        (Role::MarketLead, Some(OWN), true, false, false),
        (Role::MarketLead, None, true, true, true),
        (Role::GlobalLead, None, true, true, true),
        (Role::Admin, None, true, true, true),
        (Role::Editor, Some(OWN), false, false, false),
        (Role::Contributor, Some(OWN), false, false, false),
        (Role::CommunityManager, Some(OWN), false, false, false),
        (Role::CommunityManager, None, false, false, false),
    ];
    for (role, held, own, other, global) in cases {
        let a = Actor {
            user_id: UserId(5),
            memberships: vec![Membership {
                role,
                scope: held.map_or(Scope::Global, Scope::Market),
            }],
        };
        let label = format!("{role} held {held:?}");
        assert_eq!(
            allows(&a, Action::ReadNumbers, Scope::Market(OWN)),
            own,
            "{label} in OWN"
        );
        assert_eq!(
            allows(&a, Action::ReadNumbers, Scope::Market(OTHER)),
            other,
            "{label} in OTHER"
        );
        assert_eq!(
            allows(&a, Action::ReadNumbers, Scope::Global),
            global,
            "{label} globally"
        );
        let where_ = markets_where(&a, Action::ReadNumbers, [OWN, OTHER]);
        let want = if global {
            None
        } else {
            Some(
                [(own, OWN), (other, OTHER)]
                    .into_iter()
                    .filter(|(y, _)| *y)
                    .map(|(_, m)| m)
                    .collect(),
            )
        };
        assert_eq!(where_, want, "{label}: markets_where");
    }
}

/// Names go to colleagues: people who work in a market where the person holds a role, and
/// those who see everyone; someone who holds only global roles is named only to the latter.
#[test]
fn names_are_told_to_colleagues_only() {
    let fi = MarketId(1);
    let br = MarketId(2);
    let holding = |role: Role, at: Option<MarketId>| vec![Membership::new(role, at).unwrap()];
    let contributor_fi = Actor {
        user_id: UserId(1),
        memberships: holding(Role::Contributor, Some(fi)),
    };
    let analyst = Actor {
        user_id: UserId(2),
        memberships: holding(Role::Analyst, None),
    };
    let lead_fi = holding(Role::MarketLead, Some(fi));
    let lead_br = holding(Role::MarketLead, Some(br));
    let global_lead = holding(Role::GlobalLead, None);
    // (who asks, whose name, told?)
    let rows = [
        (&contributor_fi, &lead_fi, true),
        (&contributor_fi, &lead_br, false),
        (&contributor_fi, &global_lead, false),
        (&analyst, &lead_br, true),
        (&analyst, &global_lead, false),
    ];
    for (i, (actor, target, want)) in rows.into_iter().enumerate() {
        assert_eq!(may_name_user(actor, target), want, "row {i}");
    }
    let admin = Actor {
        user_id: UserId(3),
        memberships: holding(Role::Admin, None),
    };
    assert!(may_name_user(&admin, &global_lead));
    assert!(
        !may_see_user(&contributor_fi, &lead_fi),
        "naming is not seeing"
    );
}

#[test]
fn webhooks_and_sign_in_rules_are_managed_by_admins_only() {
    for role in Role::ALL {
        let a = actor(role);
        let admin = role == Role::Admin;
        for scope in [Scope::Global, Scope::Market(OWN), Scope::Market(OTHER)] {
            for action in [Action::ManageWebhooks, Action::ManageSignIn] {
                assert_eq!(
                    allows(&a, action, scope),
                    admin,
                    "{role:?} {action:?} {scope:?}"
                );
            }
        }
    }
    let global_leads = Actor {
        user_id: UserId(3),
        memberships: vec![
            Membership {
                role: Role::GlobalLead,
                scope: Scope::Global,
            },
            Membership {
                role: Role::MarketLead,
                scope: Scope::Global,
            },
        ],
    };
    assert!(!allows(
        &global_leads,
        Action::ManageWebhooks,
        Scope::Market(OWN)
    ));
}
