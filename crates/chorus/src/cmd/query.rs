//! `chorus query …`: check and run listening queries from the command line.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chorus_query::{Matcher, Post, Scratch};

/// Work with listening queries.
#[derive(Debug, clap::Subcommand)]
pub enum QueryCommand {
    /// Parse a query and print its tree, or the error with a caret under the problem.
    Check {
        /// The query text, e.g. '"new phone" AND (launch OR release) -job'.
        query: String,
    },
    /// Match every post of a JSONL file against every query of a file; write
    /// `postid<TAB>qid,qid,…` for each post with at least one match.
    Match {
        /// Queries: TSV `id<TAB>query`, or JSONL objects with `id` and `query` (or `lucene`).
        #[arg(long)]
        queries: PathBuf,
        /// Posts: JSONL objects with `id`, `text` and optional `lang`, `country`, `network`,
        /// `author`, `domains` (array of link domains).
        #[arg(long)]
        posts: PathBuf,
        /// Write matches here instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
}

pub fn run(cmd: QueryCommand) -> anyhow::Result<()> {
    match cmd {
        QueryCommand::Check { query } => check(&query),
        QueryCommand::Match {
            queries,
            posts,
            out,
            quiet,
        } => run_match(&queries, &posts, out.as_deref(), quiet),
    }
}

/// The same check as the query form's live check and the API's (`chorus_app`).
fn check(query: &str) -> anyhow::Result<()> {
    let c = chorus_app::conversations::queries::check(query, &[], &[]);
    match (c.tree, c.canonical, c.error) {
        (Some(tree), Some(canonical), _) => {
            let mut o = std::io::stdout().lock();
            write!(o, "{tree}")?;
            writeln!(o, "canonical: {canonical}")?;
            Ok(())
        }
        (_, _, Some(e)) if !e.rendered.is_empty() => bail!("invalid query\n{}", e.rendered),
        (_, _, e) => bail!(
            "invalid query: {}",
            e.map_or_else(|| "unknown error".to_owned(), |e| e.message)
        ),
    }
}

#[derive(serde::Deserialize)]
struct QueryLine {
    id: serde_json::Value,
    #[serde(alias = "lucene", alias = "q")]
    query: String,
}

#[derive(serde::Deserialize)]
struct PostLine {
    id: serde_json::Value,
    text: String,
    lang: Option<String>,
    country: Option<String>,
    network: Option<String>,
    author: Option<String>,
    #[serde(default)]
    domains: Vec<String>,
}

fn id_string(v: serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    }
}

fn load_queries(path: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in BufReader::new(f).lines().enumerate() {
        let line = line.with_context(|| format!("{}: read error", path.display()))?;
        let trimmed = line.trim_end_matches('\r');
        if trimmed.trim().is_empty() {
            continue;
        }
        if trimmed.trim_start().starts_with('{') {
            let q: QueryLine = serde_json::from_str(trimmed)
                .with_context(|| format!("{}:{}: bad JSON query line", path.display(), n + 1))?;
            out.push((id_string(q.id), q.query));
        } else {
            let Some((id, q)) = trimmed.split_once('\t') else {
                bail!("{}:{}: expected `id<TAB>query`", path.display(), n + 1);
            };
            out.push((id.to_owned(), q.to_owned()));
        }
    }
    Ok(out)
}

