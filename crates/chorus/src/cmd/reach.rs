//! `chorus reach leads`: a market's leads as CSV from the command line, through the same use
//! case and columns as the Leads page's export (`chorus_app::reach::leads::csv`), as the
//! operator.

use std::io::Write;

use anyhow::Context;
use chorus_app::reach::leads::RawLeadFilters;
use chorus_app::{App, AppConfig, Caller};
use clap::Subcommand;

use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum ReachCommand {
    /// Write leads as CSV: one row per lead (who, the offer, the story, campaign and UTM tags
    /// that brought them, when they confirmed, whether they withdrew); cells a spreadsheet
    /// would run as formulas start with '.
    ///
    /// Examples:
    ///   chorus reach leads --market FI --out leads.csv
    ///   chorus reach leads --from 2026-11-01 --to 2026-11-30 --out november.csv
    #[command(verbatim_doc_comment)]
    Leads {
        /// A market's code (e.g. FI); default every market.
        #[arg(long)]
        market: Option<String>,
        /// An offer's id.
        #[arg(long)]
        offer: Option<String>,
        /// Confirmed on or after this day, YYYY-MM-DD (UTC).
        #[arg(long)]
        from: Option<String>,
        /// Confirmed on or before this day, YYYY-MM-DD (UTC).
        #[arg(long)]
        to: Option<String>,
        /// Where to write the CSV.
        #[arg(long, value_name = "FILE")]
        out: std::path::PathBuf,
    },
}

pub async fn run(config: &Config, cmd: ReachCommand) -> anyhow::Result<()> {
    match cmd {
        ReachCommand::Leads {
            market,
            offer,
            from,
            to,
            out,
        } => {
            let filters = RawLeadFilters {
                market: market.unwrap_or_default(),
                offer: offer.unwrap_or_default(),
                from: from.unwrap_or_default(),
                to: to.unwrap_or_default(),
                ..RawLeadFilters::default()
            };
            let store = crate::cmd::serve::open_store(config).await?;
            let app = App::new(store.clone(), AppConfig::default());
            let file = chorus_app::reach::leads::csv(
                &app,
                &Caller::operator(),
                &filters,
                &jiff::tz::TimeZone::UTC,
            )
            .await;
            store.close().await;
            let file = file?;
            std::fs::write(&out, &file.bytes)
                .with_context(|| format!("writing {}", out.display()))?;
            let rows = file
                .bytes
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                .saturating_sub(1);
            writeln!(
                std::io::stdout().lock(),
                "wrote {} ({rows} leads)",
                out.display()
            )?;
            Ok(())
        }
    }
}
