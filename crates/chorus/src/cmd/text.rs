//! `chorus text …`: sentiment and language of lines of text, and the quality report.
//!
//! Input is read as bytes, one item per `\n`-terminated line (one trailing `\r` dropped), so a
//! bad line never stops the run: it yields `{"line": N, "error": "…"}` in its place and the
//! output keeps one object per input line, in input order.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use chorus_text::eval;
use chorus_text::{LangGuess, LangScratch, LanguageIdentifier, Scratch, SentimentAnalyzer};
use serde_json::{Map, Value};

/// Score the sentiment or identify the language of text.
#[derive(Debug, clap::Subcommand)]
pub enum TextCommand {
    /// VADER sentiment of each input line, exactly as vaderSentiment 3.3.2 scores it: one JSON
    /// object per line with `neg`, `neu`, `pos`, `compound`.
    Sentiment(InputArgs),
    /// Language of each input line: one JSON object per line with `lang` (ISO 639-1, or `und`
    /// when the text is too short or ambiguous to tell, with a `reason`) and `confidence`.
    Lang(InputArgs),
    /// Quality report on the shared data sets: VADER's macro-averaged recall on the TweetEval
    /// sentiment test set next to published baselines, and language identification
    /// precision/recall on XLM-T (8 languages) and the IRA tweets. Prints Markdown.
    Eval {
        /// The `shared` folder holding `data/` (default: `../shared` from the current folder).
        #[arg(long, env = "CHORUS_SHARED_DIR")]
        shared: Option<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
pub struct InputArgs {
    /// Input file; standard input when absent.
    file: Option<PathBuf>,
    /// Treat each line as a JSON object and analyse its string field NAME; the output is the
    /// object with the result fields added.
    #[arg(long, value_name = "NAME")]
    field: Option<String>,
    /// Never show a progress bar (it is shown only on a terminal, for files of 4 MiB or more).
    #[arg(long)]
    quiet: bool,
}

pub fn run(cmd: TextCommand) -> anyhow::Result<()> {
    match cmd {
        TextCommand::Sentiment(args) => {
            let analyzer = SentimentAnalyzer::new();
            let mut scratch = Scratch::new();
            process(&args, |text, obj| {
                let s = analyzer.polarity_scores_with(text, &mut scratch);
                obj.insert("neg".into(), s.neg.into());
                obj.insert("neu".into(), s.neu.into());
                obj.insert("pos".into(), s.pos.into());
                obj.insert("compound".into(), s.compound.into());
            })
        }
        TextCommand::Lang(args) => {
            let id = LanguageIdentifier::new();
            let mut buf = LangScratch::new();
            process(&args, |text, obj| {
                let guess = id.identify_with(text, &mut buf);
                obj.insert("lang".into(), guess.code().into());
                obj.insert("confidence".into(), round4(guess.confidence()).into());
                if let LangGuess::Unknown(why) = guess {
                    obj.insert("reason".into(), why.as_str().into());
                }
            })
        }
        TextCommand::Eval { shared } => {
            let data = shared
                .unwrap_or_else(|| PathBuf::from("../shared"))
                .join("data");
            report(&data)
        }
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

const PROGRESS_MIN_BYTES: u64 = 4 << 20;

/// Reads the input line by line and writes one JSON object per line: `analyze` adds its fields
/// to the object (empty for plain lines, the parsed line with `--field`).
fn process(
    args: &InputArgs,
    mut analyze: impl FnMut(&str, &mut Map<String, Value>),
) -> anyhow::Result<()> {
    let (reader, size): (Box<dyn Read>, Option<u64>) = match &args.file {
        Some(path) => {
            let f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
            let size = f.metadata().ok().map(|m| m.len());
            (Box::new(f), size)
        }
        None => (Box::new(std::io::stdin().lock()), None),
    };
    let mut reader = BufReader::with_capacity(1 << 16, reader);
    let progress = match size {
        Some(n) if !args.quiet && n >= PROGRESS_MIN_BYTES => {
            let bar = indicatif::ProgressBar::new(n);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        }
        _ => indicatif::ProgressBar::hidden(),
    };
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut line = Vec::new();
    let mut obj = Map::new();
    let (mut n, mut errors, mut pending) = (0u64, 0u64, 0u64);
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .context("cannot read input")?;
        if read == 0 {
            break;
        }
        n += 1;
        pending += read as u64;
        if line.last() == Some(&b'\n') {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
        }
        obj.clear();
        let outcome = match &args.field {
            None => std::str::from_utf8(&line)
                .map_err(|e| format!("invalid UTF-8 at byte {}", e.valid_up_to()))
                .map(|text| analyze(text, &mut obj)),
            Some(field) => from_json_line(&line, field, &mut obj, &mut analyze),
        };
        match outcome {
            Ok(()) => serde_json::to_writer(&mut out, &obj)?,
            Err(error) => {
                errors += 1;
                serde_json::to_writer(&mut out, &serde_json::json!({ "line": n, "error": error }))?;
            }
        }
        out.write_all(b"\n")?;
        if pending >= 1 << 20 {
            progress.inc(pending);
            pending = 0;
        }
    }
    out.flush()?;
    progress.finish_and_clear();
    if errors > 0 {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("{errors} of {n} lines could not be analysed (see their \"error\" field)");
        }
    }
    Ok(())
}

fn from_json_line(
    line: &[u8],
    field: &str,
    obj: &mut Map<String, Value>,
    analyze: &mut impl FnMut(&str, &mut Map<String, Value>),
) -> Result<(), String> {
    let value: Value = serde_json::from_slice(line).map_err(|e| format!("invalid JSON: {e}"))?;
    let Value::Object(map) = value else {
        return Err("not a JSON object".into());
    };
    *obj = map;
    let text = match obj.get(field) {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(format!("field {field:?} is not a string")),
        None => return Err(format!("no field {field:?}")),
    };
    analyze(&text, obj);
    Ok(())
}

// ---- quality report -------------------------------------------------------------------------

/// Lines of a data file, by the data README's convention: split on `\n`, drop one trailing
/// `\r`, no final empty line.
fn data_lines(path: &Path) -> anyhow::Result<Vec<String>> {
    let raw =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut lines: Vec<String> = raw
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l).to_owned())
        .collect();
    if lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    Ok(lines)
}

