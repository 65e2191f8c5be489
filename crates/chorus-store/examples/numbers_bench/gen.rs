//! The Numbers benchmark's data: an organization with markets in eight zones (a half-hour one
//! and DST ones among them), accounts, principles and campaigns made through the store's API,
//! then `posts` published stories of one variant each, every one measured once a day for
//! `days` days, ending at `end`.
//!
//! Two ways to write the measurements:
//!
//! - [`write_real`]: `Store::record_post_snapshots`, the collector's own path, which keeps the
//!   rollups in each snapshot's transaction;
//! - [`write_bulk`]: the snapshots and the rollups computed here and loaded in bulk (rusqlite
//!   on SQLite, `COPY` on PostgreSQL), for tens of millions of rows in minutes. Its rollups
//!   follow the store's contract (`numbers.rs`): per metric the gain over the previous
//!   reported value, in the later measurement's bucket in the market's zone, per post, story,
//!   account, market, network, campaign and each principle; rows that sum to 0 are absent.
//!   `rollups_of` reads a database's rollups so the two can be compared (the smoke test and
//!   `numbers_bench check` do).
//!
//! Everything is deterministic: the same arguments give the same database.

#![allow(dead_code)]

use std::collections::HashMap;

use chorus_core::audit::Author;
use chorus_core::numbers::{Dimension, Grain, Metric, PostCounts, bucket_of};
use chorus_core::org::MarketInput;
use chorus_core::playbook::{PrincipleInput, RawPrinciple};
use chorus_core::stories::CampaignInput;
use chorus_core::user::{Email, Membership};
use chorus_core::{MarketId, PrincipleId, Role};
use chorus_store::{NewAccount, NewFollowerSnapshot, NewPostSnapshot, NewUser, Store};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use sqlx::Row;

/// The markets: code, zone.
pub const MARKETS: [(&str, &str); 8] = [
    ("FI", "Europe/Helsinki"),
    ("BR", "America/Sao_Paulo"),
    ("IN", "Asia/Kolkata"),
    ("US", "America/New_York"),
    ("KE", "Africa/Nairobi"),
    ("JP", "Asia/Tokyo"),
    ("AU", "Australia/Adelaide"),
    ("GB", "Europe/London"),
];
pub const ACCOUNTS_PER_MARKET: usize = 6;
pub const CAMPAIGNS: usize = 40;
pub const PRINCIPLES: i64 = 6;
/// The bench's login.
pub const ADMIN_EMAIL: &str = "bench@numbers.test";
pub const ADMIN_PASSWORD: &str = "numbers-bench-admin";

const DAY_MS: i64 = 86_400_000;

use chorus_core::numbers::sample::Rng;

/// What was made through the API, with the ids the bulk rows refer to.
pub struct World {
    pub markets: Vec<(i64, TimeZone)>,
    /// (account id, index into `markets`).
    pub accounts: Vec<(i64, usize)>,
    /// (campaign id, indexes into `markets`).
    pub campaigns: Vec<(i64, Vec<usize>)>,
    pub principles: Vec<i64>,
    pub author: i64,
}

/// One published post: its variant and story (the same id), what it rolls up into, and its
/// measurements.
pub struct Post {
    pub id: i64,
    pub account: i64,
    pub market: usize,
    pub campaign: Option<i64>,
    pub principles: Vec<i64>,
    pub published_ms: i64,
    pub finals: [f64; 5],
}

