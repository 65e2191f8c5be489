//! Users and their memberships (a role held globally or in one market).

use serde::{Deserialize, Serialize};

use crate::ids::{MarketId, UserId};
use crate::permission::Scope;
use crate::role::Role;
use crate::validate::{Invalid, quoted};

/// An email address, lowercased. Checked for shape only (one `@`, a dotted domain, no spaces);
/// whether it receives mail is not our business here.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim().to_lowercase();
        let bad = || {
            Invalid::new(format!(
                "{} is not an email address, e.g. ana@example.com",
                quoted(raw)
            ))
        };
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = s.split_once('@').ok_or_else(bad)?;
        if local.is_empty()
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
            || local.contains(['<', '>', '"', ',', ';'])
        {
            return Err(bad());
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        Self::parse(&s)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person who can log in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub display_name: String,
    pub active: bool,
}

/// A role held by a user, globally or in one market.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Membership {
    pub role: Role,
    pub scope: Scope,
}

impl Membership {
    /// Checks the role fits the scope: admins and global leads are global, other roles may be
    /// global (e.g. an analyst for all markets) or held in one market.
    pub fn new(role: Role, market: Option<MarketId>) -> Result<Self, Invalid> {
        match (role.is_global_only(), market) {
            (true, Some(_)) => Err(Invalid::new(format!(
                "the {} role is global; leave the market empty",
                role.label()
            ))),
            (_, None) => Ok(Self {
                role,
                scope: Scope::Global,
            }),
            (false, Some(m)) => Ok(Self {
                role,
                scope: Scope::Market(m),
            }),
        }
    }
}

/// Minimum password length for local accounts.
pub const MIN_PASSWORD_LEN: usize = 10;

/// Checks a new password is long enough (length beats composition rules).
pub fn check_new_password(pw: &str) -> Result<(), Invalid> {
    let n = pw.chars().count();
    if n < MIN_PASSWORD_LEN {
        return Err(Invalid::new(format!(
            "is {n} characters long; use at least {MIN_PASSWORD_LEN}"
        )));
    }
    if n > 1024 {
        return Err(Invalid::new("is longer than 1024 characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse(" Ana@Example.COM ").unwrap().as_str(),
            "ana@example.com"
        );
        for bad in [
            "",
            "ana",
            "ana@",
            "@x.com",
            "a@b",
            "a b@x.com",
            "a@x..com",
            "a@@x.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn membership_scope_rules() {
        assert!(Membership::new(Role::Admin, Some(MarketId(1))).is_err());
        assert_eq!(
            Membership::new(Role::Editor, Some(MarketId(1)))
                .unwrap()
                .scope,
            Scope::Market(MarketId(1))
        );
        assert_eq!(
            Membership::new(Role::Analyst, None).unwrap().scope,
            Scope::Global
        );
    }

    #[test]
    fn passwords() {
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("long enough pw").is_ok());
    }
}
