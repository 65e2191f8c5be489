//! Property test: random histories of snapshots for random posts (and accounts' followers) in
//! markets with daylight saving (Europe/Helsinki, America/New_York) and half-hour offsets
//! (Asia/Kolkata, Australia/Adelaide, America/St_Johns), inserted in random order and random
//! batches, with counts sometimes not reported; the stored rollups must equal a plain
//! recomputation from the raw snapshots, for every dimension and bucket size.
//!
//! Clicks on the posts' links (people's and bots') are recorded too, between the batches of
//! snapshots; every person's click must be one more click in its bucket for every subject.
//!
//! The reference is deliberately simple: per post and metric, sort the reported values by fetch
//! time, take differences (the first from 0), and add each to the bucket of its fetch time in
//! the market's zone, for every subject the post belongs to (read from the case, not the store);
//! per person's click, 1 in the bucket of its instant.

use std::collections::BTreeMap;

use chorus_core::MarketId;
use chorus_core::audit::Author;
use chorus_core::numbers::{Dimension, Grain, Metric, PostCounts, bucket_of};
use chorus_store::{NewFollowerSnapshot, NewPostSnapshot, RollupQuery, Store};
use jiff::ToSpan;
use jiff::civil::Date;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::numbers::{LINK, World, author, principles, world};

const ZONES: &[&str] = &[
    "Europe/Helsinki",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Adelaide",
    "America/St_Johns",
];
const NETWORKS: &[&str] = &["bluesky", "mastodon"];
/// 2026-03-01T00:00:00Z: the histories span the spring and autumn changes of every zone.
const BASE_S: i64 = 1_772_323_200;
/// Changes of offset in 2026 (UTC seconds): New York and St John's 8 Mar, Helsinki 29 Mar,
/// Adelaide 5 Apr and 4 Oct, Helsinki 25 Oct, New York and St John's 1 Nov.
const CHANGES_S: &[i64] = &[
    1_772_953_200,
    1_774_746_000,
    1_775_316_600,
    1_791_045_000,
    1_792_890_000,
    1_793_512_800,
];

#[derive(Debug, Clone)]
struct StorySpec {
    campaign: bool,
    principles: Vec<bool>,
}

#[derive(Debug, Clone)]
struct PostSpec {
    story: usize,
    account: usize,
    /// (fetch time in seconds, counts)
    snaps: Vec<(i64, [Option<i64>; 6])>,
    /// (instant in seconds, a bot's)
    clicks: Vec<(i64, bool)>,
}

#[derive(Debug, Clone)]
struct Case {
    zone: usize,
    stories: Vec<StorySpec>,
    posts: Vec<PostSpec>,
    followers: Vec<(usize, i64, Option<i64>)>,
    /// Insertion order of all post snapshots (indices into the flattened list) and batch size.
    order_seed: Vec<u16>,
    batch: usize,
}

fn instant() -> impl Strategy<Value = i64> {
    prop_oneof![
        (0i64..250 * 86_400).prop_map(|s| BASE_S + s),
        (0..CHANGES_S.len(), -4 * 3600i64..4 * 3600).prop_map(|(i, d)| CHANGES_S[i] + d),
        // Around local midnights of half-hour zones: xx:30 UTC ± a minute.
        (0i64..250, -90i64..90).prop_map(|(d, s)| BASE_S + d * 86_400 + 18 * 3600 + 1800 + s),
    ]
}

fn counts() -> impl Strategy<Value = [Option<i64>; 6]> {
    proptest::array::uniform6(prop_oneof![1 => Just(None), 3 => (0i64..400).prop_map(Some)])
}

