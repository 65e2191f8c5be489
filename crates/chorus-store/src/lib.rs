//! Persistence for Chorus on SQLite (the embedded default) and PostgreSQL.
//!
//! One [`Store`] type serves both: queries are written once in the SQL both dialects accept
//! (`$1` parameters, `RETURNING`, `ON CONFLICT`), and the few places where the dialects differ
//! (schema DDL, backup) branch on [`Backend`] inside this crate and nowhere else. The store has no
//! rules about content or about who may do what; callers validate values with `chorus-core`
//! types and check permissions before calling. What the store does guarantee:
//!
//! - Every audited change goes through one door (`audit::write`): one transaction that locks the
//!   subject's rows, reads "before" inside it, requires the rows its guarded statement had to
//!   touch, and writes the audit entry before committing. The audit log cannot miss a change or
//!   record one that did not happen; a change that finds nothing to change (the row is gone:
//!   [`StoreError::NotFound`]; it changed since the caller loaded it: [`StoreError::Stale`]; its
//!   state forbids the change: [`StoreError::State`]) writes nothing at all.
//! - What went out stays as it went out: a story or variant that is publishing or published
//!   does not change, by a condition in the statement itself (`story_guard`), so a publish
//!   starting meanwhile cannot slip between a check and the write.

mod accounts;
mod audit;
mod backup;
mod campaigns;
mod cluster;
mod demo;
mod direct;
mod error;
mod inbox;
mod inbox_changes;
mod ingest;
pub mod jobs;
mod labels;
mod links;
mod listening;
mod mail;
mod mail_opt_outs;
mod migrate;
mod notifications;
mod numbers;
mod org;
mod playbook;
mod post_rules;
mod publishing;
pub mod reach;
mod response;
mod sessions;
mod settings;
mod signals;
pub mod sso;
mod staged_images;
mod stories;
mod stories_import;
mod story_comments;
mod story_editors;
mod story_guard;
mod users;
mod variant_images;
pub mod webhooks;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

pub use accounts::{Account, NewAccount};
pub use audit::AuditQuery;
pub use backup::{BackupReport, restore_sqlite};
pub use campaigns::Campaign;
pub use cluster::{DeadLetter, Leadership};
pub use demo::DemoPublication;
pub use error::StoreError;
pub use inbox::{ConversationDetail, ConversationRow, InboxQuery, Note, Reply};
pub use inbox_changes::ConversationChange;
pub use ingest::{IngestReport, Labels, NewPost, QueryMatch, StoredPost};
pub use jobs::{Job, JobState, JobStatus, NewJob, QueueCounts};
pub use labels::{CorrectedText, CorrectionRecord, LabelCorrection};
pub use links::{Link, LinkClicks};
pub use mail::{
    Enqueued, MAIL_JOB, MAIL_MAX_ATTEMPTS, MailAttachment, MailState, NewMail, OutboxMail,
    mail_job_key,
};
pub use migrate::MigrationReport;
pub use notifications::Notification;
pub use numbers::{
    DueAccount, DuePublication, FollowerSnapshot, MeasuredRow, NewFollowerSnapshot,
    NewPostSnapshot, PostSnapshot, RollupQuery, RollupRow,
};
pub use org::Organization;
pub use publishing::{Begin, CalendarEntry, CalendarFilter, PUBLISH_JOB, Retry};
pub use reach::NewSubmission;
pub use reach::contacts::{
    Contact, ContactLead, Erasure, Preferences, SubjectExport, SubmissionExport, WithdrawBy,
    WithdrawRequest, Withdrawal,
};
pub use reach::ledger::{ConsentSubject, LedgerRow};
pub use reach::submissions::{
    ConfirmOutcome, ConfirmRequest, Confirmation, ReachMail, RecentSubmissions, Submission,
    SubmissionState, confirm_mail_key, confirmed_mail_key,
};
pub use response::ResponseStats;
pub use sessions::{ApiToken, NewApiToken, Session};
pub use signals::{SpikeAlert, VoiceShare};
pub use sso::{PendingSignIn, SourcedMembership, SsoOutcome, SsoProfile};
pub use staged_images::{Attach, STAGED_TTL_MS, StagedImage};
pub use stories::{ImageMeta, PubState, Story, StoryInput, Variant, VariantInput, publish_key};
pub use users::{NewUser, UserWithMemberships};
pub use webhooks::{
    AttemptRecord, AttemptResult, DeliveryState, EndpointInput, NewEvent, PendingDelivery,
    PrunedLog, WEBHOOK_JOB, WebhookAttempt, WebhookDelivery, WebhookEndpoint, webhook_job_key,
};

/// Which database engine a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where the database is: a SQLite file or a PostgreSQL URL.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DatabaseUrl::Sqlite(p) => write!(f, "sqlite://{}", p.display()),
            DatabaseUrl::Postgres(url) => f.write_str(&redact_url(url)),
        }
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self, f)
    }
}

impl DatabaseUrl {
    /// Parses `sqlite://PATH`, `sqlite:PATH`, `postgres://…` or `postgresql://…`.
    pub fn parse(raw: &str) -> Result<Self, chorus_core::Invalid> {
        let raw = raw.trim();
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(raw.to_owned()));
        }
        if let Some(path) = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
        {
            let path = path.split('?').next().unwrap_or(path);
            if path.is_empty() {
                return Err(chorus_core::Invalid::new(
                    "the sqlite URL has no file path, e.g. sqlite://./chorus-data/chorus.db",
                ));
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        Err(chorus_core::Invalid::new(
            "expected a database URL starting with postgres:// or sqlite://",
        ))
    }

    /// The embedded default: `chorus.db` inside the data directory.
    pub fn sqlite_in(data_dir: &Path) -> Self {
        DatabaseUrl::Sqlite(data_dir.join("chorus.db"))
    }

    pub fn backend(&self) -> Backend {
        match self {
            DatabaseUrl::Sqlite(_) => Backend::Sqlite,
            DatabaseUrl::Postgres(_) => Backend::Postgres,
        }
    }
}

