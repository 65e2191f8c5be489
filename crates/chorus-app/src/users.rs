//! Users and memberships.
//!
//! Who sees whom is one rule (`permission::may_see_user`): admins and global leads see everyone;
//! a market lead sees the people holding a membership in a market they lead. For anyone else a
//! person does not exist: every use case that names a user answers `NotFound` for them, exactly
//! as for an id nobody has, so a refusal confirms nothing. Whoever may not see people at all is
//! told so (`Forbidden`), as on the list.
//!
//! Granting and revoking a role need `permission::may_grant` for that role where it is held:
//! admins anything; a market lead the working roles in their own markets. Changing the person
//! (name, deactivation, password reset) needs `permission::may_manage_user`: a lead never changes
//! someone who also leads, holds a global role or works outside the markets they lead, though
//! they may see them and grant them working roles at home. Refusals name no one.

use chorus_core::org::{Market, MarketCode};
use chorus_core::permission::{
    grantable_roles, markets_where, may_grant, may_manage_user, may_see_user,
};
use chorus_core::user::{Email, Membership, User, check_new_password};
use chorus_core::{Action, Role, Scope, UserId};
use chorus_store::NewUser;

use crate::{App, Caller, Error, Result};

pub use chorus_store::UserWithMemberships;

/// A membership as typed: a role name and a market code (empty or `global` for a global role).
#[derive(Debug, Clone, Default)]
pub struct MembershipFields {
    pub role: String,
    pub market: String,
}

/// A new user as typed. `memberships` must hold at least one role.
#[derive(Debug, Clone, Default)]
pub struct NewUserFields {
    pub email: String,
    pub display_name: String,
    pub password: String,
    pub memberships: Vec<MembershipFields>,
}

/// Changes to a person's profile; `None` leaves a value as it is (an empty password too).
#[derive(Debug, Clone, Default)]
pub struct ProfileFields {
    pub display_name: Option<String>,
    pub active: Option<bool>,
    /// A new password set for them (a reset): every session of theirs ends, and every API
    /// token of theirs is revoked unless `keep_api_tokens`.
    pub password: Option<String>,
    /// Let their API tokens keep working through a reset (off by default: a reset is how an
    /// account someone else got into is taken back, and a token is as good as the password).
    pub keep_api_tokens: bool,
}

/// What the caller may grant, for the role and market pickers.
#[derive(Debug, Clone)]
pub struct GrantOptions {
    pub roles: Vec<Role>,
    /// The markets where the caller may grant at least one role.
    pub markets: Vec<Market>,
    /// Whether roles may be granted globally (admins).
    pub global: bool,
}

impl GrantOptions {
    /// Whether the caller may grant anything anywhere (and so add people).
    pub fn any(&self) -> bool {
        !self.roles.is_empty() && (self.global || !self.markets.is_empty())
    }
}

/// The people the caller may see, with what they may grant.
#[derive(Debug, Clone)]
pub struct Directory {
    pub users: Vec<UserWithMemberships>,
    /// Every market, to name the ones memberships refer to.
    pub markets: Vec<Market>,
    pub grant: GrantOptions,
}

/// A membership on a person's page, with whether the caller may remove it.
#[derive(Debug, Clone)]
pub struct MembershipAdmin {
    pub membership: Membership,
    pub can_revoke: bool,
    /// Where it came from: granted by hand, or by a single sign-on rule (its group pattern;
    /// "a deleted rule" until the holder's next sign-in takes it away).
    pub source: MembershipSource,
}

/// Where a membership came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MembershipSource {
    /// Granted on the Users tab, at the command line or by the API.
    Manual,
    /// Given at a sign-in by the rule for this group pattern (`None`: the rule was deleted).
    Rule(Option<String>),
}

/// A person as their admin page shows them, with what the caller may do there.
#[derive(Debug, Clone)]
pub struct UserAdmin {
    pub user: User,
    pub memberships: Vec<MembershipAdmin>,
    /// Whether the caller may rename, deactivate or reset the password of this person.
    pub can_manage: bool,
    pub grant: GrantOptions,
    /// Every market, to name the ones memberships refer to.
    pub markets: Vec<Market>,
}

/// The people the caller may see, by name.
pub async fn list(app: &App, caller: &Caller) -> Result<Vec<UserWithMemberships>> {
    let markets = app.store.markets().await?;
    may_see_people(caller, &markets)?;
    Ok(app
        .store
        .users(None)
        .await?
        .into_iter()
        .filter(|u| may_see_user(&caller.actor, &u.memberships))
        .collect())
}

/// [`list`] with the markets and what the caller may grant (the users page).
pub async fn directory(app: &App, caller: &Caller) -> Result<Directory> {
    let users = list(app, caller).await?;
    let markets = app.store.markets().await?;
    Ok(Directory {
        grant: grant_options(caller, &markets),
        users,
        markets,
    })
}

