//! The multilingual sentiment model: multinomial logistic regression over hashed features
//! ([`crate::features`]: word unigrams and bigrams, character n-grams) plus VADER's four scores,
//! answering negative / neutral / positive with a probability for each.
//!
//! The default model is `models/sentiment.bin`, compiled in; it is made by `chorus text train`
//! ([`train`]) from the shared data sets, deterministically (same examples, same seed → same
//! bytes). The file format is little-endian: the magic `CHSENT01`, `dim_log2: u32`,
//! `char_min: u8`, `char_max: u8`, `bigrams: u8`, `negation: u8`, `scale: f32`, three biases
//! `f32`, then `3 << dim_log2` weights as `i16` (bucket-major: the three classes of a bucket
//! are adjacent), each `value × scale`. Quantizing to `i16` keeps the file small (768 KiB at
//! 2^17 buckets) and costs nothing measurable in accuracy.

pub mod train;

use crate::features::{FeatureScratch, FeatureSet, bucket, hash_str, hashed_features};
use crate::{Scores, Scratch, SentimentAnalyzer};

/// The three classes, in TweetEval's label order.
pub const CLASSES: [Label; 3] = [Label::Negative, Label::Neutral, Label::Positive];

/// A sentiment class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Label {
    Negative = 0,
    Neutral = 1,
    Positive = 2,
}

impl Label {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Negative => "negative",
            Self::Neutral => "neutral",
            Self::Positive => "positive",
        }
    }

    /// From TweetEval's label id (0 negative, 1 neutral, 2 positive).
    pub fn from_id(id: u8) -> Option<Self> {
        CLASSES.get(usize::from(id)).copied()
    }

    /// From `negative` / `neutral` / `positive` (or their ids).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "negative" | "neg" | "0" => Some(Self::Negative),
            "neutral" | "neu" | "1" => Some(Self::Neutral),
            "positive" | "pos" | "2" => Some(Self::Positive),
            _ => None,
        }
    }
}

/// The model's answer for one text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sentiment {
    /// The most probable class.
    pub label: Label,
    /// Probability of negative, neutral, positive (they sum to 1).
    pub probs: [f32; 3],
}

impl Sentiment {
    /// Probability of the chosen label: the model's confidence.
    pub fn confidence(&self) -> f32 {
        self.probs[self.label as usize]
    }

    /// `P(positive) − P(negative)`, in −1..=1: a signed score comparable to VADER's compound.
    pub fn score(&self) -> f32 {
        self.probs[2] - self.probs[0]
    }
}

/// Error reading a model file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("not a Chorus sentiment model (bad magic)")]
    Magic,
    #[error("model file is {got} bytes, expected {want}")]
    Size { got: usize, want: usize },
    #[error("model header is invalid: {0}")]
    Header(&'static str),
}

const MAGIC: &[u8; 8] = b"CHSENT01";
const HEADER: usize = 8 + 4 + 4 + 4 + 12;

/// The features the model sees, apart from the hashed text features.
pub(crate) const N_DENSE: usize = 16;

/// Hyperparameters that are part of the model (the feature space).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub dim_log2: u32,
    pub features: FeatureSet,
}

impl Default for Shape {
    fn default() -> Self {
        Self {
            dim_log2: 17,
            features: FeatureSet {
                words: true,
                bigrams: true,
                char_min: 3,
                char_max: 5,
                negation: true,
            },
        }
    }
}

/// A loaded sentiment model. Build once, share; use a [`ModelScratch`] per thread.
#[derive(Debug)]
pub struct SentimentModel {
    shape: Shape,
    bias: [f32; 3],
    /// The quantized weights, a bucket's three classes together (6 bytes: the table, 768 KiB,
    /// shares the cache with the language model's); `value = q / scale`.
    weights: Vec<[i16; 3]>,
    scale: f32,
    /// Buckets of the dense VADER features (fixed hashes, see [`dense_buckets`]).
    dense: [usize; N_DENSE],
    vader: SentimentAnalyzer,
}