/// The organization, markets, accounts, principles, campaigns and the bench's admin, through
/// the store's API.
pub async fn world(store: &Store) -> anyhow::Result<World> {
    let sys = Author::system("numbers-bench");
    let mut markets = Vec::new();
    for (code, zone) in MARKETS {
        let input = MarketInput::parse(code, code, code, &["en-GB".into()], zone)?;
        let m = store.create_market(&sys, &input).await?;
        markets.push((m.id.0, jiff::tz::db().get(zone)?));
    }
    let mut accounts = Vec::new();
    for (i, (m, _)) in markets.iter().enumerate() {
        for k in 0..ACCOUNTS_PER_MARKET {
            let handle = format!("bench-{}-{k}.test", MARKETS[i].0.to_lowercase());
            let a = store
                .connect_account(
                    &sys,
                    &NewAccount {
                        market_id: MarketId(*m),
                        network: "bluesky",
                        handle: &handle,
                        external_id: &format!("did:plc:bench{i}x{k}"),
                        service_url: "http://127.0.0.1:1",
                        sealed: "not-a-credential",
                    },
                )
                .await?;
            accounts.push((a.id, i));
        }
    }
    let mut principles = Vec::new();
    for number in 1..=PRINCIPLES {
        let input = PrincipleInput::parse(&RawPrinciple {
            number,
            pillar: "numbers".into(),
            title: format!("Principle {number}"),
            statement: "A principle of the benchmark.".into(),
            ..Default::default()
        })?;
        principles.push(store.create_principle(&sys, &input).await?.id.0);
    }
    let mut rng = Rng::new(40);
    let mut campaigns = Vec::new();
    for c in 0..CAMPAIGNS {
        let mut ms: Vec<usize> = (0..1 + rng.below(3))
            .map(|_| rng.below(MARKETS.len()))
            .collect();
        ms.sort_unstable();
        ms.dedup();
        let input = CampaignInput::parse(
            &format!("Campaign {c}"),
            vec![],
            ms.iter().map(|i| MarketId(markets[*i].0)).collect(),
            vec![PrincipleId(principles[c % principles.len()])],
            "2024-01-01",
            "2027-12-31",
        )?;
        campaigns.push((store.create_campaign(&sys, &input).await?.id, ms));
    }
    let author = store
        .create_user(
            &sys,
            &NewUser {
                email: Email::parse(ADMIN_EMAIL)?,
                display_name: "Numbers bench".into(),
                password_hash: Some(chorus_core::password::hash(ADMIN_PASSWORD)?),
                memberships: vec![Membership::new(Role::Admin, None)?],
            },
        )
        .await?
        .id
        .0;
    Ok(World {
        markets,
        accounts,
        campaigns,
        principles,
        author,
    })
}

/// The posts, deterministic: published over the year before their `days` of measurements
/// end at `end_ms`, three in five in a campaign of their market, citing one or two principles.
pub fn posts(world: &World, first_id: i64, n: usize, days: i64, end_ms: i64) -> Vec<Post> {
    let mut rng = Rng::new(18);
    let span = 365 * DAY_MS;
    (0..n)
        .map(|i| {
            let (account, market) = world.accounts[rng.below(world.accounts.len())];
            let published_ms = end_ms - days * DAY_MS - span + (rng.unit() * span as f64) as i64;
            let candidates: Vec<i64> = world
                .campaigns
                .iter()
                .filter(|(_, ms)| ms.contains(&market))
                .map(|(id, _)| *id)
                .collect();
            let campaign = (rng.unit() < 0.6 && !candidates.is_empty())
                .then(|| candidates[rng.below(candidates.len())]);
            let mut principles = vec![world.principles[rng.below(world.principles.len())]];
            if rng.unit() < 0.4 {
                let p = world.principles[rng.below(world.principles.len())];
                if !principles.contains(&p) {
                    principles.push(p);
                }
            }
            principles.sort_unstable();
            // Most posts modest, one in twenty far better.
            let mut quality = (0.8 * (rng.unit() + rng.unit() + rng.unit() - 1.5)).exp();
            if rng.unit() < 0.05 {
                quality *= 6.0;
            }
            let likes = 40.0 * quality;
            Post {
                id: first_id + i as i64,
                account,
                market,
                campaign,
                principles,
                published_ms,
                finals: [
                    likes,
                    likes * 0.15,
                    likes * 0.08,
                    likes * 0.02,
                    likes * 0.05,
                ],
            }
        })
        .collect()
}

/// The share of the final counts reached `hours` after publication: most in the first day,
/// and a long tail over the year after (so that, summed over many posts, every day of the
/// measured year has gains in every market, principle and campaign, as in a live
/// installation: the reads see full days).
fn reached(hours: f64) -> f64 {
    0.7 * (1.0 - (-hours / 14.0).exp()) + 0.3 * (1.0 - (-hours / 8760.0).exp())
}

