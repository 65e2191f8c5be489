//! Training of the sentiment model: multinomial logistic regression fitted by averaged
//! stochastic gradient descent (the average of the weights over every step, which regularizes
//! as well as an L2 penalty here and needs no tuning), examples weighted, visited in an order
//! shuffled by a seeded SplitMix64.
//!
//! Deterministic: the same examples in the same order with the same [`TrainConfig`] give the
//! same weights, bit for bit (single thread, a fixed order of floating-point operations, no
//! seeded hashers), so the same model bytes.

use super::{Label, ModelScratch, N_DENSE, Shape, dense_buckets, encode, extract, softmax};
use crate::SentimentAnalyzer;

/// One labelled text.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub text: String,
    pub label: Label,
    /// How much the example counts (1 = an ordinary example).
    pub weight: f32,
}

/// Training settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainConfig {
    pub shape: Shape,
    pub epochs: u32,
    pub learning_rate: f32,
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            shape: Shape::default(),
            epochs: 12,
            learning_rate: 0.2,
            seed: 20_261_207,
        }
    }
}

/// SplitMix64: a tiny, fully specified generator (the order of examples must not depend on a
/// crate's version).
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        crate::features::finish(self.0)
    }

    /// Uniform in `0..n` (n > 0), by rejection.
    pub fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let x = self.next_u64();
            if x < zone {
                return x % n;
            }
        }
    }

    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            #[allow(clippy::cast_possible_truncation)]
            let j = self.below(i as u64 + 1) as usize;
            v.swap(i, j);
        }
    }
}

/// An example's features, computed once.
struct Prepared {
    start: usize,
    end: usize,
    scale: f32,
    dense: [f32; N_DENSE],
    label: usize,
    weight: f32,
}

/// Fits a model to `examples`; returns the model file (see [`SentimentModel::from_bytes`]).
pub fn train(examples: &[Example], config: &TrainConfig) -> Vec<u8> {
    let shape = config.shape;
    let dim = 1usize << shape.dim_log2;
    let dense_b = dense_buckets(shape.dim_log2);
    let vader = SentimentAnalyzer::new();
    let mut scratch = ModelScratch::new();
    let mut all_buckets: Vec<u32> = Vec::new();
    let mut prepared = Vec::with_capacity(examples.len());
    for e in examples {
        let v = vader.polarity_scores_with(&e.text, &mut scratch.vader);
        let (buckets, scale, dense) = extract(shape, &dense_b, &e.text, &v, &mut scratch);
        let start = all_buckets.len();
        all_buckets.extend_from_slice(buckets);
        prepared.push(Prepared {
            start,
            end: all_buckets.len(),
            scale,
            dense,
            label: e.label as usize,
            weight: e.weight,
        });
    }

    let mut w = vec![0f32; 3 * dim];
    let mut u = vec![0f32; 3 * dim];
    let mut bias = [0f32; 3];
    let mut ubias = [0f32; 3];
    let mut order: Vec<usize> = (0..prepared.len()).collect();
    let mut rng = SplitMix64::new(config.seed);
    let mut t: f32 = 0.0;
    for _ in 0..config.epochs {
        rng.shuffle(&mut order);
        for &i in &order {
            let p = &prepared[i];
            let buckets = &all_buckets[p.start..p.end];
            let mut z = bias;
            for &b in buckets {
                let b = 3 * b as usize;
                for c in 0..3 {
                    z[c] += w[b + c] * p.scale;
                }
            }
            for (k, &b) in dense_b.iter().enumerate() {
                for c in 0..3 {
                    z[c] += w[3 * b + c] * p.dense[k];
                }
            }
            let probs = softmax(z);
            let mut g = [0f32; 3];
            for c in 0..3 {
                let y = if c == p.label { 1.0 } else { 0.0 };
                g[c] = -config.learning_rate * p.weight * (probs[c] - y);
            }
            // w += Δ, u += t·Δ (t = steps before this one): the average is w − u / T.
            for &b in buckets {
                let b = 3 * b as usize;
                for c in 0..3 {
                    let d = g[c] * p.scale;
                    w[b + c] += d;
                    u[b + c] += t * d;
                }
            }
            for (k, &b) in dense_b.iter().enumerate() {
                for c in 0..3 {
                    let d = g[c] * p.dense[k];
                    w[3 * b + c] += d;
                    u[3 * b + c] += t * d;
                }
            }
            for c in 0..3 {
                bias[c] += g[c];
                ubias[c] += t * g[c];
            }
            t += 1.0;
        }
    }
    let total = t.max(1.0);
    for (wi, ui) in w.iter_mut().zip(&u) {
        *wi -= ui / total;
    }
    for c in 0..3 {
        bias[c] -= ubias[c] / total;
    }
    encode(shape, bias, &w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SentimentModel;

    fn ex(text: &str, label: Label) -> Example {
        Example {
            text: text.into(),
            label,
            weight: 1.0,
        }
    }

    fn toy() -> Vec<Example> {
        let mut v = Vec::new();
        for _ in 0..20 {
            v.push(ex("me encanta, es genial", Label::Positive));
            v.push(ex("odio esto, es horrible", Label::Negative));
            v.push(ex("el tren sale a las diez", Label::Neutral));
        }
        v
    }

    fn small() -> TrainConfig {
        TrainConfig {
            shape: Shape {
                dim_log2: 12,
                ..Shape::default()
            },
            epochs: 5,
            ..TrainConfig::default()
        }
    }

    #[test]
    fn learns_a_toy_task() {
        let m = SentimentModel::from_bytes(&train(&toy(), &small())).unwrap();
        assert_eq!(m.predict("genial, me encanta").label, Label::Positive);
        assert_eq!(m.predict("horrible, lo odio").label, Label::Negative);
        assert_eq!(m.predict("sale a las diez").label, Label::Neutral);
        let s = m.predict("genial");
        assert!((s.probs.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }

    #[test]
    fn same_data_and_seed_give_the_same_bytes() {
        let a = train(&toy(), &small());
        let b = train(&toy(), &small());
        assert_eq!(a, b);
        let c = train(&toy(), &TrainConfig { seed: 7, ..small() });
        assert_ne!(a, c, "the seed changes the visiting order, so the weights");
    }

    #[test]
    fn bytes_round_trip() {
        let b = train(&toy(), &small());
        let m = SentimentModel::from_bytes(&b).unwrap();
        let m2 = SentimentModel::from_bytes(&m.to_bytes()).unwrap();
        assert_eq!(m2.to_bytes(), b);
        assert_eq!(
            m2.predict("me encanta").label,
            m.predict("me encanta").label
        );
        assert!(SentimentModel::from_bytes(&b[..100]).is_err());
        assert!(SentimentModel::from_bytes(b"nope").is_err());
    }

    #[test]
    fn shuffle_is_a_permutation() {
        let mut v: Vec<u32> = (0..100).collect();
        SplitMix64::new(1).shuffle(&mut v);
        let mut s = v.clone();
        s.sort_unstable();
        assert_eq!(s, (0..100).collect::<Vec<_>>());
        assert_ne!(v, s);
    }
}