/// Reusable buffers for [`SentimentModel::predict_with`].
#[derive(Debug, Default)]
pub struct ModelScratch {
    features: FeatureScratch,
    buckets: Vec<u32>,
    vader: Scratch,
}

impl ModelScratch {
    pub fn new() -> Self {
        Self::default()
    }
}

/// The default model, trained by `chorus text train` and committed.
static DEFAULT_MODEL: &[u8] = include_bytes!("../../models/sentiment.bin");

impl SentimentModel {
    /// The committed multilingual model.
    pub fn default_model() -> Result<Self, ModelError> {
        Self::from_bytes(DEFAULT_MODEL)
    }

    /// Reads a model file (see the module documentation for the format).
    pub fn from_bytes(b: &[u8]) -> Result<Self, ModelError> {
        if b.len() < HEADER || &b[..8] != MAGIC {
            return Err(ModelError::Magic);
        }
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let f32_at = |i: usize| f32::from_bits(u32_at(i));
        let dim_log2 = u32_at(8);
        if !(8..=24).contains(&dim_log2) {
            return Err(ModelError::Header("dim_log2 outside 8..=24"));
        }
        let (char_min, char_max, bigrams, negation) = (b[12], b[13], b[14], b[15]);
        if char_max > 8 || char_min > char_max || bigrams > 1 || negation > 1 {
            return Err(ModelError::Header("feature set"));
        }
        let scale = f32_at(16);
        if !(scale.is_finite() && scale > 0.0) {
            return Err(ModelError::Header("scale"));
        }
        let n = 3usize << dim_log2;
        let want = HEADER + 2 * n;
        if b.len() != want {
            return Err(ModelError::Size { got: b.len(), want });
        }
        let bias = [f32_at(20), f32_at(24), f32_at(28)];
        let weights = b[HEADER..]
            .chunks_exact(6)
            .map(|c| {
                let q = |i: usize| i16::from_le_bytes([c[i], c[i + 1]]);
                [q(0), q(2), q(4)]
            })
            .collect();
        let shape = Shape {
            dim_log2,
            features: FeatureSet {
                words: true,
                bigrams: bigrams == 1,
                char_min,
                char_max,
                negation: negation == 1,
            },
        };
        Ok(Self {
            shape,
            bias,
            weights,
            scale,
            dense: dense_buckets(dim_log2),
            vader: SentimentAnalyzer::new(),
        })
    }

    /// The model as file bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = header(self.shape, self.scale, self.bias);
        for w in &self.weights {
            for q in &w[..3] {
                out.extend_from_slice(&q.to_le_bytes());
            }
        }
        out
    }

    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// Sentiment of `text` (fresh buffers; see [`Self::predict_with`]).
    pub fn predict(&self, text: &str) -> Sentiment {
        self.predict_with(text, &mut ModelScratch::new())
    }

    /// Sentiment of `text`, reusing `scratch`.
    pub fn predict_with(&self, text: &str, scratch: &mut ModelScratch) -> Sentiment {
        let vader = self.vader.polarity_scores_with(text, &mut scratch.vader);
        self.predict_scored(text, &vader, scratch)
    }

    /// Sentiment of `text` whose VADER scores the caller already has (the ingest pipeline
    /// computes them anyway).
    pub fn predict_scored(
        &self,
        text: &str,
        vader: &Scores,
        scratch: &mut ModelScratch,
    ) -> Sentiment {
        let (buckets, scale, dense) = extract(self.shape, &self.dense, text, vader, scratch);
        let mut sum = [0i32; 3];
        for &b in buckets.iter() {
            let w = self.weights[b as usize];
            for c in 0..3 {
                sum[c] += i32::from(w[c]);
            }
        }
        let k = scale / self.scale;
        #[allow(clippy::cast_precision_loss)]
        let mut z = [
            self.bias[0] + sum[0] as f32 * k,
            self.bias[1] + sum[1] as f32 * k,
            self.bias[2] + sum[2] as f32 * k,
        ];
        for (&bucket, v) in self.dense.iter().zip(dense) {
            let w = self.weights[bucket];
            for c in 0..3 {
                z[c] += f32::from(w[c]) / self.scale * v;
            }
        }
        let probs = softmax(z);
        let label = if probs[0] > probs[1] && probs[0] > probs[2] {
            Label::Negative
        } else if probs[2] > probs[1] {
            Label::Positive
        } else {
            Label::Neutral
        };
        Sentiment { label, probs }
    }
}