/// A post's daily measurements over the `days` days before `end_ms` (all after its
/// publication), at its time of day.
pub fn series(post: &Post, days: i64, end_ms: i64) -> Vec<(i64, PostCounts)> {
    let first = end_ms - days * DAY_MS + post.published_ms.rem_euclid(DAY_MS - 7_200_000);
    (0..days)
        .map(|d| {
            let at = first + d * DAY_MS;
            let hours = (at - post.published_ms) as f64 / 3.6e6;
            let f = reached(hours);
            let c = |i: usize| Some((post.finals[i] * f).floor() as i64);
            (
                at,
                PostCounts {
                    likes: c(0),
                    reposts: c(1),
                    replies: c(2),
                    quotes: c(3),
                    bookmarks: c(4),
                    first_hour_likes: None,
                },
            )
        })
        .collect()
}

/// Inserts the stories, their principles and their published variants (story id = variant id =
/// post id) with multi-row statements, through sqlx on either backend.
pub async fn insert_posts(url: &str, world: &World, posts: &[Post]) -> anyhow::Result<()> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await?;
    let mut tx = pool.begin().await?;
    for chunk in posts.chunks(500) {
        let mut sql = String::from(
            "INSERT INTO stories (id, market_id, campaign_id, title, brief, state, author_id, \
             created_at, updated_at) VALUES ",
        );
        let mut vsql = String::from(
            "INSERT INTO variants (id, story_id, account_id, locale, body, scheduled_at, \
             pub_state, publish_key_at, published_uri, published_at, created_at, updated_at) \
             VALUES ",
        );
        let mut psql =
            String::from("INSERT INTO story_principles (story_id, principle_id) VALUES ");
        let mut first_p = true;
        for (i, p) in chunk.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            let campaign = p.campaign.map_or("NULL".to_owned(), |c| c.to_string());
            let (id, at) = (p.id, p.published_ms);
            let market = world.markets[p.market].0;
            sql.push_str(&format!(
                "{sep}({id}, {market}, {campaign}, 'Bench post {id}', 'b', 'published', {}, {at}, {at})",
                world.author
            ));
            vsql.push_str(&format!(
                "{sep}({id}, {id}, {}, 'en-GB', 'Bench post {id}', {at}, 'published', {at}, \
                 'at://did:plc:bench/app.bsky.feed.post/{id}', {at}, {at}, {at})",
                p.account
            ));
            for pr in &p.principles {
                psql.push_str(&format!("{}({id}, {pr})", if first_p { "" } else { ", " }));
                first_p = false;
            }
        }
        sqlx::query(&sql).execute(&mut *tx).await?;
        sqlx::query(&vsql).execute(&mut *tx).await?;
        sqlx::query(&psql).execute(&mut *tx).await?;
    }
    if url.starts_with("postgres") {
        for t in ["stories", "variants"] {
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT MAX(id) FROM {t}))"
            ))
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    pool.close().await;
    Ok(())
}

/// The real path: every measurement through `Store::record_post_snapshots`, day by day as a
/// collector would store them (batches of 500).
pub async fn write_real(
    store: &Store,
    posts: &[Post],
    days: i64,
    end_ms: i64,
) -> anyhow::Result<u64> {
    let mut all: Vec<NewPostSnapshot> = Vec::new();
    for p in posts {
        for (at, counts) in series(p, days, end_ms) {
            all.push(NewPostSnapshot {
                variant_id: p.id,
                fetched_at_ms: at,
                counts,
                next_due_ms: at + DAY_MS,
            });
        }
    }
    all.sort_by_key(|s| (s.fetched_at_ms, s.variant_id));
    let mut n = 0;
    for batch in all.chunks(500) {
        n += store.record_post_snapshots(batch).await?;
    }
    Ok(n)
}

/// A rollup row's key: dimension, grain, market, bucket, subject, metric.
pub type Key = (
    &'static str,
    &'static str,
    i64,
    String,
    String,
    &'static str,
);

const METRICS: [Metric; 5] = [
    Metric::Likes,
    Metric::Reposts,
    Metric::Replies,
    Metric::Quotes,
    Metric::Bookmarks,
];

