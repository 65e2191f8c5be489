//! Numbers: snapshots, rollups kept in the snapshot's transaction, what is due a measurement,
//! and the rollup query. The property test against a plain recomputation is in
//! `numbers_prop.rs`; this file holds the worked examples.

use chorus_core::audit::Author;
use chorus_core::numbers::schedule::CHECKPOINTS;
use chorus_core::numbers::{Dimension, Grain, Metric, PostCounts};
use chorus_core::org::MarketInput;
use chorus_core::playbook::{PrincipleInput, RawPrinciple};
use chorus_core::stories::CampaignInput;
use chorus_core::{MarketId, PrincipleId};
use chorus_store::{
    Begin, NewAccount, NewFollowerSnapshot, NewPostSnapshot, PUBLISH_JOB, RollupQuery, RollupRow,
    Store, StoryInput, VariantInput,
};
use jiff::civil::{Date, date};

use crate::support;

/// The link every variant of [`World::story`] holds, for clicks.
pub const LINK: &str = "https://example.com/numbers";

/// A market with an account, a campaign, principles and stories, for numbers to roll up into.
pub struct World {
    pub market: MarketId,
    pub accounts: Vec<i64>,
    pub campaign: i64,
    pub author: Author,
}

/// Creates principles numbered `first..first + n`.
pub async fn principles(store: &Store, first: i64, n: i64) -> Vec<i64> {
    let mut out = Vec::new();
    for number in first..first + n {
        let input = PrincipleInput::parse(&RawPrinciple {
            number,
            pillar: "numbers".into(),
            title: format!("Principle {number}"),
            statement: "s".into(),
            ..Default::default()
        })
        .unwrap();
        let p = store
            .create_principle(&Author::system("test"), &input)
            .await
            .unwrap();
        out.push(p.id.0);
    }
    out
}

/// A market `code` in `zone` with one account per network of `networks`.
pub async fn world(
    store: &Store,
    code: &str,
    zone: &str,
    networks: &[&str],
    author: &Author,
) -> World {
    let sys = Author::system("test");
    let market = store
        .create_market(
            &sys,
            &MarketInput::parse(code, code, "FI", &["fi-FI".into()], zone).unwrap(),
        )
        .await
        .unwrap()
        .id;
    let mut accounts = Vec::new();
    for (i, network) in networks.iter().enumerate() {
        let handle = format!("{}-{i}.test", code.to_lowercase());
        let a = store
            .connect_account(
                &sys,
                &NewAccount {
                    market_id: market,
                    network,
                    handle: &handle,
                    external_id: &format!("did:plc:{}{i}", code.to_lowercase()),
                    service_url: "http://localhost:2583",
                    sealed: "sealed",
                },
            )
            .await
            .unwrap();
        accounts.push(a.id);
    }
    let input = CampaignInput::parse(
        &format!("Campaign {code}"),
        vec![],
        vec![market],
        vec![],
        "2026-01-01",
        "2026-12-31",
    )
    .unwrap();
    let campaign = store.create_campaign(&sys, &input).await.unwrap().id;
    World {
        market,
        accounts,
        campaign,
        author: author.clone(),
    }
}

impl World {
    /// A story (in the campaign or not, citing `principles`) with one variant per account index
    /// of `accounts`; returns the story's and the variants' ids.
    pub async fn story(
        &self,
        store: &Store,
        campaign: bool,
        principles: &[i64],
        accounts: &[usize],
    ) -> (i64, Vec<i64>) {
        let story = store
            .create_story(
                &self.author,
                &StoryInput {
                    market_id: self.market,
                    campaign_id: campaign.then_some(self.campaign),
                    title: "Numbers".into(),
                    brief: "b".into(),
                    principles: principles.iter().map(|p| PrincipleId(*p)).collect(),
                },
            )
            .await
            .unwrap();
        let mut variants = Vec::new();
        for (i, a) in accounts.iter().enumerate() {
            let v = store
                .save_variant(
                    &self.author,
                    story.id,
                    None,
                    &VariantInput {
                        account_id: self.accounts[*a],
                        locale: format!("fi-{i}"),
                        body: format!("post {LINK}"),
                        scheduled_at_ms: None,
                    },
                )
                .await
                .unwrap();
            variants.push(v.id);
        }
        (story.id, variants)
    }
}

pub async fn author(store: &Store) -> Author {
    let id = support::user(store, "numbers@example.com", vec![]).await;
    Author::user(id, "numbers@example.com")
}