/// One person the caller may see (others: not found).
pub async fn user(app: &App, caller: &Caller, id: UserId) -> Result<UserWithMemberships> {
    let markets = app.store.markets().await?;
    visible(app, caller, id, &markets).await
}

/// One person's admin view (others: not found).
pub async fn user_admin(app: &App, caller: &Caller, id: UserId) -> Result<UserAdmin> {
    let markets = app.store.markets().await?;
    let found = visible(app, caller, id, &markets).await?;
    let sourced = app.store.sourced_memberships(id).await?;
    let rules = if sourced.iter().any(|s| s.rule.is_some()) {
        app.store.sso_rules().await?
    } else {
        Vec::new()
    };
    let source = |m: &Membership| match sourced.iter().find(|s| s.membership == *m) {
        Some(chorus_store::SourcedMembership { rule: Some(r), .. }) => MembershipSource::Rule(
            rules
                .iter()
                .find(|x| x.id == *r)
                .map(|x| x.group.as_str().to_owned()),
        ),
        _ => MembershipSource::Manual,
    };
    Ok(UserAdmin {
        can_manage: may_manage_user(&caller.actor, &found.memberships),
        memberships: found
            .memberships
            .iter()
            .map(|&m| MembershipAdmin {
                membership: m,
                can_revoke: may_grant(&caller.actor, m.role, m.scope),
                source: source(&m),
            })
            .collect(),
        user: found.user,
        grant: grant_options(caller, &markets),
        markets,
    })
}

/// Adds a person with their first roles; each must be one the caller may grant there.
pub async fn create(
    app: &App,
    caller: &Caller,
    fields: &NewUserFields,
) -> Result<UserWithMemberships> {
    if grantable_roles(&caller.actor).is_empty() {
        return Err(Error::forbidden("you may not add people"));
    }
    let markets = app.store.markets().await?;
    let email = Email::parse(&fields.email).map_err(|e| e.at("email"))?;
    let display_name = display_name(&fields.display_name)?;
    check_new_password(&fields.password).map_err(|e| e.at("password"))?;
    if fields.memberships.is_empty() {
        return Err(Error::invalid("memberships", "give at least one role"));
    }
    let mut memberships = Vec::with_capacity(fields.memberships.len());
    for (i, m) in fields.memberships.iter().enumerate() {
        memberships.push(grantable(
            caller,
            &markets,
            m,
            &format!("memberships[{i}]."),
        )?);
    }
    let password_hash = Some(crate::auth::hash_password(&fields.password).await?);
    let user = app
        .store
        .create_user(
            &caller.author(),
            &NewUser {
                email,
                display_name,
                password_hash,
                memberships: memberships.clone(),
            },
        )
        .await?;
    Ok(UserWithMemberships { user, memberships })
}

/// Changes a person's name, whether they may sign in, and/or their password (a reset).
/// Deactivation and a reset end every session of theirs at once; a reset also revokes their API
/// tokens unless `keep_api_tokens`. Everything is checked before anything is written: a refused
/// change changes nothing.
pub async fn update(
    app: &App,
    caller: &Caller,
    id: UserId,
    fields: &ProfileFields,
) -> Result<UserWithMemberships> {
    let markets = app.store.markets().await?;
    let found = visible(app, caller, id, &markets).await?;
    if !may_manage_user(&caller.actor, &found.memberships) {
        return Err(Error::forbidden(
            "you may not change this person: only an admin changes someone who leads, holds a \
             global role or works outside the markets you lead",
        ));
    }
    let name = match &fields.display_name {
        Some(raw) => display_name(raw)?,
        None => found.user.display_name.clone(),
    };
    let active = fields.active.unwrap_or(found.user.active);
    if !active && caller.user.as_ref().is_some_and(|u| u.id == id) {
        return Err(Error::invalid("active", "you cannot deactivate yourself"));
    }
    let password = fields.password.as_deref().filter(|p| !p.is_empty());
    let hash = match password {
        Some(p) => {
            check_new_password(p).map_err(|e| e.at("password"))?;
            Some(crate::auth::hash_password(p).await?)
        }
        None => None,
    };
    let author = caller.author();
    let user = if name != found.user.display_name || active != found.user.active {
        app.store.update_user(&author, id, &name, active).await?
    } else {
        found.user
    };
    if let Some(hash) = hash {
        app.store
            .set_password_hash(&author, id, &hash, !fields.keep_api_tokens)
            .await?;
    }
    Ok(UserWithMemberships {
        user,
        memberships: found.memberships,
    })
}

