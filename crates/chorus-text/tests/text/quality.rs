//! The quality targets of issue 21 as tests over the shared data (skipped with a printed reason
//! when it is absent, failing instead when `CHORUS_REQUIRE_SERVICES=1`), the reproducibility of
//! the committed models, and corrections changing the model's answer for their texts.

use chorus_text::corpus::Corpus;
use chorus_text::model::Label;
use chorus_text::training::{Correction, TrainOptions, train_models};
use chorus_text::{LangScratch, LanguageIdentifier, Rules, SentimentAnalyzer, SentimentModel};

use super::parity::shared_data;

fn corpus() -> Option<Corpus> {
    let dir = shared_data()?;
    let corpus = Corpus::load(&mut |rel: &str| {
        let path = dir.join(rel);
        if rel.ends_with(".gz") {
            let out = std::process::Command::new("gzip")
                .arg("-dc")
                .arg(&path)
                .output()
                .map_err(|e| e.to_string())?;
            String::from_utf8(out.stdout).map_err(|e| e.to_string())
        } else {
            std::fs::read_to_string(&path).map_err(|e| e.to_string())
        }
    })
    .unwrap();
    Some(corpus)
}

#[test]
fn quality_targets_hold() {
    let Some(corpus) = corpus() else { return };
    let model = SentimentModel::default_model().unwrap();
    let id = LanguageIdentifier::new();
    let rows = chorus_text::report::lang_rows(&corpus);
    let mut s = LangScratch::new();
    let answers: Vec<&str> = rows
        .iter()
        .map(|r| id.identify_with(r.text, &mut s).code())
        .collect();
    let (report, f) = chorus_text::report::full(
        &corpus,
        &model,
        &SentimentAnalyzer::new(),
        &[("Chorus", answers)],
    );
    println!("{report}\n{f:?}");
    // Issue 21's targets.
    assert!(
        f.umsab_macro_f1 >= 0.56,
        "UMSAB macro F1 {}",
        f.umsab_macro_f1
    );
    assert!(f.xlmt_correct >= 0.95, "XLM-T correct {}", f.xlmt_correct);
    assert!(f.xlmt_und <= 0.05, "XLM-T und {}", f.xlmt_und);
    assert!(
        f.ira_english_recall >= 0.95,
        "IRA English recall {}",
        f.ira_english_recall
    );
    assert!(
        f.tweeteval_macro_recall >= 0.62,
        "TweetEval macro recall {}",
        f.tweeteval_macro_recall
    );
    // Before the model: the trigram profiles alone, on the same texts.
    let old = LanguageIdentifier::with_model(Rules::default(), None);
    let en: Vec<_> = rows
        .iter()
        .filter(|r| r.set == "ira" && r.gold == "en")
        .collect();
    let old_recall = en
        .iter()
        .filter(|r| old.identify_with(r.text, &mut s).code() == "en")
        .count() as f64
        / en.len() as f64;
    assert!(old_recall < 0.7, "the comparison is with the old detector");
}

#[test]
fn committed_models_are_what_training_makes() {
    let Some(corpus) = corpus() else { return };
    let trained = train_models(&corpus, &[], &TrainOptions::default());
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/models");
    assert!(
        trained.sentiment == std::fs::read(format!("{dir}/sentiment.bin")).unwrap(),
        "models/sentiment.bin differs from what `chorus text train` makes: retrain and commit"
    );
    assert!(
        trained.language == std::fs::read(format!("{dir}/language.bin")).unwrap(),
        "models/language.bin differs from what `chorus text train` makes: retrain and commit"
    );
}

#[test]
fn corrections_change_the_answers_for_their_texts() {
    let Some(corpus) = corpus() else { return };
    let complaint = "please fix this, I rely on these earbuds";
    let before = SentimentModel::default_model().unwrap();
    assert_ne!(before.predict(complaint).label, Label::Negative, "premise");
    let corrections = vec![Correction {
        text: complaint.into(),
        language: Some("en"),
        sentiment: Some(Label::Negative),
    }];
    let opts = TrainOptions::default();
    let trained = train_models(&corpus, &corrections, &opts);
    let after = SentimentModel::from_bytes(&trained.sentiment).unwrap();
    assert_eq!(after.predict(complaint).label, Label::Negative);
    // Deterministic with corrections too (a different seed giving other bytes is a unit test of
    // `model::train`).
    assert_eq!(
        train_models(&corpus, &corrections, &opts).sentiment,
        trained.sentiment
    );
}
