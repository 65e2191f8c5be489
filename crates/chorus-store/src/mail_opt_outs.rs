//! The kinds of mail each person has turned off (e.g. `numbers_weekly`): a row is "opted out".
//! Turning one on or off is a change to the person's settings, audited like the others; asking
//! for what already is changes nothing and is not audited.

use chorus_core::UserId;
use chorus_core::audit::Author;
use sqlx::Row;

use crate::audit::{self, Applied, Change, Lock};
use crate::{Store, StoreError, now_ms};

impl Store {
    /// Whether `user` has turned off mail of `kind`.
    pub async fn mail_opted_out(&self, user: UserId, kind: &str) -> Result<bool, StoreError> {
        let row =
            sqlx::query("SELECT 1 AS one FROM mail_opt_outs WHERE user_id = $1 AND kind = $2")
                .bind(user.0)
                .bind(kind)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.is_some())
    }

    /// Everyone who has turned off mail of `kind`.
    pub async fn mail_opt_outs(&self, kind: &str) -> Result<Vec<UserId>, StoreError> {
        let rows =
            sqlx::query("SELECT user_id FROM mail_opt_outs WHERE kind = $1 ORDER BY user_id")
                .bind(kind)
                .fetch_all(self.pool())
                .await?;
        rows.iter()
            .map(|r| Ok(UserId(r.try_get("user_id")?)))
            .collect()
    }

    /// Turns mail of `kind` off (`opted_out`) or on again for `user`.
    pub async fn set_mail_opt_out(
        &self,
        author: &Author,
        user: UserId,
        kind: &str,
        opted_out: bool,
    ) -> Result<(), StoreError> {
        audit::write(
            self,
            author,
            Lock::id("users", user.0),
            async |c| {
                crate::users::load_user(&mut *c, user).await?;
                let now = sqlx::query(
                    "SELECT 1 AS one FROM mail_opt_outs WHERE user_id = $1 AND kind = $2",
                )
                .bind(user.0)
                .bind(kind)
                .fetch_optional(&mut *c)
                .await?
                .is_some();
                Ok(now)
            },
            async |c, was| {
                if *was == opted_out {
                    return Ok(Applied::rows(0, 0, ()));
                }
                let n = if opted_out {
                    sqlx::query(
                        "INSERT INTO mail_opt_outs (user_id, kind, created_at) VALUES ($1, $2, $3)",
                    )
                    .bind(user.0)
                    .bind(kind)
                    .bind(now_ms())
                    .execute(&mut *c)
                    .await?
                } else {
                    sqlx::query("DELETE FROM mail_opt_outs WHERE user_id = $1 AND kind = $2")
                        .bind(user.0)
                        .bind(kind)
                        .execute(&mut *c)
                        .await?
                }
                .rows_affected();
                let change = Change {
                    action: if opted_out {
                        "user.mail_opt_out"
                    } else {
                        "user.mail_opt_in"
                    },
                    subject_type: "user",
                    subject_id: user.0.to_string(),
                    market: None,
                    before: Some(serde_json::json!({ "kind": kind, "opted_out": *was })),
                    after: Some(serde_json::json!({ "kind": kind, "opted_out": opted_out })),
                };
                Ok(Applied::rows(n, 1, ()).audit(change))
            },
            async |_, _| StoreError::NotFound { what: "user" },
        )
        .await
    }
}
