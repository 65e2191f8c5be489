//! Login sessions (for the browser) and API tokens (for scripts). Only hashes of the secret
//! tokens are stored: a copy of the database does not let anyone log in.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chorus_core::UserId;
use chorus_core::audit::Author;
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::{self, Applied, Change, Lock};
use crate::direct::Bind;
use crate::{Store, StoreError, now_ms};

/// A live browser session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user_id: UserId,
    /// The token forms and htmx requests must echo back (synchronizer-token CSRF defence).
    pub csrf_token: String,
    pub expires_at_ms: i64,
}

/// An API token as listed (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: UserId,
    pub name: String,
    /// The first characters of the token, to recognise it.
    pub prefix: String,
    pub created_at_ms: i64,
    pub last_used_at_ms: Option<i64>,
    pub revoked: bool,
}

/// A token just created: `secret` is shown once and never stored.
#[derive(Debug, Clone)]
pub struct NewApiToken {
    pub token: ApiToken,
    pub secret: String,
}

/// 32 random bytes, base64url.
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Prefix of every API token, so leaked tokens are easy to recognise and scan for.
pub const API_TOKEN_PREFIX: &str = "chorus_";

/// How precisely an API token's last use is recorded.
const TOKEN_USE_RESOLUTION_MS: i64 = 60_000;

impl Store {
    /// Starts a session for `user` lasting `ttl_ms`; returns the cookie value and the session.
    pub async fn create_session(
        &self,
        user: UserId,
        ttl_ms: i64,
    ) -> Result<(String, Session), StoreError> {
        let token = random_token();
        let session = Session {
            user_id: user,
            csrf_token: random_token(),
            expires_at_ms: now_ms() + ttl_ms,
        };
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(hash_token(&token))
        .bind(user.0)
        .bind(&session.csrf_token)
        .bind(now_ms())
        .bind(session.expires_at_ms)
        .execute(self.pool())
        .await?;
        Ok((token, session))
    }

    /// The unexpired session of an active user for a cookie value, if any.
    pub async fn session(&self, token: &str) -> Result<Option<Session>, StoreError> {
        self.read_one(
            "SELECT s.user_id, s.csrf_token, s.expires_at FROM sessions s \
             JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active = 1",
            vec![Bind::S(hash_token(token)), Bind::I(now_ms())],
            |r| {
                Ok(Session {
                    user_id: UserId(r.i64("user_id")?),
                    csrf_token: r.string("csrf_token")?,
                    expires_at_ms: r.i64("expires_at")?,
                })
            },
        )
        .await
    }

