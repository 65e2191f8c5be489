//! The ingest roles of `chorus serve`: `source` (reads the firehose of `[ingest]
//! firehose_url` and polls `[ingest] feeds`) and `worker` (normalize → score → match → store).
//!
//! Without `[nats]` they are one pipeline in one process, as `chorus ingest bluesky` runs it.
//! With it, a source publishes to the JetStream stream and workers in any number of processes
//! consume it (`chorus-stream`). The firehose reader and the feed poller are singletons: the
//! process holding a PostgreSQL advisory lock reads, the others stand by and take over when it
//! dies (a brief second reader would only publish duplicates, which the stream and the store
//! absorb).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use chorus_networks::bluesky::firehose::FirehoseConfig;
use chorus_pipeline::feed::{self, FeedClient};
use chorus_pipeline::pipeline::Progress;
use chorus_pipeline::{Analyzers, Downstream, Running, bluesky, queries};
use chorus_store::Store;
use chorus_stream::Health;
use tokio::sync::watch;

use crate::cmd::serve::Role;
use crate::config::Config;

/// Why a set of roles cannot run with this configuration, in words that say how to fix it.
pub fn refuse(config: &Config, roles: &[Role]) -> Option<String> {
    let source = roles.contains(&Role::Source);
    let worker = roles.contains(&Role::Worker);
    if !(source || worker) {
        return None;
    }
    let sqlite = matches!(config.database, chorus_store::DatabaseUrl::Sqlite(_));
    match &config.nats {
        Some(_) if sqlite => Some(
            "[nats] spreads ingest over processes that share one database, and SQLite is one \
             process's: set database_url to a postgres:// URL, or remove [nats] to run ingest \
             in this process"
                .into(),
        ),
        None if source != worker => Some(format!(
            "the {} role alone needs [nats] (url = \"nats://…\") to hand posts between \
             processes; without it, run source and worker in one process (the default roles)",
            if source { "source" } else { "worker" }
        )),
        _ => None,
    }
}

/// The running ingest roles of a process.
pub struct IngestRoles {
    /// What `/readyz` reports; `None` when the process runs no stream role.
    pub health: Option<(Arc<Health>, Vec<&'static str>)>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl IngestRoles {
    /// Waits for the roles to finish what they hold (after `stop`).
    pub async fn finish(self) {
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// Starts the process's source and worker roles until `stop`.
pub async fn start(
    config: &Config,
    store: &Store,
    roles: &[Role],
    stop: watch::Receiver<bool>,
) -> anyhow::Result<IngestRoles> {
    let source = roles.contains(&Role::Source);
    let worker = roles.contains(&Role::Worker);
    let mut tasks = Vec::new();
    if !(source || worker) {
        return Ok(IngestRoles {
            health: None,
            tasks,
        });
    }
    let reads = if source {
        readings(config)?
    } else {
        Vec::new()
    };
    if source && reads.is_empty() {
        tracing::info!("source role: no [ingest] firehose_url or feeds, nothing to read");
    }
    let analyzers = Analyzers::with_settings(config.text)?;
    let Some(nats) = config.nats.clone() else {
        // One process: the source feeds the in-process pipeline.
        let target = Arc::new(Target::InProcess(analyzers));
        for reading in reads {
            let (store, target, stop) = (store.clone(), target.clone(), stop.clone());
            tasks.push(tokio::spawn(async move {
                lead(&store, &reading, &target, stop).await;
            }));
        }
        return Ok(IngestRoles {
            health: None,
            tasks,
        });
    };
    let health = Arc::new(Health::default());
    let mut names = Vec::new();
    if worker {
        names.push("worker");
        let conn = chorus_stream::connect(nats.clone(), "chorus-worker").await?;
        let (q, reload) = queries::watch_queries(store.clone(), Duration::from_secs(2))
            .await
            .context("loading the listening queries")?;
        let work = chorus_stream::worker::Work {
            store: store.clone(),
            analyzers,
            queries: q,
            health: health.clone(),
        };
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            if let Err(e) = chorus_stream::worker::run(conn, work, stop).await {
                tracing::error!(error = %e, "the worker stopped");
            }
            reload.abort();
        }));
    }
    if !reads.is_empty() {
        names.push("source");
        let conn = chorus_stream::connect(nats, "chorus-source").await?;
        // A standby is ready too: its connection is what /readyz reports.
        health.set_client(&conn.client);
        let target = Arc::new(Target::Stream(Box::new(conn), health.clone()));
        for reading in reads {
            let (store, target, stop) = (store.clone(), target.clone(), stop.clone());
            tasks.push(tokio::spawn(async move {
                lead(&store, &reading, &target, stop).await;
            }));
        }
    }
    Ok(IngestRoles {
        health: Some((health, names)),
        tasks,
    })
}

/// Where a source's posts go.
enum Target {
    /// This process's own pipeline (no `[nats]`).
    InProcess(Arc<Analyzers>),
    /// The stream, for workers anywhere.
    Stream(Box<chorus_stream::Connection>, Arc<Health>),
}

