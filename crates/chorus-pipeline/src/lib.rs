//! The ingest pipeline: public posts from a source, normalized, scored for language and
//! sentiment, matched against every listening query at once, and stored as posts and
//! conversations.
//!
//! Contract: `source → normalize → score → match → store`, each stage a function or a thread
//! testable alone, joined by bounded channels (a slow stage slows the ones before it; nothing
//! queues without limit). A batch is stored with the source's position in one transaction, so a
//! restart resumes exactly after the last stored batch, and a post whose URI is already stored
//! is skipped. Sources: files ([`file`], JSON lines or CSV, gzip or not), RSS/Atom feeds
//! ([`feed`], conditional GET behind an SSRF guard) and the Bluesky firehose ([`bluesky`]).
//! This crate knows no HTTP server and writes no SQL: it talks to `chorus-store`.

pub mod bluesky;
pub mod feed;
pub mod file;
pub mod incoming;
pub mod matching;
pub mod normalize;
pub mod pipeline;
pub mod queries;
pub mod score;

pub use incoming::{Batch, Incoming, Scored};
pub use matching::QuerySet;
pub use pipeline::{
    Analyzers, Downstream, FilterLanguage, PipelineError, Progress, Running, SentimentMode,
    TextSettings,
};
