//! `chorus ingest bluesky`: listen to a Bluesky firehose into the inbox, resuming from the
//! stored cursor.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chorus_networks::bluesky::firehose::FirehoseConfig;
use chorus_pipeline::bluesky;
use chorus_pipeline::pipeline::Progress;

use crate::config::Config;

#[derive(Debug, clap::Args)]
pub struct BlueskyArgs {
    /// The firehose: a relay (`wss://bsky.network`) or a PDS (`ws://localhost:2583`)
    /// [default: ingest.firehose_url, else wss://bsky.network].
    #[arg(long)]
    pub firehose: Option<String>,
    /// Posts per batch (one transaction each).
    #[arg(long, default_value_t = 500)]
    pub batch: usize,
    /// No progress line.
    #[arg(long)]
    pub quiet: bool,
}

pub async fn run(config: &Config, args: BlueskyArgs) -> anyhow::Result<()> {
    let url = args
        .firehose
        .clone()
        .or_else(|| config.ingest.firehose_url.clone())
        .unwrap_or_else(|| "wss://bsky.network".to_owned());
    let store = crate::cmd::ingest::open_store(config).await?;
    let progress = Arc::new(Progress::default());
    let (running, stream) =
        crate::cmd::ingest::downstream(config, &store, progress.clone()).await?;
    let stop = crate::cmd::ingest::stop_on_signal();
    let bar = if args.quiet {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new_spinner()
    };
    let started = Instant::now();
    let ticker = {
        let (bar, progress, stream) = (bar.clone(), progress.clone(), stream.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(500));
            loop {
                tick.tick().await;
                if let Some(h) = &stream {
                    bar.set_message(format!(
                        "{} posts published to the stream",
                        Progress::get(&h.published)
                    ));
                    bar.tick();
                    continue;
                }
                let stored = Progress::get(&progress.stored);
                bar.set_message(format!(
                    "{stored} posts stored, {} conversations, {:.0} posts/s",
                    Progress::get(&progress.conversations),
                    stored as f64 / started.elapsed().as_secs_f64().max(1e-3)
                ));
                bar.tick();
            }
        })
    };
    let result = bluesky::run(
        &store,
        FirehoseConfig::new(url.clone()),
        args.batch.max(1),
        Duration::from_millis(500),
        stop,
        running.input.clone(),
    )
    .await;
    let finished = running.finish().await;
    ticker.abort();
    bar.finish_and_clear();
    result.with_context(|| format!("reading {url}"))?;
    finished.context("storing posts")?;
    let done = match &stream {
        Some(h) => format!(
            "{} posts published to the stream",
            Progress::get(&h.published)
        ),
        None => format!(
            "{} posts stored, {} conversations",
            Progress::get(&progress.stored),
            Progress::get(&progress.conversations)
        ),
    };
    writeln!(
        std::io::stdout().lock(),
        "{done}; cursor {}",
        store
            .ingest_cursor(&bluesky::source_key(&url))
            .await?
            .unwrap_or_else(|| "-".into())
    )?;
    store.close().await;
    Ok(())
}
