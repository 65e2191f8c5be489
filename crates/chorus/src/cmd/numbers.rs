//! `chorus numbers …`: Numbers from the command line. `collect` measures what Chorus published
//! (the same code as the `collect_numbers` job that `chorus serve` keeps running); `report`
//! writes the PDF report of a market or campaign (`chorus_app::numbers::report_pdf`, the file
//! the Numbers page links to).

use std::io::Write;
use std::time::Duration;

use anyhow::Context;
use chorus_app::numbers::ReportFilters;
use chorus_app::{App, AppConfig, Caller};
use chorus_jobs::numbers::{CollectSettings, Report, Stopped, collect_once};
use chorus_jobs::{Connectors, Settings};
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::Config;

#[derive(Debug, clap::Subcommand)]
pub enum NumbersCommand {
    /// Measure the posts Chorus published and its accounts' followers, as they fall due.
    ///
    /// Each published post is measured about 1 hour, 24 hours, 7 days and 30 days after it went
    /// out, then daily; each account's followers daily. Counts are read from the network (on
    /// Bluesky, `app.bsky.feed.getPosts` and `app.bsky.actor.getProfile` on the AppView set by
    /// `numbers.bluesky_appview_url`, or through each account's PDS) and stored as snapshots,
    /// with the day/week/month rollups the Numbers pages read.
    ///
    /// A failed fetch is never stored: on a rate limit (HTTP 429) or a server error the run
    /// waits as asked (or backs off) and tries again; the previous snapshot stays meanwhile.
    ///
    /// `chorus serve` already does this in the background (the `collect_numbers` job); run this
    /// to collect without the server, or with `--once` from cron or after an import.
    ///
    /// Examples:
    ///   chorus numbers collect --once     # measure what is due now, then exit
    ///   chorus numbers collect            # keep measuring until Ctrl-C
    #[command(verbatim_doc_comment)]
    Collect {
        /// Measure what is due now and exit, instead of running until stopped.
        #[arg(long)]
        once: bool,
        /// Minutes between runs when not `--once`.
        #[arg(long, default_value_t = 5, value_name = "MINUTES")]
        every: u64,
        /// Give up a `--once` run after this many failures that may pass (429, 5xx) in a row.
        #[arg(long, default_value_t = 5)]
        tries: u32,
    },
    /// Write the PDF report of a market or a campaign: totals, a daily chart, the tables by
    /// market and by principle, and what each figure means ("not available" where a network
    /// does not report it, never 0). The same figures as the Numbers page for the same filters.
    ///
    /// Examples:
    ///   chorus numbers report --market FI --out fi.pdf
    ///   chorus numbers report --campaign 12 --from 2026-03-01 --to 2026-03-31 --out spring.pdf
    #[command(verbatim_doc_comment)]
    Report {
        /// A market's code (e.g. FI).
        #[arg(long)]
        market: Option<String>,
        /// A campaign's id.
        #[arg(long)]
        campaign: Option<String>,
        /// First day, YYYY-MM-DD (default: 29 days before --to).
        #[arg(long)]
        from: Option<String>,
        /// Last day, YYYY-MM-DD (default: today, UTC).
        #[arg(long)]
        to: Option<String>,
        /// The chart's metric (default likes).
        #[arg(long)]
        metric: Option<String>,
        /// Where to write the PDF.
        #[arg(long, value_name = "FILE")]
        out: std::path::PathBuf,
    },
    /// Queue the weekly Numbers emails that are due: from Monday 08:00 in each market's time
    /// zone, last week's figures (against the week before, top posts, a link to the Numbers
    /// page) with the market's PDF report attached, to each person who reads that market's
    /// numbers and has not turned the email off on their account page.
    ///
    /// Each person gets each week's email once, however often this runs: `chorus serve` already
    /// runs it every 15 minutes (the `send_numbers_reports` job). The messages go out through
    /// the mail outbox when mail is configured (`[mail]`; see `chorus mail outbox`).
    ///
    /// Examples:
    ///   chorus numbers send-reports
    ///   chorus numbers send-reports --at 2026-03-16T08:00:00+02:00
    #[command(verbatim_doc_comment)]
    SendReports {
        /// Act as if it were this instant (RFC 3339), instead of now.
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
    },
}