impl Target {
    /// A fresh downstream for one leadership term.
    async fn downstream(&self, store: &Store) -> anyhow::Result<Downstream> {
        Ok(match self {
            Target::InProcess(analyzers) => {
                let (q, _reload) =
                    queries::watch_queries(store.clone(), Duration::from_secs(5)).await?;
                let progress = Arc::new(Progress::default());
                Running::start(store.clone(), analyzers.clone(), q, progress).into_downstream()
            }
            Target::Stream(conn, health) => {
                chorus_stream::sink::start((**conn).clone(), store.clone(), health.clone())
            }
        })
    }

    fn health(&self) -> Option<&Health> {
        match self {
            Target::InProcess(_) => None,
            Target::Stream(_, h) => Some(h),
        }
    }
}

/// What a source reads: each is a singleton (one process at a time).
enum Reading {
    /// The Bluesky firehose at this URL.
    Firehose(String),
    /// These RSS/Atom feeds, each polled every `every`.
    Feeds {
        urls: Vec<String>,
        every: Duration,
        client: FeedClient,
    },
}

impl Reading {
    /// The name of its lock, and of it in logs.
    fn name(&self) -> String {
        match self {
            Reading::Firehose(url) => format!("firehose:{url}"),
            Reading::Feeds { .. } => "feeds".to_owned(),
        }
    }
}

/// What `[ingest]` gives a source to read.
fn readings(config: &Config) -> anyhow::Result<Vec<Reading>> {
    let mut out = Vec::new();
    if let Some(url) = &config.ingest.firehose_url {
        out.push(Reading::Firehose(url.clone()));
    }
    if !config.ingest.feeds.is_empty() {
        let client = FeedClient::from_builder(&config.outbound.feed_builder(&config.ingest))
            .context("starting the feeds' HTTP client (check [outbound] in the configuration)")?;
        out.push(Reading::Feeds {
            urls: config.ingest.feeds.clone(),
            every: config.ingest.feed_every,
            client,
        });
    }
    Ok(out)
}

/// Reads `reading` into `target` while this process holds its lock; stands by (trying every
/// few seconds) while another does. Returns at `stop`.
async fn lead(store: &Store, reading: &Reading, target: &Target, mut stop: watch::Receiver<bool>) {
    let health = target.health();
    let lock = reading.name();
    let mut announced = false;
    while !*stop.borrow() {
        let lead = match store.try_lead(&lock).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(reading = lock, error = %e, "cannot ask who leads; trying again");
                None
            }
        };
        let Some(mut lead) = lead else {
            if !announced {
                tracing::info!(reading = lock, "another process reads it; standing by");
                announced = true;
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(3)) => {}
                _ = stop.changed() => {}
            }
            continue;
        };
        announced = false;
        if let Some(h) = health {
            h.leading.fetch_add(1, Ordering::Relaxed);
        }
        tracing::info!(reading = lock, "leading: reading");
        let result = read_while_leading(store, reading, &mut lead, stop.clone(), target).await;
        if let Some(h) = health {
            h.leading.fetch_sub(1, Ordering::Relaxed);
        }
        if let Err(e) = result {
            tracing::warn!(
                error = format!("{e:#}"),
                "reading the firehose stopped; starting again"
            );
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                _ = stop.changed() => {}
            }
        }
    }
}

/// One leadership term: `reading` into a fresh downstream until `stop`, or until the lock's
/// connection is lost (another process may lead by then).
async fn read_while_leading(
    store: &Store,
    what: &Reading,
    lead: &mut chorus_store::Leadership,
    mut stop: watch::Receiver<bool>,
    target: &Target,
) -> anyhow::Result<()> {
    let down = target.downstream(store).await?;
    let halt = Arc::new(AtomicBool::new(false));
    let input = down.input.clone();
    let reading = async {
        match what {
            Reading::Firehose(url) => bluesky::run(
                store,
                FirehoseConfig::new(url.clone()),
                500,
                Duration::from_millis(500),
                halt.clone(),
                input,
            )
            .await
            .with_context(|| format!("reading {url}")),
            Reading::Feeds {
                urls,
                every,
                client,
            } => feed::run(
                store.clone(),
                client.clone(),
                urls.clone(),
                *every,
                halt.clone(),
                input,
            )
            .await
            .context("polling the feeds"),
        }
    };
    tokio::pin!(reading);
    let mut check = tokio::time::interval(Duration::from_secs(5));
    let mut stopping = false;
    let result = loop {
        tokio::select! {
            r = &mut reading => break r,
            _ = stop.changed(), if !stopping => {
                stopping = true;
                halt.store(true, Ordering::Relaxed);
            }
            _ = check.tick() => {
                if !lead.still_held().await {
                    tracing::warn!("lost the firehose lock; stopping to let another process lead");
                    halt.store(true, Ordering::Relaxed);
                }
            }
        }
    };
    let finished = down.finish().await;
    result?;
    finished.context("storing what was read")?;
    Ok(())
}
