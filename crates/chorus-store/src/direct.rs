//! Direct SQLite connections (rusqlite) for the paths where sqlx's overhead is most of the
//! cost: one write connection ([`Writer`]: ingest's batches, `ingest/sqlite.rs`, and Reach's
//! form submissions, `reach/submit_sqlite.rs`), and the reads every page makes plus the inbox
//! list (`Store::read_all`, `ReadPool`).
//!
//! Through sqlx, a statement on SQLite is a message to a worker thread and every row comes back
//! as another message, with each value copied into an `AnyRow`; for the inbox page that was
//! three quarters of its CPU (thread wake-ups, allocation), not SQLite's own work. Here a
//! request's statements run back to back on one connection in one blocking task. Statement
//! text and decoding are shared with the pooled path through [`RowGet`].

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags};
use tokio::sync::Semaphore;

use crate::{SQLITE_PRAGMAS, StoreError};

/// Opens a connection with the settings every Chorus SQLite connection has.
pub(crate) fn open(path: &Path, read_only: bool) -> Result<Connection, StoreError> {
    let mode = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
    };
    let conn = Connection::open_with_flags(path, mode | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.execute_batch(SQLITE_PRAGMAS)?;
    Ok(conn)
}

/// Reads running at once: more than the cores only adds switching between threads, and every
/// connection kept costs its page cache.
const READERS: usize = 4;

/// Up to [`READERS`] read-only connections, opened on first use and kept (with their prepared
/// statements) for the next read.
#[derive(Debug, Clone)]
pub(crate) struct ReadPool {
    path: PathBuf,
    permits: Arc<Semaphore>,
    idle: Arc<Mutex<Vec<Connection>>>,
}

impl ReadPool {
    pub(crate) fn new(path: PathBuf) -> Self {
        ReadPool {
            path,
            permits: Arc::new(Semaphore::new(READERS)),
            idle: Arc::default(),
        }
    }

    /// Runs `f` with a connection on a blocking thread, waiting for one to be free.
    pub(crate) async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Stopped("the database is closing".into()))?;
        let pool = self.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let taken = pool.idle.lock().ok().and_then(|mut idle| idle.pop());
            let conn = match taken {
                Some(conn) => conn,
                None => open(&pool.path, true)?,
            };
            let result = f(&conn);
            if let Ok(mut idle) = pool.idle.lock() {
                idle.push(conn);
            }
            result
        })
        .await
        .map_err(|e| StoreError::Stopped(format!("a database read: {e}")))?
    }

    /// Closes the idle connections.
    pub(crate) fn close(&self) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.clear();
        }
    }
}

/// One read-write connection, opened on first use and shared by the clones of a
/// [`crate::Store`] (one writer at a time is all SQLite allows anyway). Writes run on a
/// blocking thread, all their statements back to back.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    path: PathBuf,
    conn: Arc<Mutex<Option<Connection>>>,
}

impl Writer {
    pub(crate) fn new(path: PathBuf) -> Self {
        Writer {
            path,
            conn: Arc::default(),
        }
    }

    /// Runs `write` (which opens and commits its own transaction) on a blocking thread, once
    /// the connection is free; `what` names it in the error if the thread is lost.
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        what: &'static str,
        write: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let writer = self.clone();
        tokio::task::spawn_blocking(move || {
            // A write that panicked left no transaction behind (rusqlite rolls back on drop);
            // its connection is replaced all the same, below.
            let mut guard = writer
                .conn
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let conn = match guard.as_mut() {
                Some(conn) => conn,
                None => guard.insert(open(&writer.path, false)?),
            };
            let result = write(conn);
            if result.is_err() {
                // The transaction rolled back; a fresh connection next time in case this one
                // is in a state we did not foresee.
                *guard = None;
            }
            result
        })
        .await
        .map_err(|e| StoreError::Stopped(format!("{what}: {e}")))?
    }

    /// Closes the connection (it reopens on the next write).
    pub(crate) fn close(&self) {
        if let Ok(mut guard) = self.conn.lock() {
            *guard = None;
        }
    }
}

/// Reading a column by name, from either a sqlx row or a rusqlite row, so one decoder serves
/// both paths.
pub(crate) trait RowGet {
    fn i64(&self, col: &str) -> Result<i64, StoreError>;
    fn opt_i64(&self, col: &str) -> Result<Option<i64>, StoreError>;
    fn f64(&self, col: &str) -> Result<f64, StoreError>;
    fn opt_f64(&self, col: &str) -> Result<Option<f64>, StoreError>;
    fn string(&self, col: &str) -> Result<String, StoreError>;
    fn opt_string(&self, col: &str) -> Result<Option<String>, StoreError>;
}

impl RowGet for sqlx::any::AnyRow {
    fn i64(&self, col: &str) -> Result<i64, StoreError> {
        Ok(sqlx::Row::try_get(self, col)?)
    }
    fn opt_i64(&self, col: &str) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::Row::try_get(self, col)?)
    }
    fn f64(&self, col: &str) -> Result<f64, StoreError> {
        Ok(sqlx::Row::try_get(self, col)?)
    }
    fn opt_f64(&self, col: &str) -> Result<Option<f64>, StoreError> {
        Ok(sqlx::Row::try_get(self, col)?)
    }
    fn string(&self, col: &str) -> Result<String, StoreError> {
        Ok(sqlx::Row::try_get(self, col)?)
    }
    fn opt_string(&self, col: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::Row::try_get(self, col)?)
    }
}

