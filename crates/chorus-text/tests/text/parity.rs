use std::path::PathBuf;

use chorus_text::{Scratch, SentimentAnalyzer};

/// `shared/data`, from `CHORUS_SHARED_DIR` or beside the workspace; `None` (after printing why)
/// when absent, unless `CHORUS_REQUIRE_SERVICES=1`, which turns absence into a failure.
pub fn shared_data() -> Option<PathBuf> {
    let dir = match std::env::var_os("CHORUS_SHARED_DIR") {
        Some(d) => PathBuf::from(d).join("data"),
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")),
    };
    if dir.join("vader/reference_scores.jsonl").is_file() {
        return Some(dir);
    }
    let msg = format!("shared data not found at {}", dir.display());
    if std::env::var("CHORUS_REQUIRE_SERVICES").as_deref() == Ok("1") {
        panic!("{msg} (CHORUS_REQUIRE_SERVICES=1)");
    }
    eprintln!("skipping: {msg}");
    None
}

#[derive(serde::Deserialize)]
struct Row {
    set: String,
    id: String,
    text: String,
    neg: f64,
    neu: f64,
    pos: f64,
    compound: f64,
}

/// Scores every row of a reference file (the format of `reference_scores.jsonl`) and returns
/// (rows, descriptions of the rows that differ).
fn compare(path: &std::path::Path) -> (usize, Vec<String>) {
    let raw = std::fs::read_to_string(path).unwrap();
    let analyzer = SentimentAnalyzer::new();
    let mut scratch = Scratch::new();
    let (mut rows, mut bad) = (0usize, Vec::new());
    for line in raw.lines() {
        let row: Row = serde_json::from_str(line).unwrap();
        let got = analyzer.polarity_scores_with(&row.text, &mut scratch);
        let want = [row.neg, row.neu, row.pos, row.compound];
        let have = [got.neg, got.neu, got.pos, got.compound];
        // Bit equality: also the sign of a rounded zero (`-0.0` occurs in the reference).
        if want
            .iter()
            .zip(&have)
            .any(|(a, b)| a.to_bits() != b.to_bits())
        {
            bad.push(format!(
                "{}/{} {:?}: want {want:?} got {have:?}",
                row.set, row.id, row.text
            ));
        }
        rows += 1;
    }
    (rows, bad)
}

fn assert_none_differ(rows: usize, bad: &[String]) {
    assert!(
        bad.is_empty(),
        "{} of {rows} rows differ, first ones:\n{}",
        bad.len(),
        bad.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn every_reference_score_is_reproduced() {
    let Some(dir) = shared_data() else { return };
    let (rows, bad) = compare(&dir.join("vader/reference_scores.jsonl"));
    assert_eq!(rows, 45_029, "reference file has changed");
    assert_none_differ(rows, &bad);
}

/// Extra oracle rows made by `bench/text/fuzz_parity.py` (random rule-heavy texts scored by
/// vaderSentiment 3.3.2), when `CHORUS_VADER_EXTRA_REFERENCE` names such a file.
#[test]
fn extra_reference_scores_are_reproduced() {
    let Some(path) = std::env::var_os("CHORUS_VADER_EXTRA_REFERENCE") else {
        eprintln!("skipping: CHORUS_VADER_EXTRA_REFERENCE not set (see bench/text/fuzz_parity.py)");
        return;
    };
    let (rows, bad) = compare(std::path::Path::new(&path));
    assert!(rows > 0, "no rows in {}", path.display());
    eprintln!("{rows} extra reference rows compared");
    assert_none_differ(rows, &bad);
}
