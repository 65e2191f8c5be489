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

/// The emoji pass of 3.3.2, character by character: each emoji key becomes its description,
/// preceded by a space unless the previous character was a plain space.
fn replace_emojis_plain(analyzer: &SentimentAnalyzer, text: &str) -> String {
    let mut out = String::new();
    let mut prev_space = true;
    for c in text.chars() {
        if let Some(desc) = analyzer.lex.emoji(c) {
            if !prev_space {
                out.push(' ');
            }
            out.push_str(desc);
            prev_space = false;
        } else {
            out.push(c);
            prev_space = c == ' ';
        }
    }
    out
}

#[test]
fn emoji_pass_equals_plain_pass() {
    let analyzer = SentimentAnalyzer::new();
    let pieces = [
        "😀",
        "👍",
        "❤",
        "©",
        "™",
        "ü",
        "\u{2019}",
        "\u{a0}",
        "क",
        " ",
        "  ",
        "a",
        "good",
        "x ",
        "\u{1F600}\u{1F3FD}",
        "\u{3000}",
        "\u{2028}",
    ];
    let mut seed = 5u64;
    let mut buf = String::new();
    let mut replaced = 0;
    for _ in 0..20_000 {
        let mut text = String::new();
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        for _ in 0..((seed >> 40) % 9) {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            text.push_str(pieces[(seed >> 33) as usize % pieces.len()]);
        }
        let fast = analyzer.replace_emojis(&text, &mut buf).to_owned();
        replaced += usize::from(fast != text);
        assert_eq!(fast, replace_emojis_plain(&analyzer, &text), "{text:?}");
    }
    assert!(replaced > 5_000, "{replaced}");
}
