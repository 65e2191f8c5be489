//! Criterion benches: parsing, tokenizing, and matching one post against the benchmark
//! workload's 10k queries (read from `$CHORUS_LISTEN_CACHE/wl10k-s1`, written by
//! `bench/listen/run.sh` or the workload test; the match bench is skipped when absent).
//! The side-by-side comparison with the peers is `bench/listen/run.sh`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::hint::black_box;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;

use chorus_query::text::{Tokens, tokenize};
use chorus_query::{Matcher, Post, Scratch, parse};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const QUERIES: &[&str] = &[
    "(\"nokia 3310\" OR #nokia3310 OR lumia*) AND (lang:en OR lang:fi) -job -hiring",
    "+(zelopuf OR \"hailed near\" OR \"carbonate brisk\"~3 OR chromat*) +(people OR water) -because",
    "@nokia NEAR/5 (broken OR crash*) site:nokia.com",
    "東京 AND lang:ja -天気",
];

const POSTS: &[&str] = &[
    "@user31 Deceased the #Regency of and blessings Chromatography overt water people carbonate the brisk...",
    "Miguel Herrera (México) dice: “queremos llegar a la final de la Copa América”  #noticias",
    "米国軍事介入リスト！ １８９０年からの１１０年間で、なんと１３０回もの軍事介入を行っている米国！",
];

fn bench_parse_tokenize(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Elements(QUERIES.len() as u64));
    g.bench_function("4 queries", |b| {
        b.iter(|| {
            QUERIES
                .iter()
                .filter(|q| parse(black_box(q)).is_ok())
                .count()
        })
    });
    g.finish();
    let mut g = c.benchmark_group("tokenize");
    let mut t = Tokens::new();
    for (i, p) in POSTS.iter().enumerate() {
        g.throughput(Throughput::Bytes(p.len() as u64));
        g.bench_function(format!("post {i}"), |b| {
            b.iter(|| tokenize(black_box(p), &mut t))
        });
    }
    g.finish();
}

fn workload() -> Option<(Vec<String>, Vec<serde_json::Value>)> {
    let cache = std::env::var_os("CHORUS_LISTEN_CACHE").map_or_else(
        || PathBuf::from("/var/tmp/chorus-listen-cache"),
        PathBuf::from,
    );
    let dir = cache.join("wl10k-s1");
    let qs = std::fs::File::open(dir.join("queries.tsv")).ok()?;
    let ps = std::fs::File::open(dir.join("posts.jsonl")).ok()?;
    let qs = BufReader::new(qs)
        .lines()
        .map(|l| l.unwrap().split_once('\t').unwrap().1.to_owned())
        .collect();
    let ps = BufReader::new(ps)
        .lines()
        .take(20_000)
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect();
    Some((qs, ps))
}

fn bench_match(c: &mut Criterion) {
    let Some((qs, ps)) = workload() else {
        eprintln!("skipping match benches: run bench/listen/run.sh once to create the workload");
        return;
    };
    let mut g = c.benchmark_group("workload 10k queries");
    g.sample_size(10);
    g.bench_function("register 10k queries", |b| {
        b.iter(|| {
            let mut m = Matcher::new();
            for (i, q) in qs.iter().enumerate() {
                m.add_str(i as u64, q).unwrap();
            }
            m
        })
    });
    let mut m = Matcher::new();
    for (i, q) in qs.iter().enumerate() {
        m.add_str(i as u64, q).unwrap();
    }
    let mut scratch = Scratch::new();
    g.throughput(Throughput::Elements(ps.len() as u64));
    g.bench_function("match 20k posts", |b| {
        b.iter(|| {
            let mut n = 0;
            for p in &ps {
                let s = |k: &str| p[k].as_str();
                let post = Post {
                    text: s("text").unwrap(),
                    lang: s("lang"),
                    country: s("country"),
                    network: s("network"),
                    author: s("author"),
                    domains: &[],
                };
                n += m.matches(&post, &mut scratch).len();
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, bench_parse_tokenize, bench_match);
criterion_main!(benches);