pub fn ms(s: &str) -> i64 {
    s.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

pub fn likes(likes: i64, reposts: Option<i64>) -> PostCounts {
    PostCounts {
        likes: Some(likes),
        reposts,
        ..PostCounts::default()
    }
}

pub fn snap(variant: i64, at: &str, counts: PostCounts) -> NewPostSnapshot {
    NewPostSnapshot {
        variant_id: variant,
        fetched_at_ms: ms(at),
        counts,
        next_due_ms: ms(at) + 86_400_000,
    }
}

pub fn row(subject: &str, bucket: Option<Date>, metric: Metric, value: i64) -> RollupRow {
    RollupRow {
        market_id: None,
        subject: subject.into(),
        bucket,
        metric,
        value,
    }
}

async fn gains_land_in_the_markets_local_buckets_and_drops_are_negative(store: &Store) {
    let author = author(store).await;
    let ps = principles(store, 101, 2).await;
    let w = world(store, "FI", "Europe/Helsinki", &["bluesky"], &author).await;
    let (story, vs) = w.story(store, true, &ps, &[0]).await;
    let v = vs[0];
    // 21:30Z on 28 March is 23:30 in Helsinki (UTC+2); 22:30Z is 00:30 on the 29th, the day
    // the clocks go forward, 23 hours long.
    let n = store
        .record_post_snapshots(&[
            snap(v, "2026-03-28T21:30:00Z", likes(5, Some(1))),
            snap(v, "2026-03-28T22:30:00Z", likes(9, None)),
            snap(v, "2026-03-29T20:30:00Z", likes(7, Some(3))),
        ])
        .await
        .unwrap();
    assert_eq!(n, 3);
    // The same snapshot again (a retried collection) changes nothing.
    let again = store
        .record_post_snapshots(&[snap(v, "2026-03-29T20:30:00Z", likes(7, Some(3)))])
        .await
        .unwrap();
    assert_eq!(again, 0);

    let mut q = RollupQuery::new(Dimension::Post, Grain::Day);
    q.by_bucket = true;
    q.metrics = vec![Metric::Likes, Metric::Reposts];
    let got = store.rollups(&q).await.unwrap();
    let vs_ = v.to_string();
    let (d28, d29) = (Some(date(2026, 3, 28)), Some(date(2026, 3, 29)));
    assert_eq!(
        got,
        vec![
            row(&vs_, d28, Metric::Likes, 5),
            row(&vs_, d28, Metric::Reposts, 1),
            // +4 then −2 (an unlike) in the same local day; reposts were not reported at
            // 22:30Z, so their gain runs from the 21:30Z value, never from 0.
            row(&vs_, d29, Metric::Likes, 2),
            row(&vs_, d29, Metric::Reposts, 2),
        ]
    );
    // Totals over every bucket are the latest counts, for every dimension the post is in.
    for (dim, subject) in [
        (Dimension::Post, v.to_string()),
        (Dimension::Story, story.to_string()),
        (Dimension::Campaign, w.campaign.to_string()),
        (Dimension::Account, w.accounts[0].to_string()),
        (Dimension::Market, w.market.0.to_string()),
        (Dimension::Network, "bluesky".to_owned()),
        (Dimension::Principle, ps[0].to_string()),
        (Dimension::Principle, ps[1].to_string()),
    ] {
        for grain in Grain::ALL {
            let mut q = RollupQuery::new(dim, grain);
            q.metrics = vec![Metric::Likes];
            q.subjects = Some(vec![subject.clone()]);
            let got = store.rollups(&q).await.unwrap();
            assert_eq!(
                got,
                vec![row(&subject, None, Metric::Likes, 7)],
                "{dim} {grain}"
            );
        }
    }
    // Week and month buckets: the 28th (Saturday) and 29th (Sunday) are one ISO week.
    let mut q = RollupQuery::new(Dimension::Market, Grain::Week);
    q.by_bucket = true;
    q.by_market = true;
    q.metrics = vec![Metric::Likes];
    let got = store.rollups(&q).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].bucket, Some(date(2026, 3, 23)));
    assert_eq!(got[0].market_id, Some(w.market));

    // A snapshot arriving late, between two stored ones: its gain, and the same off the next.
    store
        .record_post_snapshots(&[snap(v, "2026-03-29T10:00:00Z", likes(20, None))])
        .await
        .unwrap();
    let mut q = RollupQuery::new(Dimension::Post, Grain::Day);
    q.by_bucket = true;
    q.metrics = vec![Metric::Likes];
    let got = store.rollups(&q).await.unwrap();
    assert_eq!(
        got,
        vec![
            row(&vs_, d28, Metric::Likes, 5),
            row(&vs_, d29, Metric::Likes, 2)
        ],
        "same day: the day's gain is unchanged"
    );
    let snaps = store.post_snapshots(v).await.unwrap();
    assert_eq!(snaps.len(), 4);
    assert_eq!(snaps[0].counts.reposts, Some(1));
    assert_eq!(
        snaps[1].counts.reposts, None,
        "not reported stays not reported"
    );
    assert_eq!(snaps[0].network, "bluesky");
    assert_eq!(snaps[0].account_id, w.accounts[0]);

    // Range filters take buckets by their first date: [from, to).
    let mut q = RollupQuery::new(Dimension::Network, Grain::Day);
    q.from = Some(date(2026, 3, 29));
    q.to = Some(date(2026, 3, 30));
    q.metrics = vec![Metric::Likes];
    assert_eq!(
        store.rollups(&q).await.unwrap(),
        vec![row("bluesky", None, Metric::Likes, 2)]
    );
    q.to = Some(date(2026, 3, 29));
    assert!(store.rollups(&q).await.unwrap().is_empty());
    // Markets the caller may see: none, or another one, read nothing.
    let mut q = RollupQuery::new(Dimension::Network, Grain::Month);
    q.markets = Some(vec![]);
    assert!(store.rollups(&q).await.unwrap().is_empty());
    q.markets = Some(vec![MarketId(w.market.0 + 1000)]);
    assert!(store.rollups(&q).await.unwrap().is_empty());
    q.markets = Some(vec![w.market]);
    q.metrics = vec![Metric::Reposts];
    assert_eq!(
        store.rollups(&q).await.unwrap(),
        vec![row("bluesky", None, Metric::Reposts, 3)]
    );

    // A gone variant: nothing stored, NotFound.
    let err = store
        .record_post_snapshots(&[snap(v + 1000, "2026-03-30T00:00:00Z", likes(1, None))])
        .await
        .unwrap_err();
    assert!(
        matches!(err, chorus_store::StoreError::NotFound { .. }),
        "{err:?}"
    );
}

