//! The authorization matrix, written independently of the rule table in `permission.rs`.
//!
//! The table in `allows` is written per action ("who may do this here?"). This test states the
//! same policy the other way round — per role, how far each membership reaches for each action —
//! and checks the two agree for every action × many actors × every scope. Actors include each
//! role held in one market, each market role held globally, people holding roles in two markets,
//! and nobody. A change to either formulation that the other does not share fails here.

use super::*;

const OWN: MarketId = MarketId(1);
const OTHER: MarketId = MarketId(2);
const THIRD: MarketId = MarketId(3);
const SCOPES: [Scope; 4] = [
    Scope::Market(OWN),
    Scope::Market(OTHER),
    Scope::Market(THIRD),
    Scope::Global,
];

/// How far one membership of a role reaches for one action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// The membership gives nothing for this action.
    Nothing,
    /// Only in the market where it is held; held globally, in every market (but it is not a
    /// grant for the organization as a whole, e.g. a market's settings need a market).
    Markets,
    /// In the market where it is held; held globally, in every market and organization-wide.
    MarketsAndGlobal,
    /// Wherever the role is held at all, for any scope (e.g. reading the playbook).
    Anywhere,
}

use Reach::*;

/// The policy, per role: what a membership of `role` reaches for `action`. Read it as the
/// product's description of each role (DESIGN.md's role table), not as code.
fn reach(role: Role, action: Action) -> Reach {
    use Action::*;
    match role {
        // Admins run the installation: everything, everywhere.
        Role::Admin => Anywhere,
        // Global leads own the playbook and global campaigns and see every market; they act on
        // stories in every market; they do not run markets, members, queries or accounts.
        Role::GlobalLead => match action {
            ReadPlaybook | EditPlaybook | ReadMembers | ReadConversations | ManageCampaigns
            | EditPostRules | ReadStories | DraftStories | EditStories | ReviewStories
            | ScheduleStories | ReadNumbers | ManageReach | ReadLeads => Anywhere,
            ViewAdmin
            | ManageMarkets
            | EditMarket
            | ManageTeams
            | ManageMembers
            | ReadAuditLog
            | WorkConversations
            | ManageListeningQueries
            | SetResponseTarget
            | ConnectAccounts
            | ManageWebhooks
            | ManageSignIn => Nothing,
        },
        // Market leads run their market: settings, teams, members, queries, campaigns,
        // accounts; they approve its stories and work its inbox. The admin pages open for them.
        Role::MarketLead => match action {
            ReadPlaybook | ViewAdmin => Anywhere,
            EditMarket
            | ManageTeams
            | ReadMembers
            | ManageMembers
            | ManageListeningQueries
            | SetResponseTarget
            | ManageCampaigns
            | ConnectAccounts => Markets,
            ReadConversations | WorkConversations | ReadStories | DraftStories | EditStories
            | ReviewStories | ScheduleStories | ReadNumbers | ManageReach | ReadLeads => {
                MarketsAndGlobal
            }
            EditPlaybook | ManageMarkets | ReadAuditLog | EditPostRules | ManageWebhooks
            | ManageSignIn => Nothing,
        },
        // Editors write, edit and schedule their market's stories and read its conversations.
        Role::Editor => match action {
            ReadPlaybook => Anywhere,
            ReadConversations | ReadStories | DraftStories | EditStories | ScheduleStories
            | ManageReach => MarketsAndGlobal,
            _ => Nothing,
        },
        // Contributors draft and read their market's stories; they cannot publish alone.
        Role::Contributor => match action {
            ReadPlaybook => Anywhere,
            ReadStories | DraftStories => MarketsAndGlobal,
            _ => Nothing,
        },
        // Community managers work their market's inbox.
        Role::CommunityManager => match action {
            ReadPlaybook => Anywhere,
            ReadConversations | WorkConversations => MarketsAndGlobal,
            _ => Nothing,
        },
        // Analysts read their market's numbers, conversations and stories.
        Role::Analyst => match action {
            ReadPlaybook => Anywhere,
            ReadConversations | ReadStories | ReadNumbers | ReadLeads => MarketsAndGlobal,
            _ => Nothing,
        },
    }
}