/// Hides the password in `scheme://user:password@host/db`.
fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:[redacted]@{host}")
        }
        None => url.to_owned(),
    }
}

/// The database, behind a connection pool. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    url: DatabaseUrl,
    /// SQLite only: the connection ingest's batches and Reach's form submissions write
    /// through (`direct::Writer`).
    writer: Option<direct::Writer>,
    /// SQLite only: read-only connections for the reads every page makes (`read_all`).
    reader: Option<direct::ReadPool>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("url", &self.url).finish()
    }
}

impl Store {
    /// Connects (creating the SQLite file and its directory if needed). Does not migrate: call
    /// [`Store::migrate`].
    pub async fn connect(url: &DatabaseUrl) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let (conn_url, max_conns) = match url {
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                        path: dir.to_owned(),
                        source,
                    })?;
                }
                (format!("sqlite://{}?mode=rwc", path.display()), 8)
            }
            DatabaseUrl::Postgres(u) => (u.clone(), 16),
        };
        let options = AnyConnectOptions::from_str(&conn_url).map_err(StoreError::connect(url))?;
        let backend = url.backend();
        let pool = AnyPoolOptions::new()
            .max_connections(max_conns)
            .acquire_timeout(Duration::from_secs(15))
            // A pooled SQLite connection is a file handle: it cannot hang up, and pinging it on
            // every acquire costs a round trip to its worker thread per statement.
            .test_before_acquire(backend != Backend::Sqlite)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(sqlx::raw_sql(SQLITE_PRAGMAS)).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(StoreError::connect(url))?;
        if backend == Backend::Sqlite {
            // WAL is a property of the file: set once, it stays.
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await
                .map_err(StoreError::connect(url))?;
        }
        let (writer, reader) = match url {
            DatabaseUrl::Sqlite(path) => (
                Some(direct::Writer::new(path.clone())),
                Some(direct::ReadPool::new(path.clone())),
            ),
            DatabaseUrl::Postgres(_) => (None, None),
        };
        Ok(Store {
            pool,
            backend,
            url: url.clone(),
            writer,
            reader,
        })
    }

    /// Connects and applies any pending migrations.
    pub async fn open(url: &DatabaseUrl) -> Result<Store, StoreError> {
        let store = Store::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// Checks the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Refreshes the statistics SQLite's query planner picks indexes by: `PRAGMA optimize`,
    /// which analyzes only the tables that changed enough since they were last analyzed, each
    /// on a sample of rows, so it takes milliseconds. Without statistics SQLite guesses, and for
    /// the inbox it guessed the market index over the conversation's key: every row listed
    /// scanned all of its market's matches. PostgreSQL's autovacuum keeps its own statistics,
    /// so there this does nothing.
    pub async fn optimize(&self) -> Result<(), StoreError> {
        if self.backend == Backend::Sqlite {
            // 0x10002: check every table, not only those this connection has read.
            sqlx::query("PRAGMA optimize = 0x10002")
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// Closes every connection, waiting for those in use.
    pub async fn close(&self) {
        if let Some(writer) = &self.writer {
            writer.close();
        }
        if let Some(reader) = &self.reader {
            reader.close();
        }
        self.pool.close().await;
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The direct read connections (SQLite only).
    pub(crate) fn reader(&self) -> Option<&direct::ReadPool> {
        self.reader.as_ref()
    }

    /// The direct write connection (SQLite only).
    pub(crate) fn writer(&self) -> Option<&direct::Writer> {
        self.writer.as_ref()
    }
}

/// Per-connection SQLite settings: enforce foreign keys; WAL with `synchronous = NORMAL` survives
/// process crashes without loss (only an OS crash can drop the last commits); wait up to 10 s for
/// a lock instead of failing; a page cache of up to 64 MiB (allocated as used), so ingest's
/// random inserts into the posts' URI index do not re-read pages from the OS. A new database
/// gets 16 KiB pages (SQLite's default is 4 KiB), which took SQLite's own time inserting the
/// 149k-post corpus from about 1.3 s to 0.7–1.0 s of CPU (measured in the `sqlite3` shell);
/// on an existing file the setting changes nothing.
pub(crate) const SQLITE_PRAGMAS: &str = "PRAGMA page_size = 16384; PRAGMA foreign_keys = ON; \
     PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000; PRAGMA cache_size = -65536;";

/// A `LIKE … ESCAPE '\'` pattern for text containing `text`, in lower case (compare it with
/// `LOWER(column)`): `%`, `_` and `\` in `text` stand for themselves.
pub(crate) fn like_contains(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// `$first, $first+1, …`: `n` numbered parameters for an `IN (…)` list.
pub(crate) fn in_list(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_and_redact() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://./data/x.db").unwrap(),
            DatabaseUrl::Sqlite(PathBuf::from("./data/x.db"))
        );
        let pg = DatabaseUrl::parse("postgres://chorus:secret@db:5432/chorus").unwrap();
        assert_eq!(pg.backend(), Backend::Postgres);
        assert_eq!(
            pg.to_string(),
            "postgres://chorus:[redacted]@db:5432/chorus"
        );
        assert!(DatabaseUrl::parse("mysql://x").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }
}
