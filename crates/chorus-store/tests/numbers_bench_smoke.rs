//! A small run of the Numbers benchmark's generator (`examples/numbers_bench`), so it does not
//! rot between benchmark runs: 40 posts × 60 days written through the store's real snapshot
//! path on SQLite and through the bulk path on SQLite and on PostgreSQL (`COPY`) must leave the
//! same rollups, row for row.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

#[path = "../examples/numbers_bench/gen.rs"]
mod r#gen;

use chorus_store::{DatabaseUrl, Store};
use sqlx::Connection;

const POSTS: usize = 40;
const DAYS: i64 = 60;
const END_MS: i64 = 1_790_000_000_000;

async fn build(url: &str, real: bool) {
    let store = Store::open(&DatabaseUrl::parse(url).unwrap())
        .await
        .unwrap();
    let world = r#gen::world(&store).await.unwrap();
    let posts = r#gen::posts(&world, 1, POSTS, DAYS, END_MS);
    r#gen::insert_posts(url, &world, &posts).await.unwrap();
    if real {
        let n = r#gen::write_real(&store, &posts, DAYS, END_MS)
            .await
            .unwrap();
        assert_eq!(n, POSTS as u64 * DAYS as u64);
    } else {
        let (n, _) = r#gen::write_bulk(url, &world, &posts, DAYS, END_MS, &mut |_| {})
            .await
            .unwrap();
        assert_eq!(n, POSTS as u64 * DAYS as u64);
    }
    r#gen::write_followers(&store, &world, DAYS, END_MS)
        .await
        .unwrap();
    store.close().await;
}

#[tokio::test]
async fn the_bulk_path_leaves_the_rollups_the_real_path_does() {
    let dir = tempfile::tempdir().unwrap();
    let real = format!("sqlite://{}", dir.path().join("real.db").display());
    let bulk = format!("sqlite://{}", dir.path().join("bulk.db").display());
    build(&real, true).await;
    build(&bulk, false).await;
    let expected = r#gen::rollups_of(&real).await.unwrap();
    assert!(expected.len() > 1000, "{} rollup rows", expected.len());
    assert!(
        expected.iter().any(|r| r.0 == "campaign") && expected.iter().any(|r| r.0 == "principle")
    );
    assert_eq!(r#gen::rollups_of(&bulk).await.unwrap(), expected);

    let admin_url = std::env::var("CHORUS_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://chorus:chorus@127.0.0.1:5432/chorus".to_owned());
    let mut admin = match sqlx::PgConnection::connect(&admin_url).await {
        Ok(c) => c,
        Err(e) if std::env::var("CHORUS_REQUIRE_SERVICES").as_deref() != Ok("1") => {
            eprintln!("skipping the PostgreSQL half: {e}");
            return;
        }
        Err(e) => panic!("PostgreSQL unreachable at {admin_url}: {e}"),
    };
    let name = format!("chorus_numbench_{}", std::process::id());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let (base, _) = admin_url.rsplit_once('/').unwrap();
    let pg = format!("{base}/{name}");
    build(&pg, false).await;
    let got = r#gen::rollups_of(&pg).await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .unwrap();
    assert_eq!(got.unwrap(), expected);
}
