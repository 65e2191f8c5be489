//! Who may do what, where. Plain functions over (actor, action, scope), called by every handler
//! and command before it reads or changes anything.
//!
//! A role is held globally or in one market. A global membership applies in every market (a
//! global analyst reads every market's numbers); a market membership applies only there. Nothing
//! is allowed unless a rule below allows it.

use serde::{Deserialize, Serialize};

use crate::ids::{MarketId, UserId};
use crate::role::Role;
use crate::user::Membership;

/// Where an action applies: the whole organization, or one market.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "market_id")]
pub enum Scope {
    Global,
    Market(MarketId),
}

/// Something a user may try to do. Each handler names exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Read the playbook: principles, examples, case studies.
    ReadPlaybook,
    /// Create, edit or delete principles and their per-market examples.
    EditPlaybook,
    /// Open the admin section (the pages then show only what the actor may manage).
    ViewAdmin,
    /// Create or delete markets.
    ManageMarkets,
    /// Change a market's settings: name, locales, timezone.
    EditMarket,
    /// Create, rename or delete a market's teams and set who is in them.
    ManageTeams,
    /// List the users and memberships of a market (or of all, globally).
    ReadMembers,
    /// Create users, grant and revoke memberships, deactivate users.
    ManageMembers,
    /// Read the audit log.
    ReadAuditLog,
    /// See a market's listening queries, conversations and signals.
    ReadConversations,
    /// Work a market's inbox: assign, tag, note, change status, reply.
    WorkConversations,
    /// Create, change or delete a market's listening queries.
    ManageListeningQueries,
    /// Set a market's first-response target.
    SetResponseTarget,
    /// Create and edit campaigns in a market, and move them between planning, active and ended.
    ManageCampaigns,
    /// Edit the playbook's rules for posts (banned and required terms, alt text, UTM tags).
    EditPostRules,
    /// Connect network accounts that publish for a market.
    ConnectAccounts,
    /// Read a market's stories (drafts included) and the campaigns that run there.
    ReadStories,
    /// Write new stories for a market, and change one's own while they are drafts.
    DraftStories,
    /// Change anyone's story in a market and submit stories for review.
    EditStories,
    /// Approve or reject a market's stories (never one's own: see `stories::workflow`).
    ReviewStories,
    /// Schedule, unschedule and retry a market's approved stories, and move their posts.
    ScheduleStories,
    /// Read a market's Numbers (what its posts and accounts did) and export them.
    ReadNumbers,
    /// Create and change a market's Reach offers (gated assets, webinars), their landing pages
    /// and consent texts, and see how many people came (counts, never who).
    ManageReach,
    /// Read a market's leads and registrants (personal data: names, emails, consent history)
    /// and export them, answer a person's request for their data or its erasure.
    ReadLeads,
    /// Create, change, turn off and test the outbound webhooks, and read their delivery log
    /// (admins only: a webhook sends every subscribed market's events to another system).
    ManageWebhooks,
    /// See the single sign-on providers and change the rules that map their groups onto
    /// memberships (admins only: a rule can hand out any role in any market).
    ManageSignIn,
}

impl Action {
    pub const ALL: [Action; 26] = [
        Action::ReadPlaybook,
        Action::EditPlaybook,
        Action::ViewAdmin,
        Action::ManageMarkets,
        Action::EditMarket,
        Action::ManageTeams,
        Action::ReadMembers,
        Action::ManageMembers,
        Action::ReadAuditLog,
        Action::ReadConversations,
        Action::WorkConversations,
        Action::ManageListeningQueries,
        Action::SetResponseTarget,
        Action::ManageCampaigns,
        Action::EditPostRules,
        Action::ConnectAccounts,
        Action::ReadStories,
        Action::DraftStories,
        Action::EditStories,
        Action::ReviewStories,
        Action::ScheduleStories,
        Action::ReadNumbers,
        Action::ManageReach,
        Action::ReadLeads,
        Action::ManageWebhooks,
        Action::ManageSignIn,
    ];

