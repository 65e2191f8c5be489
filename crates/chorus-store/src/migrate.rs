//! The schema, embedded in the binary and applied at start (and by `chorus migrate`).
//!
//! Each backend has its own migration folder with the same versions: the DDL differs (identity
//! columns), the tables do not.

use sqlx::migrate::{Migrate, Migrator};

use crate::{Backend, Store, StoreError};

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

/// What [`Store::migrate`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// Versions and descriptions applied by this call.
    pub applied: Vec<(i64, String)>,
    /// The schema version now in place.
    pub current: i64,
}

impl Store {
    fn migrator(&self) -> &'static Migrator {
        match self.backend {
            Backend::Sqlite => &SQLITE,
            Backend::Postgres => &POSTGRES,
        }
    }

    /// Applies pending migrations; safe to run concurrently from several processes (PostgreSQL
    /// takes an advisory lock; SQLite serializes writers).
    pub async fn migrate(&self) -> Result<MigrationReport, StoreError> {
        let migrator = self.migrator();
        let before = self.applied_versions().await?;
        migrator.run(self.pool()).await?;
        // What migrations left for Rust to do (Numbers' rollups of earlier events).
        self.numbers_pending().await?;
        let after = self.applied_versions().await?;
        let applied = migrator
            .iter()
            .filter(|m| after.contains(&m.version) && !before.contains(&m.version))
            .map(|m| (m.version, m.description.to_string()))
            .collect();
        Ok(MigrationReport {
            applied,
            current: after.iter().copied().max().unwrap_or(0),
        })
    }

    /// The migrations the binary knows that the database has not applied yet.
    pub async fn pending_migrations(&self) -> Result<Vec<(i64, String)>, StoreError> {
        let applied = self.applied_versions().await?;
        Ok(self
            .migrator()
            .iter()
            .filter(|m| !applied.contains(&m.version))
            .map(|m| (m.version, m.description.to_string()))
            .collect())
    }

    async fn applied_versions(&self) -> Result<Vec<i64>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        conn.ensure_migrations_table().await?;
        Ok(conn
            .list_applied_migrations()
            .await?
            .into_iter()
            .map(|m| m.version)
            .collect())
    }
}
