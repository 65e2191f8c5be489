//! The stages after a source — score → match → store — joined by bounded channels.
//!
//! Each CPU stage is a thread reading one channel and writing the next; the store stage is an
//! async task. A channel holds at most `capacity` batches, so a slow database makes the
//! matcher wait, which makes the scorer wait, which makes the source stop reading: memory stays
//! bounded whatever the speeds. Batches keep their order end to end, so the cursor stored with
//! batch *n* means every record up to it is stored.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chorus_query::Scratch;
use chorus_store::{IngestReport, NewPost, Store, StoreError};
use chorus_text::model::ModelError;
use chorus_text::{LanguageIdentifier, SentimentAnalyzer, SentimentModel};
use tokio::sync::{mpsc, watch};

use crate::incoming::{Batch, Incoming, Scored};
use crate::matching::QuerySet;
use crate::score::Scorer;

/// Which sentiment analysis ingest runs (`[text] sentiment` in the configuration).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SentimentMode {
    /// The trained multilingual model (`chorus-text/models/sentiment.bin`), with a
    /// probability per label.
    #[default]
    Model,
    /// VADER exactly as vaderSentiment 3.3.2 scores it: English only, no probability.
    Vader,
}

impl SentimentMode {
    pub const NAMES: &'static str = "model or vader";

    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "model" => Some(Self::Model),
            "vader" => Some(Self::Vader),
            _ => None,
        }
    }
}

/// Which language a post is filed under — the one `lang:` in queries, the inbox's language
/// filter and share of voice read (`[text] filter_language`). Both are stored either way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FilterLanguage {
    /// The detector's answer; the source's label only when the detector could not tell.
    #[default]
    Detected,
    /// The source's label; the detector's answer only when the source gave none.
    Source,
}

impl FilterLanguage {
    pub const NAMES: &'static str = "detected or source";

    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "detected" => Some(Self::Detected),
            "source" => Some(Self::Source),
            _ => None,
        }
    }
}

/// The text settings of ingest (`[text]`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextSettings {
    pub sentiment: SentimentMode,
    pub filter_language: FilterLanguage,
}

/// Sentiment and language models, built once and shared by every pipeline.
#[derive(Debug)]
pub struct Analyzers {
    /// VADER: the sentiment in VADER mode, and four of the model's features otherwise.
    pub vader: SentimentAnalyzer,
    /// The trained sentiment model; `None` in VADER mode.
    pub model: Option<SentimentModel>,
    /// The language identifier with the trained language model.
    pub lang: LanguageIdentifier,
    pub settings: TextSettings,
}

impl Analyzers {
    /// The trained language and sentiment models with the default settings (see
    /// [`Self::with_settings`]; a committed model that fails to load leaves VADER, logged).
    pub fn new() -> Arc<Analyzers> {
        Self::with_settings(TextSettings::default()).unwrap_or_else(|e| {
            tracing::error!(error = %e, "the sentiment model did not load; using VADER");
            Arc::new(Analyzers {
                vader: SentimentAnalyzer::new(),
                model: None,
                lang: LanguageIdentifier::new(),
                settings: TextSettings {
                    sentiment: SentimentMode::Vader,
                    ..TextSettings::default()
                },
            })
        })
    }

    /// The analyzers `settings` ask for. Fails only if the committed sentiment model does not
    /// load (a broken build).
    pub fn with_settings(settings: TextSettings) -> Result<Arc<Analyzers>, ModelError> {
        let model = match settings.sentiment {
            SentimentMode::Model => Some(SentimentModel::default_model()?),
            SentimentMode::Vader => None,
        };
        Ok(Arc::new(Analyzers {
            vader: SentimentAnalyzer::new(),
            model,
            lang: LanguageIdentifier::new(),
            settings,
        }))
    }
}

/// Running totals, readable while the pipeline runs (for progress bars and metrics).
#[derive(Debug, Default)]
pub struct Progress {
    /// Records the source read (including ones it skipped as bad).
    pub read: AtomicU64,
    /// Bytes the source read (compressed, for files).
    pub bytes: AtomicU64,
    /// Records that could not be turned into posts.
    pub rejected: AtomicU64,
    pub stored: AtomicU64,
    pub duplicates: AtomicU64,
    pub conversations: AtomicU64,
    pub batches: AtomicU64,
}

impl Progress {
    pub fn add(&self, r: &IngestReport) {
        self.stored.fetch_add(r.stored as u64, Ordering::Relaxed);
        self.duplicates
            .fetch_add(r.duplicates as u64, Ordering::Relaxed);
        self.conversations
            .fetch_add(r.conversations as u64, Ordering::Relaxed);
        self.batches.fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }
}