fn case() -> impl Strategy<Value = Case> {
    let story = (any::<bool>(), proptest::collection::vec(any::<bool>(), 3)).prop_map(
        |(campaign, principles)| StorySpec {
            campaign,
            principles,
        },
    );
    let post = (
        0..3usize,
        0..2usize,
        proptest::collection::vec((instant(), counts()), 0..7),
        proptest::collection::vec((instant(), prop::bool::weighted(0.2)), 0..6),
    )
        .prop_map(|(story, account, snaps, clicks)| PostSpec {
            story,
            account,
            snaps,
            clicks,
        });
    (
        0..ZONES.len(),
        proptest::collection::vec(story, 3),
        proptest::collection::vec(post, 1..5),
        proptest::collection::vec(
            (
                0..2usize,
                instant(),
                prop_oneof![1 => Just(None), 3 => (0i64..5000).prop_map(Some)],
            ),
            0..6,
        ),
        proptest::collection::vec(any::<u16>(), 40),
        1..5usize,
    )
        .prop_map(
            |(zone, stories, posts, followers, order_seed, batch)| Case {
                zone,
                stories,
                posts,
                followers,
                order_seed,
                batch,
            },
        )
}

type Key = (Dimension, Grain, String, String, Metric);

/// Adds each reported value's gain over the previous one to `out` under every subject.
fn reference_gains(
    out: &mut BTreeMap<Key, i64>,
    zone: &jiff::tz::TimeZone,
    subjects: &[(Dimension, String)],
    metric: Metric,
    mut values: Vec<(i64, i64)>,
) {
    values.sort();
    let mut prev = 0;
    for (at_s, v) in values {
        let at = jiff::Timestamp::from_second(at_s).unwrap();
        for grain in Grain::ALL {
            let bucket = bucket_of(at, zone, grain).to_string();
            for (dim, subject) in subjects {
                *out.entry((*dim, grain, bucket.clone(), subject.clone(), metric))
                    .or_default() += v - prev;
            }
        }
        prev = v;
    }
}

