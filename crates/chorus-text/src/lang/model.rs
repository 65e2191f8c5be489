//! The trained language model: multinomial logistic regression over hashed character 1–4-grams
//! and words of the cleaned text ([`crate::features`]), choosing among the languages whose
//! script the text is written in. Trained by [`train`] from labelled tweets (see
//! [`crate::corpus::Corpus::language_examples`]); the default is `models/language.bin`,
//! compiled in.
//!
//! File format (little-endian): the magic `CHLANG01`, `dim_log2: u32`, `n: u32` languages,
//! `scale: f32`, `n` biases `f32`, a UTF-8 block of `n` lines `code<TAB>Script,Script…` (its
//! length first, `u32`), then `n << dim_log2` weights `i8` (bucket-major), each
//! `value × scale`. One byte a weight keeps the table at 1 MiB for 2^15 buckets × 32
//! languages, small enough for the cache to hold what tweets touch.

use whatlang::Script;

use super::names::static_code;
use crate::features::{FeatureScratch, FeatureSet, bucket, hashed_features};
use crate::model::train::SplitMix64;

/// The features the language model reads.
pub(crate) const FEATURES: FeatureSet = FeatureSet {
    words: true,
    bigrams: false,
    char_min: 2,
    char_max: 4,
    negation: false,
};

const MAGIC: &[u8; 8] = b"CHLANG01";

/// Error reading a language model file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LangModelError {
    #[error("not a Chorus language model: {0}")]
    Format(&'static str),
    #[error("unknown language code {0:?} in the model")]
    Code(String),
}

/// A loaded language model.
#[derive(Debug, Clone)]
pub struct LangModel {
    dim_log2: u32,
    codes: Vec<&'static str>,
    /// Per language, the scripts it is written in.
    scripts: Vec<Vec<Script>>,
    bias: Vec<f32>,
    /// `stride << dim_log2` weights: each bucket's row holds the `n` languages' weights,
    /// padded with zeros to `stride`, a multiple of [`LANES`].
    weights: Vec<i8>,
    stride: usize,
    scale: f32,
}

/// Reusable buffers.
#[derive(Debug, Default)]
pub(crate) struct LangModelScratch {
    features: FeatureScratch,
    acc: Vec<[i32; LANES]>,
    buckets: Vec<u32>,
}

/// Languages are scored 16 at a time (a row of weights is padded to a multiple of this), so
/// that the sums vectorize.
const LANES: usize = 16;

/// The best language of a text and its probability among the candidates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Best {
    pub(crate) code: &'static str,
    pub(crate) probability: f32,
}

impl LangModel {
    /// Languages the model knows.
    pub fn codes(&self) -> &[&'static str] {
        &self.codes
    }

    /// Whether some language of the model is written in `script`.
    pub(crate) fn covers(&self, script: Script) -> bool {
        self.scripts.iter().any(|s| s.contains(&script))
    }

    /// The most probable language of `clean` (letters, apostrophes, hyphens, spaces) among
    /// those written in `script`.
    // Indexes walk several arrays in step (codes, scripts, biases, sums).
    #[allow(clippy::needless_range_loop)]
    pub(crate) fn best(
        &self,
        clean: &str,
        script: Script,
        s: &mut LangModelScratch,
    ) -> Option<Best> {
        let n = self.codes.len();
        let stride = self.stride;
        let (buckets, dim_log2) = (&mut s.buckets, self.dim_log2);
        buckets.clear();
        hashed_features(clean, FEATURES, &mut s.features, |h| {
            #[allow(clippy::cast_possible_truncation)]
            buckets.push((bucket(h, dim_log2) * stride) as u32);
        });
        #[allow(clippy::cast_possible_truncation)]
        let count = buckets.len() as u32;
        // The rows are gathered after hashing, so that their loads overlap; sums are kept in
        // 16 bits for up to 256 rows at a time (256 × 127 < 2^15), which vectorizes.
        s.acc.clear();
        s.acc.resize(stride / LANES, [0; LANES]);
        for batch in buckets.chunks(256) {
            for (chunk, acc) in s.acc.iter_mut().enumerate() {
                let mut sum = [0i16; LANES];
                for &b in batch {
                    let at = b as usize + chunk * LANES;
                    if let Ok(w) = <&[i8; LANES]>::try_from(&self.weights[at..at + LANES]) {
                        for j in 0..LANES {
                            sum[j] += i16::from(w[j]);
                        }
                    }
                }
                for j in 0..LANES {
                    acc[j] += i32::from(sum[j]);
                }
            }
        }
        if count == 0 {
            return None;
        }
        #[allow(clippy::cast_precision_loss)]
        let k = 1.0 / (self.scale * (count as f32).sqrt());
        let mut best: Option<(usize, f32)> = None;
        let mut zs = [f32::NEG_INFINITY; 64];
        for i in 0..n.min(64) {
            if !self.scripts[i].contains(&script) {
                continue;
            }
            #[allow(clippy::cast_precision_loss)]
            let z = self.bias[i] + s.acc[i / LANES][i % LANES] as f32 * k;
            zs[i] = z;
            if best.is_none_or(|(_, b)| z > b) {
                best = Some((i, z));
            }
        }
        let (i, top) = best?;
        let sum: f32 = zs
            .iter()
            .filter(|z| z.is_finite())
            .map(|z| (z - top).exp())
            .sum();
        Some(Best {
            code: self.codes[i],
            probability: 1.0 / sum,
        })
    }

