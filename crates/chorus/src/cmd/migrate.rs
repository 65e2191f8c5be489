//! `chorus migrate`: apply the embedded migrations (also done by `serve` at start).

use std::io::Write;

use chorus_store::Store;

use crate::config::Config;

#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    /// Only list the migrations not yet applied; change nothing.
    #[arg(long)]
    pub status: bool,
}

pub async fn run(config: &Config, args: MigrateArgs) -> anyhow::Result<()> {
    let store = Store::connect(&config.database).await?;
    let mut out = std::io::stdout().lock();
    if args.status {
        let pending = store.pending_migrations().await?;
        if pending.is_empty() {
            writeln!(out, "{}: up to date", config.database)?;
        } else {
            for (v, d) in pending {
                writeln!(out, "pending {v} {d}")?;
            }
        }
        return Ok(());
    }
    let report = store.migrate().await?;
    for (v, d) in &report.applied {
        writeln!(out, "applied {v} {d}")?;
    }
    writeln!(
        out,
        "{}: schema version {} ({} applied now)",
        config.database,
        report.current,
        report.applied.len()
    )?;
    Ok(())
}
