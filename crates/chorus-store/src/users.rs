//! Users, their memberships (role + scope) and team membership.

use chorus_core::audit::Author;
use chorus_core::user::{Email, Membership, User};
use chorus_core::{Actor, MarketId, Role, Scope, TeamId, UserId};
use serde::Serialize;
use sqlx::{Any, AnyConnection, Executor, Row};

use crate::audit::{self, Applied, Change, Lock, snapshot};
use crate::direct::{Bind, RowGet};
use crate::error::{is_foreign_key_violation, is_unique_violation};
use crate::{Store, StoreError, in_list, now_ms};

/// A user to create. The password is already hashed (see `chorus_core::password`).
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: Email,
    pub display_name: String,
    pub password_hash: Option<String>,
    pub memberships: Vec<Membership>,
}

/// A user with every membership they hold, as the admin pages show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserWithMemberships {
    #[serde(flatten)]
    pub user: User,
    pub memberships: Vec<Membership>,
}

/// What the audit log keeps of a user: never the password hash.
#[derive(Serialize)]
struct UserSnapshot<'a> {
    email: &'a str,
    display_name: &'a str,
    active: bool,
    memberships: Vec<String>,
}

pub(crate) fn user_snapshot(user: &User, memberships: &[Membership]) -> Option<serde_json::Value> {
    snapshot(&UserSnapshot {
        email: user.email.as_str(),
        display_name: &user.display_name,
        active: user.active,
        memberships: memberships.iter().map(describe_membership).collect(),
    })
}

pub(crate) fn describe_membership(m: &Membership) -> String {
    match m.scope {
        Scope::Global => format!("{} (global)", m.role),
        Scope::Market(id) => format!("{} (market {id})", m.role),
    }
}

