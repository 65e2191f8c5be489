//! `[text]`: which sentiment analysis ingest runs (`sentiment = "model"`, the trained
//! multilingual model with a probability per label, or `"vader"`, VADER exactly as
//! vaderSentiment 3.3.2 scores it) and which language a post is filed under for `lang:` in
//! queries, the inbox's language filter and share of voice (`filter_language = "detected"`, the
//! detector's answer, or `"source"`, the label the source gave; both are stored either way).
//! They apply to posts ingested after a change.

use std::collections::BTreeMap;

use chorus_pipeline::{FilterLanguage, SentimentMode, TextSettings};
use serde::Deserialize;

use super::{ConfigError, err};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawText {
    sentiment: Option<String>,
    filter_language: Option<String>,
}

/// Validates `[text]`; an error names the key and what it accepts.
pub(super) fn validate(
    raw: RawText,
    sources: &BTreeMap<String, String>,
) -> Result<TextSettings, ConfigError> {
    let d = TextSettings::default();
    let sentiment = match raw.sentiment.as_deref() {
        None => d.sentiment,
        Some(v) => SentimentMode::parse(v).ok_or_else(|| {
            err(
                "text.sentiment",
                format!("is {v:?}; use {}", SentimentMode::NAMES),
                sources,
            )
        })?,
    };
    let filter_language = match raw.filter_language.as_deref() {
        None => d.filter_language,
        Some(v) => FilterLanguage::parse(v).ok_or_else(|| {
            err(
                "text.filter_language",
                format!("is {v:?}; use {}", FilterLanguage::NAMES),
                sources,
            )
        })?,
    };
    Ok(TextSettings {
        sentiment,
        filter_language,
    })
}
