//! Metrics and dataset conventions for the quality report (`chorus text eval`): per-class
//! precision/recall, macro-averaged recall, VADER's usual ±0.05 compound thresholds, the
//! language names used by the IRA tweet corpus, a strict CSV line parser, and the report's
//! Markdown tables. Pure: callers read the files.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::{LangGuess, LangScratch, LanguageIdentifier, Scratch, SentimentAnalyzer};

/// VADER's 3-way label from `compound` with the usual thresholds: ≥ 0.05 positive,
/// ≤ −0.05 negative, otherwise neutral. Uses the TweetEval label ids: 0 negative, 1 neutral,
/// 2 positive.
pub fn vader_label(compound: f64) -> u8 {
    if compound >= 0.05 {
        2
    } else if compound <= -0.05 {
        0
    } else {
        1
    }
}

/// Counts for one class.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClassStats {
    /// Items whose gold label is this class.
    pub support: usize,
    /// Items predicted as this class.
    pub predicted: usize,
    /// Items both.
    pub correct: usize,
}

impl ClassStats {
    /// correct / predicted, `None` when nothing was predicted as this class.
    pub fn precision(&self) -> Option<f64> {
        ratio(self.correct, self.predicted)
    }

    /// correct / support, `None` when the class never occurs.
    pub fn recall(&self) -> Option<f64> {
        ratio(self.correct, self.support)
    }
}

#[allow(clippy::cast_precision_loss)]
fn ratio(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// Per-class counts from `(gold, predicted)` pairs.
pub fn per_class<L: Ord + Clone>(
    pairs: impl IntoIterator<Item = (L, L)>,
) -> BTreeMap<L, ClassStats> {
    let mut out: BTreeMap<L, ClassStats> = BTreeMap::new();
    for (gold, pred) in pairs {
        if gold == pred {
            out.entry(gold.clone()).or_default().correct += 1;
        }
        out.entry(gold).or_default().support += 1;
        out.entry(pred).or_default().predicted += 1;
    }
    out
}

/// Unweighted mean of the recall of `classes` (classes absent from `stats` count as 0 recall).
pub fn macro_recall<L: Ord>(stats: &BTreeMap<L, ClassStats>, classes: &[L]) -> f64 {
    if classes.is_empty() {
        return 0.0;
    }
    let sum: f64 = classes
        .iter()
        .map(|c| stats.get(c).and_then(ClassStats::recall).unwrap_or(0.0))
        .sum();
    #[allow(clippy::cast_precision_loss)]
    let n = classes.len() as f64;
    sum / n
}

/// Unweighted mean of the F1 of `classes` (a class never predicted and never gold counts as 0).
pub fn macro_f1<L: Ord>(stats: &BTreeMap<L, ClassStats>, classes: &[L]) -> f64 {
    if classes.is_empty() {
        return 0.0;
    }
    let sum: f64 = classes
        .iter()
        .map(|c| {
            let Some(s) = stats.get(c) else { return 0.0 };
            let denom = s.support + s.predicted;
            if denom == 0 {
                0.0
            } else {
                2.0 * s.correct as f64 / denom as f64
            }
        })
        .sum();
    sum / classes.len() as f64
}

/// Published TweetEval sentiment results (macro-averaged recall on the test set, %), as listed
/// in `shared/data/README.md` section 1 with its sources.
pub const TWEETEVAL_SENTIMENT_BASELINES: &[(&str, f64)] = &[
    ("SVM", 62.9),
    ("FastText", 62.9),
    ("BLSTM", 58.3),
    ("RoBERTa-base (RoB-Bs)", 71.3),
    ("RoBERTa re-trained on Twitter (RoB-RT), corrected", 72.8),
    ("RoBERTa trained on Twitter (RoB-Tw)", 69.1),
    ("BERTweet (leaderboard)", 73.4),
    ("TimeLMs-2021 (leaderboard)", 73.7),
    (
        "VADER 3.3.2 (reference implementation, from reference_scores.jsonl)",
        57.0,
    ),
];

/// ISO 639-1 code for a language name of the IRA corpus (`language` column, Salesforce Social
/// Studio names); `None` for "LANGUAGE UNDEFINED" and names without a code.
#[rustfmt::skip]
pub fn ira_language_code(name: &str) -> Option<&'static str> {
    Some(match name {
        "English" => "en", "Russian" => "ru", "German" => "de", "Italian" => "it",
        "Spanish" => "es", "Uzbek" => "uz", "Serbian" => "sr", "Bulgarian" => "bg",
        "Macedonian" => "mk", "Arabic" => "ar", "French" => "fr", "Ukrainian" => "uk",
        "Norwegian" => "nb", "Romanian" => "ro", "Dutch" => "nl", "Vietnamese" => "vi",
        "Farsi (Persian)" => "fa", "Swedish" => "sv", "Estonian" => "et", "Catalan" => "ca",
        "Croatian" => "hr", "Albanian" => "sq", "Portuguese" => "pt", "Pushto" => "ps",
        "Turkish" => "tr", "Japanese" => "ja", "Finnish" => "fi", "Icelandic" => "is",
        "Lithuanian" => "lt", "Polish" => "pl", "Tagalog (Filipino)" => "tl", "Latvian" => "lv",
        "Somali" => "so", "Kurdish" => "ku", "Czech" => "cs", "Slovak" => "sk", "Malay" => "ms",
        "Hungarian" => "hu", "Indonesian" => "id", "Danish" => "da", "Hebrew" => "he",
        "Slovenian" => "sl", "Urdu" => "ur", "Hindi" => "hi", "Korean" => "ko", "Greek" => "el",
        "Thai" => "th", "Simplified Chinese" | "Traditional Chinese" => "zh", "Gujarati" => "gu",
        "Bengali" => "bn",
        _ => return None,
    })
}

