//! The Numbers benchmark's generator (`bench/numbers/run.sh` runs it; see `gen.rs`).
//!
//! ```text
//! numbers_bench generate URL [--posts 50000] [--days 365] [--end YYYY-MM-DD]
//! numbers_bench check [--posts 100] [--days 365]
//! ```
//!
//! `generate` makes a fresh database at URL (SQLite or PostgreSQL, migrated by the store) with
//! the bulk path. `check` writes the same posts through the real path
//! (`Store::record_post_snapshots`) and the bulk path into two fresh SQLite databases, prints
//! the real path's rate, and fails unless their rollups are equal row for row.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod r#gen;

use std::time::Instant;

use anyhow::{Context, bail};
use chorus_store::{DatabaseUrl, Store};

struct Args {
    posts: usize,
    days: i64,
    end_ms: i64,
}

fn args(rest: &[String], posts: usize) -> anyhow::Result<Args> {
    let mut a = Args {
        posts,
        days: 365,
        end_ms: jiff::Zoned::now()
            .with_time_zone(jiff::tz::TimeZone::UTC)
            .date()
            .to_zoned(jiff::tz::TimeZone::UTC)?
            .timestamp()
            .as_millisecond(),
    };
    let mut it = rest.iter();
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--posts" => a.posts = value.parse()?,
            "--days" => a.days = value.parse()?,
            "--end" => {
                a.end_ms = value
                    .parse::<jiff::civil::Date>()?
                    .to_zoned(jiff::tz::TimeZone::UTC)?
                    .timestamp()
                    .as_millisecond()
            }
            other => bail!("unknown flag {other}"),
        }
    }
    Ok(a)
}

async fn open(url: &str) -> anyhow::Result<Store> {
    let parsed = DatabaseUrl::parse(url).map_err(|e| anyhow::anyhow!(e.message))?;
    Ok(Store::open(&parsed).await?)
}

/// A fresh database at `url` with the world and posts, the measurements by the bulk path (or
/// the real one).
async fn build(url: &str, a: &Args, real: bool) -> anyhow::Result<(Store, u64)> {
    let t = Instant::now();
    let store = open(url).await?;
    let world = r#gen::world(&store).await?;
    let posts = r#gen::posts(&world, 1, a.posts, a.days, a.end_ms);
    r#gen::insert_posts(url, &world, &posts).await?;
    eprintln!(
        "  {} posts published in {:.1} s",
        posts.len(),
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let snapshots = if real {
        r#gen::write_real(&store, &posts, a.days, a.end_ms).await?
    } else {
        let (s, r) = r#gen::write_bulk(url, &world, &posts, a.days, a.end_ms, &mut |n| {
            if n % 10_000 == 0 {
                eprintln!("  {n} posts measured ({:.0} s)", t.elapsed().as_secs_f64());
            }
        })
        .await?;
        eprintln!("  {s} snapshots and {r} rollup rows written in bulk");
        s
    };
    let secs = t.elapsed().as_secs_f64();
    eprintln!(
        "  {snapshots} snapshots in {secs:.1} s ({:.0} a second, {} path)",
        snapshots as f64 / secs,
        if real { "real" } else { "bulk" }
    );
    r#gen::write_followers(&store, &world, a.days, a.end_ms).await?;
    Ok((store, snapshots))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    match argv.first().map(String::as_str) {
        Some("generate") => {
            let url = argv.get(1).context("generate URL")?;
            let a = args(&argv[2..], 50_000)?;
            let t = Instant::now();
            let (store, _) = build(url, &a, false).await?;
            eprintln!("  planner statistics…");
            if url.starts_with("postgres") {
                sqlx::any::install_default_drivers();
                let pool = sqlx::AnyPool::connect(url).await?;
                sqlx::query("ANALYZE").execute(&pool).await?;
            } else {
                store.optimize().await?;
                sqlx::any::install_default_drivers();
                let pool = sqlx::AnyPool::connect(url).await?;
                sqlx::query("ANALYZE").execute(&pool).await?;
            }
            println!(
                "generated {} posts x {} days in {:.0} s; log in as {} / {}",
                a.posts,
                a.days,
                t.elapsed().as_secs_f64(),
                r#gen::ADMIN_EMAIL,
                r#gen::ADMIN_PASSWORD
            );
        }
        Some("check") => {
            let a = args(&argv[1..], 100)?;
            let dir = tempfile::tempdir()?;
            let real = format!("sqlite://{}", dir.path().join("real.db").display());
            let bulk = format!("sqlite://{}", dir.path().join("bulk.db").display());
            build(&real, &a, true).await?;
            build(&bulk, &a, false).await?;
            let (r, b) = (
                r#gen::rollups_of(&real).await?,
                r#gen::rollups_of(&bulk).await?,
            );
            if r != b {
                let first = r.iter().zip(&b).position(|(x, y)| x != y);
                bail!(
                    "the bulk path's rollups differ from the real path's: {} vs {} rows, first \
                     difference at {first:?}",
                    r.len(),
                    b.len()
                );
            }
            println!(
                "bulk rollups equal the real path's: {} rows for {} posts x {} days",
                r.len(),
                a.posts,
                a.days
            );
        }
        _ => bail!("usage: numbers_bench generate URL [--posts N] [--days D] | check [--posts N]"),
    }
    Ok(())
}
