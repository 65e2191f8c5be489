//! Who may do what, as the sweep expects it. Written from DESIGN.md's table of roles, the doc
//! comments of `chorus_core::permission` and `chorus_core::stories::workflow`, and the policy of
//! issue 16 — never by calling the rule table, so that the sweep judges the code instead of
//! repeating it. Where the code and this table disagree, one of them is wrong: the report of a
//! failing case says which it found.
//!
//! The policy every expectation follows:
//! - something in a market the caller may not **read** does not exist for them: 404;
//! - something they may read but not change: 403;
//! - something in a state that forbids the change (published): 409, nothing changed;
//! - bad input: 422 naming the field.

use chorus_core::Role;

/// The markets of the sweep: Brazil is "own" for the market personas, Japan the "other".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mkt {
    Br,
    Jp,
}

pub const MARKETS: [Mkt; 2] = [Mkt::Br, Mkt::Jp];

impl Mkt {
    pub fn code(self) -> &'static str {
        match self {
            Mkt::Br => "BR",
            Mkt::Jp => "JP",
        }
    }

    /// The market's name: distinctive, so a refusal that names it is caught.
    pub fn name(self) -> &'static str {
        match self {
            Mkt::Br => "Brasil Ipe9",
            Mkt::Jp => "Nihon Sakura9",
        }
    }

    pub fn locale(self) -> &'static str {
        match self {
            Mkt::Br => "pt-BR",
            Mkt::Jp => "ja-JP",
        }
    }
}

/// Where the object of a case lives, from the market personas' point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Place {
    /// Brazil.
    Own,
    /// Japan.
    Other,
    /// Global: the playbook, a global membership, a campaign of both markets, a conversation
    /// found by queries of both markets.
    Global,
}

impl Place {
    pub fn market(self) -> Option<Mkt> {
        match self {
            Place::Own => Some(Mkt::Br),
            Place::Other => Some(Mkt::Jp),
            Place::Global => None,
        }
    }

    /// The markets an object of this place belongs to (global: both).
    pub fn markets(self) -> &'static [Mkt] {
        match self {
            Place::Own => &[Mkt::Br],
            Place::Other => &[Mkt::Jp],
            Place::Global => &MARKETS,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Place::Own => "own market",
            Place::Other => "other market",
            Place::Global => "global",
        }
    }
}

/// What a role lets its holder do where it is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Power {
    /// The playbook and its rules for posts.
    EditPlaybook,
    ReadAudit,
    /// Create markets.
    ManageMarkets,
    /// A market's settings, teams, members (working roles), listening queries, response target
    /// and network accounts.
    LeadMarket,
    /// See a market's users and memberships.
    ReadMembers,
    RunCampaigns,
    ReadStories,
    DraftStories,
    /// Change other people's stories, submit, schedule, move posts.
    EditStories,
    ReviewStories,
    ReadConversations,
    WorkConversations,
    /// A market's Numbers and their exports.
    ReadNumbers,
    /// A market's Reach offers (gated assets, webinars) and consent texts.
    ManageReach,
    /// A market's leads: personal data.
    ReadLeads,
    /// The outbound webhooks, which carry every subscribed market's events out of Chorus.
    ManageWebhooks,
    /// Single sign-on's group rules, which hand out any role in any market.
    ManageSignIn,
}

/// The roles in the order of [`POWERS`]' columns.
const COLUMNS: [Role; 7] = [
    Role::Admin,
    Role::GlobalLead,
    Role::MarketLead,
    Role::Editor,
    Role::Contributor,
    Role::CommunityManager,
    Role::Analyst,
];

/// Which role gives which power where it is held (`Y`), in the order of [`COLUMNS`]:
/// admin, global lead, market lead, editor, contributor, community manager, analyst.
/// Reading the playbook needs any role at all (it is written for every employee).
const POWERS: [(Power, &str); 17] = [
    // The global lead owns the playbook, its rules and global campaigns.
    (Power::EditPlaybook, "YY....."),
    (Power::ReadAudit, "Y......"),
    (Power::ManageMarkets, "Y......"),
    // "A market lead in Finland cannot ... change listening queries of Brazil."
    (Power::LeadMarket, "Y.Y...."),
    // The global lead sees every market.
    (Power::ReadMembers, "YYY...."),
    (Power::RunCampaigns, "YYY...."),
    // Contributors draft, editors edit and schedule, leads review; analysts read.
    (Power::ReadStories, "YYYYY.Y"),
    (Power::DraftStories, "YYYYY.."),
    (Power::EditStories, "YYYY..."),
    (Power::ReviewStories, "YYY...."),
    // Read by those who listen, answer, write and measure there.
    (Power::ReadConversations, "YYYY.YY"),
    // The inbox is worked by community managers and market leads.
    (Power::WorkConversations, "Y.Y..Y."),
    // "The analyst reads every number"; leads answer for their market's results.
    (Power::ReadNumbers, "YYY...Y"),
    // Offers are marketing content: made by those who write and run a market's stories.
    (Power::ManageReach, "YYYY..."),
    // Leads are personal data: those who answer for a market's results and who measure them;
    // never contributors, editors or community managers.
    (Power::ReadLeads, "YYY...Y"),
    // Webhooks send events of every market they subscribe to elsewhere: admins only.
    (Power::ManageWebhooks, "Y......"),
    // Sign-in rules give roles anywhere: admins only.
    (Power::ManageSignIn, "Y......"),
];

