//! In-app notifications: a message and a link for one person.

use chorus_core::UserId;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::direct::Bind;
use crate::{Store, StoreError, now_ms};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    pub id: i64,
    pub link: String,
    pub message: String,
    pub created_at_ms: i64,
    pub read: bool,
}

/// Adds a notification inside the caller's transaction.
pub(crate) async fn notify(
    conn: &mut AnyConnection,
    user: UserId,
    link: &str,
    message: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO notifications (user_id, link, message, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(user.0)
    .bind(link)
    .bind(message)
    .bind(now_ms())
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    /// The user's notifications, newest first.
    pub async fn notifications(
        &self,
        user: UserId,
        limit: i64,
    ) -> Result<Vec<Notification>, StoreError> {
        sqlx::query(
            "SELECT id, link, message, created_at, read_at FROM notifications WHERE user_id = $1 \
             ORDER BY id DESC LIMIT $2",
        )
        .bind(user.0)
        .bind(limit.clamp(1, 500))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(Notification {
                id: r.try_get("id")?,
                link: r.try_get("link")?,
                message: r.try_get("message")?,
                created_at_ms: r.try_get("created_at")?,
                read: r.try_get::<Option<i64>, _>("read_at")?.is_some(),
            })
        })
        .collect()
    }

    pub async fn unread_notifications(&self, user: UserId) -> Result<i64, StoreError> {
        let n = self
            .read_one(
                "SELECT COUNT(*) AS n FROM notifications WHERE user_id = $1 AND read_at IS NULL",
                vec![Bind::I(user.0)],
                |r| r.i64("n"),
            )
            .await?;
        Ok(n.unwrap_or(0))
    }

    pub async fn mark_notifications_read(&self, user: UserId) -> Result<(), StoreError> {
        sqlx::query("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL")
            .bind(now_ms())
            .bind(user.0)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