/// The file's header (see the module documentation).
fn header(shape: Shape, scale: f32, bias: [f32; 3]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + (6 << shape.dim_log2));
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&shape.dim_log2.to_le_bytes());
    let f = shape.features;
    out.extend_from_slice(&[
        f.char_min,
        f.char_max,
        u8::from(f.bigrams),
        u8::from(f.negation),
    ]);
    out.extend_from_slice(&scale.to_le_bytes());
    for b in bias {
        out.extend_from_slice(&b.to_le_bytes());
    }
    out
}

/// A model file from trained weights (`3 << dim_log2`, bucket-major), quantized to `i16` so
/// that the largest weight is ±32,000.
pub(crate) fn encode(shape: Shape, bias: [f32; 3], weights: &[f32]) -> Vec<u8> {
    let max = weights.iter().fold(0f32, |m, w| m.max(w.abs()));
    let scale = if max > 0.0 { 32_000.0 / max } else { 1.0 };
    let mut out = header(shape, scale, bias);
    for w in weights {
        #[allow(clippy::cast_possible_truncation)]
        let q = (w * scale).round().clamp(-32_767.0, 32_767.0) as i16;
        out.extend_from_slice(&q.to_le_bytes());
    }
    out
}

pub(crate) fn softmax(z: [f32; 3]) -> [f32; 3] {
    let m = z[0].max(z[1]).max(z[2]);
    let e = [(z[0] - m).exp(), (z[1] - m).exp(), (z[2] - m).exp()];
    let s = e[0] + e[1] + e[2];
    [e[0] / s, e[1] / s, e[2] / s]
}

/// Buckets of the dense features: fixed names hashed like any feature.
pub(crate) fn dense_buckets(dim_log2: u32) -> [usize; N_DENSE] {
    let mask = (1u64 << dim_log2) - 1;
    let mut out = [0; N_DENSE];
    for (i, o) in out.iter_mut().enumerate() {
        *o = (hash_str(0xDE05, &format!("dense{i}")) & mask) as usize;
    }
    out
}

/// The hashed features of `text` as buckets in `scratch.buckets` (each scaled by the returned
/// factor, 1/√n, so that long and short texts weigh alike), and the dense VADER features.
pub(crate) fn extract<'s>(
    shape: Shape,
    _dense: &[usize; N_DENSE],
    text: &str,
    v: &Scores,
    scratch: &'s mut ModelScratch,
) -> (&'s [u32], f32, [f32; N_DENSE]) {
    let buckets = &mut scratch.buckets;
    buckets.clear();
    let summary = hashed_features(text, shape.features, &mut scratch.features, |h| {
        #[allow(clippy::cast_possible_truncation)]
        buckets.push(bucket(h, shape.dim_log2) as u32);
    });
    #[allow(clippy::cast_precision_loss)]
    let scale = if buckets.is_empty() {
        0.0
    } else {
        1.0 / (buckets.len() as f32).sqrt()
    };
    #[allow(clippy::cast_possible_truncation)]
    let (c, p, n) = (v.compound as f32, v.pos as f32, v.neg as f32);
    let base = [
        c,
        p,
        n,
        f32::from(u8::from(c >= 0.05)),
        f32::from(u8::from(c <= -0.05)),
        f32::from(u8::from(c.abs() < 0.05)),
        c * c.abs(),
        f32::from(u8::from(c >= 0.5)) - f32::from(u8::from(c <= -0.5)),
    ];
    // VADER is an English lexicon: its scores get a second set of weights for text that reads
    // as English (a common English function word in it).
    let english = f32::from(u8::from(summary.english > 0));
    let mut dense = [0f32; N_DENSE];
    for (i, v) in base.iter().enumerate() {
        dense[i] = *v;
        dense[i + 8] = v * english;
    }
    (buckets, scale, dense)
}
