//! Backup and restore of the embedded SQLite database.
//!
//! Backup uses SQLite's online backup API, so it runs while Chorus serves and writes a
//! consistent snapshot even as other connections write. Restore only ever fills an empty data
//! directory: it never overwrites a live database.
#![allow(unsafe_code)] // FFI to sqlite3_backup_*: see the SAFETY notes.

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::ptr;

use libsqlite3_sys as ffi;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};

use crate::{Backend, DatabaseUrl, Store, StoreError};

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    pub path: PathBuf,
    pub pages: i64,
    pub bytes: u64,
}

/// Pages copied per step; between steps other connections may write.
const PAGES_PER_STEP: i32 = 1024;

impl Store {
    /// Writes a consistent copy of the SQLite database to `dest` (which must not exist),
    /// calling `progress(done, total)` in pages as it goes.
    pub async fn backup_sqlite(
        &self,
        dest: &Path,
        mut progress: impl FnMut(i64, i64),
    ) -> Result<BackupReport, StoreError> {
        let DatabaseUrl::Sqlite(src_path) = &self.url else {
            return Err(StoreError::Unsupported(
                "chorus backup copies the embedded SQLite database; for PostgreSQL use pg_dump",
            ));
        };
        debug_assert_eq!(self.backend, Backend::Sqlite);
        if dest.exists() {
            return Err(StoreError::Io {
                path: dest.to_owned(),
                source: std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "the backup file already exists; choose a new name",
                ),
            });
        }
        let mut conn: SqliteConnection = SqliteConnectOptions::new()
            .filename(src_path)
            .read_only(true)
            .connect()
            .await?;
        let pages = {
            let mut handle = conn.lock_handle().await?;
            let src = handle.as_raw_handle().as_ptr();
            copy_database(src, dest, &mut progress)?
        };
        conn.close().await?;
        let bytes = std::fs::metadata(dest)
            .map_err(|source| StoreError::Io {
                path: dest.to_owned(),
                source,
            })?
            .len();
        Ok(BackupReport {
            path: dest.to_owned(),
            pages,
            bytes,
        })
    }
}

/// Restores a backup file to the database file `target`, which must not exist yet (restore
/// fills an empty data directory; it never replaces a live database). Checks the file is an
/// intact Chorus database before putting it in place.
pub async fn restore_sqlite(backup: &Path, target: &Path) -> Result<PathBuf, StoreError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| StoreError::Io { path, source }
    };
    let target = target.to_owned();
    for existing in [target.clone(), target.with_extension("db-wal")] {
        if existing.exists() {
            return Err(StoreError::Io {
                path: existing,
                source: std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "the data directory already holds a database; restore into an empty one",
                ),
            });
        }
    }
    check_backup(backup).await?;
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let partial = target.with_extension("db.restoring");
    std::fs::copy(backup, &partial).map_err(io(&partial))?;
    std::fs::rename(&partial, &target).map_err(io(&target))?;
    Ok(target)
}

/// Opens `path` read-only and checks it is an intact SQLite file with Chorus's schema.
async fn check_backup(path: &Path) -> Result<(), StoreError> {
    let bad = |message: String| StoreError::Corrupt {
        what: "backup file",
        message,
    };
    if !path.is_file() {
        return Err(bad(format!("{} is not a file", path.display())));
    }
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await
        .map_err(|e| bad(format!("{} is not a SQLite database: {e}", path.display())))?;
    let check: (String,) = sqlx::query_as("PRAGMA quick_check")
        .fetch_one(&mut conn)
        .await
        .map_err(|e| bad(format!("{} is not a SQLite database: {e}", path.display())))?;
    if check.0 != "ok" {
        return Err(bad(format!("integrity check failed: {}", check.0)));
    }
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('_sqlx_migrations', 'principles')",
    )
    .fetch_all(&mut conn)
    .await?;
    conn.close().await?;
    if tables.len() != 2 {
        return Err(bad(format!(
            "{} is a SQLite file but not a Chorus database",
            path.display()
        )));
    }
    Ok(())
}

/// Runs the online backup from the open connection `src` into a new file at `dest`.
fn copy_database(
    src: *mut ffi::sqlite3,
    dest: &Path,
    progress: &mut impl FnMut(i64, i64),
) -> Result<i64, StoreError> {
    let sqlite_err = |what: &str, code: i32| StoreError::Io {
        path: dest.to_owned(),
        source: std::io::Error::other(format!("{what} failed with SQLite code {code}")),
    };
    let dest_c = CString::new(dest.to_string_lossy().as_bytes()).map_err(|_| StoreError::Io {
        path: dest.to_owned(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "path contains NUL"),
    })?;
    let main = c"main";
    let mut dst: *mut ffi::sqlite3 = ptr::null_mut();
    // SAFETY: dest_c is a valid NUL-terminated string; dst receives a handle we close below.
    let rc = unsafe {
        ffi::sqlite3_open_v2(
            dest_c.as_ptr(),
            &mut dst,
            ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_CREATE,
            ptr::null(),
        )
    };
    if rc != ffi::SQLITE_OK {
        // SAFETY: sqlite3_close accepts the (possibly null) handle sqlite3_open_v2 returned.
        unsafe { ffi::sqlite3_close(dst) };
        return Err(sqlite_err("opening the backup file", rc));
    }
    // SAFETY: src is a live connection held locked by the caller for this call's duration;
    // dst is the connection opened above.
    let backup = unsafe { ffi::sqlite3_backup_init(dst, main.as_ptr(), src, main.as_ptr()) };
    if backup.is_null() {
        // SAFETY: dst is open and closed exactly once.
        let code = unsafe { ffi::sqlite3_errcode(dst) };
        unsafe { ffi::sqlite3_close(dst) };
        return Err(sqlite_err("starting the backup", code));
    }
    let mut total;
    let result = loop {
        // SAFETY: backup is a live backup object until sqlite3_backup_finish below.
        let rc = unsafe { ffi::sqlite3_backup_step(backup, PAGES_PER_STEP) };
        let (remaining, count) = unsafe {
            (
                ffi::sqlite3_backup_remaining(backup),
                ffi::sqlite3_backup_pagecount(backup),
            )
        };
        total = i64::from(count);
        progress(i64::from(count - remaining), total);
        match rc {
            ffi::SQLITE_DONE => break Ok(()),
            ffi::SQLITE_OK => {}
            ffi::SQLITE_BUSY | ffi::SQLITE_LOCKED => {
                std::thread::sleep(std::time::Duration::from_millis(50))
            }
            other => break Err(sqlite_err("copying pages", other)),
        }
    };
    // SAFETY: finish releases the backup object exactly once; then dst is closed exactly once.
    let finish = unsafe { ffi::sqlite3_backup_finish(backup) };
    unsafe { ffi::sqlite3_close(dst) };
    result?;
    if finish != ffi::SQLITE_OK {
        return Err(sqlite_err("finishing the backup", finish));
    }
    Ok(total)
}