/// Whether one membership allows `action` in `scope`, by the policy above.
fn membership_allows(m: Membership, action: Action, scope: Scope) -> bool {
    match (reach(m.role, action), m.scope) {
        (Nothing, _) => false,
        (Anywhere, _) => true,
        (MarketsAndGlobal, Scope::Global) => true,
        (Markets, Scope::Global) => matches!(scope, Scope::Market(_)),
        (Markets | MarketsAndGlobal, Scope::Market(held)) => scope == Scope::Market(held),
    }
}

fn expected(actor: &Actor, action: Action, scope: Scope) -> bool {
    actor
        .memberships
        .iter()
        .any(|m| membership_allows(*m, action, scope))
}

fn member(role: Role, market: Option<MarketId>) -> Membership {
    Membership {
        role,
        scope: market.map_or(Scope::Global, Scope::Market),
    }
}

/// Everyone the matrix asks about, with a name for failure messages.
fn actors() -> Vec<(String, Actor)> {
    let mut out = vec![(
        "nobody".to_owned(),
        Actor {
            user_id: UserId(1),
            memberships: vec![],
        },
    )];
    for role in Role::ALL {
        if role.is_global_only() {
            out.push((format!("{role} (global)"), actor_of(&[member(role, None)])));
        } else {
            out.push((
                format!("{role} in OWN"),
                actor_of(&[member(role, Some(OWN))]),
            ));
            out.push((
                format!("{role} held globally"),
                actor_of(&[member(role, None)]),
            ));
        }
    }
    let pairs = [
        (Role::Editor, Role::Analyst),
        (Role::MarketLead, Role::CommunityManager),
        (Role::Contributor, Role::Editor),
        (Role::MarketLead, Role::MarketLead),
        (Role::CommunityManager, Role::Contributor),
    ];
    for (a, b) in pairs {
        out.push((
            format!("{a} in OWN + {b} in OTHER"),
            actor_of(&[member(a, Some(OWN)), member(b, Some(OTHER))]),
        ));
    }
    out.push((
        "analyst held globally + market lead in OWN".to_owned(),
        actor_of(&[
            member(Role::Analyst, None),
            member(Role::MarketLead, Some(OWN)),
        ]),
    ));
    out
}

fn actor_of(memberships: &[Membership]) -> Actor {
    Actor {
        user_id: UserId(10),
        memberships: memberships.to_vec(),
    }
}

