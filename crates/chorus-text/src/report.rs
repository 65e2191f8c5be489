//! The quality report of `chorus text eval`, as Markdown tables and as [`Figures`] for the
//! threshold tests: sentiment macro F1 per language on UMSAB (XLM-T's test sets) and macro
//! recall on TweetEval's test set, the trained model next to VADER and published baselines;
//! language identification per language and per tool on XLM-T's test sets (romanized Hindi
//! apart) and English recall on the IRA tweets of the held-out authors. Pure: predictions of
//! outside tools (lingua, run by `bench/text/`) come in as lists aligned with [`lang_rows`].

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::corpus::{Corpus, Split};
use crate::eval::{TWEETEVAL_SENTIMENT_BASELINES, macro_f1, macro_recall, per_class, vader_label};
use crate::{ModelScratch, Scratch, SentimentAnalyzer, SentimentModel};

/// UMSAB (XLM-T README): macro F1 per language, FastText monolingual, XLM-R multilingual and
/// XLM-Tw multilingual, in [`crate::corpus::XLMT_LANGS`] order, then the average.
pub const UMSAB_BASELINES: [(&str, [f64; 9]); 3] = [
    (
        "FastText (mono)",
        [46.0, 50.9, 54.8, 59.6, 37.1, 54.7, 55.1, 50.1, 51.0],
    ),
    (
        "XLM-R (multi)",
        [64.3, 68.5, 70.5, 72.8, 53.4, 68.6, 69.8, 66.0, 66.8],
    ),
    (
        "XLM-Tw (multi)",
        [66.9, 70.6, 71.2, 77.3, 56.4, 69.1, 75.4, 67.9, 69.4],
    ),
];

/// The headline numbers (fractions, 0..=1), for the tests that hold the targets.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Figures {
    /// Average over the 8 languages of the model's macro F1 on UMSAB.
    pub umsab_macro_f1: f64,
    /// The model's macro recall on TweetEval's sentiment test set.
    pub tweeteval_macro_recall: f64,
    /// Share of XLM-T's test texts (7 languages, not Hindi) identified correctly, and `und`.
    pub xlmt_correct: f64,
    pub xlmt_und: f64,
    /// Share of the held-out IRA authors' English-labelled tweets identified as English.
    pub ira_english_recall: f64,
}

/// One text of the language evaluation: the set (`xlmt`, `xlmt-hi`, `ira`), the gold code.
#[derive(Debug, Clone)]
pub struct LangRow<'c> {
    pub set: &'static str,
    pub gold: &'static str,
    pub text: &'c str,
}

/// The texts the language tables are computed on: XLM-T's test sets (Hindi as `xlmt-hi`) and
/// the IRA tweets of the held-out authors whose label has a code.
pub fn lang_rows(corpus: &Corpus) -> Vec<LangRow<'_>> {
    let mut rows = Vec::new();
    for x in &corpus.xlmt {
        let set = if x.code == "hi" { "xlmt-hi" } else { "xlmt" };
        rows.extend(x.test.texts.iter().map(|t| LangRow {
            set,
            gold: x.code,
            text: t,
        }));
    }
    for r in corpus.ira.iter().filter(|r| r.is_test()) {
        if let Some(gold) = r.language {
            rows.push(LangRow {
                set: "ira",
                gold,
                text: &r.text,
            });
        }
    }
    rows
}

fn pct(x: f64) -> String {
    format!("{:.1}", 100.0 * x)
}

