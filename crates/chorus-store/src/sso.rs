//! Single sign-on's records: sign-ins between the two legs of the redirect, who a provider's
//! subject is here, the admins' mapping rules, and the sign-in itself — the person found or
//! created, their rule-given memberships made to match what the rules give now, and a session,
//! in one transaction.
//!
//! The store knows nothing of OpenID Connect: `chorus-app` checks the provider's answer and
//! evaluates the rules (`chorus_core::sso::memberships_for`); this module applies the result.

use chorus_core::audit::Author;
use chorus_core::sso::{Given, GroupPattern, GroupRule, RuleScope};
use chorus_core::user::{Email, Membership};
use chorus_core::{MarketId, Role, Scope, UserId};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::audit::{self, Applied, Change, Lock, snapshot};
use crate::direct::{Bind, RowGet};
use crate::sessions::{hash_token, random_token};
use crate::users::{
    describe_membership, insert_membership, membership_from_row, user_from_row, user_snapshot,
};
use crate::{Store, StoreError, now_ms};

/// A sign-in between the redirect to the provider and the return: what the return must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSignIn {
    pub provider: String,
    pub nonce: String,
    pub code_verifier: String,
    pub next: String,
}

/// Who the provider says signed in, checked by the caller.
#[derive(Debug, Clone)]
pub struct SsoProfile {
    /// The provider's id in config.
    pub provider: String,
    /// The ID token's `sub`.
    pub subject: String,
    pub email: Email,
    /// The provider says the email is the person's (`email_verified`): only then may a first
    /// sign-in take over an existing user with that email.
    pub email_verified: bool,
    pub display_name: String,
    pub groups: Vec<String>,
}

/// How a sign-in ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SsoOutcome {
    /// Signed in; `token` is the new session's cookie value (shown once).
    SignedIn {
        user: UserId,
        token: String,
        /// The user was created by this sign-in.
        created: bool,
    },
    /// The rules give this person nothing (and they hold nothing by hand): no session. A known
    /// user's other sessions ended and their API tokens were revoked.
    NoAccess { user: Option<UserId> },
    /// The person was deactivated here; the provider cannot bring them back.
    Deactivated,
    /// First sign-in with an email a user already has, and the provider does not vouch for it.
    EmailTaken,
}

/// A membership and where it came from, as Admin → Users shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourcedMembership {
    #[serde(flatten)]
    pub membership: Membership,
    /// `None`: granted by hand; otherwise the rule that gave it.
    pub rule: Option<i64>,
}

#[derive(Serialize)]
struct RuleSnapshot<'a> {
    group: &'a str,
    role: Role,
    scope: RuleScope,
}

