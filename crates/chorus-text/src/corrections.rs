//! The corrections dataset: people's corrections of a text's language and sentiment, as the
//! inbox exports them and `chorus text train --with-corrections` reads them, in one place so
//! the two cannot drift. One JSON object a line:
//!
//! ```text
//! {"text":"please fix this, I rely on these earbuds","language":"en","sentiment":"negative"}
//! ```
//!
//! `language` is a code or a name [`crate::lang::parse_language`] reads, `sentiment` one of
//! `negative`, `neutral`, `positive`; either may be absent (or `null`), other keys are ignored.
//!
//! [`held_out`] splits a file deterministically (by a hash of the text, so the same text is on
//! the same side in every export and on every machine) into corrections to learn from and
//! corrections kept back to measure the adapted model on; [`report`] is that measurement's
//! table.

use std::fmt::Write as _;

use crate::lang::parse_language;
use crate::model::Label;
use crate::training::Correction;

/// Why a line of a corrections file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct LineError {
    /// 1-based.
    pub line: usize,
    pub message: String,
}

/// One line of the dataset (without its newline): keys in a fixed order, absent labels left
/// out, the text escaped as JSON.
pub fn line(text: &str, language: Option<&str>, sentiment: Option<Label>) -> String {
    let json = |v: &str| serde_json::Value::from(v).to_string();
    let mut s = format!("{{\"text\":{}", json(text));
    if let Some(l) = language {
        let _ = write!(s, ",\"language\":{}", json(l));
    }
    if let Some(l) = sentiment {
        let _ = write!(s, ",\"sentiment\":\"{}\"", l.as_str());
    }
    s.push('}');
    s
}

/// Reads a corrections file; blank lines are skipped, a bad line is refused naming it.
pub fn parse(raw: &str) -> Result<Vec<Correction>, LineError> {
    let mut out = Vec::new();
    for (k, text) in raw.lines().enumerate() {
        if text.trim().is_empty() {
            continue;
        }
        let err = |message: String| LineError {
            line: k + 1,
            message,
        };
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| err(format!("invalid JSON: {e}")))?;
        let text = v["text"]
            .as_str()
            .ok_or_else(|| err("no \"text\" string".into()))?
            .to_owned();
        let language = match &v["language"] {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) => {
                Some(parse_language(s).ok_or_else(|| err(format!("unknown language {s:?}")))?)
            }
            _ => return Err(err("\"language\" is not a string".into())),
        };
        let sentiment = match &v["sentiment"] {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) => Some(Label::parse(s).ok_or_else(|| {
                err(format!(
                    "sentiment {s:?} is not negative, neutral or positive"
                ))
            })?),
            _ => return Err(err("\"sentiment\" is not a string".into())),
        };
        out.push(Correction {
            text,
            language,
            sentiment,
        });
    }
    Ok(out)
}

/// One correction in this many is held out from training (by its text's hash).
pub const HOLD_OUT_ONE_IN: u64 = 5;

/// Whether corrections of `text` are kept out of training to measure the adapted model on:
/// one text in [`HOLD_OUT_ONE_IN`], chosen by a stable hash of the text (the same on every
/// machine and in every release, whatever else the file holds).
pub fn held_out(text: &str) -> bool {
    crate::features::hash_str(TAG_HOLD_OUT, text).is_multiple_of(HOLD_OUT_ONE_IN)
}

const TAG_HOLD_OUT: u32 = 0x4c01;

/// `corrections` split into (to train on, held out), each in file order.
pub fn split(corrections: &[Correction]) -> (Vec<Correction>, Vec<Correction>) {
    corrections
        .iter()
        .cloned()
        .partition(|c| !held_out(&c.text))
}

/// How often a model gave the corrected label: `(agreed, of)` per label kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Agreement {
    pub sentiment: (usize, usize),
    pub language: (usize, usize),
}

impl Agreement {
    /// Counts, over `corrections`, the answers `sentiment` and `language` give that equal the
    /// corrected labels (a correction without a label does not count for it).
    pub fn of(
        corrections: &[Correction],
        mut sentiment: impl FnMut(&str) -> Label,
        mut language: impl FnMut(&str) -> String,
    ) -> Agreement {
        let mut a = Agreement::default();
        for c in corrections {
            if let Some(l) = c.sentiment {
                a.sentiment.1 += 1;
                a.sentiment.0 += usize::from(sentiment(&c.text) == l);
            }
            if let Some(l) = c.language {
                a.language.1 += 1;
                a.language.0 += usize::from(language(&c.text) == l);
            }
        }
        a
    }
}

/// One row of [`report`]: which corrections, and how the model before and after answered them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row<'a> {
    pub name: &'a str,
    pub before: Agreement,
    pub after: Agreement,
}

