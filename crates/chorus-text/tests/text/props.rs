use std::sync::LazyLock;

use chorus_text::{LangGuess, LanguageIdentifier, Scores, Scratch, SentimentAnalyzer};
use proptest::prelude::*;

static ANALYZER: LazyLock<SentimentAnalyzer> = LazyLock::new(SentimentAnalyzer::new);
static LANG: LazyLock<LanguageIdentifier> = LazyLock::new(LanguageIdentifier::new);

/// Words that trigger VADER's rules, in several cases and with punctuation, so that random
/// sentences walk through negation, boosters, "but", "least", idioms, caps and emphasis.
const VOCAB: &[&str] = &[
    "good",
    "GOOD",
    "bad",
    "BAD",
    "great",
    "horrible",
    "not",
    "NOT",
    "isn't",
    "no",
    "No",
    "never",
    "so",
    "this",
    "without",
    "doubt",
    "very",
    "VERY",
    "kind",
    "of",
    "sort",
    "least",
    "at",
    "but",
    "BUT",
    "the",
    "shit",
    "bomb",
    "bad",
    "ass",
    "yeah",
    "right",
    "kiss",
    "death",
    "to",
    "die",
    "for",
    "beating",
    "heart",
    "or",
    "nor",
    "extremely",
    "barely",
    "love",
    "hate",
    ":)",
    ":(",
    "lol",
    "!",
    "?",
    "!!",
    "???",
    "😁",
    "💘",
    "❤️",
    "👍🏽",
    "İ",
    "Σ",
    "\u{a0}",
    "\t",
    "good,",
    "'bad'",
    "(:",
    "just",
    "enough",
    "kinda",
    "sux",
];

fn sentence() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(VOCAB), 0..30).prop_map(|w| w.join(" "))
}

fn check_ranges(s: Scores) -> Result<(), TestCaseError> {
    for v in [s.neg, s.neu, s.pos] {
        prop_assert!((0.0..=1.0).contains(&v), "{s:?}");
    }
    prop_assert!((-1.0..=1.0).contains(&s.compound), "{s:?}");
    let sum = s.neg + s.neu + s.pos;
    prop_assert!(sum == 0.0 || (sum - 1.0).abs() <= 0.0021, "{s:?}");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn any_string_scores_in_range(text in any::<String>()) {
        let analyzer = &*ANALYZER;
        check_ranges(analyzer.polarity_scores(&text))?;
    }

    #[test]
    fn rule_heavy_sentences_score_in_range(text in sentence()) {
        check_ranges(ANALYZER.polarity_scores(&text))?;
    }

    /// Reusing a scratch never leaks state from one text into the next.
    #[test]
    fn scratch_reuse_is_invisible(a in sentence(), b in sentence()) {
        let analyzer = &*ANALYZER;
        let mut scratch = Scratch::new();
        analyzer.polarity_scores_with(&a, &mut scratch);
        prop_assert_eq!(analyzer.polarity_scores_with(&b, &mut scratch), analyzer.polarity_scores(&b));
    }

    /// Python's split() makes any run of whitespace a separator: swapping one run for another
    /// (including \x1c and NBSP, which Rust's own whitespace test disagrees on) changes nothing.
    #[test]
    fn whitespace_runs_are_interchangeable(
        words in prop::collection::vec(prop::sample::select(VOCAB), 1..20),
        seps in prop::collection::vec(prop::sample::select(&[" ", "  ", "\t", "\n", "\u{1c}", "\u{a0}", "\u{2003} ", "\u{3000}"][..]), 20),
    ) {
        let analyzer = &*ANALYZER;
        let plain = words.join(" ");
        let mut odd = String::new();
        for (k, w) in words.iter().enumerate() {
            if k > 0 {
                odd.push_str(seps[k]);
            }
            odd.push_str(w);
        }
        prop_assert_eq!(analyzer.polarity_scores(&plain), analyzer.polarity_scores(&odd));
    }

    #[test]
    fn language_of_any_string_is_defined(text in any::<String>()) {
        let guess = LANG.identify(&text);
        prop_assert!((0.0..=1.0).contains(&guess.confidence()));
        match guess {
            LangGuess::Known { code, .. } => prop_assert!(code.len() == 2 || code.len() == 3),
            LangGuess::Unknown(_) => prop_assert_eq!(guess.code(), "und"),
        }
    }
}

#[test]
fn huge_and_hostile_inputs_are_handled() {
    let analyzer = &*ANALYZER;
    // 1 MB with a "but": the "but" walk must stay fast (indexed, not quadratic). After the
    // first "but" every value is scaled by 1.5 once, so "bad" (-2.5) outweighs "good" (1.9).
    let long = "good but bad ".repeat(80_000);
    let s = analyzer.polarity_scores(&long);
    assert!(s.compound < -0.99, "{s:?}");
    // 1 MB of one emoji scores like its description written out.
    let emoji = "😁".repeat(250_000);
    let words = "beaming face with smiling eyes ".repeat(250_000);
    assert_eq!(
        analyzer.polarity_scores(&emoji),
        analyzer.polarity_scores(&words)
    );
    let control: String = (0u8..32).map(char::from).collect::<String>() + " good \u{0}\u{7f}";
    assert_eq!(analyzer.polarity_scores(&control).compound, 0.4404);
    let id = &*LANG;
    assert_eq!(
        id.identify(&"the cat sat on the mat ".repeat(50_000))
            .code(),
        "en"
    );
    assert_eq!(id.identify(&control).code(), "und");
}
