//! The pipeline end to end against a real store: file imports (resume, dedup, bad rows) and
//! feeds served by a local HTTP server (conditional GET, the SSRF guard).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod feeds;
mod files;
mod spikes;
mod support;