#[test]
fn rule_table_agrees_with_the_policy_for_every_actor_action_and_scope() {
    let actors = actors();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (name, actor) in &actors {
        for action in Action::ALL {
            for scope in SCOPES {
                let want = expected(actor, action, scope);
                if allows(actor, action, scope) != want {
                    wrong.push(format!(
                        "{name} × {action:?} × {scope:?}: the table says {}, the policy {}",
                        if want { "no" } else { "yes" },
                        if want { "yes" } else { "no" },
                    ));
                }
                assert_eq!(
                    authorize(actor, action, scope).is_ok(),
                    allows(actor, action, scope)
                );
                checked += 1;
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} disagreements:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert_eq!(checked, actors.len() * Action::ALL.len() * SCOPES.len());
}

#[test]
fn markets_where_lists_exactly_the_allowed_markets() {
    let markets = [OWN, OTHER, THIRD];
    for (name, actor) in actors() {
        for action in Action::ALL {
            let got = markets_where(&actor, action, markets);
            if expected(&actor, action, Scope::Global) {
                assert_eq!(got, Option::None, "{name} × {action:?}");
            } else {
                let want: Vec<MarketId> = markets
                    .into_iter()
                    .filter(|m| expected(&actor, action, Scope::Market(*m)))
                    .collect();
                assert_eq!(got, Some(want), "{name} × {action:?}");
            }
        }
    }
}

#[test]
fn campaigns_are_seen_by_their_markets_readers_and_managed_only_where_all_allow() {
    let lead_own = actor_of(&[member(Role::MarketLead, Some(OWN))]);
    let two_leads = actor_of(&[
        member(Role::MarketLead, Some(OWN)),
        member(Role::MarketLead, Some(OTHER)),
    ]);
    let analyst_other = actor_of(&[member(Role::Analyst, Some(OTHER))]);
    let cm_own = actor_of(&[member(Role::CommunityManager, Some(OWN))]);
    let global_lead = actor_of(&[member(Role::GlobalLead, None)]);
    let both = [OWN, OTHER];
    assert!(may_see_campaign(&lead_own, &both));
    assert!(may_see_campaign(&analyst_other, &both));
    assert!(!may_see_campaign(&analyst_other, &[OWN]));
    assert!(
        !may_see_campaign(&cm_own, &[OWN]),
        "community managers read no stories"
    );
    assert!(may_see_campaign(&global_lead, &[THIRD]));
    // Managing a campaign that also runs elsewhere needs the right there too.
    assert!(may_manage_campaign(&lead_own, &[OWN]));
    assert!(!may_manage_campaign(&lead_own, &both));
    assert!(may_manage_campaign(&two_leads, &both));
    assert!(may_manage_campaign(&global_lead, &both));
    assert!(
        !may_manage_campaign(&global_lead, &[]),
        "a campaign runs somewhere"
    );
}

#[test]
fn spike_alerts_reach_the_people_who_answer_there() {
    let cases = [
        (member(Role::MarketLead, Some(OWN)), true, false),
        (member(Role::CommunityManager, Some(OWN)), true, false),
        (member(Role::CommunityManager, None), true, true),
        (member(Role::Editor, Some(OWN)), false, false),
        (member(Role::Analyst, None), false, false),
        (member(Role::Admin, None), false, false),
        (member(Role::GlobalLead, None), false, false),
    ];
    for (m, own, other) in cases {
        let a = actor_of(&[m]);
        assert_eq!(alerted_of_spikes(&a, OWN), own, "{m:?} in OWN");
        assert_eq!(alerted_of_spikes(&a, OTHER), other, "{m:?} in OTHER");
    }
}

#[test]
fn grants_and_user_management_for_people_in_several_markets() {
    let lead_own = actor_of(&[member(Role::MarketLead, Some(OWN))]);
    // A lead grants working roles in their own market only; never leads, admins or global.
    for role in Role::ALL {
        let working = matches!(
            role,
            Role::Editor | Role::Contributor | Role::CommunityManager | Role::Analyst
        );
        assert_eq!(
            may_grant(&lead_own, role, Scope::Market(OWN)),
            working,
            "{role} in OWN"
        );
        assert!(
            !may_grant(&lead_own, role, Scope::Market(OTHER)),
            "{role} in OTHER"
        );
        assert!(
            !may_grant(&lead_own, role, Scope::Global),
            "{role} globally"
        );
    }
    // Someone who also works elsewhere is not the lead's to rename or deactivate.
    let own_and_other = [
        member(Role::Contributor, Some(OWN)),
        member(Role::Editor, Some(OTHER)),
    ];
    assert!(!may_manage_user(&lead_own, &own_and_other));
    let two_leads = actor_of(&[
        member(Role::MarketLead, Some(OWN)),
        member(Role::MarketLead, Some(OTHER)),
    ]);
    assert!(may_manage_user(&two_leads, &own_and_other));
    assert!(!may_manage_user(&lead_own, &[member(Role::Analyst, None)]));
    // Global leads read members everywhere but manage none.
    let global_lead = actor_of(&[member(Role::GlobalLead, None)]);
    assert!(!may_grant(
        &global_lead,
        Role::Contributor,
        Scope::Market(OWN)
    ));
    assert!(!may_manage_user(&global_lead, &own_and_other));
}
