//! `chorus text train` and `chorus text eval`: the file side of `chorus_text::training` and
//! `chorus_text::report` (which are pure). Both read the shared data sets from `--shared DIR`
//! (its `data/` folder; `../shared` by default, or `CHORUS_SHARED_DIR`), the IRA sample through
//! the system's `gzip`.
//!
//! `train` writes `sentiment.bin` and `language.bin` into `--out` (default
//! `crates/chorus-text/models`, the committed models, when run from the repository root); the
//! same data, corrections and seed give the same bytes. `--with-corrections FILE` adds people's
//! corrections, a JSON object a line: `{"text": "…", "language": "es" | "Spanish", "sentiment":
//! "negative" | "neutral" | "positive"}` (either label may be absent) — what the inbox's export
//! and `chorus text corrections` write (`chorus_text::corrections`). One text in five is held out
//! by a hash of its text (`--no-hold-out` learns from all), and a table gives how many corrected
//! labels the built-in models and the adapted ones answer, held out and trained on apart.
//!
//! `eval` prints every quality table, then the speed of language + sentiment in posts/s on the
//! IRA corpus (meaningful in a release build). `--write-lang-set FILE` writes the language
//! evaluation texts (`set<TAB>gold<TAB>text`) for an outside tool, and `--other NAME=FILE` adds
//! that tool's answers (one code a line, `und` for none) as a column of the language tables:
//! this is how `bench/text/run.sh` puts lingua side by side.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use chorus_text::corpus::Corpus;
use chorus_text::corrections;
use chorus_text::lang::LangModel;
use chorus_text::training::{Correction, TrainOptions, train_models};
use chorus_text::{
    LangScratch, LanguageIdentifier, ModelScratch, Rules, SentimentAnalyzer, SentimentModel,
};

#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// The `shared` folder holding `data/` (default: `../shared` from the current folder).
    #[arg(long, env = "CHORUS_SHARED_DIR")]
    shared: Option<PathBuf>,
    /// People's corrections to learn from (JSON lines of `text`, `language`, `sentiment`).
    #[arg(long, value_name = "FILE")]
    with_corrections: Option<PathBuf>,
    /// Folder to write `sentiment.bin` and `language.bin` into.
    #[arg(long, value_name = "DIR", default_value = "crates/chorus-text/models")]
    out: PathBuf,
    /// Learn from every correction, holding none out (the before/after table then has only
    /// trained-on corrections, which says little about new texts).
    #[arg(long)]
    no_hold_out: bool,
    /// Seed of the training order (the committed models use the default).
    #[arg(long, default_value_t = TrainOptions::default().sentiment.seed)]
    seed: u64,
}

#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// The `shared` folder holding `data/` (default: `../shared` from the current folder).
    #[arg(long, env = "CHORUS_SHARED_DIR")]
    shared: Option<PathBuf>,
    /// Evaluate this sentiment model file instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    sentiment_model: Option<PathBuf>,
    /// Evaluate this language model file instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    language_model: Option<PathBuf>,
    /// Write the language evaluation texts (`set<TAB>gold<TAB>text`) to FILE and stop.
    #[arg(long, value_name = "FILE")]
    write_lang_set: Option<PathBuf>,
    /// Another tool's answers for those texts, `NAME=FILE` (one code a line); repeatable.
    #[arg(long, value_name = "NAME=FILE")]
    other: Vec<String>,
    /// Skip the speed measurement.
    #[arg(long)]
    no_speed: bool,
}

fn data_dir(shared: Option<&PathBuf>) -> anyhow::Result<PathBuf> {
    let data = shared
        .cloned()
        .unwrap_or_else(|| PathBuf::from("../shared"))
        .join("data");
    if !data.is_dir() {
        bail!(
            "{} not found: pass --shared DIR or set CHORUS_SHARED_DIR",
            data.display()
        );
    }
    Ok(data)
}