fn gives(role: Role, power: Power) -> bool {
    let col = COLUMNS.iter().position(|r| *r == role).unwrap();
    POWERS
        .iter()
        .find(|(p, _)| *p == power)
        .is_some_and(|(_, row)| row.as_bytes()[col] == b'Y')
}

/// The roles a market lead hands out in their own market.
pub fn is_working_role(role: Role) -> bool {
    matches!(
        role,
        Role::Editor | Role::Contributor | Role::CommunityManager | Role::Analyst
    )
}

/// Memberships as the sweep writes them: a role, in a market or globally (`None`).
pub type Roles = &'static [(Role, Option<Mkt>)];

/// A kind of person the sweep signs in as.
#[derive(Debug)]
pub struct Persona {
    /// Short name in reports, e.g. `lead_br`.
    pub key: &'static str,
    pub roles: Roles,
}

/// Every persona: each role held in the own market (the global-only ones globally), global
/// non-admin roles, people with roles in two markets, and someone with no role at all.
pub const PERSONAS: [Persona; 13] = [
    Persona {
        key: "admin",
        roles: &[(Role::Admin, None)],
    },
    Persona {
        key: "global_lead",
        roles: &[(Role::GlobalLead, None)],
    },
    Persona {
        key: "lead_br",
        roles: &[(Role::MarketLead, Some(Mkt::Br))],
    },
    Persona {
        key: "editor_br",
        roles: &[(Role::Editor, Some(Mkt::Br))],
    },
    Persona {
        key: "contributor_br",
        roles: &[(Role::Contributor, Some(Mkt::Br))],
    },
    Persona {
        key: "cm_br",
        roles: &[(Role::CommunityManager, Some(Mkt::Br))],
    },
    Persona {
        key: "analyst_br",
        roles: &[(Role::Analyst, Some(Mkt::Br))],
    },
    Persona {
        key: "editor_global",
        roles: &[(Role::Editor, None)],
    },
    Persona {
        key: "analyst_global",
        roles: &[(Role::Analyst, None)],
    },
    Persona {
        key: "cm_global",
        roles: &[(Role::CommunityManager, None)],
    },
    Persona {
        key: "lead_br_contributor_jp",
        roles: &[
            (Role::MarketLead, Some(Mkt::Br)),
            (Role::Contributor, Some(Mkt::Jp)),
        ],
    },
    Persona {
        key: "editor_br_cm_jp",
        roles: &[
            (Role::Editor, Some(Mkt::Br)),
            (Role::CommunityManager, Some(Mkt::Jp)),
        ],
    },
    Persona {
        key: "nobody",
        roles: &[],
    },
];

impl Persona {
    /// Whether a role giving `power` is held in `m` or globally.
    pub fn can(&self, power: Power, m: Mkt) -> bool {
        self.roles
            .iter()
            .any(|(r, at)| (at.is_none() || *at == Some(m)) && gives(*r, power))
    }

    /// Whether a role giving `power` is held globally.
    pub fn can_globally(&self, power: Power) -> bool {
        self.roles
            .iter()
            .any(|(r, at)| at.is_none() && gives(*r, power))
    }

    /// In any of `markets`.
    pub fn can_in_any(&self, power: Power, markets: &[Mkt]) -> bool {
        markets.iter().any(|m| self.can(power, *m))
    }

    /// Whether the person may see anyone's memberships, in some market or globally.
    pub fn reads_members_anywhere(&self) -> bool {
        self.can_globally(Power::ReadMembers)
            || MARKETS.iter().any(|m| self.can(Power::ReadMembers, *m))
    }

    pub fn has_a_role(&self) -> bool {
        !self.roles.is_empty()
    }

    /// Whether the person works in `m` at all (a role there, or a global one).
    pub fn works_in(&self, m: Mkt) -> bool {
        self.roles
            .iter()
            .any(|(_, at)| at.is_none() || *at == Some(m))
    }

    pub fn is_admin(&self) -> bool {
        self.roles.contains(&(Role::Admin, None))
    }

    /// May hand out (or take back) `role` at `at`: admins anything; a market lead the working
    /// roles in the market they lead — never a lead or admin role, never globally, never in
    /// another market.
    pub fn may_grant(&self, role: Role, at: Option<Mkt>) -> bool {
        self.is_admin()
            || matches!(at, Some(m) if is_working_role(role)
                && self.roles.iter().any(|(r, x)| *r == Role::MarketLead && (x.is_none() || *x == Some(m))))
    }