    /// Ends a session (logout). Ending one that does not exist is not an error.
    pub async fn delete_session(&self, token: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(hash_token(token))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Deletes expired sessions; returns how many.
    pub async fn delete_expired_sessions(&self) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now_ms())
            .execute(self.pool())
            .await?
            .rows_affected())
    }

    pub async fn create_api_token(
        &self,
        author: &Author,
        user: UserId,
        name: &str,
    ) -> Result<NewApiToken, StoreError> {
        let secret = format!("{API_TOKEN_PREFIX}{}", random_token());
        let prefix: String = secret.chars().take(API_TOKEN_PREFIX.len() + 6).collect();
        let now = now_ms();
        let token = audit::write(
            self,
            author,
            Lock::nothing(),
            async |_| Ok(()),
            async |c, _| {
                let id: i64 = sqlx::query(
                    "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(user.0)
                .bind(name)
                .bind(hash_token(&secret))
                .bind(&prefix)
                .bind(now)
                .fetch_one(&mut *c)
                .await
                .map_err(|e| {
                    if crate::error::is_foreign_key_violation(&e) {
                        StoreError::NotFound { what: "user" }
                    } else {
                        e.into()
                    }
                })?
                .try_get("id")?;
                let change = Change {
                    action: "api_token.create",
                    subject_type: "api_token",
                    subject_id: id.to_string(),
                    market: None,
                    before: None,
                    after: Some(
                        serde_json::json!({"user_id": user.0, "name": name, "prefix": prefix}),
                    ),
                };
                let token = ApiToken {
                    id,
                    user_id: user,
                    name: name.to_owned(),
                    prefix: prefix.clone(),
                    created_at_ms: now,
                    last_used_at_ms: None,
                    revoked: false,
                };
                Ok(Applied::rows(1, 1, token).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "user" },
        )
        .await?;
        Ok(NewApiToken { token, secret })
    }

    /// The active user an unrevoked API token belongs to, recording its use. The time of use is
    /// written at most once a minute per token: a script polling the API is not a stream of
    /// writes (on SQLite every write takes the database's one write lock).
    pub async fn api_token_user(&self, secret: &str) -> Result<Option<UserId>, StoreError> {
        let found = self
            .read_one(
                "SELECT t.id, t.user_id, t.last_used_at FROM api_tokens t \
                 JOIN users u ON u.id = t.user_id \
                 WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active = 1",
                vec![Bind::S(hash_token(secret))],
                |r| Ok((r.i64("id")?, r.i64("user_id")?, r.opt_i64("last_used_at")?)),
            )
            .await?;
        let Some((id, user, last_used)) = found else {
            return Ok(None);
        };
        let now = now_ms();
        if last_used.is_none_or(|t| now - t >= TOKEN_USE_RESOLUTION_MS) {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(self.pool())
                .await?;
        }
        Ok(Some(UserId(user)))
    }

    pub async fn api_tokens(&self, user: UserId) -> Result<Vec<ApiToken>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, user_id, name, prefix, created_at, last_used_at, revoked_at \
             FROM api_tokens WHERE user_id = $1 ORDER BY id",
        )
        .bind(user.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(token_from_row).collect()
    }

    /// Revokes one of `user`'s tokens; returns whether it was live (revoking a token that is
    /// already revoked, or is not `user`'s, changes nothing and is not audited).
    pub async fn revoke_api_token(
        &self,
        author: &Author,
        user: UserId,
        id: i64,
    ) -> Result<bool, StoreError> {
        audit::write(
            self,
            author,
            Lock::id("api_tokens", id),
            async |c| {
                let live = sqlx::query(
                    "SELECT id FROM api_tokens WHERE id = $1 AND user_id = $2 \
                     AND revoked_at IS NULL",
                )
                .bind(id)
                .bind(user.0)
                .fetch_optional(&mut *c)
                .await?;
                Ok(live.is_some())
            },
            async |c, live| {
                if !*live {
                    return Ok(Applied::rows(0, 0, false));
                }
                let n = sqlx::query(
                    "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 \
                     AND revoked_at IS NULL",
                )
                .bind(now_ms())
                .bind(id)
                .bind(user.0)
                .execute(&mut *c)
                .await?
                .rows_affected();
                let change = Change {
                    action: "api_token.revoke",
                    subject_type: "api_token",
                    subject_id: id.to_string(),
                    market: None,
                    before: None,
                    after: Some(serde_json::json!({"revoked": true})),
                };
                Ok(Applied::rows(n, 1, true).audit(change))
            },
            async |_, _| StoreError::Stale { what: "this token" },
        )
        .await
    }

    /// A person's change of their own password: sets the new hash and ends every session of
    /// theirs but `keep` (the session they made the change from; `None` ends all), in one
    /// transaction with its audit entry. API tokens are separate credentials and stay.
    pub async fn change_password(
        &self,
        author: &Author,
        user: UserId,
        hash: &str,
        keep: Option<&str>,
    ) -> Result<(), StoreError> {
        audit::write(
            self,
            author,
            Lock::id("users", user.0),
            async |_| Ok(()),
            async |c, _| {
                let n = sqlx::query(
                    "UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3",
                )
                .bind(hash)
                .bind(now_ms())
                .bind(user.0)
                .execute(&mut *c)
                .await?
                .rows_affected();
                let ended = sqlx::query(
                    "DELETE FROM sessions WHERE user_id = $1 AND ($2 IS NULL OR token_hash <> $2)",
                )
                .bind(user.0)
                .bind(keep.map(hash_token))
                .execute(&mut *c)
                .await?
                .rows_affected();
                let change = Change {
                    action: "user.password",
                    subject_type: "user",
                    subject_id: user.to_string(),
                    market: None,
                    before: None,
                    after: Some(
                        serde_json::json!({"password": "changed", "sessions_ended": ended}),
                    ),
                };
                Ok(Applied::rows(n, 1, ()).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "user" },
        )
        .await
    }
}

fn token_from_row(r: &AnyRow) -> Result<ApiToken, StoreError> {
    Ok(ApiToken {
        id: r.try_get("id")?,
        user_id: UserId(r.try_get("user_id")?),
        name: r.try_get("name")?,
        prefix: r.try_get("prefix")?,
        created_at_ms: r.try_get("created_at")?,
        last_used_at_ms: r.try_get("last_used_at")?,
        revoked: r.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
    })
}