/// Why a pipeline stopped early.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    #[error("storing a batch failed: {0}")]
    Store(#[from] StoreError),
    #[error("a pipeline stage stopped unexpectedly: {0}")]
    Stage(String),
    #[error("{0}")]
    Source(String),
}

/// Channel capacity between stages, in batches.
pub const CHANNEL_BATCHES: usize = 2;

/// A named stage thread (names show in profiles and `top -H`). Spawning fails only when the OS
/// refuses a thread; then the stage body runs nowhere and its channels close, which the
/// pipeline reports as a stopped stage.
pub(crate) fn stage_thread(
    name: &str,
    body: impl FnOnce() + Send + 'static,
) -> std::thread::JoinHandle<()> {
    match std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(body)
    {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(stage = name, error = %e, "cannot start a pipeline thread");
            std::thread::spawn(|| {})
        }
    }
}

/// Score stage: `Incoming` → `Scored`, on its own thread.
pub fn score_stage(
    analyzers: Arc<Analyzers>,
    mut rx: mpsc::Receiver<Batch<Incoming>>,
    tx: mpsc::Sender<Batch<Scored>>,
) -> std::thread::JoinHandle<()> {
    stage_thread("chorus-score", move || {
        let mut scorer = Scorer::new(&analyzers);
        while let Some(batch) = rx.blocking_recv() {
            let out = batch.map(|items| items.into_iter().map(|p| scorer.score(p)).collect());
            if tx.blocking_send(out).is_err() {
                return;
            }
        }
    })
}

/// Turns a scored post and its matches into the row the store writes.
pub fn to_new_post(s: Scored, matches: Vec<chorus_store::QueryMatch>) -> NewPost {
    NewPost {
        uri: s.post.uri,
        network: s.post.network,
        author: s.post.author,
        author_handle: s.post.author_handle,
        body: s.post.text,
        lang: s.lang,
        sentiment: s.sentiment,
        labels: s.labels,
        posted_at_ms: s.post.posted_at_ms,
        reply_parent: s.post.reply_parent,
        reply_root: s.post.reply_root,
        quote_of: s.post.quote_of,
        cid: s.post.cid,
        link: s.post.link,
        country: s.post.country,
        domains: s.post.domains,
        matches,
    }
}

/// Match stage: `Scored` → `NewPost` with the queries it matched, on its own thread. Picks up
/// a new [`QuerySet`] between batches when `queries` changes.
pub fn match_stage(
    mut queries: watch::Receiver<Arc<QuerySet>>,
    mut rx: mpsc::Receiver<Batch<Scored>>,
    tx: mpsc::Sender<Batch<NewPost>>,
) -> std::thread::JoinHandle<()> {
    stage_thread("chorus-match", move || {
        let mut scratch = Scratch::new();
        let mut set = queries.borrow_and_update().clone();
        while let Some(batch) = rx.blocking_recv() {
            if queries.has_changed().unwrap_or(false) {
                set = queries.borrow_and_update().clone();
            }
            let out = batch.map(|items| {
                items
                    .into_iter()
                    .map(|s| {
                        let m = set.matches(&s, &mut scratch);
                        to_new_post(s, m)
                    })
                    .collect()
            });
            if tx.blocking_send(out).is_err() {
                return;
            }
        }
    })
}

/// How often a long ingest refreshes the query planner's statistics ([`Store::optimize`]).
const OPTIMIZE_EVERY: Duration = Duration::from_secs(600);

/// What follows stored batches: spike checks (at most every `spike_every`, when a batch brought
/// recent posts) and a refresh of the query planner's statistics every [`OPTIMIZE_EVERY`]
/// (ingest is what grows the tables the inbox reads). Shared by the in-process store stage
/// and stream workers.
#[derive(Debug)]
pub struct Upkeep {
    spike_every: Duration,
    last_spike_check: Option<Instant>,
    last_optimize: Instant,
}

impl Upkeep {
    pub fn new(spike_every: Duration) -> Upkeep {
        Upkeep {
            spike_every,
            last_spike_check: None,
            last_optimize: Instant::now(),
        }
    }