    /// Reads a model file.
    pub fn from_bytes(b: &[u8]) -> Result<Self, LangModelError> {
        let bad = LangModelError::Format;
        if b.len() < 20 || &b[..8] != MAGIC {
            return Err(bad("magic"));
        }
        let u32_at = |i: usize| -> Result<u32, LangModelError> {
            let s = b.get(i..i + 4).ok_or(bad("truncated"))?;
            Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        };
        let dim_log2 = u32_at(8)?;
        let n = u32_at(12)? as usize;
        if !(8..=22).contains(&dim_log2) || n == 0 || n > 64 {
            return Err(bad("header"));
        }
        let scale = f32::from_bits(u32_at(16)?);
        if !(scale.is_finite() && scale > 0.0) {
            return Err(bad("scale"));
        }
        let mut at = 20;
        let mut bias = Vec::with_capacity(n);
        for _ in 0..n {
            bias.push(f32::from_bits(u32_at(at)?));
            at += 4;
        }
        let len = u32_at(at)? as usize;
        at += 4;
        let block = b.get(at..at + len).ok_or(bad("truncated"))?;
        at += len;
        let block = std::str::from_utf8(block).map_err(|_| bad("names"))?;
        let (mut codes, mut scripts) = (Vec::new(), Vec::new());
        for line in block.lines() {
            let (code, names) = line.split_once('\t').ok_or(bad("names"))?;
            codes.push(static_code(code).ok_or_else(|| LangModelError::Code(code.to_owned()))?);
            let s: Vec<Script> = names
                .split(',')
                .filter_map(|name| Script::all().iter().copied().find(|s| s.name() == name))
                .collect();
            scripts.push(s);
        }
        if codes.len() != n {
            return Err(bad("names"));
        }
        if b.len() - at != n << dim_log2 {
            return Err(bad("size"));
        }
        let stride = n.div_ceil(LANES) * LANES;
        let mut weights = vec![0i8; stride << dim_log2];
        for (row, src) in weights
            .chunks_exact_mut(stride)
            .zip(b[at..].chunks_exact(n))
        {
            for (w, &x) in row.iter_mut().zip(src) {
                *w = x.cast_signed();
            }
        }
        Ok(Self {
            dim_log2,
            codes,
            scripts,
            bias,
            weights,
            stride,
            scale,
        })
    }

    fn to_bytes_from(
        dim_log2: u32,
        codes: &[&str],
        scripts: &[Vec<Script>],
        bias: &[f32],
        w: &[f32],
    ) -> Vec<u8> {
        let max = w.iter().fold(0f32, |m, x| m.max(x.abs()));
        let scale = if max > 0.0 { 127.0 / max } else { 1.0 };
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&dim_log2.to_le_bytes());
        #[allow(clippy::cast_possible_truncation)]
        out.extend_from_slice(&(codes.len() as u32).to_le_bytes());
        out.extend_from_slice(&scale.to_le_bytes());
        for b in bias {
            out.extend_from_slice(&b.to_le_bytes());
        }
        let mut block = String::new();
        for (c, s) in codes.iter().zip(scripts) {
            let names: Vec<&str> = s.iter().map(Script::name).collect();
            block.push_str(&format!("{c}\t{}\n", names.join(",")));
        }
        #[allow(clippy::cast_possible_truncation)]
        out.extend_from_slice(&(block.len() as u32).to_le_bytes());
        out.extend_from_slice(block.as_bytes());
        for x in w {
            #[allow(clippy::cast_possible_truncation)]
            out.push(((x * scale).round().clamp(-127.0, 127.0) as i8).cast_unsigned());
        }
        out
    }
}

/// One training text: its language code and its cleaned text (see [`super::clean`]) with the
/// script it was detected in.
#[derive(Debug, Clone)]
pub struct LangExample {
    pub code: String,
    pub clean: String,
    pub script: Script,
    pub weight: f32,
}

/// Training settings of the language model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LangTrainConfig {
    pub dim_log2: u32,
    pub epochs: u32,
    pub learning_rate: f32,
    pub seed: u64,
}

impl Default for LangTrainConfig {
    fn default() -> Self {
        Self {
            dim_log2: 14,
            epochs: 4,
            learning_rate: 0.5,
            seed: 20_261_207,
        }
    }
}