/// Reads the shared data sets.
pub fn load_corpus(data: &Path) -> anyhow::Result<Corpus> {
    let mut read = |rel: &str| -> Result<String, String> {
        let path = data.join(rel);
        if rel.ends_with(".gz") {
            // The library crates are pure and the binary has no gzip decoder.
            let out = Command::new("gzip")
                .arg("-dc")
                .arg(&path)
                .output()
                .map_err(|e| format!("cannot run gzip -dc: {e}"))?;
            if !out.status.success() {
                return Err(format!("gzip -dc failed: {}", out.status));
            }
            String::from_utf8(out.stdout).map_err(|e| e.to_string())
        } else {
            std::fs::read_to_string(&path).map_err(|e| e.to_string())
        }
    };
    Ok(Corpus::load(&mut read)?)
}

/// Reads a corrections file (`chorus_text::corrections`' format); errors name the line.
pub fn read_corrections(path: &Path) -> anyhow::Result<Vec<Correction>> {
    let raw =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    chorus_text::corrections::parse(&raw).with_context(|| format!("{}", path.display()))
}

#[allow(clippy::print_stdout)]
pub fn train(args: &TrainArgs) -> anyhow::Result<()> {
    let data = data_dir(args.shared.as_ref())?;
    let corpus = load_corpus(&data)?;
    let corrections = match &args.with_corrections {
        Some(p) => read_corrections(p)?,
        None => Vec::new(),
    };
    let (learn, held) = if args.no_hold_out {
        (corrections.clone(), Vec::new())
    } else {
        corrections::split(&corrections)
    };
    let t = Instant::now();
    let trained = train_models(&corpus, &learn, &TrainOptions::with_seed(args.seed));
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    for (name, bytes) in [
        ("sentiment.bin", &trained.sentiment),
        ("language.bin", &trained.language),
    ] {
        let path = args.out.join(name);
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
        println!("wrote {} ({} bytes)", path.display(), bytes.len());
    }
    println!(
        "trained on {} sentiment and {} language examples ({} of {} corrections; {} held out) in {:.1} s",
        trained.sentiment_examples,
        trained.language_examples,
        learn.len(),
        corrections.len(),
        held.len(),
        t.elapsed().as_secs_f64()
    );
    if !corrections.is_empty() {
        let after = (
            SentimentModel::from_bytes(&trained.sentiment)?,
            LanguageIdentifier::with_model(
                Rules::default(),
                Some(LangModel::from_bytes(&trained.language)?),
            ),
        );
        let before = (SentimentModel::default_model()?, LanguageIdentifier::new());
        let agreement = |(m, id): &(SentimentModel, LanguageIdentifier), cs: &[Correction]| {
            let (mut ms, mut ls) = (ModelScratch::new(), LangScratch::new());
            corrections::Agreement::of(
                cs,
                |t| m.predict_with(t, &mut ms).label,
                |t| id.identify_with(t, &mut ls).code().to_owned(),
            )
        };
        let row = |name, cs: &[Correction]| corrections::Row {
            name,
            before: agreement(&before, cs),
            after: agreement(&after, cs),
        };
        println!(
            "\n{}",
            corrections::report(&[
                row("**held out** (not trained on)", &held),
                row("trained on", &learn),
            ])
        );
    }
    Ok(())
}