    /// After a batch was stored with `report`.
    pub async fn after_batch(&mut self, store: &Store, report: &IngestReport) {
        if self.last_optimize.elapsed() >= OPTIMIZE_EVERY {
            self.last_optimize = Instant::now();
            optimize(store).await;
        }
        if report.recent > 0
            && self
                .last_spike_check
                .is_none_or(|t| t.elapsed() >= self.spike_every)
        {
            self.last_spike_check = Some(Instant::now());
            let since = chorus_store::now_ms() - 2 * 3_600_000;
            match store
                .detect_spikes(since, chorus_core::permission::alerted_of_spikes)
                .await
            {
                Ok(alerts) => {
                    for a in alerts {
                        tracing::info!(
                            query = a.query_id.0,
                            volume = a.volume,
                            baseline = a.baseline,
                            "spike alert"
                        );
                    }
                }
                Err(e) => tracing::warn!(error = %e, "spike check failed"),
            }
        }
    }
}

/// Store stage: writes each batch with the source's position in one transaction, then does
/// the [`Upkeep`]; refreshes the planner's statistics once more when the input ends.
pub async fn store_stage(
    store: Store,
    mut rx: mpsc::Receiver<Batch<NewPost>>,
    progress: Arc<Progress>,
    spike_every: Duration,
) -> Result<(), PipelineError> {
    let mut upkeep = Upkeep::new(spike_every);
    while let Some(batch) = rx.recv().await {
        let report = store
            .ingest_batch(&batch.source, &batch.position, batch.items)
            .await?;
        progress.add(&report);
        upkeep.after_batch(&store, &report).await;
    }
    optimize(&store).await;
    Ok(())
}

/// [`Store::optimize`]; a failure only costs query plans, so it is logged, not raised.
async fn optimize(store: &Store) {
    if let Err(e) = store.optimize().await {
        tracing::warn!(error = %e, "refreshing the query planner's statistics failed");
    }
}

/// Where a source sends what it read: the in-process stages ([`Running::into_downstream`]) or
/// a stream that workers in other processes store from (`chorus-stream`). Send batches into
/// [`Self::input`], then [`Self::finish`]: it returns once everything sent is safe and the
/// source's cursor stored.
pub struct Downstream {
    pub input: mpsc::Sender<Batch<Incoming>>,
    done: tokio::task::JoinHandle<Result<(), PipelineError>>,
}

impl Downstream {
    /// A downstream whose `done` task ends once `input`'s every sender is dropped and all it
    /// received is safe.
    pub fn new(
        input: mpsc::Sender<Batch<Incoming>>,
        done: tokio::task::JoinHandle<Result<(), PipelineError>>,
    ) -> Downstream {
        Downstream { input, done }
    }

    /// Closes the input (the caller's clones must be dropped too) and waits.
    pub async fn finish(self) -> Result<(), PipelineError> {
        drop(self.input);
        self.done
            .await
            .map_err(|e| PipelineError::Stage(e.to_string()))?
    }
}

/// The downstream half of a pipeline, started: send `Batch<Incoming>` into [`Self::input`],
/// drop it when the source is done, then [`Self::finish`].
pub struct Running {
    pub input: mpsc::Sender<Batch<Incoming>>,
    writer: tokio::task::JoinHandle<Result<(), PipelineError>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Running {
    /// Starts score → match → store.
    pub fn start(
        store: Store,
        analyzers: Arc<Analyzers>,
        queries: watch::Receiver<Arc<QuerySet>>,
        progress: Arc<Progress>,
    ) -> Running {
        let (input, score_rx) = mpsc::channel(CHANNEL_BATCHES);
        let (score_tx, match_rx) = mpsc::channel(CHANNEL_BATCHES);
        let (match_tx, store_rx) = mpsc::channel(CHANNEL_BATCHES);
        let threads = vec![
            score_stage(analyzers, score_rx, score_tx),
            match_stage(queries, match_rx, match_tx),
        ];
        let writer = tokio::spawn(store_stage(
            store,
            store_rx,
            progress,
            Duration::from_secs(30),
        ));
        Running {
            input,
            writer,
            threads,
        }
    }

    /// This pipeline as a source's [`Downstream`].
    pub fn into_downstream(self) -> Downstream {
        let input = self.input.clone();
        Downstream::new(input, tokio::spawn(self.finish()))
    }

    /// Waits for every batch sent so far to be stored (the caller must have dropped or will
    /// drop its clones of `input`).
    pub async fn finish(self) -> Result<(), PipelineError> {
        drop(self.input);
        let result = self
            .writer
            .await
            .map_err(|e| PipelineError::Stage(e.to_string()))?;
        for t in self.threads {
            let joined = tokio::task::spawn_blocking(move || t.join()).await;
            if !matches!(joined, Ok(Ok(()))) {
                return Err(PipelineError::Stage("a stage thread panicked".into()));
            }
        }
        result
    }
}

#[cfg(test)]
mod tests;
