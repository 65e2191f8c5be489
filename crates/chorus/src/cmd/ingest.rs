//! `chorus ingest …`: run the ingest pipeline from a file, RSS/Atom feeds or the Bluesky
//! firehose into the configured database.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use chorus_pipeline::pipeline::Progress;
use chorus_pipeline::{Analyzers, file, queries};
use chorus_store::Store;

use crate::config::Config;

/// Bring public posts in: each is stored once, scored, matched against every listening query.
#[derive(Debug, clap::Subcommand)]
pub enum IngestCommand {
    /// Import a file of posts: JSON lines or CSV (gzip welcome). Resumes where an interrupted
    /// import of the same file stopped.
    File(FileArgs),
    /// Poll RSS/Atom feeds on a schedule (conditional GET; private and loopback addresses are
    /// refused unless `ingest.allow_private_addresses` or `outbound.allow_private_addresses` is
    /// set; `outbound.proxy` applies).
    Feed(crate::cmd::ingest_feed::FeedArgs),
    /// Listen to the Bluesky firehose, resuming from the stored cursor.
    Bluesky(crate::cmd::ingest_bluesky::BlueskyArgs),
}

#[derive(Debug, clap::Args)]
pub struct FileArgs {
    /// The file: `.jsonl`, `.csv`, optionally `.gz`.
    pub path: PathBuf,
    /// Network name for records that do not carry one.
    #[arg(long, default_value = "import")]
    pub network: String,
    /// Records per batch (one transaction each). Larger batches write the posts' URI index
    /// fewer times; memory grows with them.
    #[arg(long, default_value_t = 20_000)]
    pub batch: usize,
    /// No progress bar; print only the summary.
    #[arg(long)]
    pub quiet: bool,
}

pub async fn run(config: &Config, cmd: IngestCommand) -> anyhow::Result<()> {
    match cmd {
        IngestCommand::File(args) => run_file(config, args).await,
        IngestCommand::Feed(args) => crate::cmd::ingest_feed::run(config, args).await,
        IngestCommand::Bluesky(args) => crate::cmd::ingest_bluesky::run(config, args).await,
    }
}

/// A stop flag set by Ctrl+C or SIGTERM: sources stop reading, what was read is stored.
pub fn stop_on_signal() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    tokio::spawn(async move {
        crate::cmd::serve::shutdown_signal().await;
        flag.store(true, Ordering::Relaxed);
    });
    stop
}

pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    crate::cmd::serve::open_store(config).await
}

/// Where `chorus ingest …` sends what it reads: with `[nats]`, the stream (worker processes
/// store it; the cursor moves once the stream holds it), else this process's own pipeline.
/// The health is `Some` for the stream (what it published).
pub async fn downstream(
    config: &Config,
    store: &Store,
    progress: Arc<Progress>,
) -> anyhow::Result<(
    chorus_pipeline::Downstream,
    Option<Arc<chorus_stream::Health>>,
)> {
    match &config.nats {
        Some(nats) => {
            if !store.shared_by_processes() {
                anyhow::bail!(
                    "[nats] hands posts to worker processes that share one database, and SQLite \
                     is one process's: set database_url to a postgres:// URL, or remove [nats]"
                );
            }
            let conn = chorus_stream::connect(nats.clone(), "chorus-source").await?;
            let health = Arc::new(chorus_stream::Health::default());
            let down = chorus_stream::sink::start(conn, store.clone(), health.clone());
            Ok((down, Some(health)))
        }
        None => {
            let (q, _reload) =
                queries::watch_queries(store.clone(), Duration::from_secs(5)).await?;
            let running = chorus_pipeline::Running::start(
                store.clone(),
                Analyzers::with_settings(config.text)?,
                q,
                progress,
            );
            Ok((running.into_downstream(), None))
        }
    }
}

async fn run_file(config: &Config, args: FileArgs) -> anyhow::Result<()> {
    let network = chorus_core::conversations::NetworkName::parse(&args.network)
        .map_err(|e| anyhow::anyhow!("--network: {e}"))?;
    let size = std::fs::metadata(&args.path)
        .with_context(|| format!("cannot read {}", args.path.display()))?
        .len();
    let store = open_store(config).await?;
    let n_queries = store.active_listening_queries().await?.len();
    let progress = Arc::new(Progress::default());
    let (down, stream) = downstream(config, &store, progress.clone()).await?;
    let stop = stop_on_signal();
    let bar = if args.quiet {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(size)
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes}  {msg}  eta {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let ticker = {
        let (bar, progress, stream) = (bar.clone(), progress.clone(), stream.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(200));
            loop {
                tick.tick().await;
                bar.set_position(Progress::get(&progress.bytes));
                bar.set_message(match &stream {
                    Some(h) => format!(
                        "{} posts published to the stream",
                        Progress::get(&h.published)
                    ),
                    None => format!(
                        "{} posts stored, {} conversations",
                        Progress::get(&progress.stored),
                        Progress::get(&progress.conversations)
                    ),
                });
            }
        })
    };
    let started = Instant::now();
    let job = file::FileImport {
        path: args.path.clone(),
        network: network.as_str().to_owned(),
        batch: args.batch,
    };
    let result = file::import_into(store.clone(), job, down, progress.clone(), stop.clone()).await;
    ticker.abort();
    bar.finish_and_clear();
    let skipped = result.context("the import stopped")?;
    let secs = started.elapsed().as_secs_f64();
    let read = Progress::get(&progress.read).saturating_sub(skipped);
    let mut out = std::io::stdout().lock();
    if skipped > 0 {
        writeln!(
            out,
            "resumed after {skipped} records stored by an earlier run"
        )?;
    }
    let interrupted = if stop.load(Ordering::Relaxed) {
        " (interrupted: run again to resume)"
    } else {
        ""
    };
    match &stream {
        Some(h) => writeln!(
            out,
            "{read} records read: {} posts published to the stream for workers to store, {} \
             rejected; {secs:.1} s, {:.0} records/s{interrupted}",
            Progress::get(&h.published),
            Progress::get(&progress.rejected),
            read as f64 / secs.max(1e-9),
        )?,
        None => writeln!(
            out,
            "{} records read: {} posts stored, {} duplicates skipped, {} rejected; {} conversations \
             ({n_queries} queries); {secs:.1} s, {:.0} records/s{interrupted}",
            read,
            Progress::get(&progress.stored),
            Progress::get(&progress.duplicates),
            Progress::get(&progress.rejected),
            Progress::get(&progress.conversations),
            read as f64 / secs.max(1e-9),
        )?,
    }
    store.close().await;
    Ok(())
}