    fn describe(self) -> &'static str {
        match self {
            Action::ReadPlaybook => "read the playbook",
            Action::EditPlaybook => "edit the playbook",
            Action::ViewAdmin => "open the admin section",
            Action::ManageMarkets => "create or delete markets",
            Action::EditMarket => "change market settings",
            Action::ManageTeams => "manage teams",
            Action::ReadMembers => "see users and memberships",
            Action::ManageMembers => "manage users and memberships",
            Action::ReadAuditLog => "read the audit log",
            Action::ReadConversations => "see conversations",
            Action::WorkConversations => "work the conversation inbox",
            Action::ManageListeningQueries => "change listening queries",
            Action::SetResponseTarget => "set the first-response target",
            Action::ManageCampaigns => "manage campaigns",
            Action::EditPostRules => "edit the rules for posts",
            Action::ConnectAccounts => "connect network accounts",
            Action::ReadStories => "see stories",
            Action::DraftStories => "write stories",
            Action::EditStories => "change other people's stories or submit them",
            Action::ReviewStories => "approve or reject stories",
            Action::ScheduleStories => "schedule stories",
            Action::ReadNumbers => "see numbers",
            Action::ManageReach => "manage gated assets and webinars",
            Action::ReadLeads => "see leads",
            Action::ManageWebhooks => "manage webhooks",
            Action::ManageSignIn => "manage single sign-on",
        }
    }
}

/// The user on whose behalf something is done, with every membership they hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: UserId,
    pub memberships: Vec<Membership>,
}

impl Actor {
    /// Whether the actor holds `role` where `scope` applies (a global membership applies in
    /// every market; a market membership only in its market).
    pub fn holds(&self, role: Role, scope: Scope) -> bool {
        self.memberships
            .iter()
            .any(|m| m.role == role && (m.scope == Scope::Global || m.scope == scope))
    }

    /// Whether the actor holds `role` anywhere at all.
    pub fn holds_anywhere(&self, role: Role) -> bool {
        self.memberships.iter().any(|m| m.role == role)
    }

    pub fn is_admin(&self) -> bool {
        self.holds(Role::Admin, Scope::Global)
    }

    /// The markets where the actor holds `role` (all markets if held globally: `None`).
    pub fn markets_with(&self, role: Role) -> Option<Vec<MarketId>> {
        if self.holds(role, Scope::Global) {
            return None;
        }
        Some(
            self.memberships
                .iter()
                .filter_map(|m| match (m.role == role, m.scope) {
                    (true, Scope::Market(id)) => Some(id),
                    _ => None,
                })
                .collect(),
        )
    }

