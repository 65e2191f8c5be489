//! `chorus text train` as a pure function: the shared data sets ([`Corpus`]) plus corrections
//! made by people in, the two model files out. Same corpus, corrections and options → same
//! bytes.

use crate::corpus::Corpus;
use crate::lang::model::{LangTrainConfig, train as train_language};
use crate::model::Label;
use crate::model::train::{Example, TrainConfig, train as train_sentiment};

/// A person's correction of a text's language and/or sentiment (one line of the corrections
/// file: `{"text": …, "language": "es", "sentiment": "negative"}`, read and written by
/// [`crate::corrections`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    pub text: String,
    /// A code [`crate::lang::parse_language`] understood.
    pub language: Option<&'static str>,
    pub sentiment: Option<Label>,
}

/// How much one correction counts against one ordinary training example: a person looked at
/// this very text, and the model should now answer it their way.
pub const CORRECTION_WEIGHT: f32 = 20.0;

/// Settings of both trainings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainOptions {
    pub sentiment: TrainConfig,
    pub language: LangTrainConfig,
    /// Most texts per language in the language training set (the rest are left out).
    pub language_cap: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            sentiment: TrainConfig::default(),
            language: LangTrainConfig::default(),
            language_cap: 60_000,
        }
    }
}

impl TrainOptions {
    /// The defaults with every seed set to `seed`.
    pub fn with_seed(seed: u64) -> Self {
        let mut o = Self::default();
        o.sentiment.seed = seed;
        o.language.seed = seed;
        o
    }
}

/// The trained model files and what they were made of.
#[derive(Debug, Clone)]
pub struct Trained {
    pub sentiment: Vec<u8>,
    pub language: Vec<u8>,
    pub sentiment_examples: usize,
    pub language_examples: usize,
}

/// Trains the sentiment and language models.
pub fn train_models(corpus: &Corpus, corrections: &[Correction], opts: &TrainOptions) -> Trained {
    let extra: Vec<Example> = corrections
        .iter()
        .filter_map(|c| {
            c.sentiment.map(|label| Example {
                text: c.text.clone(),
                label,
                weight: CORRECTION_WEIGHT,
            })
        })
        .collect();
    let examples = corpus.sentiment_examples(&extra);
    let sentiment = train_sentiment(&examples, &opts.sentiment);
    let lang_extra: Vec<(String, String)> = corrections
        .iter()
        .filter_map(|c| c.language.map(|l| (l.to_owned(), c.text.clone())))
        .collect();
    let mut lang_examples =
        corpus.language_examples(&lang_extra, opts.language_cap, opts.language.seed);
    // Corrections weigh like sentiment corrections (balance gave them their language's weight).
    let corrected: std::collections::HashSet<(String, String)> = lang_extra
        .iter()
        .filter_map(|(c, t)| crate::lang::prepare(t).map(|(p, _)| (c.clone(), p)))
        .collect();
    if !corrected.is_empty() {
        for e in &mut lang_examples {
            if corrected.contains(&(e.code.clone(), e.clean.clone())) {
                e.weight *= CORRECTION_WEIGHT;
            }
        }
    }
    let language = train_language(&lang_examples, &opts.language);
    Trained {
        sentiment,
        language,
        sentiment_examples: examples.len(),
        language_examples: lang_examples.len(),
    }
}
