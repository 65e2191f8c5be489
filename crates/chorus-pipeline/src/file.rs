//! File source: JSON lines or CSV, plain or gzip, read in batches of records. The cursor is the
//! number of records consumed, so a restart skips exactly what the last stored batch covered.
//!
//! `source (read) → normalize → score → match → store`: the reader and the normalizer are one
//! thread each here; the rest is [`crate::pipeline::Running`].

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chorus_store::Store;
use tokio::sync::{mpsc, watch};

use crate::incoming::{Batch, Incoming};
use crate::matching::QuerySet;
use crate::normalize::{self, Columns, Context};
use crate::pipeline::{Analyzers, CHANNEL_BATCHES, Downstream, PipelineError, Progress, Running};

/// The format of a file, from its name (after `.gz`) or, failing that, its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    JsonLines,
    Csv,
}

/// One raw record as read.
#[derive(Debug, Clone)]
pub enum Record {
    /// A JSON line and its line number in the file.
    Json(u64, String),
    /// A CSV row (it knows its own line number).
    Csv(csv::StringRecord),
}

impl Record {
    /// The record's line in the file (1-based), for messages.
    pub fn line(&self) -> Option<u64> {
        match self {
            Record::Json(n, _) => Some(*n),
            Record::Csv(row) => row.position().map(|p| p.line()),
        }
    }
}

/// Settings of one file import.
#[derive(Debug, Clone)]
pub struct FileImport {
    pub path: PathBuf,
    /// Network name for records without one.
    pub network: String,
    /// Records per batch (and per transaction).
    pub batch: usize,
}

impl FileImport {
    /// The cursor key: the file's canonical path.
    pub fn source_key(&self) -> Result<String, PipelineError> {
        let canon = std::fs::canonicalize(&self.path)
            .map_err(|e| PipelineError::Source(format!("{}: {e}", self.path.display())))?;
        Ok(format!("file:{}", canon.display()))
    }
}