impl Store {
    /// Creates a user and their memberships in one transaction.
    pub async fn create_user(&self, author: &Author, new: &NewUser) -> Result<User, StoreError> {
        audit::write(
            self,
            author,
            Lock::nothing(),
            async |_| Ok(()),
            async |c, _| {
                let now = now_ms();
                let id: i64 = sqlx::query(
                    "INSERT INTO users (email, display_name, password_hash, active, created_at, \
                     updated_at) VALUES ($1, $2, $3, 1, $4, $4) RETURNING id",
                )
                .bind(new.email.as_str())
                .bind(&new.display_name)
                .bind(new.password_hash.as_deref())
                .bind(now)
                .fetch_one(&mut *c)
                .await
                .map_err(|e| {
                    if is_unique_violation(&e, "email") {
                        StoreError::AlreadyExists {
                            what: "a user with this email",
                            field: "email",
                        }
                    } else {
                        e.into()
                    }
                })?
                .try_get("id")?;
                let user = User {
                    id: UserId(id),
                    email: new.email.clone(),
                    display_name: new.display_name.clone(),
                    active: true,
                };
                for m in &new.memberships {
                    insert_membership(c, user.id, *m, None).await?;
                }
                let change = Change {
                    action: "user.create",
                    subject_type: "user",
                    subject_id: id.to_string(),
                    market: first_market(&new.memberships),
                    before: None,
                    after: user_snapshot(&user, &new.memberships),
                };
                Ok(Applied::rows(1, 1, user).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "user" },
        )
        .await
    }

    pub async fn user(&self, id: UserId) -> Result<User, StoreError> {
        load_user(self.pool(), id).await
    }

    pub async fn user_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        let row = sqlx::query("SELECT id, email, display_name, active FROM users WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(|r| user_from_row(r)).transpose()
    }

    /// The stored password hash of an active user, for checking a login.
    pub async fn login_credentials(
        &self,
        email: &Email,
    ) -> Result<Option<(UserId, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT id, password_hash FROM users WHERE email = $1 AND active = 1 \
             AND password_hash IS NOT NULL",
        )
        .bind(email.as_str())
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| Ok((UserId(r.try_get("id")?), r.try_get("password_hash")?)))
            .transpose()
    }

    pub async fn memberships(&self, user: UserId) -> Result<Vec<Membership>, StoreError> {
        load_memberships(self.pool(), user).await
    }

    /// The user as an [`Actor`] for permission checks.
    pub async fn actor(&self, user: UserId) -> Result<Actor, StoreError> {
        Ok(Actor {
            user_id: user,
            memberships: self.memberships(user).await?,
        })
    }

    /// The user and their [`Actor`] in one statement (what every authenticated request reads).
    pub async fn user_and_actor(&self, id: UserId) -> Result<(User, Actor), StoreError> {
        let mut rows = self
            .read_all(
                "SELECT u.id, u.email, u.display_name, u.active, m.role, m.market_id \
                 FROM users u LEFT JOIN memberships m ON m.user_id = u.id WHERE u.id = $1 \
                 ORDER BY m.id",
                vec![Bind::I(id.0)],
                |r| {
                    let membership = match r.opt_string("role")? {
                        Some(_) => Some(membership_from_row(r)?),
                        None => None,
                    };
                    Ok((user_from_row(r)?, membership))
                },
            )
            .await?
            .into_iter();
        let (user, first) = rows.next().ok_or(StoreError::NotFound { what: "user" })?;
        let memberships = first
            .into_iter()
            .chain(rows.filter_map(|(_, m)| m))
            .collect();
        Ok((
            user,
            Actor {
                user_id: id,
                memberships,
            },
        ))
    }

    /// Active users holding one of `roles` globally or in one of `markets`, as (id, display
    /// name), by name: one statement that reads only those people (e.g. who can be assigned a
    /// conversation), however many users the organization has.
    pub async fn users_holding(
        &self,
        roles: &[Role],
        markets: &[MarketId],
    ) -> Result<Vec<(UserId, String)>, StoreError> {
        if roles.is_empty() {
            return Ok(Vec::new());
        }
        let mut scope = String::from("m.market_id IS NULL");
        if !markets.is_empty() {
            let list = in_list(roles.len() + 1, markets.len());
            scope.push_str(&format!(" OR m.market_id IN ({list})"));
        }
        let sql = format!(
            "SELECT DISTINCT u.id, u.display_name FROM users u \
             JOIN memberships m ON m.user_id = u.id \
             WHERE u.active = 1 AND m.role IN ({}) AND ({scope}) \
             ORDER BY u.display_name, u.id",
            in_list(1, roles.len())
        );
        let binds = roles
            .iter()
            .map(|r| Bind::S(r.as_str().to_owned()))
            .chain(markets.iter().map(|m| Bind::I(m.0)))
            .collect();
        self.read_all(sql, binds, |r| {
            Ok((UserId(r.i64("id")?), r.string("display_name")?))
        })
        .await
    }

    /// Every user with their memberships; with `market`, only users holding a membership there.
    pub async fn users(
        &self,
        market: Option<MarketId>,
    ) -> Result<Vec<UserWithMemberships>, StoreError> {
        let users = sqlx::query(
            "SELECT id, email, display_name, active FROM users WHERE $1 IS NULL OR id IN \
             (SELECT user_id FROM memberships WHERE market_id = $1) ORDER BY display_name, id",
        )
        .bind(market.map(|m| m.0))
        .fetch_all(self.pool())
        .await?;
        let mut by_user: std::collections::HashMap<i64, Vec<Membership>> = Default::default();
        for m in sqlx::query("SELECT user_id, role, market_id FROM memberships ORDER BY id")
            .fetch_all(self.pool())
            .await?
        {
            by_user
                .entry(m.try_get("user_id")?)
                .or_default()
                .push(membership_from_row(&m)?);
        }
        let mut out = Vec::with_capacity(users.len());
        for row in &users {
            let user = user_from_row(row)?;
            let memberships = by_user.remove(&user.id.0).unwrap_or_default();
            out.push(UserWithMemberships { user, memberships });
        }
        Ok(out)
    }

    /// Changes a user's display name and/or active flag; deactivating ends their sessions.
    pub async fn update_user(
        &self,
        author: &Author,
        id: UserId,
        display_name: &str,
        active: bool,
    ) -> Result<User, StoreError> {
        audit::write(
            self,
            author,
            Lock::id("users", id.0),
            async |c| {
                let user = load_user(&mut *c, id).await?;
                Ok((user, load_memberships(&mut *c, id).await?))
            },
            async |c, (before, memberships)| {
                let n = sqlx::query(
                    "UPDATE users SET display_name = $1, active = $2, updated_at = $3 WHERE id = $4",
                )
                .bind(display_name)
                .bind(i64::from(active))
                .bind(now_ms())
                .bind(id.0)
                .execute(&mut *c)
                .await?
                .rows_affected();
                if !active {
                    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                        .bind(id.0)
                        .execute(&mut *c)
                        .await?;
                }
                let after = User {
                    display_name: display_name.to_owned(),
                    active,
                    ..before.clone()
                };
                let change = Change {
                    action: "user.update",
                    subject_type: "user",
                    subject_id: id.to_string(),
                    market: first_market(memberships),
                    before: user_snapshot(before, memberships),
                    after: user_snapshot(&after, memberships),
                };
                Ok(Applied::rows(n, 1, after).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "user" },
        )
        .await
    }

    /// Sets a new password hash for someone (a reset) and ends every session of theirs; with
    /// `end_api_tokens`, revokes every API token of theirs too — in one transaction with the
    /// audit entry, which counts both.
    pub async fn set_password_hash(
        &self,
        author: &Author,
        id: UserId,
        hash: &str,
        end_api_tokens: bool,
    ) -> Result<(), StoreError> {
        audit::write(
            self,
            author,
            Lock::id("users", id.0),
            async |_| Ok(()),
            async |c, _| {
                let n = sqlx::query(
                    "UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3",
                )
                .bind(hash)
                .bind(now_ms())
                .bind(id.0)
                .execute(&mut *c)
                .await?
                .rows_affected();
                let sessions_ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(id.0)
                    .execute(&mut *c)
                    .await?
                    .rows_affected();
                let api_tokens_revoked = if end_api_tokens {
                    sqlx::query(
                        "UPDATE api_tokens SET revoked_at = $1 \
                         WHERE user_id = $2 AND revoked_at IS NULL",
                    )
                    .bind(now_ms())
                    .bind(id.0)
                    .execute(&mut *c)
                    .await?
                    .rows_affected()
                } else {
                    0
                };
                let change = Change {
                    action: "user.password",
                    subject_type: "user",
                    subject_id: id.to_string(),
                    market: None,
                    before: None,
                    after: Some(serde_json::json!({
                        "password": "changed",
                        "sessions_ended": sessions_ended,
                        "api_tokens_revoked": api_tokens_revoked,
                    })),
                };
                Ok(Applied::rows(n, 1, ()).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "user" },
        )
        .await
    }

    /// Grants a membership; granting one the user already holds is a no-op without an audit
    /// entry (returns `false`). An unknown user is `NotFound`.
    pub async fn grant(
        &self,
        author: &Author,
        user: UserId,
        membership: Membership,
    ) -> Result<bool, StoreError> {
        audit::write(
            self,
            author,
            Lock::id("users", user.0),
            async |c| {
                load_user(&mut *c, user).await?;
                load_memberships(&mut *c, user).await
            },
            async |c, before| {
                if before.contains(&membership) {
                    return Ok(Applied::rows(0, 0, false));
                }
                insert_membership(c, user, membership, None).await?;
                let mut after = before.clone();
                after.push(membership);
                let change =
                    membership_change("membership.grant", user, membership, before, &after);
                Ok(Applied::rows(1, 1, true).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "user" },
        )
        .await
    }

    /// Revokes a membership the user holds. One they do not hold (e.g. the second of two
    /// concurrent revokes) is `NotFound` and writes nothing; returns `true` otherwise.
    pub async fn revoke(
        &self,
        author: &Author,
        user: UserId,
        membership: Membership,
    ) -> Result<bool, StoreError> {
        audit::write(
            self,
            author,
            Lock::id("users", user.0),
            async |c| {
                load_user(&mut *c, user).await?;
                load_memberships(&mut *c, user).await
            },
            async |c, before| {
                let market = match membership.scope {
                    Scope::Global => None,
                    Scope::Market(m) => Some(m.0),
                };
                let n = sqlx::query(
                    "DELETE FROM memberships WHERE user_id = $1 AND role = $2 AND \
                     ((market_id IS NULL AND $3 IS NULL) OR market_id = $3)",
                )
                .bind(user.0)
                .bind(membership.role.as_str())
                .bind(market)
                .execute(&mut *c)
                .await?
                .rows_affected();
                let after: Vec<Membership> = before
                    .iter()
                    .copied()
                    .filter(|m| *m != membership)
                    .collect();
                let change =
                    membership_change("membership.revoke", user, membership, before, &after);
                Ok(Applied::rows(n, 1, true).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "membership" },
        )
        .await
    }

    pub async fn team_members(&self, team: TeamId) -> Result<Vec<UserId>, StoreError> {
        let rows =
            sqlx::query("SELECT user_id FROM team_members WHERE team_id = $1 ORDER BY user_id")
                .bind(team.0)
                .fetch_all(self.pool())
                .await?;
        rows.iter()
            .map(|r| Ok(UserId(r.try_get("user_id")?)))
            .collect()
    }

    /// Adds or removes a user from a team; asking for what already is changes nothing and is
    /// not audited.
    pub async fn set_team_member(
        &self,
        author: &Author,
        team: TeamId,
        user: UserId,
        member: bool,
    ) -> Result<(), StoreError> {
        audit::write(
            self,
            author,
            Lock::id("teams", team.0),
            async |c| {
                let t = crate::org::load_team(&mut *c, team).await?;
                let is_member = sqlx::query(
                    "SELECT 1 AS one FROM team_members WHERE team_id = $1 AND user_id = $2",
                )
                .bind(team.0)
                .bind(user.0)
                .fetch_optional(&mut *c)
                .await?
                .is_some();
                Ok((t, is_member))
            },
            async |c, (t, is_member)| {
                if *is_member == member {
                    return Ok(Applied::rows(0, 0, ()));
                }
                let n = if member {
                    sqlx::query("INSERT INTO team_members (team_id, user_id) VALUES ($1, $2)")
                } else {
                    sqlx::query("DELETE FROM team_members WHERE team_id = $1 AND user_id = $2")
                }
                .bind(team.0)
                .bind(user.0)
                .execute(&mut *c)
                .await
                .map_err(|e| {
                    if is_foreign_key_violation(&e) {
                        StoreError::NotFound { what: "user" }
                    } else {
                        e.into()
                    }
                })?
                .rows_affected();
                let change = Change {
                    action: if member {
                        "team.member_add"
                    } else {
                        "team.member_remove"
                    },
                    subject_type: "team",
                    subject_id: team.to_string(),
                    market: Some(t.market_id),
                    before: None,
                    after: Some(serde_json::json!({ "user_id": user.0, "member": member })),
                };
                Ok(Applied::rows(n, 1, ()).audit(change))
            },
            async |_, _| StoreError::NotFound {
                what: "team member",
            },
        )
        .await
    }
}

/// The user `id` (`NotFound` when there is none), through a pool or inside a transaction.
pub(crate) async fn load_user<'e>(
    e: impl Executor<'e, Database = Any>,
    id: UserId,
) -> Result<User, StoreError> {
    let row = sqlx::query("SELECT id, email, display_name, active FROM users WHERE id = $1")
        .bind(id.0)
        .fetch_optional(e)
        .await?
        .ok_or(StoreError::NotFound { what: "user" })?;
    user_from_row(&row)
}

/// Every membership of `user`, in the order they were granted.
pub(crate) async fn load_memberships<'e>(
    e: impl Executor<'e, Database = Any>,
    user: UserId,
) -> Result<Vec<Membership>, StoreError> {
    let rows =
        sqlx::query("SELECT role, market_id FROM memberships WHERE user_id = $1 ORDER BY id")
            .bind(user.0)
            .fetch_all(e)
            .await?;
    rows.iter().map(|r| membership_from_row(r)).collect()
}

/// Inserts a membership; `rule` names the sign-in rule that gives it (`None`: granted by hand).
pub(crate) async fn insert_membership(
    conn: &mut AnyConnection,
    user: UserId,
    m: Membership,
    rule: Option<i64>,
) -> Result<(), StoreError> {
    let market = match m.scope {
        Scope::Global => None,
        Scope::Market(id) => Some(id.0),
    };
    sqlx::query(
        "INSERT INTO memberships (user_id, role, market_id, created_at, granted_by_rule) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(user.0)
    .bind(m.role.as_str())
    .bind(market)
    .bind(now_ms())
    .bind(rule)
    .execute(conn)
    .await
    .map_err(|e| {
        if is_foreign_key_violation(&e) {
            StoreError::Reference("the membership names a market that does not exist".into())
        } else if is_unique_violation(&e, "memberships") || is_unique_violation(&e, "user_id") {
            StoreError::AlreadyExists {
                what: "this membership",
                field: "role",
            }
        } else {
            e.into()
        }
    })?;
    Ok(())
}

fn membership_change<'a>(
    action: &'a str,
    user: UserId,
    m: Membership,
    before: &[Membership],
    after: &[Membership],
) -> Change<'a> {
    let list = |ms: &[Membership]| {
        Some(serde_json::json!({
            "memberships": ms.iter().map(describe_membership).collect::<Vec<_>>()
        }))
    };
    Change {
        action,
        subject_type: "user",
        subject_id: user.to_string(),
        market: match m.scope {
            Scope::Global => None,
            Scope::Market(id) => Some(id),
        },
        before: list(before),
        after: list(after),
    }
}

pub(crate) fn first_market(ms: &[Membership]) -> Option<MarketId> {
    ms.iter().find_map(|m| match m.scope {
        Scope::Market(id) => Some(id),
        Scope::Global => None,
    })
}

pub(crate) fn user_from_row(row: &dyn RowGet) -> Result<User, StoreError> {
    Ok(User {
        id: UserId(row.i64("id")?),
        email: Email::parse(&row.string("email")?)
            .map_err(|e| StoreError::corrupt("user email", e))?,
        display_name: row.string("display_name")?,
        active: row.i64("active")? != 0,
    })
}

pub(crate) fn membership_from_row(row: &dyn RowGet) -> Result<Membership, StoreError> {
    let role =
        Role::parse(&row.string("role")?).map_err(|e| StoreError::corrupt("membership role", e))?;
    let scope = match row.opt_i64("market_id")? {
        None => Scope::Global,
        Some(id) => Scope::Market(MarketId(id)),
    };
    Ok(Membership { role, scope })
}

#[cfg(test)]
mod tests;
