//! `chorus ingest feed URL…`: poll RSS/Atom feeds on a schedule.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chorus_pipeline::feed::{self, FeedClient, Polled};
use chorus_pipeline::pipeline::Progress;

use crate::config::Config;

#[derive(Debug, clap::Args)]
pub struct FeedArgs {
    /// Feed URLs (http or https).
    #[arg(required = true)]
    pub urls: Vec<String>,
    /// Minutes between polls of each feed.
    #[arg(long, default_value_t = 15)]
    pub every_minutes: u64,
    /// Poll each feed once and exit.
    #[arg(long)]
    pub once: bool,
}

pub async fn run(config: &Config, args: FeedArgs) -> anyhow::Result<()> {
    if args.every_minutes == 0 {
        anyhow::bail!("--every-minutes must be at least 1");
    }
    let store = crate::cmd::ingest::open_store(config).await?;
    let client = FeedClient::from_builder(&config.outbound.feed_builder(&config.ingest))
        .context("starting the HTTP client (check [outbound] in the configuration)")?;
    let progress = Arc::new(Progress::default());
    let (running, stream) =
        crate::cmd::ingest::downstream(config, &store, progress.clone()).await?;
    let mut failed = 0;
    if args.once {
        let mut out = std::io::stdout().lock();
        for url in &args.urls {
            match feed::poll_once(&store, &client, url, &running.input).await {
                Ok(Polled::NotModified) => writeln!(out, "{url}: not modified")?,
                Ok(Polled::Entries(n)) => writeln!(out, "{url}: {n} entries")?,
                Err(e) => {
                    failed += 1;
                    writeln!(out, "{url}: {e}")?;
                }
            }
        }
    } else {
        let stop = crate::cmd::ingest::stop_on_signal();
        feed::run(
            store.clone(),
            client,
            args.urls.clone(),
            Duration::from_secs(args.every_minutes * 60),
            stop,
            running.input.clone(),
        )
        .await?;
    }
    running.finish().await.context("storing the entries")?;
    match &stream {
        Some(h) => writeln!(
            std::io::stdout().lock(),
            "{} posts published to the stream for workers to store",
            Progress::get(&h.published)
        )?,
        None => writeln!(
            std::io::stdout().lock(),
            "{} posts stored, {} already known, {} conversations",
            Progress::get(&progress.stored),
            Progress::get(&progress.duplicates),
            Progress::get(&progress.conversations)
        )?,
    }
    store.close().await;
    if failed > 0 {
        anyhow::bail!("{failed} of {} feeds failed", args.urls.len());
    }
    Ok(())
}