/// Error of [`parse_csv_line`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    #[error("unterminated quoted field")]
    Unterminated,
    #[error("unexpected character after a closing quote at byte {0}")]
    AfterQuote(usize),
}

/// Splits one RFC 4180 CSV record (no embedded newlines) into fields.
pub fn parse_csv_line(line: &str) -> Result<Vec<String>, CsvError> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.char_indices().peekable();
    loop {
        // At the start of a field.
        if chars.peek().map(|&(_, c)| c) == Some('"') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err(CsvError::Unterminated),
                    Some((_, '"')) => {
                        if chars.peek().map(|&(_, c)| c) == Some('"') {
                            chars.next();
                            field.push('"');
                        } else {
                            break;
                        }
                    }
                    Some((_, c)) => field.push(c),
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some((_, ',')) => fields.push(std::mem::take(&mut field)),
                Some((i, _)) => return Err(CsvError::AfterQuote(i)),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field);
                        return Ok(fields);
                    }
                    Some((_, ',')) => {
                        fields.push(std::mem::take(&mut field));
                        break;
                    }
                    Some((_, c)) => field.push(c),
                }
            }
        }
    }
}

fn pct(x: Option<f64>) -> String {
    x.map_or("–".to_owned(), |v| format!("{:.1}", 100.0 * v))
}

/// VADER on a labelled sentiment set (labels 0 negative, 1 neutral, 2 positive): per-class
/// table, macro-averaged recall and accuracy next to [`TWEETEVAL_SENTIMENT_BASELINES`], as
/// Markdown. Returns the text and the macro recall.
pub fn sentiment_report(
    analyzer: &SentimentAnalyzer,
    texts: &[String],
    labels: &[u8],
) -> (String, f64) {
    let mut scratch = Scratch::new();
    let pairs: Vec<(u8, u8)> = texts
        .iter()
        .zip(labels)
        .map(|(t, &gold)| {
            (
                gold,
                vader_label(analyzer.polarity_scores_with(t, &mut scratch).compound),
            )
        })
        .collect();
    let stats = per_class(pairs.iter().copied());
    let recall = macro_recall(&stats, &[0, 1, 2]);
    let correct: usize = stats.values().map(|s| s.correct).sum();
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Labels from `compound`: ≥ 0.05 positive, ≤ −0.05 negative, otherwise neutral.\n"
    );
    let _ = writeln!(
        o,
        "| class | tweets | precision % | recall % |\n|---|---:|---:|---:|"
    );
    for (k, name) in ["negative", "neutral", "positive"].iter().enumerate() {
        let s = stats.get(&(k as u8)).cloned().unwrap_or_default();
        let _ = writeln!(
            o,
            "| {name} | {} | {} | {} |",
            s.support,
            pct(s.precision()),
            pct(s.recall())
        );
    }
    let _ = writeln!(
        o,
        "\nChorus VADER: macro-averaged recall **{:.1}**, accuracy {:.1}.\n",
        100.0 * recall,
        100.0 * correct as f64 / pairs.len().max(1) as f64
    );
    let _ = writeln!(
        o,
        "| model (TweetEval sentiment test, macro recall %) | score |\n|---|---:|"
    );
    let _ = writeln!(
        o,
        "| **Chorus VADER (this build)** | **{:.1}** |",
        100.0 * recall
    );
    for (name, score) in TWEETEVAL_SENTIMENT_BASELINES {
        let _ = writeln!(o, "| {name} | {score:.1} |");
    }
    (o, recall)
}