/// Fits a language model (averaged SGD, like the sentiment model's), returning the file bytes.
/// The languages are those of `examples`, in sorted order; each may be written in the scripts
/// that hold at least a fifth of its examples. Deterministic for the same inputs.
// Indexes walk several arrays in step (weights, scores, gradients).
#[allow(clippy::needless_range_loop)]
pub fn train(examples: &[LangExample], config: &LangTrainConfig) -> Vec<u8> {
    let mut codes: Vec<&str> = examples.iter().map(|e| e.code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    let n = codes.len();
    let class = |c: &str| codes.binary_search(&c).unwrap_or(0);
    let mut scripts: Vec<Vec<Script>> = Vec::with_capacity(n);
    for &c in &codes {
        let mut counts: Vec<(Script, usize)> = Vec::new();
        let mut total = 0;
        for e in examples.iter().filter(|e| e.code == c) {
            total += 1;
            match counts.iter_mut().find(|(s, _)| *s == e.script) {
                Some((_, k)) => *k += 1,
                None => counts.push((e.script, 1)),
            }
        }
        scripts.push(
            counts
                .into_iter()
                .filter(|&(_, k)| 5 * k >= total)
                .map(|(s, _)| s)
                .collect(),
        );
    }
    let labels: Vec<usize> = examples.iter().map(|e| class(&e.code)).collect();
    let dim = 1usize << config.dim_log2;
    let (mut w, mut u) = (vec![0f32; n * dim], vec![0f32; n * dim]);
    let (mut bias, mut ubias) = (vec![0f32; n], vec![0f32; n]);
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut rng = SplitMix64::new(config.seed);
    let mut fs = FeatureScratch::default();
    let mut buckets: Vec<usize> = Vec::new();
    let (mut z, mut g) = (vec![0f32; n], vec![0f32; n]);
    let mut t = 0f32;
    for _ in 0..config.epochs {
        rng.shuffle(&mut order);
        for &i in &order {
            let e = &examples[i];
            buckets.clear();
            hashed_features(&e.clean, FEATURES, &mut fs, |h| {
                buckets.push(bucket(h, config.dim_log2) * n);
            });
            if buckets.is_empty() {
                continue;
            }
            #[allow(clippy::cast_precision_loss)]
            let s = 1.0 / (buckets.len() as f32).sqrt();
            z.copy_from_slice(&bias);
            for &b in &buckets {
                for (zk, wk) in z.iter_mut().zip(&w[b..b + n]) {
                    *zk += wk * s;
                }
            }
            // Softmax over the languages written in this script (the others are never
            // candidates for this text).
            let allowed = |k: usize| scripts[k].contains(&e.script);
            let top = (0..n)
                .filter(|&k| allowed(k))
                .map(|k| z[k])
                .fold(f32::NEG_INFINITY, f32::max);
            let mut sum = 0.0;
            for k in 0..n {
                z[k] = if allowed(k) { (z[k] - top).exp() } else { 0.0 };
                sum += z[k];
            }
            for k in 0..n {
                let y = if k == labels[i] { 1.0 } else { 0.0 };
                g[k] = -config.learning_rate * e.weight * (z[k] / sum - y);
            }
            for &b in &buckets {
                for k in 0..n {
                    let d = g[k] * s;
                    w[b + k] += d;
                    u[b + k] += t * d;
                }
            }
            for k in 0..n {
                bias[k] += g[k];
                ubias[k] += t * g[k];
            }
            t += 1.0;
        }
    }
    let total = t.max(1.0);
    for (wi, ui) in w.iter_mut().zip(&u) {
        *wi -= ui / total;
    }
    for (b, ub) in bias.iter_mut().zip(&ubias) {
        *b -= ub / total;
    }
    LangModel::to_bytes_from(config.dim_log2, &codes, &scripts, &bias, &w)
}

/// Deterministic sampling helper: keeps at most `cap` examples per language (chosen by a
/// seeded shuffle) and weights each language's examples to count alike.
pub fn balance(examples: Vec<LangExample>, cap: usize, seed: u64) -> Vec<LangExample> {
    let mut examples = examples;
    SplitMix64::new(seed).shuffle(&mut examples);
    let mut counts: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    let mut kept = Vec::new();
    for e in examples {
        let k = counts.entry(e.code.clone()).or_default();
        if *k < cap {
            *k += 1;
            kept.push(e);
        }
    }
    // Languages with fewer examples weigh up to 4 times more each.
    for e in &mut kept {
        #[allow(clippy::cast_precision_loss)]
        let n = counts[&e.code] as f32;
        #[allow(clippy::cast_precision_loss)]
        let k = (cap as f32 / n).sqrt().min(4.0);
        e.weight *= k;
    }
    kept
}