    /// Whether a user holding `target` exists for this person: admins and global leads see
    /// everyone; a market lead sees the people holding a role in their market.
    pub fn sees_user(&self, target: &[(Role, Option<Mkt>)]) -> bool {
        self.can_globally(Power::ReadMembers)
            || target
                .iter()
                .any(|(_, at)| matches!(at, Some(m) if self.can(Power::ReadMembers, *m)))
    }

    /// May change that user's name, password or activity: every membership they hold is one
    /// this person may grant.
    pub fn may_manage_user(&self, target: &[(Role, Option<Mkt>)]) -> bool {
        self.is_admin()
            || (!target.is_empty() && target.iter().all(|(r, at)| self.may_grant(*r, *at)))
    }

    /// Whether a user holding `roles` may be named to this person at all (in any answer):
    /// everyone for those who see all members, otherwise colleagues — people with a role in a
    /// market this person works in. People with only global roles (the admin) are not named
    /// to market staff.
    pub fn may_know(&self, roles: &[(Role, Option<Mkt>)]) -> bool {
        self.can_globally(Power::ReadMembers)
            || roles
                .iter()
                .any(|(_, at)| matches!(at, Some(m) if self.works_in(*m)))
    }

    /// A campaign running in `markets` is visible to those who run campaigns everywhere and to
    /// whoever reads the stories of one of its markets.
    pub fn sees_campaign(&self, markets: &[Mkt]) -> bool {
        self.can_globally(Power::RunCampaigns) || self.can_in_any(Power::ReadStories, markets)
    }

    /// A campaign is changed only by someone who runs campaigns in every one of its markets.
    pub fn runs_campaign(&self, markets: &[Mkt]) -> bool {
        !markets.is_empty() && markets.iter().all(|m| self.can(Power::RunCampaigns, *m))
    }
}

/// The expected answer of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// A change that happens: this status, and the database changed (an audit entry at least).
    Done(u16),
    /// A success that may or may not change anything (logout, marking notifications read, a
    /// save of unchanged settings).
    Ok(u16),
    /// A read: this status, nothing changed.
    Read(u16),
    /// A refusal (or a failure after the checks, such as an unreachable network): this status,
    /// nothing changed.
    No(u16),
}

impl Want {
    pub fn status(self) -> u16 {
        match self {
            Want::Done(s) | Want::Ok(s) | Want::Read(s) | Want::No(s) => s,
        }
    }

    /// Whether the case may change the database (and so needs an object of its own).
    pub fn writes(self) -> bool {
        matches!(self, Want::Done(_) | Want::Ok(_))
    }

    pub fn is_refusal(self) -> bool {
        matches!(self, Want::No(_))
    }
}

/// The policy: not readable → 404, readable but not changeable → 403, otherwise `ok`.
pub fn guard(read: bool, change: bool, ok: Want) -> Want {
    if !read {
        Want::No(404)
    } else if !change {
        Want::No(403)
    } else {
        ok
    }
}

/// [`guard`] for a person's records and memberships. Whoever may see nobody's memberships
/// anywhere is refused the action as such (403, the same answer as the user list gives them),
/// before any user is looked up — so the answer does not depend on the id either; to the
/// others, a user they may not see does not exist (404).
pub fn guard_people(p: &Persona, read: bool, change: bool, ok: Want) -> Want {
    if !p.reads_members_anywhere() {
        Want::No(403)
    } else {
        guard(read, change, ok)
    }
}

/// A collection of a kind the person may read in no market at all (the inbox, the listening
/// queries, the story import for someone who writes nowhere): refused as such (403), the same on
/// the pages and the API; anyone who may read it somewhere gets their part of it.
pub fn collection(readable_somewhere: bool, ok: Want) -> Want {
    if readable_somewhere {
        ok
    } else {
        Want::No(403)
    }
}

/// A reply speaks for an account: whoever may not read the conversation gets 404, whoever may
/// not work it 403; someone who works it but not the market of the account they chose has
/// chosen a wrong account (422 on `account`; the form offers only their markets' accounts).
pub fn reply(read: bool, work: bool, works_account_market: bool, ok: Want) -> Want {
    match guard(read, work, ok) {
        w if w.is_refusal() => w,
        _ if !works_account_market => Want::No(422),
        w => w,
    }
}

/// [`guard`] on something whose state may forbid the change: allowed but not `open` → 409.
pub fn guard_state(read: bool, change: bool, open: bool, ok: Want) -> Want {
    match guard(read, change, ok) {
        w if w.is_refusal() => w,
        _ if !open => Want::No(409),
        w => w,
    }
}

/// Allowed or 403: for things every signed-in person knows exist (markets, teams, the
/// playbook), and for creating something in a market.
pub fn allow(change: bool, ok: Want) -> Want {
    if change { ok } else { Want::No(403) }
}