#[allow(clippy::cast_precision_loss)]
fn share(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

fn sentiment_pairs(split: &Split, mut predict: impl FnMut(&str) -> u8) -> Vec<(u8, u8)> {
    split
        .texts
        .iter()
        .zip(&split.labels)
        .map(|(t, &l)| (l, predict(t)))
        .collect()
}

/// Sentiment tables; returns the Markdown and (UMSAB average F1, TweetEval macro recall).
pub fn sentiment(
    corpus: &Corpus,
    model: &SentimentModel,
    vader: &SentimentAnalyzer,
) -> (String, f64, f64) {
    let mut ms = ModelScratch::new();
    let mut vs = Scratch::new();
    let mut o = String::new();
    let mut model_f1 = Vec::new();
    let mut vader_f1 = Vec::new();
    for x in &corpus.xlmt {
        let m = per_class(sentiment_pairs(&x.test, |t| {
            model.predict_with(t, &mut ms).label as u8
        }));
        let v = per_class(sentiment_pairs(&x.test, |t| {
            vader_label(vader.polarity_scores_with(t, &mut vs).compound)
        }));
        model_f1.push(macro_f1(&m, &[0, 1, 2]));
        vader_f1.push(macro_f1(&v, &[0, 1, 2]));
    }
    #[allow(clippy::cast_precision_loss)]
    let avg = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let _ = writeln!(
        o,
        "### UMSAB (XLM-T test sets, {} tweets per language): macro F1 %\n",
        corpus.xlmt.first().map_or(0, |x| x.test.texts.len())
    );
    let mut head = String::from("| model |");
    let mut rule = String::from("|---|");
    for x in &corpus.xlmt {
        let _ = write!(head, " {} |", x.code);
        rule.push_str("---:|");
    }
    let _ = writeln!(o, "{head} average |\n{rule}---:|");
    let row = |name: &str, v: &[f64], bold: bool| {
        let mut r = format!(
            "| {} |",
            if bold {
                format!("**{name}**")
            } else {
                name.to_owned()
            }
        );
        for f in v {
            let _ = write!(r, " {} |", pct(*f));
        }
        let a = pct(avg(v));
        let _ = write!(r, " {} |", if bold { format!("**{a}**") } else { a });
        r
    };
    let _ = writeln!(o, "{}", row("Chorus model (this build)", &model_f1, true));
    let _ = writeln!(o, "{}", row("Chorus VADER (±0.05)", &vader_f1, false));
    for (name, v) in UMSAB_BASELINES {
        let mut r = format!("| {name} (published) |");
        for f in v {
            let _ = write!(r, " {f:.1} |");
        }
        let _ = writeln!(o, "{r}");
    }
    let te = &corpus.tweeteval_test;
    let m = per_class(sentiment_pairs(te, |t| {
        model.predict_with(t, &mut ms).label as u8
    }));
    let v = per_class(sentiment_pairs(te, |t| {
        vader_label(vader.polarity_scores_with(t, &mut vs).compound)
    }));
    let (mr, vr) = (macro_recall(&m, &[0, 1, 2]), macro_recall(&v, &[0, 1, 2]));
    let _ = writeln!(
        o,
        "\n### TweetEval sentiment test set ({} tweets): macro-averaged recall %\n",
        te.texts.len()
    );
    let _ = writeln!(
        o,
        "| model | macro recall | negative | neutral | positive |\n|---|---:|---:|---:|---:|"
    );
    for (name, s, r) in [
        ("**Chorus model (this build)**", &m, mr),
        ("Chorus VADER (±0.05)", &v, vr),
    ] {
        let rec = |k: u8| {
            s.get(&k)
                .and_then(crate::eval::ClassStats::recall)
                .map_or("–".into(), pct)
        };
        let _ = writeln!(
            o,
            "| {name} | {} | {} | {} | {} |",
            pct(r),
            rec(0),
            rec(1),
            rec(2)
        );
    }
    for (name, score) in TWEETEVAL_SENTIMENT_BASELINES {
        let _ = writeln!(o, "| {name} (published) | {score:.1} | | | |");
    }
    (o, avg(&model_f1), mr)
}

/// Language tables for `tools` (name, one predicted code per row of `rows`); the first tool's
/// figures are returned as (XLM-T correct, XLM-T und, IRA English recall).
pub fn language(rows: &[LangRow<'_>], tools: &[(&str, Vec<&str>)]) -> (String, (f64, f64, f64)) {
    let mut o = String::new();
    let mut first = (0.0, 0.0, 0.0);
    // XLM-T, per language: correct % / und % per tool.
    let langs: Vec<&str> = {
        let mut v: Vec<&str> = rows
            .iter()
            .filter(|r| r.set == "xlmt")
            .map(|r| r.gold)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let _ = writeln!(
        o,
        "### XLM-T test sets (7 languages, {} tweets): correct % / `und` %\n",
        rows.iter().filter(|r| r.set == "xlmt").count()
    );
    let mut head = String::from("| tool |");
    let mut rule = String::from("|---|");
    for l in &langs {
        let _ = write!(head, " {l} |");
        rule.push_str("---:|");
    }
    let _ = writeln!(
        o,
        "{head} **all** | romanized Hindi (`hi`): hi / en / und |\n{rule}---:|---:|"
    );
    for (ti, (name, pred)) in tools.iter().enumerate() {
        let mut r = format!("| {name} |");
        let (mut n, mut ok, mut und) = (0, 0, 0);
        for l in &langs {
            let (mut ln, mut lok, mut lund) = (0, 0, 0);
            for (row, p) in rows.iter().zip(pred) {
                if row.set == "xlmt" && row.gold == *l {
                    ln += 1;
                    lok += usize::from(*p == row.gold);
                    lund += usize::from(*p == "und");
                }
            }
            let _ = write!(r, " {} / {} |", pct(share(lok, ln)), pct(share(lund, ln)));
            (n, ok, und) = (n + ln, ok + lok, und + lund);
        }
        let hi: Vec<&str> = rows
            .iter()
            .zip(pred)
            .filter(|(row, _)| row.set == "xlmt-hi")
            .map(|(_, p)| *p)
            .collect();
        let c = |code: &str| pct(share(hi.iter().filter(|p| **p == code).count(), hi.len()));
        let _ = writeln!(
            r,
            " **{} / {}** | {} / {} / {} |",
            pct(share(ok, n)),
            pct(share(und, n)),
            c("hi"),
            c("en"),
            c("und")
        );
        o.push_str(&r);
        if ti == 0 {
            first.0 = share(ok, n);
            first.1 = share(und, n);
        }
    }
    // IRA: English recall, und, the commonest wrong answers; agreement per labelled language.
    let ira: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].set == "ira").collect();
    let en: Vec<usize> = ira
        .iter()
        .copied()
        .filter(|&i| rows[i].gold == "en")
        .collect();
    let _ = writeln!(
        o,
        "\n### IRA tweets of the held-out authors ({} labelled tweets, {} of them English)\n",
        ira.len(),
        en.len()
    );
    let _ = writeln!(
        o,
        "| tool | English recall % | English as `und` % | commonest other answers for English | agreement with the (noisy) labels, all languages % |\n|---|---:|---:|---|---:|"
    );
    for (ti, (name, pred)) in tools.iter().enumerate() {
        let recall = share(en.iter().filter(|&&i| pred[i] == "en").count(), en.len());
        let und = share(en.iter().filter(|&&i| pred[i] == "und").count(), en.len());
        let mut wrong: BTreeMap<&str, usize> = BTreeMap::new();
        for &i in &en {
            if pred[i] != "en" && pred[i] != "und" {
                *wrong.entry(pred[i]).or_default() += 1;
            }
        }
        let mut wrong: Vec<(&str, usize)> = wrong.into_iter().collect();
        wrong.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let top: Vec<String> = wrong
            .iter()
            .take(4)
            .map(|(c, k)| format!("{c} {k}"))
            .collect();
        let agree = share(
            ira.iter().filter(|&&i| pred[i] == rows[i].gold).count(),
            ira.len(),
        );
        let _ = writeln!(
            o,
            "| {name} | {} | {} | {} | {} |",
            pct(recall),
            pct(und),
            top.join(", "),
            pct(agree)
        );
        if ti == 0 {
            first.2 = recall;
        }
    }
    (o, first)
}

/// The whole report for the model and identifiers given, with the figures of the first
/// language tool.
pub fn full(
    corpus: &Corpus,
    model: &SentimentModel,
    vader: &SentimentAnalyzer,
    lang_tools: &[(&str, Vec<&str>)],
) -> (String, Figures) {
    let rows = lang_rows(corpus);
    let (s, umsab, te) = sentiment(corpus, model, vader);
    let (l, (correct, und, en)) = language(&rows, lang_tools);
    let mut o = String::from("## Sentiment\n\n");
    o.push_str(&s);
    o.push_str("\n## Language identification\n\n");
    o.push_str(&l);
    (
        o,
        Figures {
            umsab_macro_f1: umsab,
            tweeteval_macro_recall: te,
            xlmt_correct: correct,
            xlmt_und: und,
            ira_english_recall: en,
        },
    )
}
