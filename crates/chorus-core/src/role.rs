//! The roles a user can hold, globally or in a market.

use serde::{Deserialize, Serialize};

use crate::validate::{Invalid, quoted};

/// What a membership lets a user do. Held globally or in one market (see [`crate::Scope`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the installation: markets, users, network accounts, SSO.
    Admin,
    /// Owns the playbook and global campaigns; sees every market.
    GlobalLead,
    /// Approves stories for their market; owns its listening queries, teams and members.
    MarketLead,
    /// Writes and schedules stories for their market.
    Editor,
    /// Any employee: drafts stories, suggests, shares; cannot publish alone.
    Contributor,
    /// Works the conversation inbox: assign, tag, reply.
    CommunityManager,
    /// Reads every number, builds reports, exports.
    Analyst,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::GlobalLead,
        Role::MarketLead,
        Role::Editor,
        Role::Contributor,
        Role::CommunityManager,
        Role::Analyst,
    ];

    /// The stable name used in the database, the API, the CLI and config.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::GlobalLead => "global_lead",
            Role::MarketLead => "market_lead",
            Role::Editor => "editor",
            Role::Contributor => "contributor",
            Role::CommunityManager => "community_manager",
            Role::Analyst => "analyst",
        }
    }

    /// The name people read.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::GlobalLead => "Global lead",
            Role::MarketLead => "Market lead",
            Role::Editor => "Editor",
            Role::Contributor => "Contributor",
            Role::CommunityManager => "Community manager",
            Role::Analyst => "Analyst",
        }
    }

    /// Whether the role only makes sense globally (admin, global lead) rather than in a market.
    pub fn is_global_only(self) -> bool {
        matches!(self, Role::Admin | Role::GlobalLead)
    }

    /// Parses a role name; accepts `global-lead`, `Global lead` and `global_lead` alike.
    pub fn parse(raw: &str) -> Result<Role, Invalid> {
        let norm: String = raw
            .trim()
            .chars()
            .map(|c| match c {
                '-' | ' ' => '_',
                c => c.to_ascii_lowercase(),
            })
            .collect();
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == norm)
            .ok_or_else(|| {
                let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                Invalid::new(format!(
                    "unknown role {}; expected one of: {}",
                    quoted(raw),
                    names.join(", ")
                ))
            })
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_round_trips_and_tolerates_spelling() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()).unwrap(), r);
            assert_eq!(Role::parse(r.label()).unwrap(), r);
        }
        assert_eq!(Role::parse("Global-Lead").unwrap(), Role::GlobalLead);
        let err = Role::parse("boss").unwrap_err();
        assert!(err.message.contains("market_lead"), "{err}");
    }
}