/// A rusqlite row with its statement's column names, read once per statement: looking a name
/// up through SQLite for every value cost more than decoding the row.
pub(crate) struct DirectRow<'a> {
    pub(crate) row: &'a rusqlite::Row<'a>,
    pub(crate) names: &'a [String],
}

impl DirectRow<'_> {
    /// The names of `stmt`'s result columns.
    pub(crate) fn names(stmt: &rusqlite::Statement<'_>) -> Vec<String> {
        stmt.column_names().into_iter().map(str::to_owned).collect()
    }

    fn get<T: rusqlite::types::FromSql>(&self, col: &str) -> Result<T, StoreError> {
        let idx = self
            .names
            .iter()
            .position(|n| n == col)
            .ok_or(rusqlite::Error::InvalidColumnName(col.to_owned()))?;
        Ok(self.row.get(idx)?)
    }
}

impl RowGet for DirectRow<'_> {
    fn i64(&self, col: &str) -> Result<i64, StoreError> {
        self.get(col)
    }
    fn opt_i64(&self, col: &str) -> Result<Option<i64>, StoreError> {
        self.get(col)
    }
    fn f64(&self, col: &str) -> Result<f64, StoreError> {
        self.get(col)
    }
    fn opt_f64(&self, col: &str) -> Result<Option<f64>, StoreError> {
        self.get(col)
    }
    fn string(&self, col: &str) -> Result<String, StoreError> {
        self.get(col)
    }
    fn opt_string(&self, col: &str) -> Result<Option<String>, StoreError> {
        self.get(col)
    }
}

/// Runs a prepared statement with `binds` and decodes every row with `decode`.
pub(crate) fn query_direct<T>(
    conn: &Connection,
    sql: &str,
    binds: &[Bind],
    mut decode: impl FnMut(&DirectRow<'_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let names = DirectRow::names(&stmt);
    Bind::all_to_rusqlite(&mut stmt, binds)?;
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(decode(&DirectRow { row, names: &names })?);
    }
    Ok(out)
}

/// A value to bind, for statements built at run time and run on either path.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Bind {
    I(i64),
    /// An integer or NULL.
    OptI(Option<i64>),
    F(f64),
    S(String),
    /// A string or NULL.
    OptS(Option<String>),
}

impl Bind {
    /// Binds `binds` to the pooled query in order.
    pub(crate) fn all_to_sqlx<'q>(
        mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
        binds: &[Bind],
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        for b in binds {
            query = match b {
                Bind::I(v) => query.bind(*v),
                Bind::OptI(v) => query.bind(*v),
                Bind::F(v) => query.bind(*v),
                Bind::S(v) => query.bind(v.clone()),
                Bind::OptS(v) => query.bind(v.clone()),
            };
        }
        query
    }

    /// Binds `binds` to a rusqlite statement whose parameters are `$1 … $n` in order of first
    /// appearance (SQLite numbers named parameters that way).
    pub(crate) fn all_to_rusqlite(
        stmt: &mut rusqlite::Statement<'_>,
        binds: &[Bind],
    ) -> Result<(), StoreError> {
        if stmt.parameter_count() != binds.len() {
            let err = rusqlite::Error::InvalidParameterCount(binds.len(), stmt.parameter_count());
            return Err(err.into());
        }
        for (i, b) in binds.iter().enumerate() {
            match b {
                Bind::I(v) => stmt.raw_bind_parameter(i + 1, v)?,
                Bind::OptI(v) => stmt.raw_bind_parameter(i + 1, v)?,
                Bind::F(v) => stmt.raw_bind_parameter(i + 1, v)?,
                Bind::S(v) => stmt.raw_bind_parameter(i + 1, v.as_str())?,
                Bind::OptS(v) => stmt.raw_bind_parameter(i + 1, v.as_deref())?,
            }
        }
        Ok(())
    }
}

impl crate::Store {
    /// Runs a read and decodes its rows: through a direct connection on SQLite, through the
    /// pool on PostgreSQL. For the reads every page makes (who is asking, markets, menus).
    pub(crate) async fn read_all<T: Send + 'static>(
        &self,
        sql: impl Into<String>,
        binds: Vec<Bind>,
        decode: fn(&dyn RowGet) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let sql = sql.into();
        match self.reader() {
            Some(reader) => {
                reader
                    .read(move |conn| query_direct(conn, &sql, &binds, |r| decode(r)))
                    .await
            }
            None => self.pooled_all(&sql, &binds, decode).await,
        }
    }

    /// [`Self::read_all`] for a statement that finds at most one row.
    pub(crate) async fn read_one<T: Send + 'static>(
        &self,
        sql: impl Into<String>,
        binds: Vec<Bind>,
        decode: fn(&dyn RowGet) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        Ok(self.read_all(sql, binds, decode).await?.into_iter().next())
    }

    /// The rows of a statement run through the pool, decoded.
    pub(crate) async fn pooled_all<T>(
        &self,
        sql: &str,
        binds: &[Bind],
        decode: fn(&dyn RowGet) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        Bind::all_to_sqlx(sqlx::query(sql), binds)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| decode(r))
            .collect()
    }
}