#[allow(clippy::print_stdout)]
pub fn eval(args: &EvalArgs) -> anyhow::Result<()> {
    let data = data_dir(args.shared.as_ref())?;
    let corpus = load_corpus(&data)?;
    let rows = chorus_text::report::lang_rows(&corpus);
    if let Some(path) = &args.write_lang_set {
        let mut f = std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        );
        for r in &rows {
            // Texts hold no newline; tabs and carriage returns are made spaces for the format.
            let text: String = r
                .text
                .chars()
                .map(|c| {
                    if matches!(c, '\t' | '\n' | '\r') {
                        ' '
                    } else {
                        c
                    }
                })
                .collect();
            writeln!(f, "{}\t{}\t{text}", r.set, r.gold)?;
        }
        f.flush()?;
        println!("wrote {} texts to {}", rows.len(), path.display());
        return Ok(());
    }
    let model = match &args.sentiment_model {
        Some(p) => SentimentModel::from_bytes(&std::fs::read(p)?)?,
        None => SentimentModel::default_model()?,
    };
    let new = match &args.language_model {
        Some(p) => LanguageIdentifier::with_model(
            Rules::default(),
            Some(LangModel::from_bytes(&std::fs::read(p)?)?),
        ),
        None => LanguageIdentifier::new(),
    };
    let old = LanguageIdentifier::with_model(Rules::default(), None);
    let predict = |id: &LanguageIdentifier| {
        let mut s = LangScratch::new();
        rows.iter()
            .map(|r| id.identify_with(r.text, &mut s).code())
            .collect::<Vec<&str>>()
    };
    let others: Vec<(String, Vec<String>)> = args
        .other
        .iter()
        .map(|o| {
            let (name, file) = o
                .split_once('=')
                .with_context(|| format!("--other {o:?}: expected NAME=FILE"))?;
            let lines: Vec<String> = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {file}"))?
                .lines()
                .map(|l| l.trim().to_owned())
                .collect();
            if lines.len() != rows.len() {
                bail!("{file}: {} answers for {} texts", lines.len(), rows.len());
            }
            Ok((name.to_owned(), lines))
        })
        .collect::<anyhow::Result<_>>()?;
    let mut tools: Vec<(&str, Vec<&str>)> = vec![
        ("**Chorus (trained model)**", predict(&new)),
        ("Chorus, trigram profiles only (before)", predict(&old)),
    ];
    for (name, answers) in &others {
        tools.push((name.as_str(), answers.iter().map(String::as_str).collect()));
    }
    let vader = SentimentAnalyzer::new();
    let (report, _) = chorus_text::report::full(&corpus, &model, &vader, &tools);
    println!("{report}");
    if !args.no_speed {
        let texts: Vec<&str> = corpus.ira.iter().map(|r| r.text.as_str()).collect();
        println!("{}", speed(&texts, &new, &model));
    }
    Ok(())
}

/// Posts per second of one thread (best of three passes) for language, model sentiment and
/// both, as a Markdown table.
fn speed(texts: &[&str], id: &LanguageIdentifier, model: &SentimentModel) -> String {
    let mut ls = LangScratch::new();
    let mut ms = ModelScratch::new();
    let rate = |f: &mut dyn FnMut(&str)| {
        let mut best = 0f64;
        for _ in 0..3 {
            let t = Instant::now();
            for text in texts {
                f(text);
            }
            #[allow(clippy::cast_precision_loss)]
            let r = texts.len() as f64 / t.elapsed().as_secs_f64();
            best = best.max(r);
        }
        best
    };
    let lang = rate(&mut |t| {
        std::hint::black_box(id.identify_with(t, &mut ls));
    });
    let sent = rate(&mut |t| {
        std::hint::black_box(model.predict_with(t, &mut ms));
    });
    let both = rate(&mut |t| {
        std::hint::black_box(id.identify_with(t, &mut ls));
        std::hint::black_box(model.predict_with(t, &mut ms));
    });
    let build = if cfg!(debug_assertions) {
        " **debug build: run a release build for real figures**"
    } else {
        ""
    };
    format!(
        "## Speed\n\nOne thread, best of three passes over the {} IRA tweets, wall clock{build}.\n\n\
         | what | posts/s |\n|---|---:|\n| language | {:.0} |\n| sentiment (model, VADER included) | {:.0} |\n\
         | **language + sentiment** | **{:.0}** |\n",
        texts.len(),
        lang,
        sent,
        both
    )
}
