//! Turns the VADER lexicons in `data/` into Rust tables at build time, parsing them exactly as
//! vaderSentiment 3.3.2 does (`rstrip('\n').split('\n')`, `line.strip().split('\t')[0:2]`).
//! A malformed line fails the build, so the library itself has nothing to get wrong at run time.

use std::fmt::Write as _;
use std::path::PathBuf;

/// Python's `str.isspace()` set (Unicode 14, CPython 3.11), used by `str.strip()`.
fn py_space(c: char) -> bool {
    matches!(c, '\t'..='\r' | '\x1c'..='\x20' | '\u{85}' | '\u{a0}' | '\u{1680}' | '\u{2000}'..='\u{200a}'
        | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}')
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("data");
    let lex_path = dir.join("vader_lexicon.txt");
    let emoji_path = dir.join("emoji_utf8_lexicon.txt");
    println!("cargo::rerun-if-changed={}", lex_path.display());
    println!("cargo::rerun-if-changed={}", emoji_path.display());
    let mut out = String::new();

    let lex = std::fs::read_to_string(&lex_path)?;
    out.push_str("pub(crate) static LEXICON: &[(&str, f64)] = &[\n");
    for (n, line) in lex.trim_end_matches('\n').split('\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        let mut fields = line.trim_matches(py_space).split('\t');
        let (Some(word), Some(measure)) = (fields.next(), fields.next()) else {
            return Err(format!("vader_lexicon.txt line {}: fewer than 2 fields", n + 1).into());
        };
        let value: f64 = measure
            .parse()
            .map_err(|e| format!("vader_lexicon.txt line {}: {measure:?}: {e}", n + 1))?;
        writeln!(out, "    ({word:?}, {value:?}),")?;
    }
    out.push_str("];\n");

    // Only single-code-point keys can ever match: 3.3.2 replaces emojis one code point at a time.
    let emoji = std::fs::read_to_string(&emoji_path)?;
    out.push_str("pub(crate) static EMOJI: &[(char, &str)] = &[\n");
    for (n, line) in emoji.trim_end_matches('\n').split('\n').enumerate() {
        let mut fields = line.trim_matches(py_space).split('\t');
        let (Some(key), Some(desc)) = (fields.next(), fields.next()) else {
            return Err(
                format!("emoji_utf8_lexicon.txt line {}: fewer than 2 fields", n + 1).into(),
            );
        };
        let mut chars = key.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            writeln!(out, "    ({c:?}, {desc:?}),")?;
        }
    }
    out.push_str("];\n");

    let dest = PathBuf::from(std::env::var("OUT_DIR")?).join("vader_data.rs");
    std::fs::write(dest, out)?;

    // whatlang's trigram profiles: `script<TAB>lang<TAB>tri|tri|…`, 300 trigrams by rank.
    let prof_path = dir.join("whatlang/trigram_profiles.tsv");
    println!("cargo::rerun-if-changed={}", prof_path.display());
    let prof = std::fs::read_to_string(&prof_path)?;
    let mut out = String::from("pub(crate) static PROFILES: &[(&str, &str, &[[char; 3]])] = &[\n");
    for (n, line) in prof.lines().enumerate() {
        let mut fields = line.split('\t');
        let (Some(script), Some(lang), Some(tris), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(format!("trigram_profiles.tsv line {}: expected 3 fields", n + 1).into());
        };
        write!(out, "    ({script:?}, {lang:?}, &[")?;
        for tri in tris.split('|') {
            let c: Vec<char> = tri.chars().collect();
            let [a, b, c] = c[..] else {
                return Err(format!(
                    "trigram_profiles.tsv line {}: {tri:?} is not 3 chars",
                    n + 1
                )
                .into());
            };
            write!(out, "[{a:?}, {b:?}, {c:?}], ")?;
        }
        out.push_str("]),\n");
    }
    out.push_str("];\n");
    // whatlang's alphabets: `script<TAB>lang<TAB>letters`.
    let alpha_path = dir.join("whatlang/alphabets.tsv");
    println!("cargo::rerun-if-changed={}", alpha_path.display());
    out.push_str("pub(crate) static ALPHABETS: &[(&str, &str, &str)] = &[\n");
    for (n, line) in std::fs::read_to_string(&alpha_path)?.lines().enumerate() {
        let f: Vec<&str> = line.split('\t').collect();
        let [script, lang, letters] = f[..] else {
            return Err(format!("alphabets.tsv line {}: expected 3 fields", n + 1).into());
        };
        writeln!(out, "    ({script:?}, {lang:?}, {letters:?}),")?;
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR")?).join("lang_profiles.rs");
    std::fs::write(dest, out)?;
    Ok(())
}
