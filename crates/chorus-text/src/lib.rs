//! Text analysis for social posts: VADER sentiment, a trained multilingual sentiment model and
//! language identification. Pure: no IO, no global state; callers build a
//! [`SentimentAnalyzer`] / [`SentimentModel`] / [`LanguageIdentifier`] once and share it.
//!
//! Contract: [`SentimentAnalyzer`] returns, for every string, the same `neg`/`neu`/`pos`/
//! `compound` as vaderSentiment 3.3.2 (PyPI) after its own rounding; the lexicons are the MIT
//! files in `data/`, compiled in. [`SentimentModel`] (the default `models/sentiment.bin`,
//! compiled in) answers negative / neutral / positive with a probability per label, in any
//! language it was trained on. [`LanguageIdentifier`] answers an ISO 639-1 code (639-3 where
//! no 639-1 code exists) with a confidence, or an explicit "unknown" when the text is too
//! short or ambiguous to tell; it never guesses confidently. All accept any `&str` (empty,
//! huge, control characters) without panicking. [`eval`] holds the metrics used by the quality
//! report, [`corpus`] the shared data sets as the models are trained and evaluated on them,
//! [`corrections`] the format of people's corrections and their held-out split.

pub mod corpus;
pub mod corrections;
pub mod eval;
pub mod features;
pub mod lang;
pub mod model;
pub mod report;
pub mod training;
mod vader;

pub use lang::{LangGuess, LangScratch, LanguageIdentifier, Rules, Unknown};
pub use model::{Label, ModelScratch, Sentiment, SentimentModel};
pub use vader::{Scores, Scratch, SentimentAnalyzer};