/// Language identification on `(gold code, text)` rows: per-language precision, recall and
/// share answered `und`, for gold languages with at least `min_support` texts, then totals; as
/// Markdown.
pub fn lang_report(id: &LanguageIdentifier, rows: &[(&str, String)], min_support: usize) -> String {
    let mut scratch = LangScratch::new();
    let mut pairs = Vec::with_capacity(rows.len());
    let mut unknown: BTreeMap<&str, usize> = BTreeMap::new();
    for (gold, text) in rows {
        let guess = id.identify_with(text, &mut scratch);
        if matches!(guess, LangGuess::Unknown(_)) {
            *unknown.entry(gold).or_default() += 1;
        }
        pairs.push((*gold, guess.code()));
    }
    let stats = per_class(pairs.iter().copied());
    let mut golds: Vec<(&str, &ClassStats)> = stats
        .iter()
        .filter(|(_, s)| s.support > 0)
        .map(|(k, s)| (*k, s))
        .collect();
    golds.sort_by(|a, b| b.1.support.cmp(&a.1.support).then(a.0.cmp(b.0)));
    let mut o = String::new();
    let _ = writeln!(
        o,
        "| lang | texts | precision % | recall % | und % |\n|---|---:|---:|---:|---:|"
    );
    for (lang, s) in golds.iter().filter(|(_, s)| s.support >= min_support) {
        let und = unknown.get(lang).copied().unwrap_or(0) as f64 / s.support as f64;
        let _ = writeln!(
            o,
            "| {lang} | {} | {} | {} | {:.1} |",
            s.support,
            pct(s.precision()),
            pct(s.recall()),
            100.0 * und
        );
    }
    let total = rows.len().max(1) as f64;
    let correct: usize = stats.values().map(|s| s.correct).sum();
    let und: usize = unknown.values().sum();
    let _ = writeln!(
        o,
        "\nAll {} texts: accuracy {:.1} %, `und` {:.1} %, accuracy where a language was given {:.1} %.",
        rows.len(),
        100.0 * correct as f64 / total,
        100.0 * und as f64 / total,
        100.0 * correct as f64 / (rows.len() - und).max(1) as f64
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds() {
        assert_eq!(vader_label(0.05), 2);
        assert_eq!(vader_label(0.0499), 1);
        assert_eq!(vader_label(-0.05), 0);
        assert_eq!(vader_label(-0.0), 1);
    }

    #[test]
    fn precision_recall_and_macro_recall() {
        let pairs = [(0, 0), (0, 1), (1, 1), (1, 1), (2, 1), (2, 2)];
        let stats = per_class(pairs);
        assert_eq!(
            stats[&1],
            ClassStats {
                support: 2,
                predicted: 4,
                correct: 2
            }
        );
        assert_eq!(stats[&1].precision(), Some(0.5));
        assert_eq!(stats[&0].recall(), Some(0.5));
        let m = macro_recall(&stats, &[0, 1, 2]);
        assert!((m - (0.5 + 1.0 + 0.5) / 3.0).abs() < 1e-12);
        assert_eq!(macro_recall(&stats, &[0, 7]), 0.25);
    }

    #[test]
    fn csv() {
        assert_eq!(parse_csv_line("a,b,,c").unwrap(), ["a", "b", "", "c"]);
        assert_eq!(
            parse_csv_line(r#"1,"x, ""y""",z"#).unwrap(),
            ["1", r#"x, "y""#, "z"]
        );
        assert_eq!(parse_csv_line(r#""a""#).unwrap(), ["a"]);
        assert_eq!(parse_csv_line("a,").unwrap(), ["a", ""]);
        assert_eq!(parse_csv_line(r#""a"#), Err(CsvError::Unterminated));
        assert_eq!(parse_csv_line(r#""a"b"#), Err(CsvError::AfterQuote(3)));
    }

    #[test]
    fn ira_names() {
        assert_eq!(ira_language_code("Farsi (Persian)"), Some("fa"));
        assert_eq!(ira_language_code("LANGUAGE UNDEFINED"), None);
    }
}