    /// A one-line summary of the roles for the page header, e.g. "Market lead (FI)".
    pub fn roles_summary(&self, market_code: impl Fn(MarketId) -> String) -> String {
        let mut parts: Vec<String> = self
            .memberships
            .iter()
            .map(|m| match m.scope {
                Scope::Global => m.role.label().to_owned(),
                Scope::Market(id) => format!("{} ({})", m.role.label(), market_code(id)),
            })
            .collect();
        parts.sort();
        parts.dedup();
        if parts.is_empty() {
            "No role yet".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

/// Why an action was refused, in words the user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("you may not {what}{where_}", what = action.describe(), where_ = match scope { Scope::Global => "", Scope::Market(_) => " in this market" })]
pub struct Denied {
    pub action: Action,
    pub scope: Scope,
}

/// The rule table: may `actor` do `action` in `scope`?
pub fn allows(actor: &Actor, action: Action, scope: Scope) -> bool {
    if actor.is_admin() {
        return true;
    }
    let market_lead_here =
        matches!(scope, Scope::Market(_)) && actor.holds(Role::MarketLead, scope);
    let global_lead = actor.holds(Role::GlobalLead, Scope::Global);
    let holds_any = |roles: &[Role]| roles.iter().any(|r| actor.holds(*r, scope));
    match action {
        // Everyone with any role reads the playbook: it is written for all employees.
        Action::ReadPlaybook => !actor.memberships.is_empty(),
        Action::EditPlaybook => actor.holds(Role::GlobalLead, Scope::Global),
        Action::ViewAdmin => actor.holds_anywhere(Role::MarketLead),
        // Admins only (allowed above): markets, the audit log, webhooks, which carry events of
        // every market they subscribe to out of Chorus, and sign-in rules, which hand out roles.
        Action::ManageMarkets
        | Action::ReadAuditLog
        | Action::ManageWebhooks
        | Action::ManageSignIn => false,
        Action::EditMarket | Action::ManageTeams | Action::ManageMembers => market_lead_here,
        Action::ReadMembers => market_lead_here || actor.holds(Role::GlobalLead, Scope::Global),
        // Conversations are read by the people who listen, answer, write and measure there; a
        // global membership reads them everywhere.
        Action::ReadConversations => {
            actor.holds(Role::GlobalLead, Scope::Global)
                || [
                    Role::MarketLead,
                    Role::CommunityManager,
                    Role::Editor,
                    Role::Analyst,
                ]
                .into_iter()
                .any(|r| actor.holds(r, scope))
        }
        // Working the inbox: status, assignee, tags, notes, replies, and correcting a
        // conversation's language and sentiment (the corrections models learn from).
        Action::WorkConversations => [Role::MarketLead, Role::CommunityManager]
            .into_iter()
            .any(|r| actor.holds(r, scope)),
        Action::ManageListeningQueries | Action::SetResponseTarget => market_lead_here,
        // Global leads own global campaigns; market leads run their market's.
        Action::ManageCampaigns => market_lead_here || actor.holds(Role::GlobalLead, Scope::Global),
        // The rules are part of the playbook.
        Action::EditPostRules => actor.holds(Role::GlobalLead, Scope::Global),
        Action::ConnectAccounts => market_lead_here,
        // Stories: contributors draft, editors edit and schedule, leads review; analysts read.
        // Global leads own global campaigns and act in every market.
        Action::ReadStories => {
            global_lead
                || holds_any(&[
                    Role::MarketLead,
                    Role::Editor,
                    Role::Contributor,
                    Role::Analyst,
                ])
        }
        Action::DraftStories => {
            global_lead || holds_any(&[Role::MarketLead, Role::Editor, Role::Contributor])
        }
        Action::EditStories | Action::ScheduleStories => {
            global_lead || holds_any(&[Role::MarketLead, Role::Editor])
        }
        Action::ReviewStories => global_lead || holds_any(&[Role::MarketLead]),
        // Numbers are read by the people who measure (analysts) and those who answer for a
        // market's results (its leads); global leads and global analysts read every market's.
        Action::ReadNumbers => global_lead || holds_any(&[Role::MarketLead, Role::Analyst]),
        // Reach offers are marketing content: the people who write and run a market's stories
        // make them; global leads make them for every market.
        Action::ManageReach => global_lead || holds_any(&[Role::MarketLead, Role::Editor]),
        // Leads are personal data: only those who answer for a market's results (its leads) and
        // who measure them (analysts) see them; never contributors, editors or community managers.
        Action::ReadLeads => global_lead || holds_any(&[Role::MarketLead, Role::Analyst]),
    }
}

/// The markets of `markets` where `actor` may do `action`; `None` means every market (the
/// actor may do it globally), so callers can skip filtering.
pub fn markets_where(
    actor: &Actor,
    action: Action,
    markets: impl IntoIterator<Item = MarketId>,
) -> Option<Vec<MarketId>> {
    if allows(actor, action, Scope::Global) {
        return None;
    }
    Some(
        markets
            .into_iter()
            .filter(|m| allows(actor, action, Scope::Market(*m)))
            .collect(),
    )
}

/// Whether `actor` may do `action` for something that belongs to several markets at once (a
/// conversation found by queries of two markets): allowed in any one of them.
pub fn allows_in_any(actor: &Actor, action: Action, markets: &[MarketId]) -> bool {
    allows(actor, action, Scope::Global)
        || markets
            .iter()
            .any(|m| allows(actor, action, Scope::Market(*m)))
}

/// Whether `actor` may see a campaign running in `markets`: those who manage campaigns
/// everywhere, and whoever reads the stories of one of its markets.
pub fn may_see_campaign(actor: &Actor, markets: &[MarketId]) -> bool {
    allows(actor, Action::ManageCampaigns, Scope::Global)
        || allows_in_any(actor, Action::ReadStories, markets)
}

/// Whether `actor` may change a campaign running in `markets`: allowed in every one of them
/// (a market lead cannot change a campaign that also runs elsewhere).
pub fn may_manage_campaign(actor: &Actor, markets: &[MarketId]) -> bool {
    !markets.is_empty()
        && markets
            .iter()
            .all(|m| allows(actor, Action::ManageCampaigns, Scope::Market(*m)))
}

/// Whether `assignee` may be given a conversation found in `markets`: someone who may work
/// it (a market lead or community manager of one of its markets, or globally; admins). A
/// conversation assigned to anyone else would sit with a person who may not see it. Callers
/// also require the person to be active, and answer an id that fails this exactly as one that
/// does not exist, so that assigning cannot be used to find out who has an account.
pub fn may_be_assigned(assignee: &Actor, markets: &[MarketId]) -> bool {
    allows_in_any(assignee, Action::WorkConversations, markets)
}

/// Whether `actor` is told of a listening spike in `market`: the people who answer there
/// (market leads and community managers, in that market or globally). Admins are not alerted
/// of every market's spikes; they see them on the Signals page.
pub fn alerted_of_spikes(actor: &Actor, market: MarketId) -> bool {
    let scope = Scope::Market(market);
    actor.holds(Role::MarketLead, scope) || actor.holds(Role::CommunityManager, scope)
}

/// Like [`allows`], as a `Result` for `?` in handlers.
pub fn authorize(actor: &Actor, action: Action, scope: Scope) -> Result<(), Denied> {
    if allows(actor, action, scope) {
        Ok(())
    } else {
        Err(Denied { action, scope })
    }
}

/// May `actor` grant (or revoke) `role` in `scope`? Admins may grant anything. A market lead may
/// grant the working roles (editor, contributor, community manager, analyst) in their own market,
/// never a lead or admin role and never globally.
pub fn may_grant(actor: &Actor, role: Role, scope: Scope) -> bool {
    if actor.is_admin() {
        return true;
    }
    matches!(scope, Scope::Market(_))
        && allows(actor, Action::ManageMembers, scope)
        && matches!(
            role,
            Role::Editor | Role::Contributor | Role::CommunityManager | Role::Analyst
        )
}

/// May `actor` change the user who holds `target` memberships (name, password reset,
/// deactivation)? Admins may change anyone. A market lead may change only users whose every
/// membership is a working role in a market they lead: never someone who also works elsewhere,
/// holds a global role, or leads.
pub fn may_manage_user(actor: &Actor, target: &[Membership]) -> bool {
    if actor.is_admin() {
        return true;
    }
    !target.is_empty() && target.iter().all(|m| may_grant(actor, m.role, m.scope))
}

/// May `actor` see the person who holds `target` memberships (their name, email and roles)?
/// Whoever reads members globally (admins, global leads) sees everyone; a market lead sees the
/// people holding a membership in a market they lead, whatever else those people hold. For
/// everyone else that person does not exist: refusals say "not found".
pub fn may_see_user(actor: &Actor, target: &[Membership]) -> bool {
    allows(actor, Action::ReadMembers, Scope::Global)
        || target.iter().any(|m| {
            matches!(m.scope, Scope::Market(_)) && allows(actor, Action::ReadMembers, m.scope)
        })
}

/// May `actor` be told the name of the person holding `target` (never more: not their email or
/// roles)? Whoever may see them ([`may_see_user`]), and whoever works where they hold a role in
/// a market (a global role works everywhere): the colleagues a story page names as the ones who
/// act next. Someone who holds only global roles is named only to those who see everyone.
pub fn may_name_user(actor: &Actor, target: &[Membership]) -> bool {
    may_see_user(actor, target)
        || target.iter().any(|t| match t.scope {
            Scope::Market(m) => actor
                .memberships
                .iter()
                .any(|a| a.scope == Scope::Global || a.scope == Scope::Market(m)),
            Scope::Global => false,
        })
}

/// The roles `actor` may grant somewhere (globally, or in a market they hold a membership in),
/// for role pickers and to tell an attempt at escalation from a mistake of scope.
pub fn grantable_roles(actor: &Actor) -> Vec<Role> {
    Role::ALL
        .into_iter()
        .filter(|&role| {
            may_grant(actor, role, Scope::Global)
                || actor
                    .memberships
                    .iter()
                    .any(|m| matches!(m.scope, Scope::Market(_)) && may_grant(actor, role, m.scope))
        })
        .collect()
}

#[cfg(test)]
mod matrix;
#[cfg(test)]
mod tests;