/// Grants a person a role (one they hold already: nothing changes).
pub async fn grant(
    app: &App,
    caller: &Caller,
    id: UserId,
    fields: &MembershipFields,
) -> Result<UserWithMemberships> {
    let (found, m) = membership_change(app, caller, id, fields).await?;
    app.store.grant(&caller.author(), found.user.id, m).await?;
    user(app, caller, id).await
}

/// Removes a role from a person (one they do not hold: nothing changes). Admins cannot remove
/// their own admin role: another admin must, so there is always one.
pub async fn revoke(
    app: &App,
    caller: &Caller,
    id: UserId,
    fields: &MembershipFields,
) -> Result<UserWithMemberships> {
    let (found, m) = membership_change(app, caller, id, fields).await?;
    if m.role == Role::Admin && caller.user.as_ref().is_some_and(|u| u.id == id) {
        return Err(Error::invalid(
            "role",
            "you cannot remove your own admin role; ask another admin",
        ));
    }
    app.store.revoke(&caller.author(), found.user.id, m).await?;
    let memberships = app.store.memberships(id).await?;
    Ok(UserWithMemberships {
        user: found.user,
        memberships,
    })
}

/// What a grant or a revocation acts on: the person (if the caller may see them) and the
/// membership (if the caller may grant it).
async fn membership_change(
    app: &App,
    caller: &Caller,
    id: UserId,
    fields: &MembershipFields,
) -> Result<(UserWithMemberships, Membership)> {
    let markets = app.store.markets().await?;
    let found = visible(app, caller, id, &markets).await?;
    let m = grantable(caller, &markets, fields, "")?;
    Ok((found, m))
}

/// Refuses callers who may not see anyone's memberships anywhere.
fn may_see_people(caller: &Caller, markets: &[Market]) -> Result<()> {
    let anywhere = markets_where(
        &caller.actor,
        Action::ReadMembers,
        markets.iter().map(|m| m.id),
    )
    .is_none_or(|ms| !ms.is_empty());
    if anywhere {
        Ok(())
    } else {
        Err(Error::forbidden("you may not see users and memberships"))
    }
}

/// The person with `id` if the caller may see them; otherwise, as for an unknown id, not found.
async fn visible(
    app: &App,
    caller: &Caller,
    id: UserId,
    markets: &[Market],
) -> Result<UserWithMemberships> {
    may_see_people(caller, markets)?;
    let user = app.store.user(id).await?;
    let memberships = app.store.memberships(id).await?;
    if !may_see_user(&caller.actor, &memberships) {
        return Err(Error::NotFound("user"));
    }
    Ok(UserWithMemberships { user, memberships })
}

fn grant_options(caller: &Caller, markets: &[Market]) -> GrantOptions {
    let roles = grantable_roles(&caller.actor);
    GrantOptions {
        markets: markets
            .iter()
            .filter(|m| {
                roles
                    .iter()
                    .any(|r| may_grant(&caller.actor, *r, Scope::Market(m.id)))
            })
            .cloned()
            .collect(),
        global: roles
            .iter()
            .any(|r| may_grant(&caller.actor, *r, Scope::Global)),
        roles,
    }
}

/// Parses a membership the caller may grant or revoke. A role the caller may grant nowhere is
/// an escalation (`Forbidden`) whatever its market; then the market is checked for shape, then
/// the caller's right there. `prefix` goes before the field names (`memberships[0].`).
fn grantable(
    caller: &Caller,
    markets: &[Market],
    fields: &MembershipFields,
    prefix: &str,
) -> Result<Membership> {
    let role = Role::parse(&fields.role).map_err(|e| e.at(format!("{prefix}role")))?;
    let refused = |where_: &str| {
        Error::forbidden(format!(
            "you may not grant or remove the {} role{where_}",
            role.label()
        ))
    };
    if !grantable_roles(&caller.actor).contains(&role) {
        return Err(refused(""));
    }
    let market = match fields.market.trim() {
        "" | "global" => None,
        code => {
            let code = MarketCode::parse(code).map_err(|e| e.at(format!("{prefix}market")))?;
            let market = markets.iter().find(|m| m.code == code).ok_or_else(|| {
                Error::invalid(
                    format!("{prefix}market"),
                    format!("no market has the code {code}"),
                )
            })?;
            Some(market.id)
        }
    };
    let m = Membership::new(role, market).map_err(|e| e.at(format!("{prefix}market")))?;
    if !may_grant(&caller.actor, m.role, m.scope) {
        return Err(refused(match m.scope {
            Scope::Global => " globally",
            Scope::Market(_) => " in this market",
        }));
    }
    Ok(m)
}

fn display_name(raw: &str) -> Result<String> {
    Ok(chorus_core::validate::text(raw, 100).map_err(|e| e.at("display_name"))?)
}

#[cfg(test)]
pub(crate) mod tests;
