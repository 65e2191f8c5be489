//! Criterion benchmarks: VADER sentiment and language identification over the 12,284 TweetEval
//! test tweets from `shared/data` (skipped with a message when the data is absent).
//! The side-by-side comparison with Python is `bench/text/run.sh`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::hint::black_box;
use std::path::PathBuf;

use chorus_text::{LangScratch, LanguageIdentifier, Scratch, SentimentAnalyzer};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn tweets() -> Option<Vec<String>> {
    let dir = match std::env::var_os("CHORUS_SHARED_DIR") {
        Some(d) => PathBuf::from(d).join("data"),
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")),
    };
    let path = dir.join("tweeteval/datasets/sentiment/test_text.txt");
    match std::fs::read_to_string(&path) {
        Ok(s) => Some(
            s.split('\n')
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
        ),
        Err(e) => {
            eprintln!("skipping benches: {}: {e}", path.display());
            None
        }
    }
}

fn sentiment(c: &mut Criterion) {
    let Some(texts) = tweets() else { return };
    let analyzer = SentimentAnalyzer::new();
    let mut scratch = Scratch::new();
    let mut g = c.benchmark_group("sentiment");
    g.throughput(Throughput::Elements(texts.len() as u64));
    g.bench_function("tweeteval_test", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(analyzer.polarity_scores_with(black_box(t), &mut scratch));
            }
        });
    });
    g.finish();
    c.bench_function("analyzer_new", |b| b.iter(SentimentAnalyzer::new));
}

fn language(c: &mut Criterion) {
    let Some(texts) = tweets() else { return };
    let id = LanguageIdentifier::new();
    let mut scratch = LangScratch::new();
    let mut g = c.benchmark_group("language");
    g.throughput(Throughput::Elements(texts.len() as u64));
    g.bench_function("tweeteval_test", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(id.identify_with(black_box(t), &mut scratch));
            }
        });
    });
    g.finish();
    c.bench_function("language_identifier_new", |b| {
        b.iter(LanguageIdentifier::new)
    });
}

criterion_group!(benches, sentiment, language);
criterion_main!(benches);
