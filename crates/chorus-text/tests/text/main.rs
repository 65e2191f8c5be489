//! Integration tests of chorus-text: VADER parity with vaderSentiment 3.3.2 on every row of
//! `shared/data/vader/reference_scores.jsonl`, properties on arbitrary input, and the quality
//! targets and reproducibility of the trained models (`quality.rs`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

mod parity;
mod props;
mod quality;