/// The rollup changes of one post's series (per the store's contract), added to `shared` for
/// the dimensions posts share and returned for its own (post and story).
pub fn rollups_of_post(
    world: &World,
    post: &Post,
    series: &[(i64, PostCounts)],
    shared: &mut HashMap<Key, i64>,
) -> HashMap<Key, i64> {
    let (market, zone) = &world.markets[post.market];
    let mut own: HashMap<Key, i64> = HashMap::new();
    let id = post.id.to_string();
    let mut others: Vec<(&'static str, String)> = vec![
        (Dimension::Account.name(), post.account.to_string()),
        (Dimension::Market.name(), market.to_string()),
        (Dimension::Network.name(), "bluesky".to_owned()),
    ];
    if let Some(c) = post.campaign {
        others.push((Dimension::Campaign.name(), c.to_string()));
    }
    for p in &post.principles {
        others.push((Dimension::Principle.name(), p.to_string()));
    }
    let mut prev = [0i64; 5];
    for (at, counts) in series {
        let Ok(ts) = Timestamp::from_millisecond(*at) else {
            continue;
        };
        let buckets: Vec<(&'static str, String)> = Grain::ALL
            .iter()
            .map(|g| (g.name(), bucket_of(ts, zone, *g).to_string()))
            .collect();
        for (i, m) in METRICS.iter().enumerate() {
            let Some(v) = counts.get(*m) else { continue };
            let gain = v - prev[i];
            prev[i] = v;
            if gain == 0 {
                continue;
            }
            for (grain, bucket) in &buckets {
                for dim in [Dimension::Post.name(), Dimension::Story.name()] {
                    *own.entry((dim, grain, *market, bucket.clone(), id.clone(), m.name()))
                        .or_default() += gain;
                }
                for (dim, subject) in &others {
                    *shared
                        .entry((
                            dim,
                            grain,
                            *market,
                            bucket.clone(),
                            subject.clone(),
                            m.name(),
                        ))
                        .or_default() += gain;
                }
            }
        }
    }
    own.retain(|_, v| *v != 0);
    own
}

/// Every rollup row of a database, sorted, for comparing two.
pub async fn rollups_of(
    url: &str,
) -> anyhow::Result<Vec<(String, String, i64, String, String, String, i64)>> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await?;
    let rows = sqlx::query(
        "SELECT dimension, grain, market_id, bucket, subject, metric, value FROM numbers_rollups \
         ORDER BY dimension, grain, market_id, bucket, subject, metric",
    )
    .fetch_all(&pool)
    .await?;
    let out = rows
        .iter()
        .map(|r| {
            Ok((
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                r.try_get(4)?,
                r.try_get(5)?,
                r.try_get(6)?,
            ))
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    pool.close().await;
    Ok(out)
}

/// Daily follower counts of every account through the real path (few rows).
pub async fn write_followers(
    store: &Store,
    world: &World,
    days: i64,
    end_ms: i64,
) -> anyhow::Result<()> {
    let mut rng = Rng::new(7);
    for (account, _) in &world.accounts {
        let start = 1000.0 + 20_000.0 * rng.unit();
        let snaps: Vec<NewFollowerSnapshot> = (0..days)
            .map(|d| NewFollowerSnapshot {
                account_id: *account,
                fetched_at_ms: end_ms - (days - d) * DAY_MS + 7_200_000,
                followers: Some((start * (1.0 + 0.001 * d as f64)) as i64),
            })
            .collect();
        store.record_follower_snapshots(&snaps).await?;
    }
    Ok(())
}

/// The bulk path: snapshots and rollups computed here and loaded without the store (see the
/// module's documentation). Returns the snapshots and rollup rows written.
pub async fn write_bulk(
    url: &str,
    world: &World,
    posts: &[Post],
    days: i64,
    end_ms: i64,
    progress: &mut dyn FnMut(usize),
) -> anyhow::Result<(u64, u64)> {
    let mut sink = Sink::open(url).await?;
    let mut shared: HashMap<Key, i64> = HashMap::new();
    let (mut snaps, mut rollups) = (0u64, 0u64);
    for (i, chunk) in posts.chunks(1000).enumerate() {
        let mut s_rows = Vec::new();
        let mut r_rows = Vec::new();
        for p in chunk {
            let series = series(p, days, end_ms);
            for (at, c) in &series {
                s_rows.push((
                    p.id,
                    *at,
                    p.account,
                    [c.likes, c.reposts, c.replies, c.quotes, c.bookmarks],
                ));
            }
            r_rows.extend(rollups_of_post(world, p, &series, &mut shared));
        }
        snaps += s_rows.len() as u64;
        rollups += r_rows.len() as u64;
        sink.snapshots(&s_rows).await?;
        sink.rollups(&r_rows).await?;
        progress((i + 1) * 1000);
    }
    let rest: Vec<(Key, i64)> = shared.into_iter().filter(|(_, v)| *v != 0).collect();
    rollups += rest.len() as u64;
    sink.rollups(&rest).await?;
    Ok((snaps, rollups))
}

type SnapRow = (i64, i64, i64, [Option<i64>; 5]);

/// Where the bulk rows go: one SQLite transaction per call (rusqlite, prepared statements), or
/// PostgreSQL's `COPY` in text format.
enum Sink {
    Sqlite(rusqlite::Connection),
    Postgres(sqlx::PgConnection),
}

impl Sink {
    async fn open(url: &str) -> anyhow::Result<Sink> {
        if url.starts_with("postgres") {
            use sqlx::Connection;
            return Ok(Sink::Postgres(sqlx::PgConnection::connect(url).await?));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        let conn = rusqlite::Connection::open(path)?;
        conn.execute_batch("PRAGMA synchronous = OFF; PRAGMA cache_size = -1000000;")?;
        Ok(Sink::Sqlite(conn))
    }

    async fn snapshots(&mut self, rows: &[SnapRow]) -> anyhow::Result<()> {
        match self {
            Sink::Sqlite(conn) => {
                let tx = conn.transaction()?;
                {
                    let mut st = tx.prepare_cached(
                        "INSERT INTO numbers_post_snapshots (variant_id, fetched_at, account_id, \
                         network, likes, reposts, replies, quotes, bookmarks) \
                         VALUES (?1, ?2, ?3, 'bluesky', ?4, ?5, ?6, ?7, ?8)",
                    )?;
                    for (v, at, a, c) in rows {
                        st.execute(rusqlite::params![v, at, a, c[0], c[1], c[2], c[3], c[4]])?;
                    }
                }
                tx.commit()?;
            }
            Sink::Postgres(conn) => {
                let mut text = String::with_capacity(rows.len() * 64);
                for (v, at, a, c) in rows {
                    let n = |x: Option<i64>| x.map_or("\\N".to_owned(), |x| x.to_string());
                    text.push_str(&format!(
                        "{v}\t{at}\t{a}\tbluesky\t{}\t{}\t{}\t{}\t{}\n",
                        n(c[0]),
                        n(c[1]),
                        n(c[2]),
                        n(c[3]),
                        n(c[4])
                    ));
                }
                let mut copy = conn
                    .copy_in_raw(
                        "COPY numbers_post_snapshots (variant_id, fetched_at, account_id, \
                         network, likes, reposts, replies, quotes, bookmarks) FROM STDIN",
                    )
                    .await?;
                copy.send(text.into_bytes()).await?;
                copy.finish().await?;
            }
        }
        Ok(())
    }

    async fn rollups(&mut self, rows: &[(Key, i64)]) -> anyhow::Result<()> {
        match self {
            Sink::Sqlite(conn) => {
                let tx = conn.transaction()?;
                {
                    let mut st = tx.prepare_cached(
                        "INSERT INTO numbers_rollups (dimension, grain, market_id, bucket, \
                         subject, metric, value) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    )?;
                    for ((d, g, m, b, s, metric), v) in rows {
                        st.execute(rusqlite::params![d, g, m, b, s, metric, v])?;
                    }
                }
                tx.commit()?;
            }
            Sink::Postgres(conn) => {
                let mut text = String::with_capacity(rows.len() * 64);
                for ((d, g, m, b, s, metric), v) in rows {
                    text.push_str(&format!("{d}\t{g}\t{m}\t{b}\t{s}\t{metric}\t{v}\n"));
                }
                let mut copy = conn
                    .copy_in_raw(
                        "COPY numbers_rollups (dimension, grain, market_id, bucket, subject, \
                         metric, value) FROM STDIN",
                    )
                    .await?;
                copy.send(text.into_bytes()).await?;
                copy.finish().await?;
            }
        }
        Ok(())
    }
}