async fn followers_roll_up_by_account_market_and_network(store: &Store) {
    let author = author(store).await;
    let w = world(
        store,
        "IN",
        "Asia/Kolkata",
        &["bluesky", "bluesky"],
        &author,
    )
    .await;
    let (a, b) = (w.accounts[0], w.accounts[1]);
    let f = |account, at: &str, followers| NewFollowerSnapshot {
        account_id: account,
        fetched_at_ms: ms(at),
        followers,
    };
    let due = store
        .accounts_due_followers(ms("2026-01-01T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(
        due.iter().map(|d| d.account_id).collect::<Vec<_>>(),
        vec![a, b]
    );
    assert_eq!(due[0].external_id, "did:plc:in0");
    assert_eq!(due[0].last_fetched_ms, None);
    // 18:29Z is 23:59 in Kolkata (UTC+5:30); 18:31Z is the next local day.
    let n = store
        .record_follower_snapshots(&[
            f(a, "2026-01-01T18:29:00Z", Some(100)),
            f(a, "2026-01-01T18:31:00Z", Some(90)),
            f(b, "2026-01-01T18:31:00Z", None),
            f(b, "2026-01-02T18:31:00Z", Some(10)),
        ])
        .await
        .unwrap();
    assert_eq!(n, 4);
    assert_eq!(
        store.follower_snapshots(b).await.unwrap()[0].followers,
        None
    );
    let mut q = RollupQuery::new(Dimension::Account, Grain::Day);
    q.by_bucket = true;
    let got = store.rollups(&q).await.unwrap();
    assert_eq!(
        got,
        vec![
            row(
                &a.to_string(),
                Some(date(2026, 1, 1)),
                Metric::Followers,
                100
            ),
            row(
                &a.to_string(),
                Some(date(2026, 1, 2)),
                Metric::Followers,
                -10
            ),
            row(
                &b.to_string(),
                Some(date(2026, 1, 3)),
                Metric::Followers,
                10
            ),
        ]
    );
    let q = RollupQuery::new(Dimension::Market, Grain::Month);
    assert_eq!(
        store.rollups(&q).await.unwrap(),
        vec![row(&w.market.0.to_string(), None, Metric::Followers, 100)]
    );
    // Asked for accounts last measured by 18:30Z on the 1st: both were measured later.
    let due = store
        .accounts_due_followers(ms("2026-01-01T18:30:00Z"))
        .await
        .unwrap();
    assert!(due.is_empty(), "{due:?}");
    let due = store
        .accounts_due_followers(ms("2026-01-02T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(
        due.iter().map(|d| d.account_id).collect::<Vec<_>>(),
        vec![a]
    );
    assert_eq!(due[0].last_fetched_ms, Some(ms("2026-01-01T18:31:00Z")));
}

async fn published_variants_fall_due_on_schedule(store: &Store) {
    let now = chorus_store::now_ms();
    let ids = crate::jobs::scheduled_variants(store, 2, now - 1000).await;
    let first = CHECKPOINTS[0].as_millis() as i64;
    assert!(
        store
            .publications_due(now + 10 * first, first, 10)
            .await
            .unwrap()
            .is_empty(),
        "nothing published yet"
    );
    let mut published = Vec::new();
    while let Some(job) = store.claim_job("w", &[PUBLISH_JOB], 60_000).await.unwrap() {
        let vid = serde_json::from_str::<serde_json::Value>(&job.payload).unwrap()["variant"]
            .as_i64()
            .unwrap();
        assert!(matches!(
            store.begin_publish(&job, vid).await.unwrap(),
            Begin::Work { .. }
        ));
        store
            .complete_publish(
                &job,
                vid,
                &format!("at://did:plc:abc/app.bsky.feed.post/{vid}"),
            )
            .await
            .unwrap();
        published.push(vid);
    }
    published.sort();
    assert_eq!(published, ids);
    let published_at = store
        .variant(ids[0])
        .await
        .unwrap()
        .published_at_ms
        .unwrap();
    assert!(
        store
            .publications_due(published_at + first - 1, first, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let due = store
        .publications_due(published_at + 2 * first, first, 10)
        .await
        .unwrap();
    assert_eq!(due.len(), 2);
    assert_eq!(
        due[0].uri,
        format!("at://did:plc:abc/app.bsky.feed.post/{}", due[0].variant_id)
    );
    assert_eq!(due[0].network, "bluesky");
    assert_eq!(due[0].last_fetched_ms, None);
    assert_eq!(due[0].due_ms, due[0].published_at_ms + first);
    let limited = store
        .publications_due(published_at + 2 * first, first, 1)
        .await
        .unwrap();
    assert_eq!(limited.len(), 1);

    // Measured: due at the time given with the snapshot. Postponed: due then, unmeasured.
    let at = published_at + first + 5;
    store
        .record_post_snapshots(&[NewPostSnapshot {
            variant_id: ids[0],
            fetched_at_ms: at,
            counts: likes(3, Some(0)),
            next_due_ms: at + 1000,
        }])
        .await
        .unwrap();
    store
        .postpone_post_snapshot(ids[1], at + 5000)
        .await
        .unwrap();
    let due = store.publications_due(at + 1000, first, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].variant_id, ids[0]);
    assert_eq!(due[0].last_fetched_ms, Some(at));
    assert_eq!(due[0].due_ms, at + 1000);
    assert_eq!(
        store
            .publications_due(at + 5000, first, 10)
            .await
            .unwrap()
            .len(),
        2
    );
}

async fn a_recurring_job_requeues_itself(store: &Store) {
    let job = chorus_store::NewJob {
        kind: "collect_numbers",
        key: "numbers:collect",
        payload: "{}",
        run_at_ms: 0,
        max_attempts: i64::MAX,
    };
    store.enqueue_job(&job).await.unwrap();
    let claimed = store
        .claim_job("w", &["collect_numbers"], 60_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.attempts, 1);
    // A failed run: queued again later, its attempts kept so the next wait can grow.
    assert!(
        store
            .requeue_job(claimed.id, 1, 5, Some("429"))
            .await
            .unwrap()
    );
    let status = store.job("numbers:collect").await.unwrap().unwrap();
    assert_eq!(status.state, chorus_store::JobState::Queued);
    assert_eq!((status.run_at_ms, status.attempts), (5, 1));
    assert_eq!(status.last_error.as_deref(), Some("429"));
    let again = store
        .claim_job("w", &["collect_numbers"], 60_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.attempts, 2);
    // A run that is no longer the job's (claimed again meanwhile) cannot requeue it.
    assert!(!store.requeue_job(again.id, 1, 9, None).await.unwrap());
    // A run that succeeded: attempts start again from 0.
    assert!(store.requeue_job(again.id, 2, 7, None).await.unwrap());
    let status = store.job("numbers:collect").await.unwrap().unwrap();
    assert_eq!((status.run_at_ms, status.attempts), (7, 0));
    assert_eq!(status.last_error, None);
}

support::conformance_suite!(
    a_recurring_job_requeues_itself,
    gains_land_in_the_markets_local_buckets_and_drops_are_negative,
    followers_roll_up_by_account_market_and_network,
    published_variants_fall_due_on_schedule,
);
