//! Table-driven checks of the rule branches, against values printed by vaderSentiment 3.3.2.
//! (The full 45,029-row parity test is in `tests/`.)

use super::*;

fn check(text: &str, neg: f64, neu: f64, pos: f64, compound: f64) {
    let got = SentimentAnalyzer::new().polarity_scores(text);
    assert_eq!(
        got,
        Scores {
            neg,
            neu,
            pos,
            compound
        },
        "{text:?}"
    );
}

#[test]
fn edge_cases() {
    check("", 0.0, 0.0, 0.0, 0.0);
    check("!!!", 0.0, 1.0, 0.0, 0.0);
    check("good", 0.0, 0.0, 1.0, 0.4404);
}
