//! Single-thread throughput of VADER sentiment, the trained sentiment model, language
//! identification, and language + model sentiment together, on a file of texts
//! (one per line, split on `\n`, one trailing `\r` dropped). Used by `bench/text/run.sh`, which
//! runs the Python reference on the same file in the same run.
//!
//! Usage: `cargo run --release -p chorus-text --example throughput -- FILE [PASSES] [sentiment|model|language|profiles|both]`
//! Prints two lines per task (wall clock, thread CPU time):
//! `chorus <task> (<clock>): <n> texts, texts/s over P passes: median M, best B, worst W`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

use std::hint::black_box;
use std::time::Instant;

use cpu_time::ThreadTime;

use chorus_text::{
    LangScratch, LanguageIdentifier, ModelScratch, Rules, Scratch, SentimentAnalyzer,
    SentimentModel,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: throughput FILE [PASSES]")?;
    let passes: usize = args.next().map_or(Ok(10), |p| p.parse())?;
    let only = args.next();
    let want = |task: &str| only.as_deref().is_none_or(|o| o == task);
    let raw = std::fs::read_to_string(&path)?;
    let mut texts: Vec<&str> = raw
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    if texts.last() == Some(&"") {
        texts.pop();
    }

    let t0 = Instant::now();
    let analyzer = SentimentAnalyzer::new();
    let build = t0.elapsed();
    let mut scratch = Scratch::new();
    if want("sentiment") {
        report("sentiment", texts.len(), passes, || {
            for t in &texts {
                black_box(analyzer.polarity_scores_with(black_box(t), &mut scratch));
            }
        });
        println!("chorus analyzer construction: {:.4}s", build.as_secs_f64());
    }

    let model = SentimentModel::default_model()?;
    let mut ms = ModelScratch::new();
    if want("model") {
        report("model sentiment", texts.len(), passes, || {
            for t in &texts {
                black_box(model.predict_with(black_box(t), &mut ms));
            }
        });
    }

    let id = LanguageIdentifier::new();
    let mut buf = LangScratch::new();
    if want("language") {
        report("language", texts.len(), passes, || {
            for t in &texts {
                black_box(id.identify_with(black_box(t), &mut buf));
            }
        });
    }
    let profiles = LanguageIdentifier::with_model(Rules::default(), None);
    if want("profiles") {
        report(
            "language, trigram profiles only",
            texts.len(),
            passes,
            || {
                for t in &texts {
                    black_box(profiles.identify_with(black_box(t), &mut buf));
                }
            },
        );
    }
    if want("both") {
        report("language + model sentiment", texts.len(), passes, || {
            for t in &texts {
                black_box(id.identify_with(black_box(t), &mut buf));
                black_box(model.predict_with(black_box(t), &mut ms));
            }
        });
    }
    Ok(())
}

/// Runs `run` (one pass over all texts) once to warm up, then `passes` times, and prints texts/s
/// by wall clock and by this thread's CPU time (which other processes on a busy machine do not
/// inflate), as median, best and worst.
fn report(task: &str, n: usize, passes: usize, mut run: impl FnMut()) {
    run(); // warm-up
    let (mut wall, mut cpu): (Vec<f64>, Vec<f64>) = (0..passes.max(1))
        .map(|_| {
            let (w, c) = (Instant::now(), ThreadTime::now());
            run();
            (
                n as f64 / w.elapsed().as_secs_f64(),
                n as f64 / c.elapsed().as_secs_f64(),
            )
        })
        .unzip();
    for (clock, rates) in [("wall", &mut wall), ("cpu", &mut cpu)] {
        rates.sort_by(f64::total_cmp);
        println!(
            "chorus {task} ({clock}): {n} texts, texts/s over {} passes: median {:.0}, best {:.0}, worst {:.0}",
            rates.len(),
            rates[rates.len() / 2],
            rates[rates.len() - 1],
            rates[0]
        );
    }
}
