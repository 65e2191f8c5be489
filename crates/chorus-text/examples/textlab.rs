//! Trains both models from the shared data and prints the quality report, at release speed
//! without building the `chorus` binary (which does the same with `chorus text train` and
//! `chorus text eval`).
//!
//! Usage: `cargo run --release -p chorus-text --example textlab -- [DATA_DIR] [--write]`
//! (`DATA_DIR` defaults to `../shared/data`; `--write` saves the models into `models/`).
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
