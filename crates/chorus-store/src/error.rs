//! What can go wrong in the store, kept apart by kind so callers can answer each properly.

use std::path::PathBuf;

use crate::DatabaseUrl;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database could not be reached or opened.
    #[error("cannot open the database at {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    /// A value that must be unique is taken.
    #[error("{what} already exists")]
    AlreadyExists {
        what: &'static str,
        /// The field whose value is taken, for pointing at it in a form.
        field: &'static str,
    },
    /// The row changed since the caller read it (someone else changed it first); nothing was
    /// written.
    #[error("{what} was changed by someone else since you loaded it; reload and try again")]
    Stale { what: &'static str },
    /// The row is in a state that does not allow the change (e.g. a published post); nothing was
    /// written. The message says why, in words for the person who asked.
    #[error("{0}")]
    State(String),
    /// The thing asked for does not exist.
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// A row refers to something that does not exist (e.g. a membership in an unknown market).
    #[error("{0}")]
    Reference(String),
    #[error("migrating the database failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The operation needs the other backend (e.g. SQLite backup on PostgreSQL).
    #[error("{0}")]
    Unsupported(&'static str),
    /// A stored value does not parse any more: the database was edited by hand or is corrupt.
    #[error("stored {what} is invalid: {message}")]
    Corrupt { what: &'static str, message: String },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// From a direct SQLite connection (ingest's writer, the page readers).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A blocking database task stopped before it finished (it panicked, or the store closed).
    #[error("a database task stopped: {0}")]
    Stopped(String),
}

impl StoreError {
    pub(crate) fn connect(url: &DatabaseUrl) -> impl Fn(sqlx::Error) -> StoreError + '_ {
        move |source| StoreError::Connect {
            url: url.to_string(),
            source,
        }
    }

    pub(crate) fn corrupt(what: &'static str, message: impl std::fmt::Display) -> StoreError {
        StoreError::Corrupt {
            what,
            message: message.to_string(),
        }
    }
}

/// Whether `err` is a unique-constraint violation whose message or constraint names `needle`
/// (a column or index name).
pub(crate) fn is_unique_violation(err: &sqlx::Error, needle: &str) -> bool {
    let Some(db) = err.as_database_error() else {
        return false;
    };
    if db.kind() != sqlx::error::ErrorKind::UniqueViolation {
        return false;
    }
    db.message().contains(needle) || db.constraint().is_some_and(|c| c.contains(needle))
}

/// Whether `err` is a foreign-key violation.
pub(crate) fn is_foreign_key_violation(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .is_some_and(|db| db.kind() == sqlx::error::ErrorKind::ForeignKeyViolation)
}