impl Store {
    /// Records a sign-in leaving for the provider, under the SHA-256 of its `state`; removes
    /// those that were never finished.
    pub async fn begin_sso_login(
        &self,
        state: &str,
        pending: &PendingSignIn,
        ttl_ms: i64,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        sqlx::query("DELETE FROM sso_logins WHERE expires_at <= $1")
            .bind(now)
            .execute(self.pool())
            .await?;
        sqlx::query(
            "INSERT INTO sso_logins (state_hash, provider, nonce, code_verifier, next, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(hash_token(state))
        .bind(&pending.provider)
        .bind(&pending.nonce)
        .bind(&pending.code_verifier)
        .bind(&pending.next)
        .bind(now)
        .bind(now + ttl_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Takes the sign-in `state` names: at most once (it is deleted), and only before it
    /// expires. `None` for a state never issued, already used or expired.
    pub async fn take_sso_login(&self, state: &str) -> Result<Option<PendingSignIn>, StoreError> {
        let row = sqlx::query(
            "DELETE FROM sso_logins WHERE state_hash = $1 \
             RETURNING provider, nonce, code_verifier, next, expires_at",
        )
        .bind(hash_token(state))
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = row else { return Ok(None) };
        if r.try_get::<i64, _>("expires_at")? <= now_ms() {
            return Ok(None);
        }
        Ok(Some(PendingSignIn {
            provider: r.try_get("provider")?,
            nonce: r.try_get("nonce")?,
            code_verifier: r.try_get("code_verifier")?,
            next: r.try_get("next")?,
        }))
    }

    /// The mapping rules, oldest first.
    pub async fn sso_rules(&self) -> Result<Vec<GroupRule>, StoreError> {
        self.read_all(
            "SELECT id, group_pattern, role, market_id, from_suffix FROM sso_rules ORDER BY id",
            vec![],
            rule_from_row,
        )
        .await
    }

    /// Adds a mapping rule (checked by the caller with `chorus_core::sso::check_rule`).
    pub async fn create_sso_rule(
        &self,
        author: &Author,
        group: &GroupPattern,
        role: Role,
        scope: RuleScope,
    ) -> Result<GroupRule, StoreError> {
        audit::write(
            self,
            author,
            Lock::nothing(),
            async |_| Ok(()),
            async |c, _| {
                let (market, from_suffix) = match scope {
                    RuleScope::Global => (None, 0),
                    RuleScope::Market(m) => (Some(m.0), 0),
                    RuleScope::FromSuffix => (None, 1),
                };
                let id: i64 = sqlx::query(
                    "INSERT INTO sso_rules (group_pattern, role, market_id, from_suffix, \
                     created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(group.as_str())
                .bind(role.as_str())
                .bind(market)
                .bind(from_suffix)
                .bind(now_ms())
                .fetch_one(&mut *c)
                .await
                .map_err(|e| {
                    if crate::error::is_foreign_key_violation(&e) {
                        StoreError::Reference("the rule names a market that does not exist".into())
                    } else {
                        e.into()
                    }
                })?
                .try_get("id")?;
                let rule = GroupRule {
                    id,
                    group: group.clone(),
                    role,
                    scope,
                };
                let change = Change {
                    action: "sso_rule.create",
                    subject_type: "sso_rule",
                    subject_id: id.to_string(),
                    market: market.map(MarketId),
                    before: None,
                    after: rule_snapshot(&rule),
                };
                Ok(Applied::rows(1, 1, rule).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "rule" },
        )
        .await
    }

    /// Deletes a mapping rule. The memberships it gave stay until each holder's next sign-in.
    pub async fn delete_sso_rule(&self, author: &Author, id: i64) -> Result<(), StoreError> {
        audit::write(
            self,
            author,
            Lock::id("sso_rules", id),
            async |c| {
                let row = sqlx::query(
                    "SELECT id, group_pattern, role, market_id, from_suffix FROM sso_rules \
                     WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&mut *c)
                .await?
                .ok_or(StoreError::NotFound { what: "rule" })?;
                rule_from_row(&row)
            },
            async |c, rule| {
                let n = sqlx::query("DELETE FROM sso_rules WHERE id = $1")
                    .bind(id)
                    .execute(&mut *c)
                    .await?
                    .rows_affected();
                let change = Change {
                    action: "sso_rule.delete",
                    subject_type: "sso_rule",
                    subject_id: id.to_string(),
                    market: match rule.scope {
                        RuleScope::Market(m) => Some(m),
                        _ => None,
                    },
                    before: rule_snapshot(rule),
                    after: None,
                };
                Ok(Applied::rows(n, 1, ()).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "rule" },
        )
        .await
    }

    /// Every membership of `user` with where it came from, in the order they were granted.
    pub async fn sourced_memberships(
        &self,
        user: UserId,
    ) -> Result<Vec<SourcedMembership>, StoreError> {
        self.read_all(
            "SELECT role, market_id, granted_by_rule FROM memberships WHERE user_id = $1 \
             ORDER BY id",
            vec![Bind::I(user.0)],
            |r| {
                Ok(SourcedMembership {
                    membership: membership_from_row(r)?,
                    rule: r.opt_i64("granted_by_rule")?,
                })
            },
        )
        .await
    }

    /// Signs in the person `profile` names: finds them by the provider's subject (or, the first
    /// time, by a vouched-for email; otherwise creates them when the rules give anything), makes
    /// their rule-given memberships exactly `given` (memberships granted by hand stay), and
    /// starts a session of `ttl_ms` — all in one transaction, every change audited. When they
    /// are left with no membership at all, every session of theirs ends, their API tokens are
    /// revoked and no session starts.
    pub async fn sso_sign_in(
        &self,
        profile: &SsoProfile,
        given: &[Given],
        ttl_ms: i64,
    ) -> Result<SsoOutcome, StoreError> {
        let author = Author::system(&format!("single sign-on: {}", profile.provider));
        audit::write(
            self,
            &author,
            Lock::nothing(),
            async |_| Ok(()),
            async |c, _| {
                let mut applied = Applied::rows(1, 1, SsoOutcome::EmailTaken);
                let found = identity_user(c, profile).await?;
                let (user, created) = match found {
                    Some(id) => (id, false),
                    None => match existing_by_email(c, &profile.email).await? {
                        Some(_) if !profile.email_verified => return Ok(applied),
                        Some(id) => (id, false),
                        None if given.is_empty() => {
                            applied.answer(SsoOutcome::NoAccess { user: None });
                            return Ok(applied);
                        }
                        None => (create_user(c, profile, &mut applied).await?, true),
                    },
                };
                let user_row =
                    sqlx::query("SELECT id, email, display_name, active FROM users WHERE id = $1")
                        .bind(user.0)
                        .fetch_one(&mut *c)
                        .await?;
                if !user_from_row(&user_row)?.active {
                    applied.answer(SsoOutcome::Deactivated);
                    return Ok(applied);
                }
                let held = sync_memberships(c, user, given, &mut applied).await?;
                remember_identity(c, profile, user).await?;
                if held == 0 {
                    end_access(c, user, &mut applied).await?;
                    applied.answer(SsoOutcome::NoAccess { user: Some(user) });
                    return Ok(applied);
                }
                let token = random_token();
                let now = now_ms();
                sqlx::query(
                    "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, \
                     expires_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(hash_token(&token))
                .bind(user.0)
                .bind(random_token())
                .bind(now)
                .bind(now + ttl_ms)
                .execute(&mut *c)
                .await?;
                applied.answer(SsoOutcome::SignedIn {
                    user,
                    token,
                    created,
                });
                Ok(applied)
            },
            async |_, _| StoreError::NotFound { what: "user" },
        )
        .await
    }
}

async fn identity_user(
    c: &mut AnyConnection,
    profile: &SsoProfile,
) -> Result<Option<UserId>, StoreError> {
    let row =
        sqlx::query("SELECT user_id FROM sso_identities WHERE provider = $1 AND subject = $2")
            .bind(&profile.provider)
            .bind(&profile.subject)
            .fetch_optional(&mut *c)
            .await?;
    row.map(|r| Ok(UserId(r.try_get("user_id")?))).transpose()
}

async fn existing_by_email(
    c: &mut AnyConnection,
    email: &Email,
) -> Result<Option<UserId>, StoreError> {
    let row = sqlx::query("SELECT id FROM users WHERE email = $1")
        .bind(email.as_str())
        .fetch_optional(&mut *c)
        .await?;
    row.map(|r| Ok(UserId(r.try_get("id")?))).transpose()
}

/// Creates the person a first sign-in brings, without a password (they sign in at the
/// provider), and audits it.
async fn create_user(
    c: &mut AnyConnection,
    profile: &SsoProfile,
    applied: &mut Applied<'_, SsoOutcome>,
) -> Result<UserId, StoreError> {
    let now = now_ms();
    let id: i64 = sqlx::query(
        "INSERT INTO users (email, display_name, password_hash, active, created_at, updated_at) \
         VALUES ($1, $2, NULL, 1, $3, $3) RETURNING id",
    )
    .bind(profile.email.as_str())
    .bind(&profile.display_name)
    .bind(now)
    .fetch_one(&mut *c)
    .await?
    .try_get("id")?;
    let user = chorus_core::user::User {
        id: UserId(id),
        email: profile.email.clone(),
        display_name: profile.display_name.clone(),
        active: true,
    };
    applied.push(Change {
        action: "user.create",
        subject_type: "user",
        subject_id: id.to_string(),
        market: None,
        before: None,
        after: user_snapshot(&user, &[]),
    });
    Ok(user.id)
}

/// Makes the user's rule-given memberships exactly `given`; answers how many memberships they
/// hold afterwards (by hand and by rule).
async fn sync_memberships(
    c: &mut AnyConnection,
    user: UserId,
    given: &[Given],
    applied: &mut Applied<'_, SsoOutcome>,
) -> Result<usize, StoreError> {
    let held: Vec<(i64, Membership, Option<i64>)> = sqlx::query(
        "SELECT id, role, market_id, granted_by_rule FROM memberships WHERE user_id = $1 \
         ORDER BY id",
    )
    .bind(user.0)
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(|r| {
        let row: &dyn RowGet = r;
        Ok((
            row.i64("id")?,
            membership_from_row(row)?,
            row.opt_i64("granted_by_rule")?,
        ))
    })
    .collect::<Result<_, StoreError>>()?;
    let before: Vec<Membership> = held.iter().map(|(_, m, _)| *m).collect();
    let mut after = before.clone();
    for (id, m, rule) in &held {
        let Some(rule) = rule else { continue };
        if given.iter().any(|g| g.membership == *m) {
            continue;
        }
        sqlx::query("DELETE FROM memberships WHERE id = $1")
            .bind(id)
            .execute(&mut *c)
            .await?;
        after.retain(|x| x != m);
        applied.push(rule_membership_change(
            "membership.revoke",
            user,
            *m,
            *rule,
            &before,
            &after,
        ));
    }
    for g in given {
        if after.contains(&g.membership) {
            continue;
        }
        insert_membership(c, user, g.membership, Some(g.rule)).await?;
        let was = after.clone();
        after.push(g.membership);
        applied.push(rule_membership_change(
            "membership.grant",
            user,
            g.membership,
            g.rule,
            &was,
            &after,
        ));
    }
    Ok(after.len())
}

fn rule_membership_change<'a>(
    action: &'a str,
    user: UserId,
    m: Membership,
    rule: i64,
    before: &[Membership],
    after: &[Membership],
) -> Change<'a> {
    let list = |ms: &[Membership], with_rule: bool| {
        let mut v = serde_json::json!({
            "memberships": ms.iter().map(describe_membership).collect::<Vec<_>>()
        });
        if with_rule {
            v["by_rule"] = serde_json::json!(rule);
        }
        Some(v)
    };
    Change {
        action,
        subject_type: "user",
        subject_id: user.to_string(),
        market: match m.scope {
            Scope::Global => None,
            Scope::Market(id) => Some(id),
        },
        before: list(before, false),
        after: list(after, true),
    }
}

async fn remember_identity(
    c: &mut AnyConnection,
    profile: &SsoProfile,
    user: UserId,
) -> Result<(), StoreError> {
    let now = now_ms();
    let groups = profile.groups.join("\n");
    let n = sqlx::query(
        "UPDATE sso_identities SET groups = $1, last_sign_in_at = $2 \
         WHERE provider = $3 AND subject = $4",
    )
    .bind(&groups)
    .bind(now)
    .bind(&profile.provider)
    .bind(&profile.subject)
    .execute(&mut *c)
    .await?
    .rows_affected();
    if n == 0 {
        sqlx::query(
            "INSERT INTO sso_identities (provider, subject, user_id, groups, created_at, \
             last_sign_in_at) VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(&profile.provider)
        .bind(&profile.subject)
        .bind(user.0)
        .bind(&groups)
        .bind(now)
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

/// Ends every session of `user` and revokes their API tokens (they lost access), audited.
async fn end_access(
    c: &mut AnyConnection,
    user: UserId,
    applied: &mut Applied<'_, SsoOutcome>,
) -> Result<(), StoreError> {
    let sessions_ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user.0)
        .execute(&mut *c)
        .await?
        .rows_affected();
    let api_tokens_revoked = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
    )
    .bind(now_ms())
    .bind(user.0)
    .execute(&mut *c)
    .await?
    .rows_affected();
    applied.push(Change {
        action: "user.access_ended",
        subject_type: "user",
        subject_id: user.to_string(),
        market: None,
        before: None,
        after: Some(serde_json::json!({
            "reason": "no group of theirs is mapped to a role any more",
            "sessions_ended": sessions_ended,
            "api_tokens_revoked": api_tokens_revoked,
        })),
    });
    Ok(())
}

fn rule_from_row(r: &dyn RowGet) -> Result<GroupRule, StoreError> {
    let group = GroupPattern::parse(&r.string("group_pattern")?)
        .map_err(|e| StoreError::corrupt("sign-in rule group", e))?;
    let role =
        Role::parse(&r.string("role")?).map_err(|e| StoreError::corrupt("sign-in rule role", e))?;
    let scope = match (r.i64("from_suffix")? != 0, r.opt_i64("market_id")?) {
        (true, _) => RuleScope::FromSuffix,
        (false, Some(m)) => RuleScope::Market(MarketId(m)),
        (false, None) => RuleScope::Global,
    };
    Ok(GroupRule {
        id: r.i64("id")?,
        group,
        role,
        scope,
    })
}

fn rule_snapshot(rule: &GroupRule) -> Option<serde_json::Value> {
    snapshot(&RuleSnapshot {
        group: rule.group.as_str(),
        role: rule.role,
        scope: rule.scope,
    })
}