async fn check(store: &Store, n: usize, principles: &[i64], author: &Author, c: Case) {
    let zone_name = ZONES[c.zone];
    let w: World = world(store, &format!("P{n}"), zone_name, NETWORKS, author).await;
    let zone = jiff::tz::db().get(zone_name).unwrap();
    // The stories, each created when its first post is.
    let mut story_ids: Vec<Option<i64>> = vec![None; c.stories.len()];
    let mut reference: BTreeMap<Key, i64> = BTreeMap::new();
    let mut all: Vec<NewPostSnapshot> = Vec::new();
    let mut subjects_of: Vec<(i64, Vec<(Dimension, String)>)> = Vec::new();
    // (link, instant in seconds, a bot's)
    let mut clicks: Vec<(i64, i64, bool)> = Vec::new();
    for (i, post) in c.posts.iter().enumerate() {
        let spec = &c.stories[post.story];
        let cited: Vec<i64> = principles
            .iter()
            .zip(&spec.principles)
            .filter(|(_, on)| **on)
            .map(|(p, _)| *p)
            .collect();
        let (story, variant) = match story_ids[post.story] {
            None => {
                let (s, vs) = w.story(store, spec.campaign, &cited, &[post.account]).await;
                story_ids[post.story] = Some(s);
                (s, vs[0])
            }
            Some(s) => {
                let v = store
                    .save_variant(
                        author,
                        s,
                        None,
                        &chorus_store::VariantInput {
                            account_id: w.accounts[post.account],
                            locale: format!("x-{i}"),
                            body: format!("post {LINK}"),
                            scheduled_at_ms: None,
                        },
                    )
                    .await
                    .unwrap();
                (s, v.id)
            }
        };
        let mut subjects = vec![
            (Dimension::Post, variant.to_string()),
            (Dimension::Story, story.to_string()),
            (Dimension::Account, w.accounts[post.account].to_string()),
            (Dimension::Market, w.market.0.to_string()),
            (Dimension::Network, NETWORKS[post.account].to_owned()),
        ];
        if spec.campaign {
            subjects.push((Dimension::Campaign, w.campaign.to_string()));
        }
        for p in &cited {
            subjects.push((Dimension::Principle, p.to_string()));
        }
        if !post.clicks.is_empty() {
            let link = store
                .variant_links(variant, &[LINK.to_owned()])
                .await
                .unwrap()[0]
                .id;
            for (at, bot) in &post.clicks {
                clicks.push((link, *at, *bot));
                if !bot {
                    reference_gains(
                        &mut reference,
                        &zone,
                        &subjects,
                        Metric::Clicks,
                        vec![(*at, 1)],
                    );
                }
            }
        }
        subjects_of.push((variant, subjects));
        for (at, counts) in &post.snaps {
            let mut pc = PostCounts::default();
            for (m, v) in Metric::POST_COUNTS.iter().zip(counts) {
                pc.set(*m, *v);
            }
            all.push(NewPostSnapshot {
                variant_id: variant,
                fetched_at_ms: at * 1000,
                counts: pc,
                next_due_ms: 0,
            });
        }
    }
    // Random insertion order, random batches.
    let mut order: Vec<usize> = (0..all.len()).collect();
    for (i, s) in c.order_seed.iter().enumerate().take(order.len()) {
        let j = *s as usize % order.len();
        order.swap(i, j);
    }
    let ordered: Vec<NewPostSnapshot> = order.iter().map(|i| all[*i]).collect();
    // Clicks between the batches of snapshots: the two writers share rollup rows.
    let batches: Vec<&[NewPostSnapshot]> = ordered.chunks(c.batch).collect();
    let per = clicks.len().div_ceil(batches.len().max(1)).max(1);
    let mut pending = clicks.chunks(per);
    for chunk in &batches {
        store.record_post_snapshots(chunk).await.unwrap();
        for (link, at, bot) in pending.next().unwrap_or_default() {
            store.record_click(*link, *bot, at * 1000).await.unwrap();
        }
    }
    for (link, at, bot) in pending.flatten() {
        store.record_click(*link, *bot, at * 1000).await.unwrap();
    }
    // Reference: per variant, the first inserted snapshot of each fetch time (a second one at
    // the same time is skipped by the store).
    let mut kept: BTreeMap<(i64, i64), PostCounts> = BTreeMap::new();
    for s in &ordered {
        kept.entry((s.variant_id, s.fetched_at_ms))
            .or_insert(s.counts);
    }
    for (variant, subjects) in &subjects_of {
        for m in Metric::POST_COUNTS {
            let values: Vec<(i64, i64)> = kept
                .iter()
                .filter(|((v, _), _)| v == variant)
                .filter_map(|((_, at), c)| c.get(m).map(|x| (at / 1000, x)))
                .collect();
            reference_gains(&mut reference, &zone, subjects, m, values);
        }
        let stored = store.post_snapshots(*variant).await.unwrap();
        let want: Vec<(i64, PostCounts)> = kept
            .iter()
            .filter(|((v, _), _)| v == variant)
            .map(|((_, at), c)| (*at, *c))
            .collect();
        let got: Vec<(i64, PostCounts)> =
            stored.iter().map(|s| (s.fetched_at_ms, s.counts)).collect();
        assert_eq!(got, want, "stored snapshots of variant {variant}");
    }
    // Followers, in the order given.
    let mut first: BTreeMap<(usize, i64), Option<i64>> = BTreeMap::new();
    for (a, at, f) in &c.followers {
        store
            .record_follower_snapshots(&[NewFollowerSnapshot {
                account_id: w.accounts[*a],
                fetched_at_ms: at * 1000,
                followers: *f,
            }])
            .await
            .unwrap();
        first.entry((*a, *at)).or_insert(*f);
    }
    for (a, network) in NETWORKS.iter().enumerate() {
        let values: Vec<(i64, i64)> = first
            .iter()
            .filter(|((acc, _), _)| *acc == a)
            .filter_map(|((_, at), f)| f.map(|f| (*at, f)))
            .collect();
        let subjects = vec![
            (Dimension::Account, w.accounts[a].to_string()),
            (Dimension::Market, w.market.0.to_string()),
            (Dimension::Network, (*network).to_owned()),
        ];
        reference_gains(&mut reference, &zone, &subjects, Metric::Followers, values);
    }
    reference.retain(|_, v| *v != 0);

    let mut stored: BTreeMap<Key, i64> = BTreeMap::new();
    for dim in Dimension::ALL {
        for grain in Grain::ALL {
            let mut q = RollupQuery::new(dim, grain);
            q.by_bucket = true;
            q.by_market = true;
            q.markets = Some(vec![w.market]);
            for r in store.rollups(&q).await.unwrap() {
                assert_eq!(r.market_id, Some(MarketId(w.market.0)));
                if r.value != 0 {
                    let bucket = r.bucket.unwrap().to_string();
                    stored.insert((dim, grain, bucket, r.subject, r.metric), r.value);
                }
            }
        }
    }
    assert_eq!(stored, reference, "rollups vs recomputation in {zone_name}");

    // Totals over a range of days (read from whole months and weeks where they fit) equal the
    // sum of the range's day buckets, for ranges inside, around and across the history.
    let mut days: Vec<Date> = reference
        .keys()
        .filter(|(_, g, ..)| *g == Grain::Day)
        .map(|(_, _, b, ..)| b.parse().unwrap())
        .collect();
    days.sort();
    days.dedup();
    let (Some(first), Some(last)) = (days.first().copied(), days.last().copied()) else {
        return;
    };
    let third = days[days.len() / 3];
    let ranges = [
        (first, last.tomorrow().unwrap()),
        (first.tomorrow().unwrap(), last),
        (
            first.checked_sub(40.days()).unwrap(),
            last.checked_add(40.days()).unwrap(),
        ),
        (third, days[2 * days.len() / 3].tomorrow().unwrap()),
        (
            third.tomorrow().unwrap(),
            third.checked_add(64.days()).unwrap(),
        ),
    ];
    for dim in Dimension::ALL {
        for (from, to) in ranges {
            let mut want: BTreeMap<(String, Metric), i64> = BTreeMap::new();
            for ((d, g, b, subject, metric), v) in &reference {
                let day: Date = b.parse().unwrap();
                if *d == dim && *g == Grain::Day && from <= day && day < to {
                    *want.entry((subject.clone(), *metric)).or_default() += v;
                }
            }
            want.retain(|_, v| *v != 0);
            let mut q = RollupQuery::new(dim, Grain::Day);
            q.markets = Some(vec![w.market]);
            (q.from, q.to) = (Some(from), Some(to));
            let got: BTreeMap<(String, Metric), i64> = store
                .rollups(&q)
                .await
                .unwrap()
                .into_iter()
                .filter(|r| r.value != 0)
                .map(|r| {
                    assert_eq!((r.market_id, r.bucket), (None, None));
                    ((r.subject, r.metric), r.value)
                })
                .collect();
            assert_eq!(got, want, "{dim:?} totals {from}..{to} in {zone_name}");
        }
    }
}

fn run(store: Store, rt: &tokio::runtime::Runtime) {
    let (ps, author) = rt.block_on(async {
        let ps = principles(&store, 201, 3).await;
        (ps, author(&store).await)
    });
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(32);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let n = std::sync::atomic::AtomicUsize::new(0);
    let result = runner.run(&case(), |c| {
        let n = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        rt.block_on(check(&store, n, &ps, &author, c));
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn sqlite_rollups_equal_a_recomputation_from_snapshots() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (store, _dir) = rt.block_on(crate::support::sqlite_store());
    run(store, &rt);
}

#[test]
fn postgres_rollups_equal_a_recomputation_from_snapshots() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = rt.block_on(crate::support::PgDatabase::create()) else {
        return;
    };
    run(db.store.clone(), &rt);
    rt.block_on(db.drop_now());
}
