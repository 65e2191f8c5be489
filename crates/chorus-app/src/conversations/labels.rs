//! Correcting a conversation's language and sentiment in the inbox, and the corrections
//! exported as a dataset for `chorus text train --with-corrections`.
//!
//! Who may correct: whoever works the conversation (`WorkConversations` in one of its markets:
//! its community managers and market leads) — one the caller may not read is `NotFound`, one
//! they only read is `Forbidden`, and nothing is written. Who may export: anyone who reads
//! conversations, with the corrected conversations of the markets they read. The dataset's
//! format is `chorus_text::corrections`' (the one training reads).

use chorus_core::conversations::{ConversationId, Sentiment};
use chorus_core::validate::quoted;
use chorus_store::LabelCorrection;
use chorus_text::lang::names::LANGUAGES;
use chorus_text::model::Label;

use super::{visible, workable};
use crate::{App, Caller, Error, Result};

pub use chorus_store::{CorrectedText, CorrectionRecord};

/// A correction as typed: empty fields leave that label alone. `lang` is a code or a name
/// ("es", "Spanish", "español"); `sentiment` negative, neutral or positive.
#[derive(Debug, Clone, Default)]
pub struct LabelFields {
    pub lang: String,
    pub sentiment: String,
}

impl LabelFields {
    fn parse(&self) -> Result<LabelCorrection> {
        let lang = match self.lang.trim() {
            "" => None,
            raw => Some(
                chorus_text::lang::parse_language(raw)
                    .ok_or_else(|| {
                        Error::invalid(
                            "lang",
                            format!(
                                "{} is not a language Chorus knows; choose one from the list",
                                quoted(raw)
                            ),
                        )
                    })?
                    .to_owned(),
            ),
        };
        let sentiment = match self.sentiment.trim() {
            "" => None,
            raw => Some(Sentiment::parse(raw).map_err(|e| e.at("sentiment"))?),
        };
        if lang.is_none() && sentiment.is_none() {
            return Err(Error::Invalid {
                field: None,
                message: "nothing to correct: choose a language or a sentiment".into(),
            });
        }
        Ok(LabelCorrection {
            lang_name: lang.as_deref().map(|l| language_name(l).to_owned()),
            lang,
            sentiment,
        })
    }
}

/// Corrects conversation `id`'s labels as the caller; returns false when people had already
/// given it exactly these labels (nothing new is recorded).
pub async fn correct(app: &App, caller: &Caller, id: i64, fields: &LabelFields) -> Result<bool> {
    let id = ConversationId(id);
    workable(app, caller, id).await?;
    let correction = fields.parse()?;
    Ok(app
        .store
        .correct_conversation_labels(&caller.author(), id, &correction)
        .await?)
}

/// The corrections dataset as a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    /// JSON lines, one corrected conversation each, in conversation order.
    pub bytes: Vec<u8>,
    pub lines: usize,
}

/// The corrected conversations of the markets the caller reads (of `market` alone when given:
/// a code), as `chorus text train --with-corrections` reads them.
pub async fn export(app: &App, caller: &Caller, market: &str) -> Result<Dataset> {
    let visible = visible(app, caller).await?;
    let scope = match market.trim() {
        "" => visible.ids.clone(),
        code => Some(vec![
            visible
                .find(code)
                .ok_or_else(|| {
                    Error::invalid(
                        "market",
                        format!("{} is not a market you read", quoted(code)),
                    )
                })?
                .id,
        ]),
    };
    let rows = app.store.corrected_texts(scope.as_deref()).await?;
    Ok(dataset(&rows))
}

/// The rows as the dataset's lines.
fn dataset(rows: &[CorrectedText]) -> Dataset {
    let mut out = String::new();
    for r in rows {
        let sentiment = r.sentiment.map(|s| match s {
            Sentiment::Negative => Label::Negative,
            Sentiment::Neutral => Label::Neutral,
            Sentiment::Positive => Label::Positive,
        });
        out.push_str(&chorus_text::corrections::line(
            &r.text,
            r.lang.as_deref(),
            sentiment,
        ));
        out.push('\n');
    }
    Dataset {
        bytes: out.into_bytes(),
        lines: rows.len(),
    }
}

/// The languages a person can choose in a correction: code and English name, by name.
pub fn language_choices() -> Vec<(&'static str, &'static str)> {
    let mut v: Vec<(&str, &str)> = LANGUAGES.iter().map(|l| (l.0, l.2)).collect();
    v.sort_by_key(|l| l.1);
    v
}

/// The English name of language `code` (`super::language::language_name`), "not identified"
/// for `und`, or the code itself when Chorus has no name for it.
pub fn language_name(code: &str) -> &str {
    if code == "und" {
        return "not identified";
    }
    super::language::language_name(code).unwrap_or(code)
}

#[cfg(test)]
mod tests;
