//! Score stage: language and sentiment for every post.
//!
//! Language: the detector's answer (`chorus-text`'s trained model behind the trigram
//! profiles) and the source's label (the first language it declared) are both kept; the post is
//! filed under one of them — what `lang:` in queries, the inbox's language filter and share of
//! voice read — by [`FilterLanguage`]: by default the detected one, the source's only when the
//! detector could not tell (`und`). It runs before matching so `lang:` sees it.
//!
//! Sentiment: the trained model's `P(positive) − P(negative)`, kept inside the band of the
//! model's own label (so `Sentiment::of` the stored score is the label the model chose), with
//! the label's probability as confidence; or, in [`SentimentMode::Vader`], VADER's compound.

use chorus_core::conversations::Sentiment as Band;
use chorus_store::Labels;
use chorus_text::{Label, LangScratch, ModelScratch, Scratch, Sentiment};

use crate::incoming::{Incoming, Scored};
use crate::pipeline::{Analyzers, FilterLanguage};

/// One per worker thread: the analyzers are shared, the buffers are its own.
pub struct Scorer<'a> {
    analyzers: &'a Analyzers,
    s_scratch: Scratch,
    l_scratch: LangScratch,
    m_scratch: ModelScratch,
}

impl<'a> Scorer<'a> {
    pub fn new(analyzers: &'a Analyzers) -> Self {
        Scorer {
            analyzers,
            s_scratch: Scratch::new(),
            l_scratch: LangScratch::new(),
            m_scratch: ModelScratch::new(),
        }
    }

    pub fn score(&mut self, post: Incoming) -> Scored {
        let a = self.analyzers;
        let guess = a.lang.identify_with(&post.text, &mut self.l_scratch);
        let detected = guess.code();
        let source = post.declared_langs.first();
        let lang = match (a.settings.filter_language, source) {
            (FilterLanguage::Detected, Some(s)) if detected == "und" => s.clone(),
            (FilterLanguage::Source, Some(s)) => s.clone(),
            _ => detected.to_owned(),
        };
        let vader = a
            .vader
            .polarity_scores_with(&post.text, &mut self.s_scratch);
        let (sentiment, sentiment_confidence) = match &a.model {
            Some(m) => {
                let s = m.predict_scored(&post.text, &vader, &mut self.m_scratch);
                (banded_score(&s), Some(f64::from(s.confidence())))
            }
            None => (vader.compound, None),
        };
        let labels = Labels {
            detected_lang: Some(detected.to_owned()),
            source_lang: source.cloned(),
            lang_confidence: Some(guess.confidence()),
            sentiment_confidence,
        };
        Scored {
            post,
            lang,
            sentiment,
            labels,
        }
    }
}

/// The model's signed score `P(positive) − P(negative)`, moved into the band of its label where
/// it falls outside (a post the model calls neutral at 0.45 / 0.10 / 0.45 is neutral, not
/// positive), so that every reader of the stored score bands it as the model labelled it.
pub fn banded_score(s: &Sentiment) -> f64 {
    let t = Band::THRESHOLD;
    let raw = f64::from(s.score());
    match s.label {
        Label::Positive => raw.max(t),
        Label::Negative => raw.min(-t),
        Label::Neutral => raw.clamp(-t + 1e-6, t - 1e-6),
    }
}

#[cfg(test)]
mod tests;