fn cell((agreed, of): (usize, usize)) -> String {
    if of == 0 {
        "–".into()
    } else {
        #[allow(clippy::cast_precision_loss)]
        let pct = 100.0 * agreed as f64 / of as f64;
        format!("{agreed} of {of} ({pct:.0} %)")
    }
}

/// The before/after table as Markdown: for each row, how many corrected labels the model
/// before (the built-in one) and the adapted model give.
pub fn report(rows: &[Row<'_>]) -> String {
    let mut s = String::from(
        "## Corrections: before and after\n\n\
         How many of people's corrected labels each model gives. Held out: one text in 5, \
         chosen by a hash of the text, never trained on — the honest measure.\n\n\
         | corrections | sentiment before | sentiment after | language before | language after |\n\
         |---|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            r.name,
            cell(r.before.sentiment),
            cell(r.after.sentiment),
            cell(r.before.language),
            cell(r.after.language)
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_reads_back_as_what_was_written() {
        let rows = [
            (
                "please fix this, I rely on these earbuds",
                Some("en"),
                Some(Label::Negative),
            ),
            ("Tämä on \"hyvä\"\nuusi rivi", Some("fi"), None),
            ("sin etiqueta de idioma", None, Some(Label::Positive)),
        ];
        let file: String = rows
            .iter()
            .map(|(t, l, s)| line(t, *l, *s) + "\n")
            .collect();
        assert_eq!(file.lines().count(), 3, "a newline in a text stays escaped");
        let back = parse(&file).unwrap();
        let got: Vec<_> = back
            .iter()
            .map(|c| (c.text.as_str(), c.language, c.sentiment))
            .collect();
        assert_eq!(got, rows);
        assert_eq!(
            line("hi", Some("en"), Some(Label::Neutral)),
            r#"{"text":"hi","language":"en","sentiment":"neutral"}"#
        );
    }

    #[test]
    fn bad_lines_are_refused_by_number() {
        let table = [
            ("{\"text\": 1}", "line 1: no \"text\" string"),
            (
                "\n{\"text\": \"a\", \"language\": \"Klingon\"}",
                "line 2: unknown language \"Klingon\"",
            ),
            (
                "{\"text\": \"a\", \"sentiment\": \"angry\"}",
                "line 1: sentiment \"angry\" is not negative, neutral or positive",
            ),
            (
                "{\"text\": \"a\", \"sentiment\": 2}",
                "line 1: \"sentiment\" is not a string",
            ),
        ];
        for (raw, want) in table {
            assert_eq!(parse(raw).unwrap_err().to_string(), want, "{raw}");
        }
        let named = parse("{\"text\": \"hola\", \"language\": \"Spanish\", \"extra\": 1}").unwrap();
        assert_eq!(named[0].language, Some("es"));
    }

    #[test]
    fn the_split_is_stable_and_holds_out_about_one_in_five() {
        // Pinned: a changed hash would move corrections between the sides of every file.
        assert!(!held_out("please fix this, I rely on these earbuds"));
        let texts: Vec<String> = (0..10_000).map(|i| format!("text number {i}")).collect();
        let held = texts.iter().filter(|t| held_out(t)).count();
        assert!((1_800..2_200).contains(&held), "{held}");
        let cs: Vec<Correction> = texts
            .iter()
            .take(50)
            .map(|t| Correction {
                text: t.clone(),
                language: None,
                sentiment: Some(Label::Neutral),
            })
            .collect();
        let (train, test) = split(&cs);
        assert_eq!(train.len() + test.len(), 50);
        assert!(test.iter().all(|c| held_out(&c.text)));
        assert_eq!(split(&cs), (train, test));
    }

    #[test]
    fn the_report_counts_only_labelled_corrections() {
        let cs = vec![
            Correction {
                text: "a".into(),
                language: Some("en"),
                sentiment: Some(Label::Negative),
            },
            Correction {
                text: "b".into(),
                language: None,
                sentiment: Some(Label::Positive),
            },
        ];
        let before = Agreement::of(&cs, |_| Label::Positive, |_| "tl".into());
        let after = Agreement::of(
            &cs,
            |t| {
                if t == "a" {
                    Label::Negative
                } else {
                    Label::Positive
                }
            },
            |_| "en".into(),
        );
        assert_eq!(
            before,
            Agreement {
                sentiment: (1, 2),
                language: (0, 1)
            }
        );
        assert_eq!(
            after,
            Agreement {
                sentiment: (2, 2),
                language: (1, 1)
            }
        );
        let table = report(&[
            Row {
                name: "held out",
                before,
                after,
            },
            Row {
                name: "none",
                before: Agreement::default(),
                after: Agreement::default(),
            },
        ]);
        assert!(
            table.contains(
                "| held out | 1 of 2 (50 %) | 2 of 2 (100 %) | 0 of 1 (0 %) | 1 of 1 (100 %) |"
            ),
            "{table}"
        );
        assert!(table.contains("| none | – | – | – | – |"), "{table}");
    }
}
