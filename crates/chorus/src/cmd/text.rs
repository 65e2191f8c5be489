//! `chorus text …`: sentiment and language of lines of text; the training and the quality
//! report are in `text_train.rs`.
//!
//! Input is read as bytes, one item per `\n`-terminated line (one trailing `\r` dropped), so a
//! bad line never stops the run: it yields `{"line": N, "error": "…"}` in its place and the
//! output keeps one object per input line, in input order.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::PathBuf;

use anyhow::Context;
use chorus_text::lang::LangModel;
use chorus_text::{
    LangGuess, LangScratch, LanguageIdentifier, ModelScratch, Rules, Scratch, SentimentAnalyzer,
    SentimentModel,
};
use serde_json::{Map, Value};

use super::text_train::{EvalArgs, TrainArgs};

/// Score the sentiment or identify the language of text.
#[derive(Debug, clap::Subcommand)]
pub enum TextCommand {
    /// Sentiment of each input line, one JSON object per line. `--mode model` (the default):
    /// the multilingual model, with `sentiment` (negative, neutral or positive), `confidence`
    /// and the probability of each label. `--mode vader`: VADER exactly as vaderSentiment 3.3.2
    /// scores it, with `neg`, `neu`, `pos`, `compound`.
    Sentiment {
        #[command(flatten)]
        input: InputArgs,
        #[arg(long, value_enum, default_value_t = SentimentMode::Model)]
        mode: SentimentMode,
        /// With `--mode model`: this model file (e.g. one `chorus text train` wrote) instead of
        /// the built-in one.
        #[arg(long, value_name = "FILE")]
        model: Option<PathBuf>,
    },
    /// Language of each input line: one JSON object per line with `lang` (ISO 639-1, or `und`
    /// when the text is too short or ambiguous to tell, with a `reason`) and `confidence`.
    Lang {
        #[command(flatten)]
        input: InputArgs,
        /// This language model file (e.g. one `chorus text train` wrote) instead of the
        /// built-in one.
        #[arg(long, value_name = "FILE")]
        model: Option<PathBuf>,
    },
    /// Train the sentiment and language models from the shared data sets (and corrections),
    /// deterministically, and write `sentiment.bin` and `language.bin`.
    Train(TrainArgs),
    /// Quality report on the shared data sets, as Markdown: sentiment macro F1 per language on
    /// UMSAB and macro recall on TweetEval next to VADER and published baselines; language
    /// identification per language and per tool on XLM-T and English recall on the IRA tweets;
    /// speed in posts/s.
    Eval(EvalArgs),
    /// Write the corrections people made in the inbox as the dataset `chorus text train
    /// --with-corrections` reads (one JSON object a line: text, language, sentiment), from the
    /// markets given or all.
    ///
    /// Example:
    ///   chorus text corrections --out corrections.jsonl
    ///   chorus text train --with-corrections corrections.jsonl --out org-models
    #[command(verbatim_doc_comment)]
    Corrections(super::text_corrections::CorrectionsArgs),
}

impl TextCommand {
    /// Whether the command reads the database (and so needs the configuration).
    pub fn needs_store(&self) -> bool {
        matches!(self, TextCommand::Corrections(_))
    }
}

/// Which sentiment `chorus text sentiment` gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SentimentMode {
    /// The trained multilingual model (`models/sentiment.bin`).
    Model,
    /// VADER, identical to vaderSentiment 3.3.2 (English).
    Vader,
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
        TextCommand::Sentiment {
            input,
            mode: SentimentMode::Model,
            model,
        } => {
            let model = match model {
                Some(p) => SentimentModel::from_bytes(
                    &std::fs::read(&p).with_context(|| format!("cannot read {}", p.display()))?,
                )?,
                None => SentimentModel::default_model()?,
            };
            let mut scratch = ModelScratch::new();
            process(&input, |text, obj| {
                let s = model.predict_with(text, &mut scratch);
                obj.insert("sentiment".into(), s.label.as_str().into());
                obj.insert(
                    "confidence".into(),
                    round4(f64::from(s.confidence())).into(),
                );
                for (label, p) in chorus_text::model::CLASSES.iter().zip(s.probs) {
                    obj.insert(label.as_str().into(), round4(f64::from(p)).into());
                }
            })
        }
        TextCommand::Sentiment {
            input,
            mode: SentimentMode::Vader,
            ..
        } => {
            let analyzer = SentimentAnalyzer::new();
            let mut scratch = Scratch::new();
            process(&input, |text, obj| {
                let s = analyzer.polarity_scores_with(text, &mut scratch);
                obj.insert("neg".into(), s.neg.into());
                obj.insert("neu".into(), s.neu.into());
                obj.insert("pos".into(), s.pos.into());
                obj.insert("compound".into(), s.compound.into());
            })
        }
        TextCommand::Lang { input, model } => {
            let id = match model {
                Some(p) => LanguageIdentifier::with_model(
                    Rules::default(),
                    Some(LangModel::from_bytes(
                        &std::fs::read(&p)
                            .with_context(|| format!("cannot read {}", p.display()))?,
                    )?),
                ),
                None => LanguageIdentifier::new(),
            };
            let mut buf = LangScratch::new();
            process(&input, |text, obj| {
                let guess = id.identify_with(text, &mut buf);
                obj.insert("lang".into(), guess.code().into());
                obj.insert("confidence".into(), round4(guess.confidence()).into());
                if let LangGuess::Unknown(why) = guess {
                    obj.insert("reason".into(), why.as_str().into());
                }
            })
        }
        TextCommand::Train(args) => super::text_train::train(&args),
        TextCommand::Eval(args) => super::text_train::eval(&args),
        TextCommand::Corrections(_) => {
            anyhow::bail!("chorus text corrections reads the database: run through main")
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
