//! Trains both models from the shared data and prints the quality report, at release speed
//! without building the `chorus` binary (which does the same with `chorus text train` and
//! `chorus text eval`).
//!
//! Usage: `cargo run --release -p chorus-text --example textlab -- [DATA_DIR] [--write]`
//! (`DATA_DIR` defaults to `../shared/data`; `--write` saves the models into `models/`).
//! `DEV=cv` cross-validates the sentiment model on TweetEval's validation set (English);
//! `DEV=val` / `DEV=test` train it alone and score XLM-T's validation / test sets.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::time::Instant;

use chorus_text::corpus::Corpus;
use chorus_text::lang::LangModel;
use chorus_text::training::{TrainOptions, train_models};
use chorus_text::{LangScratch, LanguageIdentifier, Rules, SentimentAnalyzer, SentimentModel};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let write = args.iter().any(|a| a == "--write");
    let data = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .cloned()
        .unwrap_or_else(|| "../shared/data".into());
    let t = Instant::now();
    let corpus = Corpus::load(&mut |p: &str| {
        let full = format!("{data}/{p}");
        if p.ends_with(".gz") {
            let o = std::process::Command::new("gzip")
                .arg("-dc")
                .arg(&full)
                .output()
                .map_err(|e| e.to_string())?;
            String::from_utf8(o.stdout).map_err(|e| e.to_string())
        } else {
            std::fs::read_to_string(&full).map_err(|e| format!("{full}: {e}"))
        }
    })?;
    eprintln!("loaded in {:.2?}", t.elapsed());
    if std::env::var("DEV").as_deref() == Ok("cv") {
        return cv(&corpus);
    }
    if let Ok(v) = std::env::var("DEV") {
        return dev(&corpus, v == "val");
    }
    let t = Instant::now();
    let trained = train_models(&corpus, &[], &TrainOptions::default());
    eprintln!(
        "trained on {} sentiment and {} language examples in {:.2?}",
        trained.sentiment_examples,
        trained.language_examples,
        t.elapsed()
    );
    if write {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/models");
        std::fs::write(format!("{dir}/sentiment.bin"), &trained.sentiment)?;
        std::fs::write(format!("{dir}/language.bin"), &trained.language)?;
        eprintln!("wrote {dir}/sentiment.bin and language.bin");
    }
    let model = SentimentModel::from_bytes(&trained.sentiment)?;
    let new = LanguageIdentifier::with_model(
        Rules::default(),
        Some(LangModel::from_bytes(&trained.language)?),
    );
    let old = LanguageIdentifier::with_model(Rules::default(), None);
    let rows = chorus_text::report::lang_rows(&corpus);
    let predict = |id: &LanguageIdentifier| {
        let mut s = LangScratch::new();
        rows.iter()
            .map(|r| id.identify_with(r.text, &mut s).code())
            .collect::<Vec<_>>()
    };
    let tools = [
        ("Chorus (trained model)", predict(&new)),
        ("Chorus trigram profiles (before)", predict(&old)),
    ];
    let (report, figures) =
        chorus_text::report::full(&corpus, &model, &SentimentAnalyzer::new(), &tools);
    println!("{report}\n{figures:?}");
    Ok(())
}

/// Choosing settings: trains the sentiment model (`EPOCHS`, `LR`, `NEU`: an offset added to the
/// neutral log-probability, from the environment); `DEV=val` trains without XLM-T's validation
/// sets and scores on them, `DEV=test` scores on the test sets.
fn dev(corpus: &Corpus, val: bool) -> Result<(), Box<dyn std::error::Error>> {
    use chorus_text::eval::{macro_f1, macro_recall, per_class};
    use chorus_text::model::train::{TrainConfig, train};
    let env = |k: &str, d: f32| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let mut cfg = TrainConfig::default();
    cfg.epochs = env("EPOCHS", cfg.epochs as f32) as u32;
    cfg.learning_rate = env("LR", cfg.learning_rate);
    let examples = corpus.sentiment_examples_except(&[], val);
    let bytes = train(&examples, &cfg);
    let model = SentimentModel::from_bytes(&bytes)?;
    let offs = [0.0, env("NEU", 0.0), 0.0];
    let mut s = chorus_text::ModelScratch::new();
    let mut predict = |t: &str| {
        let p = model.predict_with(t, &mut s).probs;
        let z: Vec<f32> = p.iter().zip(offs).map(|(p, o)| p.ln() + o).collect();
        (0..3).max_by(|&a, &b| z[a].total_cmp(&z[b])).unwrap_or(1) as u8
    };
    let mut f1s = Vec::new();
    for x in &corpus.xlmt {
        let sp = if val { &x.val } else { &x.test };
        let st = per_class(
            sp.texts
                .iter()
                .zip(&sp.labels)
                .map(|(t, &l)| (l, predict(t))),
        );
        f1s.push(macro_f1(&st, &[0, 1, 2]));
    }
    let te = if val {
        &corpus.xlmt[1].val
    } else {
        &corpus.tweeteval_test
    };
    let st = per_class(
        te.texts
            .iter()
            .zip(&te.labels)
            .map(|(t, &l)| (l, predict(t))),
    );
    println!(
        "{} F1 avg {:.1} [{}]  English macro recall {:.1}",
        if val { "val" } else { "test" },
        100.0 * f1s.iter().sum::<f64>() / 8.0,
        f1s.iter()
            .map(|f| format!("{:.1}", 100.0 * f))
            .collect::<Vec<_>>()
            .join(" "),
        100.0 * macro_recall(&st, &[0, 1, 2])
    );
    Ok(())
}

/// 5-fold cross-validation on TweetEval's validation set (English, 2,000 tweets): macro recall
/// of each fold's held-out tweets, trained without them.
fn cv(corpus: &Corpus) -> Result<(), Box<dyn std::error::Error>> {
    use chorus_text::eval::{macro_recall, per_class};
    use chorus_text::model::train::{TrainConfig, train};
    let cfg = TrainConfig::default();
    let val = &corpus.tweeteval_val;
    let mut pairs = Vec::new();
    for k in 0..5u64 {
        let fold: Vec<usize> = (0..val.texts.len())
            .filter(|i| (*i as u64) % 5 == k)
            .collect();
        let held: Vec<&str> = fold.iter().map(|&i| val.texts[i].trim()).collect();
        let examples = corpus.sentiment_examples_without(&[], &held);
        let model = SentimentModel::from_bytes(&train(&examples, &cfg))?;
        let mut s = chorus_text::ModelScratch::new();
        for &i in &fold {
            pairs.push((
                val.labels[i],
                model.predict_with(&val.texts[i], &mut s).label as u8,
            ));
        }
    }
    println!(
        "TweetEval val 5-fold macro recall {:.1}",
        100.0 * macro_recall(&per_class(pairs), &[0, 1, 2])
    );
    Ok(())
}
