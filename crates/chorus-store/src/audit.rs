//! The audit log: written by every change method in its own transaction, read by admins.

use chorus_core::audit::{AuditEntry, Author};
use chorus_core::{MarketId, UserId};
use sqlx::{AnyConnection, Row};

use crate::{Store, StoreError, now_ms};

/// One change to record.
pub(crate) struct Change<'a> {
    pub action: &'a str,
    pub subject_type: &'a str,
    pub subject_id: String,
    pub market: Option<MarketId>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Writes `change` inside the caller's transaction.
pub(crate) async fn record(
    conn: &mut AnyConnection,
    author: &Author,
    change: Change<'_>,
) -> Result<(), StoreError> {
    let json = |v: Option<serde_json::Value>| v.map(|v| v.to_string());
    sqlx::query(
        "INSERT INTO audit_log (at, actor_id, actor_label, action, subject_type, subject_id, \
         market_id, before_json, after_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(now_ms())
    .bind(author.user_id.map(|u| u.0))
    .bind(&author.label)
    .bind(change.action)
    .bind(change.subject_type)
    .bind(change.subject_id)
    .bind(change.market.map(|m| m.0))
    .bind(json(change.before))
    .bind(json(change.after))
    .execute(conn)
    .await?;
    Ok(())
}

/// Serializes a value for an audit snapshot.
pub(crate) fn snapshot<T: serde::Serialize>(value: &T) -> Option<serde_json::Value> {
    serde_json::to_value(value).ok()
}

/// Filters for reading the log, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub subject_type: Option<String>,
    pub subject_id: Option<String>,
    pub actor_id: Option<UserId>,
    /// Only entries with an id below this (for paging back in time).
    pub before_id: Option<i64>,
    pub limit: i64,
}

impl Store {
    /// Reads the audit log, newest first.
    pub async fn audit_entries(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        let limit = if q.limit <= 0 { 50 } else { q.limit.min(500) };
        let rows = sqlx::query(
            "SELECT id, at, actor_id, actor_label, action, subject_type, subject_id, market_id, \
             before_json, after_json FROM audit_log \
             WHERE ($1 IS NULL OR subject_type = $1) AND ($2 IS NULL OR subject_id = $2) \
             AND ($3 IS NULL OR actor_id = $3) AND ($4 IS NULL OR id < $4) \
             ORDER BY id DESC LIMIT $5",
        )
        .bind(q.subject_type.as_deref())
        .bind(q.subject_id.as_deref())
        .bind(q.actor_id.map(|u| u.0))
        .bind(q.before_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(entry_from_row).collect()
    }
}

fn entry_from_row(row: &sqlx::any::AnyRow) -> Result<AuditEntry, StoreError> {
    let parse = |s: Option<String>| -> Result<Option<serde_json::Value>, StoreError> {
        s.map(|s| serde_json::from_str(&s).map_err(|e| StoreError::corrupt("audit snapshot", e)))
            .transpose()
    };
    Ok(AuditEntry {
        id: row.try_get("id")?,
        at_ms: row.try_get("at")?,
        actor_id: row.try_get::<Option<i64>, _>("actor_id")?.map(UserId),
        actor_label: row.try_get("actor_label")?,
        action: row.try_get("action")?,
        subject_type: row.try_get("subject_type")?,
        subject_id: row.try_get("subject_id")?,
        market_id: row.try_get::<Option<i64>, _>("market_id")?.map(MarketId),
        before: parse(row.try_get("before_json")?)?,
        after: parse(row.try_get("after_json")?)?,
    })
}