pub async fn run(config: &Config, cmd: NumbersCommand) -> anyhow::Result<()> {
    match cmd {
        NumbersCommand::Collect { once, every, tries } => {
            collect(config, once, Duration::from_secs(every.max(1) * 60), tries).await
        }
        NumbersCommand::SendReports { at } => {
            let now = match at {
                Some(t) => t
                    .parse::<jiff::Timestamp>()
                    .with_context(|| format!("--at {t:?} is not an RFC 3339 time"))?,
                None => jiff::Timestamp::now(),
            };
            let store = crate::cmd::serve::open_store(config).await?;
            let base =
                chorus_core::links::PublicBase::parse(&config.public_url(config.server.port))
                    .map_err(|e| anyhow::anyhow!("server.public_url {}", e.message))?;
            let app = App::new(store.clone(), AppConfig::default()).with_public_url(base);
            let run = chorus_app::numbers::weekly::send_reports(&app, now).await;
            store.close().await;
            let run = run?;
            writeln!(
                std::io::stdout().lock(),
                "{} markets due: {} emails queued, {} already queued before",
                run.markets,
                run.queued,
                run.already
            )?;
            Ok(())
        }
        NumbersCommand::Report {
            market,
            campaign,
            from,
            to,
            metric,
            out,
        } => {
            let filters = ReportFilters {
                market: market.unwrap_or_default(),
                campaign: campaign.unwrap_or_default(),
                from: from.unwrap_or_default(),
                to: to.unwrap_or_default(),
                metrics: metric.unwrap_or_default(),
                ..ReportFilters::default()
            };
            let store = crate::cmd::serve::open_store(config).await?;
            let app = App::new(store.clone(), AppConfig::default());
            let file = chorus_app::numbers::report_pdf(&app, &Caller::operator(), &filters).await;
            store.close().await;
            let file = file?;
            std::fs::write(&out, &file.bytes)
                .with_context(|| format!("writing {}", out.display()))?;
            writeln!(
                std::io::stdout().lock(),
                "wrote {} ({} bytes)",
                out.display(),
                file.bytes.len()
            )?;
            Ok(())
        }
    }
}

async fn collect(config: &Config, once: bool, every: Duration, tries: u32) -> anyhow::Result<()> {
    let key = chorus_networks::bluesky::SecretKey::from_bytes(config.secret_key()?);
    let http = chorus_networks::bluesky::http_client(&config.outbound.builder())
        .context("building the outbound HTTP client (check [outbound] in the configuration)")?;
    let store = crate::cmd::serve::open_store(config).await?;
    let settings = Settings {
        bluesky_appview: config.numbers.bluesky_appview_url.clone(),
        numbers: CollectSettings {
            every,
            ..CollectSettings::default()
        },
        ..Settings::default()
    };
    let accounts = Connectors::standard_with(store.clone(), key, http, &settings);
    let (stop_tx, mut stop) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        let _ = stop_tx.send(true);
    });
    let bar = ProgressBar::new_spinner().with_style(
        ProgressStyle::with_template("{spinner} {msg} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let mut failures = 0;
    let result = loop {
        bar.set_message("looking for what is due");
        let run = collect_once(
            &store,
            &accounts,
            &settings.numbers,
            &jiff::Timestamp::now,
            &mut |r: &Report| bar.set_message(line(r)),
        )
        .await;
        let wait = match run {
            Ok(report) => {
                failures = 0;
                bar.suspend(|| {
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "{}", line(&report));
                    for (account, why) in &report.skipped {
                        let _ = writeln!(out, "  account {account} skipped: {why}");
                    }
                });
                if once {
                    break Ok(());
                }
                every
            }
            Err(Stopped::Store(e)) => break Err(anyhow::Error::new(e)),
            Err(e @ Stopped::Network { .. }) => {
                failures += 1;
                if once && failures >= tries {
                    break Err(anyhow::anyhow!(
                        "{e} ({failures} tries; the previous snapshots stay; run again later)"
                    ));
                }
                let wait = e
                    .retry_after()
                    .unwrap_or_else(|| chorus_jobs::backoff::delay(i64::from(failures)));
                bar.suspend(|| {
                    let _ = writeln!(
                        std::io::stdout().lock(),
                        "{e}; nothing stored for it; trying again in {} s",
                        wait.as_secs().max(1)
                    );
                });
                wait
            }
        };
        bar.set_message(format!("next run in {} s", wait.as_secs()));
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = stop.changed() => break Ok(()),
        }
    };
    bar.finish_and_clear();
    store.close().await;
    result
}

fn line(r: &Report) -> String {
    format!(
        "measured {} posts and {} accounts' followers ({} posts not found, {} calls)",
        r.posts, r.accounts, r.missing, r.calls
    )
}
