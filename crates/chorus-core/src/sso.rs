//! Single sign-on's mapping rules: which groups at the identity provider give which memberships.
//!
//! A rule maps a group name, or every group starting with a prefix (`social-leads-*`), to a role
//! held globally, in one named market, or in the market whose code is what the `*` matched
//! (`social-leads-fi` → market lead in FI). Rules are evaluated at every sign-in over the groups
//! the provider sent; what they give is the whole of a person's rule-given memberships (see
//! [`memberships_for`]). Memberships an admin grants by hand are not the rules' business.

use serde::{Deserialize, Serialize};

use crate::Scope;
use crate::ids::MarketId;
use crate::role::Role;
use crate::user::Membership;
use crate::validate::{FieldError, Invalid, quoted};

/// The longest group pattern accepted (Entra ID sends group object ids, 36 characters; names
/// at other providers are rarely longer than 100).
pub const MAX_PATTERN_CHARS: usize = 200;

/// A group name, or a prefix followed by `*`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GroupPattern(String);

impl GroupPattern {
    /// Accepts a group name without spaces, with at most one `*`, and that only at the end
    /// after at least one character.
    pub fn parse(raw: &str) -> Result<GroupPattern, Invalid> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(Invalid::new(
                "is empty; write the group's name as the identity provider sends it, e.g. \
                 social-fi-editors, or a prefix ending in *, e.g. social-leads-*",
            ));
        }
        if s.chars().count() > MAX_PATTERN_CHARS {
            return Err(Invalid::new(format!(
                "is longer than {MAX_PATTERN_CHARS} characters"
            )));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Invalid::new(format!(
                "{} contains a space; group names are matched exactly",
                quoted(s)
            )));
        }
        let stars = s.matches('*').count();
        if stars > 1 || (stars == 1 && !s.ends_with('*')) || s == "*" {
            return Err(Invalid::new(format!(
                "{}: a * may only end a prefix (social-leads-*), once",
                quoted(s)
            )));
        }
        Ok(GroupPattern(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the pattern ends in `*`.
    pub fn is_prefix(&self) -> bool {
        self.0.ends_with('*')
    }

    /// What `group` matched: `Some("")` for an exact name, `Some(suffix)` for a prefix, `None`
    /// when it does not match. Names are compared exactly (case matters at most providers).
    pub fn matches<'g>(&self, group: &'g str) -> Option<&'g str> {
        match self.0.strip_suffix('*') {
            Some(prefix) => group.strip_prefix(prefix).filter(|rest| !rest.is_empty()),
            None => (group == self.0).then_some(""),
        }
    }
}

impl TryFrom<String> for GroupPattern {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        GroupPattern::parse(&s)
    }
}

impl From<GroupPattern> for String {
    fn from(p: GroupPattern) -> String {
        p.0
    }
}

/// Where a rule's membership is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "market_id")]
pub enum RuleScope {
    Global,
    Market(MarketId),
    /// The market whose code is what the pattern's `*` matched (case does not matter).
    FromSuffix,
}

/// A mapping rule as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRule {
    pub id: i64,
    pub group: GroupPattern,
    pub role: Role,
    pub scope: RuleScope,
}

/// Checks a new rule: the pattern, the role against the scope (admins and global leads are
/// global), and that a market taken from the suffix has a `*` to take it from. `market` is the
/// market the form named, or `None` for global; `from_suffix` asks for the suffix.
pub fn check_rule(
    group: &str,
    role: Role,
    market: Option<MarketId>,
    from_suffix: bool,
) -> Result<(GroupPattern, RuleScope), FieldError> {
    let group = GroupPattern::parse(group).map_err(|e| e.at("group"))?;
    let scope = match (from_suffix, market) {
        (true, Some(_)) => {
            return Err(
                Invalid::new("name a market or take it from the group's suffix, not both")
                    .at("market"),
            );
        }
        (true, None) if !group.is_prefix() => {
            return Err(Invalid::new(format!(
                "the market can come from the suffix only when the group ends in * \
                 (e.g. {}-*)",
                group.as_str()
            ))
            .at("market"));
        }
        (true, None) => RuleScope::FromSuffix,
        (false, Some(m)) => RuleScope::Market(m),
        (false, None) => RuleScope::Global,
    };
    if role.is_global_only() && scope != RuleScope::Global {
        return Err(Invalid::new(format!(
            "the {} role is global; choose \"all markets\"",
            role.label()
        ))
        .at("market"));
    }
    Ok((group, scope))
}

/// A membership a rule gives, and the rule that gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Given {
    pub membership: Membership,
    pub rule: i64,
}

/// The memberships `groups` earn under `rules`, each once (the first rule by id that gives it
/// is named), in rule order. `markets` are the organization's (id, code) pairs; a suffix that
/// names no market gives nothing.
pub fn memberships_for(
    groups: &[String],
    rules: &[GroupRule],
    markets: &[(MarketId, String)],
) -> Vec<Given> {
    let mut rules: Vec<&GroupRule> = rules.iter().collect();
    rules.sort_by_key(|r| r.id);
    let mut out: Vec<Given> = Vec::new();
    for rule in rules {
        for group in groups {
            let Some(rest) = rule.group.matches(group) else {
                continue;
            };
            let scope = match rule.scope {
                RuleScope::Global => Scope::Global,
                RuleScope::Market(m) => Scope::Market(m),
                RuleScope::FromSuffix => match markets
                    .iter()
                    .find(|(_, code)| code.eq_ignore_ascii_case(rest))
                {
                    Some((id, _)) => Scope::Market(*id),
                    None => continue,
                },
            };
            let membership = Membership {
                role: rule.role,
                scope,
            };
            if !out.iter().any(|g| g.membership == membership) {
                out.push(Given {
                    membership,
                    rule: rule.id,
                });
            }
        }
    }
    out
}

/// Who may sign in with a password when single sign-on is configured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum PasswordSignIn {
    /// Everyone with a password (the default).
    #[default]
    Everyone,
    /// Only these people, and only while they are admins: the break-glass accounts for when the
    /// identity provider is down. Emails are compared lowercased.
    BreakGlass(Vec<String>),
}

impl PasswordSignIn {
    /// Whether a person with `email` who `is_admin` (or not) may use a password.
    pub fn allows(&self, email: &str, is_admin: bool) -> bool {
        match self {
            PasswordSignIn::Everyone => true,
            PasswordSignIn::BreakGlass(list) => {
                is_admin && list.iter().any(|e| e.eq_ignore_ascii_case(email))
            }
        }
    }
}

#[cfg(test)]
mod tests;