fn load_posts(path: &Path) -> anyhow::Result<Vec<(String, PostLine)>> {
    let f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in BufReader::new(f).lines().enumerate() {
        let line = line.with_context(|| format!("{}: read error", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let mut p: PostLine = serde_json::from_str(&line)
            .with_context(|| format!("{}:{}: bad JSON post line", path.display(), n + 1))?;
        let id = id_string(std::mem::take(&mut p.id));
        out.push((id, p));
    }
    Ok(out)
}

/// CPU time of the calling thread (Linux `/proc/thread-self/schedstat`), wall time elsewhere.
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn rss_kib(key: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn run_match(queries: &Path, posts: &Path, out: Option<&Path>, quiet: bool) -> anyhow::Result<()> {
    let qs = load_queries(queries)?;
    let ps = load_posts(posts)?;
    let rss0 = rss_kib("VmRSS:");

    let t0 = Instant::now();
    let rc0 = thread_cpu();
    let mut m = Matcher::new();
    for (i, (id, q)) in qs.iter().enumerate() {
        if let Err(e) = m.add_str(i as u64, q) {
            bail!("query {id}: invalid\n{}", e.render(q));
        }
    }
    let register = t0.elapsed();
    let register_cpu = match (rc0, thread_cpu()) {
        (Some(a), Some(b)) => b.saturating_sub(a),
        _ => register,
    };
    let rss1 = rss_kib("VmRSS:");
    let stats = m.stats();

    let pb = if quiet {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(ps.len() as u64)
    };
    pb.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} posts  {per_sec}  eta {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );

    let mut scratch = Scratch::new();
    let mut hits: Vec<u32> = Vec::new();
    let mut ends: Vec<usize> = Vec::with_capacity(ps.len());
    let mut lat: Vec<u32> = Vec::with_capacity(ps.len());
    let cpu0 = thread_cpu();
    let w0 = Instant::now();
    let mut domains: Vec<&str> = Vec::new();
    for (n, (_, p)) in ps.iter().enumerate() {
        domains.clear();
        domains.extend(p.domains.iter().map(String::as_str));
        let post = Post {
            text: &p.text,
            lang: p.lang.as_deref(),
            country: p.country.as_deref(),
            network: p.network.as_deref(),
            author: p.author.as_deref(),
            domains: &domains,
        };
        let t = Instant::now();
        let ids = m.matches(&post, &mut scratch);
        hits.extend(ids.iter().map(|&i| i as u32));
        lat.push(t.elapsed().as_nanos().min(u128::from(u32::MAX)) as u32);
        ends.push(hits.len());
        if n % 4096 == 4095 {
            pb.set_position(n as u64 + 1);
        }
    }
    let wall = w0.elapsed();
    let cpu = match (cpu0, thread_cpu()) {
        (Some(a), Some(b)) => b.saturating_sub(a),
        _ => wall,
    };
    pb.finish_and_clear();

    let sink: Box<dyn Write> = match out {
        Some(p) => {
            Box::new(File::create(p).with_context(|| format!("cannot create {}", p.display()))?)
        }
        None => Box::new(std::io::stdout().lock()),
    };
    let mut w = BufWriter::new(sink);
    let mut start = 0;
    let mut names: Vec<&str> = Vec::new();
    let mut with_match = 0usize;
    for ((pid, _), &end) in ps.iter().zip(&ends) {
        if end > start {
            with_match += 1;
            names.clear();
            names.extend(hits[start..end].iter().map(|&i| qs[i as usize].0.as_str()));
            names.sort_unstable();
            writeln!(w, "{pid}\t{}", names.join(","))?;
        }
        start = end;
    }
    w.flush()?;

    lat.sort_unstable();
    let pct = |q: f64| -> f64 {
        if lat.is_empty() {
            return 0.0;
        }
        let i = ((lat.len() as f64 - 1.0) * q).round() as usize;
        f64::from(lat[i.min(lat.len() - 1)]) / 1000.0
    };
    let secs = cpu.as_secs_f64().max(1e-9);
    let mut e = std::io::stderr().lock();
    writeln!(
        e,
        "RESULT engine=chorus queries={} posts={} register_s={:.3} register_cpu_s={:.3} cpu_s={:.3} wall_s={:.3} \
         docs_per_cpu_s={:.0} p50_us={:.1} p99_us={:.1} max_us={:.1} matches={} docs_with_match={} \
         literals={} postings={} unanchored={} matcher_mb={:.1} rss_delta_mb={}",
        qs.len(),
        ps.len(),
        register.as_secs_f64(),
        register_cpu.as_secs_f64(),
        secs,
        wall.as_secs_f64(),
        ps.len() as f64 / secs,
        pct(0.5),
        pct(0.99),
        pct(1.0),
        hits.len(),
        with_match,
        stats.literals,
        stats.postings,
        stats.unanchored,
        stats.memory_bytes as f64 / 1048576.0,
        match (rss0, rss1) {
            (Some(a), Some(b)) => format!("{:.1}", b.saturating_sub(a) as f64 / 1024.0),
            _ => "?".to_owned(),
        },
    )?;
    Ok(())
}