fn report(data: &Path) -> anyhow::Result<()> {
    if !data.is_dir() {
        bail!(
            "{} not found: pass --shared DIR or set CHORUS_SHARED_DIR",
            data.display()
        );
    }
    let mut o = std::io::stdout().lock();
    let dir = data.join("tweeteval/datasets/sentiment");
    let texts = data_lines(&dir.join("test_text.txt"))?;
    let labels = data_lines(&dir.join("test_labels.txt"))?
        .iter()
        .map(|l| {
            l.trim()
                .parse::<u8>()
                .with_context(|| format!("bad label {l:?}"))
        })
        .collect::<anyhow::Result<Vec<u8>>>()?;
    if texts.len() != labels.len() {
        bail!(
            "tweeteval test: {} texts but {} labels",
            texts.len(),
            labels.len()
        );
    }
    let (table, _) = eval::sentiment_report(&SentimentAnalyzer::new(), &texts, &labels);
    writeln!(
        o,
        "## Sentiment: VADER on the TweetEval sentiment test set ({} tweets)\n",
        texts.len()
    )?;
    writeln!(o, "{table}")?;

    let id = LanguageIdentifier::new();
    let rules = id.rules();
    writeln!(
        o,
        "## Language identification\n\n`und` when no letters remain after removing URLs, mentions, \
         hashtags, digits and emoji; when fewer than {} letters remain (scripts of a single \
         language: {}); or when the confidence is below {}.\n",
        rules.min_letters, rules.min_letters_unique_script, rules.min_confidence
    )?;
    let mut xlmt = Vec::new();
    for (dir, code) in [
        ("arabic", "ar"),
        ("english", "en"),
        ("french", "fr"),
        ("german", "de"),
        ("hindi", "hi"),
        ("italian", "it"),
        ("portuguese", "pt"),
        ("spanish", "es"),
    ] {
        for split in ["train", "val", "test"] {
            let path = data.join(format!("xlm-t/sentiment/{dir}/{split}_text.txt"));
            xlmt.extend(data_lines(&path)?.into_iter().map(|t| (code, t)));
        }
    }
    writeln!(
        o,
        "### XLM-T / UMSAB tweets, all splits ({} texts)\n",
        xlmt.len()
    )?;
    writeln!(o, "{}", eval::lang_report(&id, &xlmt, 1))?;
    let ira = ira_rows(&data.join("social_corpus/ira_tweets/tweets_sample.csv.gz"))?;
    writeln!(
        o,
        "### IRA tweets sample ({} tweets with a language label that has an ISO code; gold = \
         Salesforce label; languages with at least 20 tweets)\n",
        ira.len()
    )?;
    writeln!(o, "{}", eval::lang_report(&id, &ira, 20))?;
    Ok(())
}

/// `(gold code, text)` for the IRA rows whose language label has an ISO code.
fn ira_rows(path: &Path) -> anyhow::Result<Vec<(&'static str, String)>> {
    // The library crates are pure and the binary has no gzip decoder: use the system's gzip.
    let mut child = Command::new("gzip")
        .arg("-dc")
        .arg(path)
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot run `gzip -dc` to read the IRA sample")?;
    let stdout = child.stdout.take().context("gzip has no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let header = lines.next().context("empty IRA file")??;
    let cols = eval::parse_csv_line(&header)?;
    let col = |name: &str| {
        cols.iter()
            .position(|c| c == name)
            .with_context(|| format!("no column {name}"))
    };
    let (content, language) = (col("content")?, col("language")?);
    let mut rows = Vec::new();
    for (k, line) in lines.enumerate() {
        let line = line?;
        let fields = eval::parse_csv_line(&line).with_context(|| format!("IRA line {}", k + 2))?;
        let (Some(text), Some(lang)) = (fields.get(content), fields.get(language)) else {
            bail!("IRA line {}: too few fields", k + 2);
        };
        if let Some(code) = eval::ira_language_code(lang) {
            rows.push((code, text.clone()));
        }
    }
    let status = child.wait()?;
    if !status.success() {
        bail!("gzip -dc {} failed: {status}", path.display());
    }
    Ok(rows)
}
