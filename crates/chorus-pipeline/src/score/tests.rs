//! The scorer's rules: which language a post is filed under in each mode, what is kept of
//! both, and the sentiment in each mode.

use std::sync::Arc;

use chorus_text::SentimentModel;

use super::*;
use crate::pipeline::{SentimentMode, TextSettings};

fn post(text: &str, declared: &[&str]) -> Incoming {
    Incoming {
        uri: "u".into(),
        network: "import".into(),
        author: "a".into(),
        author_handle: None,
        text: text.into(),
        declared_langs: declared.iter().map(|s| (*s).to_owned()).collect(),
        country: None,
        domains: vec![],
        posted_at_ms: 0,
        reply_parent: None,
        reply_root: None,
        quote_of: None,
        cid: None,
        link: None,
    }
}

fn analyzers(sentiment: SentimentMode, filter_language: FilterLanguage) -> Arc<Analyzers> {
    Analyzers::with_settings(TextSettings {
        sentiment,
        filter_language,
    })
    .unwrap()
}

#[test]
fn filed_under_the_detected_language_else_the_source_label() {
    let a = analyzers(SentimentMode::Model, FilterLanguage::Detected);
    let mut scorer = Scorer::new(&a);
    // (text, declared, filed under, detected, source)
    let cases = [
        // A wrong label from the source loses to the detector, and is kept.
        (
            "The battery of this phone is great and I love it",
            &["es"][..],
            "en",
            "en",
            Some("es"),
        ),
        (
            "My Samsung Galaxy battery is amazing",
            &[][..],
            "en",
            "en",
            None,
        ),
        (
            "Tämä puhelin on aivan loistava, akku kestää pitkään",
            &["en"][..],
            "fi",
            "fi",
            Some("en"),
        ),
        // The detector cannot tell: the source's label, when there is one.
        ("ok", &["de"][..], "de", "und", Some("de")),
        ("ok", &[][..], "und", "und", None),
        ("🎉🎉 #launch", &[][..], "und", "und", None),
    ];
    for (text, declared, filed, detected, source) in cases {
        let s = scorer.score(post(text, declared));
        assert_eq!(s.lang, filed, "{text}");
        assert_eq!(s.labels.detected_lang.as_deref(), Some(detected), "{text}");
        assert_eq!(s.labels.source_lang.as_deref(), source, "{text}");
        let c = s.labels.lang_confidence.unwrap();
        assert!((detected == "und") == (c == 0.0), "{text}: confidence {c}");
    }
}

#[test]
fn source_mode_files_under_the_source_label_and_keeps_the_detected_one() {
    let a = analyzers(SentimentMode::Model, FilterLanguage::Source);
    let mut scorer = Scorer::new(&a);
    let s = scorer.score(post(
        "The battery of this phone is great and I love it",
        &["es"],
    ));
    assert_eq!(s.lang, "es");
    assert_eq!(s.labels.detected_lang.as_deref(), Some("en"));
    assert_eq!(s.labels.disagreeing_source(), Some("es"));
    let none = scorer.score(post("The battery of this phone is great", &[]));
    assert_eq!(none.lang, "en", "no label: the detected language");
}

#[test]
fn model_sentiment_is_banded_as_the_model_labelled_it() {
    let a = analyzers(SentimentMode::Model, FilterLanguage::Detected);
    let model = SentimentModel::default_model().unwrap();
    let mut scorer = Scorer::new(&a);
    for text in [
        "I love it, it is great!",
        "This is terrible, I hate it.",
        "please fix this, I rely on these earbuds",
        "Me encanta este teléfono, la batería dura muchísimo",
        "El servicio fue horrible y nadie me ayudó",
        "The store opens at nine tomorrow.",
    ] {
        let s = scorer.score(post(text, &[]));
        let m = model.predict(text);
        assert_eq!(Band::of(s.sentiment).as_str(), m.label.as_str(), "{text}");
        assert_eq!(
            s.labels.sentiment_confidence,
            Some(f64::from(m.confidence()))
        );
    }
    let good = scorer.score(post("I love it, it is great!", &[]));
    let bad = scorer.score(post("This is terrible, I hate it.", &[]));
    assert!(good.sentiment > 0.3 && bad.sentiment < -0.3);
}

#[test]
fn vader_mode_is_vader_compound_without_confidence() {
    let a = analyzers(SentimentMode::Vader, FilterLanguage::Detected);
    assert!(a.model.is_none());
    let mut scorer = Scorer::new(&a);
    let text = "please fix this, I rely on these earbuds";
    let s = scorer.score(post(text, &[]));
    assert_eq!(s.sentiment, a.vader.polarity_scores(text).compound);
    assert_eq!(s.labels.sentiment_confidence, None);
}

#[test]
fn banded_score_moves_the_score_into_its_label_band() {
    let s = |label, probs| Sentiment { label, probs };
    // (answer, stored score)
    let cases = [
        (s(Label::Positive, [0.1, 0.2, 0.7]), 0.6),
        (s(Label::Positive, [0.33, 0.32, 0.35]), 0.05),
        (s(Label::Negative, [0.8, 0.1, 0.1]), -0.7),
        (s(Label::Negative, [0.36, 0.33, 0.31]), -0.05),
        (s(Label::Neutral, [0.05, 0.5, 0.45]), 0.05 - 1e-6),
        (s(Label::Neutral, [0.45, 0.5, 0.05]), -0.05 + 1e-6),
        (s(Label::Neutral, [0.2, 0.6, 0.2]), 0.0),
    ];
    for (answer, want) in cases {
        let got = banded_score(&answer);
        assert!((got - want).abs() < 1e-6, "{answer:?}: {got} (want {want})");
        assert_eq!(Band::of(got).as_str(), answer.label.as_str(), "{answer:?}");
    }
}
