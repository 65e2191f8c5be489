//! Library-level harness: load a workload directory from `gen_workload.py` (queries.tsv +
//! posts.jsonl), register every query, match every post on one thread and print one RESULT
//! line (thread CPU time) and `postid<TAB>qid,…` lines to the file given as third argument.
//! `chorus query match` is the user-facing tool; this runs without the binary crate.
//!
//! cargo run --release -p chorus-query --example percolate -- /var/tmp/wl10k [OUT.tsv]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::io::{BufRead, BufReader, Write};
use std::time::{Duration, Instant};

use chorus_query::{Matcher, Post, Scratch};

fn thread_cpu() -> Duration {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    Duration::from_nanos(s.split_whitespace().next().unwrap().parse().unwrap())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = &args[1];
    let qs: Vec<(String, String)> =
        BufReader::new(std::fs::File::open(format!("{dir}/queries.tsv")).unwrap())
            .lines()
            .map(|l| {
                let l = l.unwrap();
                let (a, b) = l.split_once('\t').unwrap();
                (a.to_owned(), b.to_owned())
            })
            .collect();
    let posts: Vec<serde_json::Value> =
        BufReader::new(std::fs::File::open(format!("{dir}/posts.jsonl")).unwrap())
            .lines()
            .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
            .collect();
    let c0 = thread_cpu();
    let mut m = Matcher::new();
    for (i, (_, q)) in qs.iter().enumerate() {
        m.add_str(i as u64, q).unwrap();
    }
    let reg = thread_cpu() - c0;
    let s = |p: &serde_json::Value, k: &str| p[k].as_str().map(str::to_owned);
    let owned: Vec<_> = posts
        .iter()
        .map(|p| {
            (
                s(p, "id").unwrap(),
                s(p, "text").unwrap(),
                s(p, "lang"),
                s(p, "country"),
                s(p, "network"),
                s(p, "author"),
            )
        })
        .collect();
    let mut scratch = Scratch::new();
    let mut out = Vec::new();
    let mut lat = Vec::with_capacity(owned.len());
    let mut cands = 0usize;
    let c1 = thread_cpu();
    for (id, text, lang, country, network, author) in &owned {
        let post = Post {
            text,
            lang: lang.as_deref(),
            country: country.as_deref(),
            network: network.as_deref(),
            author: author.as_deref(),
            domains: &[],
        };
        let t = Instant::now();
        let ids = m.matches(&post, &mut scratch);
        if !ids.is_empty() {
            let mut names: Vec<&str> = ids.iter().map(|&i| qs[i as usize].0.as_str()).collect();
            names.sort_unstable();
            out.push(format!("{id}\t{}", names.join(",")));
        }
        lat.push(t.elapsed());
        cands += scratch.last_candidates();
    }
    let cpu = (thread_cpu() - c1).as_secs_f64();
    lat.sort_unstable();
    let st = m.stats();
    println!(
        "RESULT engine=chorus-lib queries={} posts={} register_cpu_s={:.3} cpu_s={:.3} docs_per_cpu_s={:.0} p99_us={:.1} candidates_per_doc={:.2} docs_with_match={} literals={} postings={} matcher_mb={:.1}",
        qs.len(),
        owned.len(),
        reg.as_secs_f64(),
        cpu,
        owned.len() as f64 / cpu,
        lat[lat.len() * 99 / 100].as_secs_f64() * 1e6,
        cands as f64 / owned.len() as f64,
        out.len(),
        st.literals,
        st.postings,
        st.memory_bytes as f64 / 1048576.0
    );
    if let Some(path) = args.get(2) {
        let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
        for l in out {
            writeln!(f, "{l}").unwrap();
        }
    }
}
