//! The audit log: written by every change method in the change's own transaction, read by
//! admins.
//!
//! Every audited write goes through [`write`], the one door: it begins the transaction (taking
//! the write lock up front: `BEGIN IMMEDIATE` on SQLite, the subject's rows `FOR UPDATE` on
//! PostgreSQL), reads "before" inside it, runs the change, requires the number of rows the
//! change's guarded statement had to touch, records the entries and commits. When the count is
//! wrong (zero rows: the row is gone, changed since it was loaded, or in a state that forbids
//! the change) nothing is written and nothing is audited: the change is rolled back and the
//! error comes from re-reading inside the transaction. [`record`] is private to this module,
//! so no method can write an entry another way.

use chorus_core::audit::{AuditEntry, Author};
use chorus_core::{MarketId, UserId};
use sqlx::{AnyConnection, Row};

use crate::{Backend, Store, StoreError, now_ms};

/// One change to record.
pub(crate) struct Change<'a> {
    pub action: &'a str,
    pub subject_type: &'a str,
    pub subject_id: String,
    pub market: Option<MarketId>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// The rows an audited write locks before it reads "before", so that "before" is what the
/// change replaces and a concurrent writer of the same rows waits for the commit. On SQLite the
/// transaction's `BEGIN IMMEDIATE` already excludes every other writer, so only PostgreSQL runs
/// these: each statement with ` FOR UPDATE`, `$1` bound to each id in ascending order (one order
/// for everyone, so two writers of the same rows cannot deadlock).
#[derive(Debug, Clone, Default)]
pub(crate) struct Lock {
    statements: Vec<String>,
    ids: Vec<i64>,
}

impl Lock {
    /// Nothing to lock: the change creates its subject, or only adds rows beside it.
    pub fn nothing() -> Lock {
        Lock::default()
    }

    /// Row `id` of `table`.
    pub fn id(table: &'static str, id: i64) -> Lock {
        Lock::ids(table, &[id])
    }

    /// Rows `ids` of `table`.
    pub fn ids(table: &'static str, ids: &[i64]) -> Lock {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        Lock {
            statements: vec![format!("SELECT id FROM {table} WHERE id = $1")],
            ids,
        }
    }

    /// The rows `statement` selects with `$1` bound to `id`, e.g. a variant's story.
    pub fn select(statement: &'static str, id: i64) -> Lock {
        Lock {
            statements: vec![statement.to_owned()],
            ids: vec![id],
        }
    }

    /// Then also the rows `statement` selects for each id.
    pub fn then(mut self, statement: &'static str) -> Lock {
        self.statements.push(statement.to_owned());
        self
    }
}

/// Begins a write transaction holding `lock` (see [`Lock`]). [`write`] starts with it; the
/// unaudited write that reads before it writes (the publisher's `begin_publish`) starts with it
/// too, so that everyone takes the same rows in the same order.
pub(crate) async fn begin(
    store: &Store,
    lock: &Lock,
) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
    let mut tx = match store.backend() {
        // Deferred SQLite transactions that read first fail with SQLITE_BUSY when another
        // writer commits before they write; taking the lock at BEGIN makes them wait instead.
        Backend::Sqlite => store.pool().begin_with("BEGIN IMMEDIATE").await?,
        Backend::Postgres => store.pool().begin().await?,
    };
    if store.backend() == Backend::Postgres {
        for statement in &lock.statements {
            let sql = format!("{statement} FOR UPDATE");
            for id in &lock.ids {
                sqlx::query(&sql).bind(*id).fetch_all(&mut *tx).await?;
            }
        }
    }
    Ok(tx)
}

/// What the change did: the rows its guarded statement touched, how many it had to, the value
/// the method returns and the entries to record (none when nothing changed, e.g. granting a
/// membership the user already holds).
pub(crate) struct Applied<'a, T> {
    rows: u64,
    expected: u64,
    value: T,
    entries: Vec<Change<'a>>,
}

impl<'a, T> Applied<'a, T> {
    /// The guarded statement touched `rows` rows where exactly `expected` were required.
    pub fn rows(rows: u64, expected: u64, value: T) -> Self {
        Applied {
            rows,
            expected,
            value,
            entries: Vec::new(),
        }
    }

    /// Records `change` when the write commits.
    pub fn audit(mut self, change: Change<'a>) -> Self {
        self.entries.push(change);
        self
    }

    /// Records `change` when the write commits (for a change that decides as it goes).
    pub fn push(&mut self, change: Change<'a>) {
        self.entries.push(change);
    }

    /// Sets what the method returns (for a change that decides as it goes).
    pub fn answer(&mut self, value: T) {
        self.value = value;
    }
}

/// The one way to write an audited change: one transaction that locks (see [`Lock`]), reads
/// `before`, runs `change`, requires its rows, records its entries and commits.
///
/// When `change` touched another number of rows than it required, `refused` says why, reading
/// inside the same transaction (`NotFound`, `Stale` or `State`), and the transaction is rolled
/// back: nothing is written, nothing is audited. An error from any step also rolls back.
pub(crate) async fn write<'a, B, T>(
    store: &Store,
    author: &Author,
    lock: Lock,
    before: impl AsyncFnOnce(&mut AnyConnection) -> Result<B, StoreError>,
    change: impl AsyncFnOnce(&mut AnyConnection, &B) -> Result<Applied<'a, T>, StoreError>,
    refused: impl AsyncFnOnce(&mut AnyConnection, &B) -> StoreError,
) -> Result<T, StoreError> {
    let mut tx = begin(store, &lock).await?;
    let before = before(&mut tx).await?;
    let applied = change(&mut tx, &before).await?;
    if applied.rows != applied.expected {
        let err = refused(&mut tx, &before).await;
        tx.rollback().await?;
        return Err(err);
    }
    for entry in applied.entries {
        record(&mut tx, author, entry).await?;
    }
    tx.commit().await?;
    Ok(applied.value)
}

/// Writes `change` inside the caller's transaction.
async fn record(
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
    /// Only entries made at or after this instant (ms since the epoch).
    pub from_ms: Option<i64>,
    /// Only entries made before this instant (ms since the epoch).
    pub to_ms: Option<i64>,
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
             AND ($6 IS NULL OR at >= $6) AND ($7 IS NULL OR at < $7) \
             ORDER BY id DESC LIMIT $5",
        )
        .bind(q.subject_type.as_deref())
        .bind(q.subject_id.as_deref())
        .bind(q.actor_id.map(|u| u.0))
        .bind(q.before_id)
        .bind(limit)
        .bind(q.from_ms)
        .bind(q.to_ms)
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
