//! The benchmark workloads (`shared/peers/listen/gen_workload.py`: 10k queries seed 1 and 100k
//! queries seed 2, 100k posts each): our (post, query) match set must equal `peer_aho.py`'s,
//! the exact reference matcher. Needs the venv from `.ci/setup-listen.sh`; workloads and the
//! reference output are cached under `$CHORUS_LISTEN_CACHE` (default /var/tmp/chorus-listen-cache).

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Command;

use chorus_query::{Matcher, Post, Scratch};

use super::support::{shared_dir, skip};

/// The venv's python: `$CHORUS_LISTEN_PYTHON` (what scripts/test exports from
/// .ci/setup-listen.sh), else `$CHORUS_LISTEN_VENV/bin/python`, else the default venv.
fn python() -> Option<PathBuf> {
    let py = match std::env::var_os("CHORUS_LISTEN_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => std::env::var_os("CHORUS_LISTEN_VENV")
            .map_or_else(
                || PathBuf::from("/var/tmp/chorus-listen-venv"),
                PathBuf::from,
            )
            .join("bin/python"),
    };
    let ok = Command::new(&py)
        .args(["-c", "import wordfreq, ahocorasick"])
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some(py)
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Generate the workload and the reference output once; later runs reuse them.
fn prepare(py: &Path, name: &str, queries: u32, seed: u32) -> PathBuf {
    let cache = std::env::var_os("CHORUS_LISTEN_CACHE").map_or_else(
        || PathBuf::from("/var/tmp/chorus-listen-cache"),
        PathBuf::from,
    );
    let dir = cache.join(name);
    let peers = shared_dir().join("peers/listen");
    if !dir.join("aho.done").exists() {
        std::fs::create_dir_all(&dir).unwrap();
        let q = queries.to_string();
        let s = seed.to_string();
        run(Command::new(py)
            .arg(peers.join("gen_workload.py"))
            .arg(&dir)
            .args(["--queries", &q, "--posts", "100000", "--seed", &s]));
        run(Command::new(py)
            .arg(peers.join("peer_aho.py"))
            .arg(&dir)
            .arg("--out")
            .arg(dir.join("aho.tsv")));
        std::fs::write(dir.join("aho.done"), "").unwrap();
    }
    dir
}

fn lines(p: &Path) -> impl Iterator<Item = String> {
    BufReader::new(std::fs::File::open(p).unwrap())
        .lines()
        .map(Result::unwrap)
}

fn ours(dir: &Path) -> BTreeSet<String> {
    let qs: Vec<(String, String)> = lines(&dir.join("queries.tsv"))
        .map(|l| {
            let (a, b) = l.split_once('\t').unwrap();
            (a.to_owned(), b.to_owned())
        })
        .collect();
    let mut m = Matcher::new();
    for (i, (id, q)) in qs.iter().enumerate() {
        if let Err(e) = m.add_str(i as u64, q) {
            panic!("{id}: {}", e.render(q));
        }
    }
    let mut out = BTreeSet::new();
    let mut scratch = Scratch::new();
    for l in lines(&dir.join("posts.jsonl")) {
        let p: serde_json::Value = serde_json::from_str(&l).unwrap();
        let s = |k: &str| p[k].as_str();
        let post = Post {
            text: s("text").unwrap(),
            lang: s("lang"),
            country: s("country"),
            network: s("network"),
            author: s("author"),
            domains: &[],
        };
        let ids = m.matches(&post, &mut scratch);
        if !ids.is_empty() {
            let mut names: Vec<&str> = ids.iter().map(|&i| qs[i as usize].0.as_str()).collect();
            names.sort_unstable();
            out.insert(format!("{}\t{}", s("id").unwrap(), names.join(",")));
        }
    }
    out
}

fn check(name: &str, queries: u32, seed: u32) {
    let Some(py) = python() else {
        return skip("listen venv missing (run: bash .ci/setup-listen.sh)");
    };
    if !shared_dir().join("peers/listen/peer_aho.py").exists() {
        return skip("shared/peers/listen not found");
    }
    let dir = prepare(&py, name, queries, seed);
    let want: BTreeSet<String> = lines(&dir.join("aho.tsv")).collect();
    let got = ours(&dir);
    assert!(
        want.len() > 10_000,
        "reference output looks truncated: {} lines",
        want.len()
    );
    let missing: Vec<_> = want.difference(&got).take(5).collect();
    let extra: Vec<_> = got.difference(&want).take(5).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{name}: differs from peer_aho\nmissing {missing:?}\nextra {extra:?}"
    );
    assert_eq!(got.len(), want.len());
}

#[test]
fn workload_10k_queries_equals_peer_aho() {
    check("wl10k-s1", 10_000, 1);
}

#[test]
fn workload_100k_queries_equals_peer_aho() {
    check("wl100k-s2", 100_000, 2);
}