/// Counts bytes as they are read (for progress on compressed input).
struct Counting<R> {
    inner: R,
    progress: Arc<Progress>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Opens `path`, transparently gunzipping, and tells its format.
pub fn open(
    path: &Path,
    progress: Arc<Progress>,
) -> Result<(Box<dyn BufRead + Send>, Format), PipelineError> {
    let err = |e: std::io::Error| PipelineError::Source(format!("{}: {e}", path.display()));
    let mut file = File::open(path).map_err(err)?;
    let mut magic = [0u8; 2];
    let n = file.read(&mut magic).map_err(err)?;
    let file = File::open(path).map_err(err)?;
    let counted = Counting {
        inner: file,
        progress,
    };
    let gz = n == 2 && magic == [0x1f, 0x8b];
    let mut reader: Box<dyn BufRead + Send> = if gz {
        Box::new(BufReader::with_capacity(
            256 * 1024,
            flate2::read::MultiGzDecoder::new(BufReader::new(counted)),
        ))
    } else {
        Box::new(BufReader::with_capacity(256 * 1024, counted))
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    let format = if name.ends_with(".csv") || name.ends_with(".tsv") {
        Format::Csv
    } else if name.ends_with(".jsonl") || name.ends_with(".ndjson") || name.ends_with(".json") {
        Format::JsonLines
    } else {
        let head = reader.fill_buf().map_err(err)?;
        match head.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => Format::JsonLines,
            _ => Format::Csv,
        }
    };
    Ok((reader, format))
}

/// Reads records after skipping `skip`, sending batches of `size` with the count consumed as
/// position. Stops early when `stop` is set (the batch read so far is still sent).
#[allow(clippy::too_many_arguments)]
pub fn read_records(
    source: Arc<str>,
    reader: Box<dyn BufRead + Send>,
    format: Format,
    skip: u64,
    size: usize,
    stop: &AtomicBool,
    progress: &Progress,
    tx: &mpsc::Sender<(Arc<Columns>, Batch<Record>)>,
) -> Result<(), PipelineError> {
    let mut consumed = 0u64;
    let mut items = Vec::with_capacity(size);
    let send = |items: &mut Vec<Record>, consumed: u64, cols: &Arc<Columns>| -> bool {
        let batch = Batch {
            source: source.clone(),
            position: consumed.to_string(),
            items: std::mem::replace(items, Vec::with_capacity(size)),
        };
        tx.blocking_send((cols.clone(), batch)).is_ok()
    };
    match format {
        Format::JsonLines => {
            let cols = Arc::new(Columns::default());
            for (i, line) in reader.lines().enumerate() {
                let line = line
                    .map_err(|e| PipelineError::Source(format!("reading line {}: {e}", i + 1)))?;
                if line.trim().is_empty() {
                    continue;
                }
                consumed += 1;
                progress.read.fetch_add(1, Ordering::Relaxed);
                if consumed <= skip {
                    continue;
                }
                items.push(Record::Json(i as u64 + 1, line));
                if items.len() >= size
                    && (!send(&mut items, consumed, &cols) || stop.load(Ordering::Relaxed))
                {
                    return Ok(());
                }
            }
            if !items.is_empty() {
                send(&mut items, consumed, &cols);
            }
        }
        Format::Csv => {
            let mut rdr = csv::ReaderBuilder::new()
                .flexible(true)
                .has_headers(true)
                .from_reader(reader);
            let header: Vec<String> = rdr
                .headers()
                .map_err(|e| PipelineError::Source(format!("reading the CSV header: {e}")))?
                .iter()
                .map(|h| h.trim().trim_start_matches('\u{feff}').to_owned())
                .collect();
            let cols = Arc::new(
                Columns::from_header(&header).map_err(|e| PipelineError::Source(e.to_string()))?,
            );
            let mut row = csv::StringRecord::new();
            loop {
                match rdr.read_record(&mut row) {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => {
                        // A malformed row is counted and skipped; the position still moves.
                        consumed += 1;
                        progress.read.fetch_add(1, Ordering::Relaxed);
                        progress.rejected.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(record = consumed, error = %e, "skipping a malformed CSV row");
                        continue;
                    }
                }
                consumed += 1;
                progress.read.fetch_add(1, Ordering::Relaxed);
                if consumed <= skip {
                    continue;
                }
                // The next row gets a buffer the size of this one instead of growing from empty.
                let next = csv::StringRecord::with_capacity(row.as_slice().len(), row.len());
                items.push(Record::Csv(std::mem::replace(&mut row, next)));
                if items.len() >= size
                    && (!send(&mut items, consumed, &cols) || stop.load(Ordering::Relaxed))
                {
                    return Ok(());
                }
            }
            if !items.is_empty() {
                send(&mut items, consumed, &cols);
            }
        }
    }
    Ok(())
}

/// Normalize stage: raw records → posts; a record that does not normalize is counted, logged
/// and left out (its position still counts, so it is not retried forever).
pub fn normalize_stage(
    ctx: Context,
    progress: Arc<Progress>,
    mut rx: mpsc::Receiver<(Arc<Columns>, Batch<Record>)>,
    tx: mpsc::Sender<Batch<Incoming>>,
) -> std::thread::JoinHandle<()> {
    crate::pipeline::stage_thread("chorus-normalize", move || {
        while let Some((cols, batch)) = rx.blocking_recv() {
            let mut items = Vec::with_capacity(batch.items.len());
            for r in batch.items.iter() {
                let p = match r {
                    Record::Json(_, line) => normalize::json_line(line, &ctx),
                    Record::Csv(row) => normalize::csv_row(&cols, row, &ctx),
                };
                match p {
                    Ok(p) => items.push(p),
                    Err(e) => {
                        let n = progress.rejected.fetch_add(1, Ordering::Relaxed);
                        if n < 20 {
                            tracing::warn!(line = r.line(), error = %e, "skipping a record");
                        }
                    }
                }
            }
            if tx.blocking_send(batch.map(|_| items)).is_err() {
                return;
            }
        }
    })
}

/// Imports a file end to end through the in-process stages, resuming after the stored
/// cursor. Returns the number of records skipped because an earlier run had stored them.
pub async fn import(
    store: Store,
    job: FileImport,
    analyzers: Arc<Analyzers>,
    queries: watch::Receiver<Arc<QuerySet>>,
    progress: Arc<Progress>,
    stop: Arc<AtomicBool>,
) -> Result<u64, PipelineError> {
    let running = Running::start(store.clone(), analyzers, queries, progress.clone());
    import_into(store, job, running.into_downstream(), progress, stop).await
}

/// Reads and normalizes a file into `downstream` (the in-process stages, or a stream that
/// workers store from), resuming after the stored cursor; `downstream` stores the cursor once
/// what precedes it is safe. Returns the number of records skipped.
pub async fn import_into(
    store: Store,
    job: FileImport,
    downstream: Downstream,
    progress: Arc<Progress>,
    stop: Arc<AtomicBool>,
) -> Result<u64, PipelineError> {
    let key = job.source_key()?;
    let skip: u64 = store
        .ingest_cursor(&key)
        .await?
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let (reader, format) = open(&job.path, progress.clone())?;
    let (raw_tx, raw_rx) = mpsc::channel(CHANNEL_BATCHES);
    let ctx = Context {
        network: job.network.clone(),
        now_ms: chorus_store::now_ms(),
    };
    let normalizer = normalize_stage(ctx, progress.clone(), raw_rx, downstream.input.clone());
    let size = job.batch.max(1);
    let reader_progress = progress.clone();
    let read = tokio::task::spawn_blocking(move || {
        read_records(
            key.into(),
            reader,
            format,
            skip,
            size,
            &stop,
            &reader_progress,
            &raw_tx,
        )
    });
    let read_result = read
        .await
        .map_err(|e| PipelineError::Stage(e.to_string()))?;
    let joined = tokio::task::spawn_blocking(move || normalizer.join()).await;
    let finished = downstream.finish().await;
    read_result?;
    finished?;
    if !matches!(joined, Ok(Ok(()))) {
        return Err(PipelineError::Stage("the normalize stage panicked".into()));
    }
    Ok(skip)
}
