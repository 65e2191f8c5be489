//! `chorus text corrections --out FILE`: the corrections people made in the inbox, as the
//! dataset `chorus text train --with-corrections` reads, through the same use case as the
//! inbox's download (`chorus_app::conversations::labels::export`), as the operator.

use std::io::Write;

use anyhow::Context;
use chorus_app::{App, AppConfig, Caller};

use super::text::TextCommand;
use crate::config::Config;

#[derive(Debug, clap::Args)]
pub struct CorrectionsArgs {
    /// Where to write the dataset (JSON lines).
    #[arg(long, value_name = "FILE")]
    out: std::path::PathBuf,
    /// Only the conversations of this market (a code, e.g. FI); default every market.
    #[arg(long)]
    market: Option<String>,
}

/// Runs the `text` subcommands that read the database (the others are `text::run`).
pub async fn run(config: &Config, cmd: TextCommand) -> anyhow::Result<()> {
    let TextCommand::Corrections(args) = cmd else {
        return super::text::run(cmd);
    };
    let store = crate::cmd::serve::open_store(config).await?;
    let app = App::new(store.clone(), AppConfig::default());
    let dataset = chorus_app::conversations::labels::export(
        &app,
        &Caller::operator(),
        args.market.as_deref().unwrap_or_default(),
    )
    .await;
    store.close().await;
    let dataset = dataset?;
    std::fs::write(&args.out, &dataset.bytes)
        .with_context(|| format!("writing {}", args.out.display()))?;
    writeln!(
        std::io::stdout().lock(),
        "wrote {} ({} corrected conversations)",
        args.out.display(),
        dataset.lines
    )?;
    Ok(())
}
