//! `chorus backup FILE` and `chorus restore FILE` for the embedded SQLite database.

use std::io::Write;
use std::path::PathBuf;

use anyhow::bail;
use chorus_store::{DatabaseUrl, Store};
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::Config;

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// Where to write the backup (must not exist yet).
    pub file: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// A file written by `chorus backup`.
    pub file: PathBuf,
}

pub async fn backup(config: &Config, args: BackupArgs) -> anyhow::Result<()> {
    if !matches!(config.database, DatabaseUrl::Sqlite(_)) {
        bail!("chorus backup copies the embedded SQLite database; for PostgreSQL use pg_dump");
    }
    let store = Store::open(&config.database).await?;
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} pages {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let report = store
        .backup_sqlite(&args.file, |done, total| {
            bar.set_length(total.max(0) as u64);
            bar.set_position(done.max(0) as u64);
        })
        .await?;
    bar.finish_and_clear();
    store.close().await;
    writeln!(
        std::io::stdout(),
        "backed up {} to {} ({} pages, {} bytes)",
        config.database,
        report.path.display(),
        report.pages,
        report.bytes
    )?;
    Ok(())
}

pub async fn restore(config: &Config, args: RestoreArgs) -> anyhow::Result<()> {
    let DatabaseUrl::Sqlite(db) = &config.database else {
        bail!(
            "chorus restore fills an embedded SQLite data directory; for PostgreSQL use pg_restore"
        );
    };
    let restored = chorus_store::restore_sqlite(&args.file, db).await?;
    // Opening applies any migrations newer than the backup.
    let store = Store::open(&DatabaseUrl::Sqlite(restored.clone())).await?;
    let principles = store.principles().await?.len();
    let users = store.users(None).await?.len();
    store.close().await;
    writeln!(
        std::io::stdout(),
        "restored {} into {} ({users} users, {principles} principles)",
        args.file.display(),
        restored.display()
    )?;
    Ok(())
}
