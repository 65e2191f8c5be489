//! Text analysis for social posts: VADER sentiment and language identification. Pure: no IO,
//! no global state; callers build a [`SentimentAnalyzer`] / [`LanguageIdentifier`] once and
//! share it.
//!
//! Contract: [`SentimentAnalyzer`] returns, for every string, the same `neg`/`neu`/`pos`/
//! `compound` as vaderSentiment 3.3.2 (PyPI) after its own rounding; the lexicons are the MIT
//! files in `data/`, compiled in. [`LanguageIdentifier`] answers an ISO 639-1 code (639-3
//! where no 639-1 code exists) with a confidence, or an explicit "unknown" when the text is too
//! short or ambiguous to tell; it never guesses confidently. Both accept any `&str` (empty,
//! huge, control characters) without panicking. [`eval`] holds the metrics used by the quality
//! report.

pub mod eval;
pub mod lang;
mod vader;

pub use lang::{LangGuess, LangScratch, LanguageIdentifier, Rules, Unknown};
pub use vader::{Scores, Scratch, SentimentAnalyzer};
