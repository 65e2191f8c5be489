//! Events in Numbers' rollups, and when things were last measured. Clicks: a person's click is
//! one click in its post's subjects' local day (the property test mixes them into random
//! histories too). Conversation volume: every stored post that listening queries matched is
//! one matched post per market whose queries matched it, on the local day of its post time in
//! that market's zone, by market and by network, written in the ingest batch's transaction (on
//! SQLite through the direct ingest writer, on PostgreSQL through the pool: both are covered),
//! with the positive and negative ones beside it. First responses: a conversation's first
//! reply sent is one first response per market that matched it, on the reply's local day, with
//! its minutes and whether it was within the market's target.

use chorus_core::audit::Author;
use chorus_core::conversations::{QueryInput, RawQuery};
use chorus_core::numbers::{Dimension, Grain, Metric};
use chorus_core::org::MarketInput;
use chorus_core::{MarketId, conversations::QueryId};
use chorus_store::{InboxQuery, NewAccount, NewFollowerSnapshot, NewPost, RollupQuery, Store};
use jiff::civil::date;

use crate::numbers::{LINK, author, likes, ms, principles, row, snap, world};
use crate::support;

async fn market(store: &Store, code: &str, zone: &str) -> MarketId {
    store
        .create_market(
            &Author::system("test"),
            &MarketInput::parse(code, code, "FI", &["fi-FI".into()], zone).unwrap(),
        )
        .await
        .unwrap()
        .id
}

async fn query(store: &Store, market: MarketId, name: &str) -> QueryId {
    let input = QueryInput::parse(
        market,
        None,
        &RawQuery {
            name: name.into(),
            query: "northwind".into(),
            side: Some("us".into()),
            ..RawQuery::default()
        },
    )
    .unwrap();
    store
        .create_listening_query(&Author::system("test"), &input)
        .await
        .unwrap()
        .id
}

fn post(uri: &str, network: &str, at: &str, matches: &[(QueryId, MarketId)]) -> NewPost {
    NewPost {
        uri: uri.into(),
        network: network.into(),
        author: "did:plc:author".into(),
        author_handle: None,
        body: "northwind".into(),
        lang: "en".into(),
        sentiment: 0.0,
        labels: Default::default(),
        posted_at_ms: at.parse::<jiff::Timestamp>().unwrap().as_millisecond(),
        reply_parent: None,
        reply_root: None,
        quote_of: None,
        cid: None,
        link: None,
        country: None,
        domains: Vec::new(),
        matches: matches.iter().map(|&m| m.into()).collect(),
    }
}

/// (market, subject, bucket, value) of conversation volume by `dim` and `grain`.
async fn volume(store: &Store, dim: Dimension, grain: Grain) -> Vec<(i64, String, String, i64)> {
    let mut q = RollupQuery::new(dim, grain);
    q.by_market = true;
    q.by_bucket = true;
    q.metrics = vec![Metric::ConversationVolume];
    store
        .rollups(&q)
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r.market_id.unwrap().0,
                r.subject,
                r.bucket.unwrap().to_string(),
                r.value,
            )
        })
        .collect()
}

async fn matched_posts_roll_up_per_market_and_network_by_post_day(store: &Store) {
    let fi = market(store, "FI", "Europe/Helsinki").await;
    let nf = market(store, "NF", "America/St_Johns").await;
    let (q1, q2, q3) = (
        query(store, fi, "Brand").await,
        query(store, fi, "Brand too").await,
        query(store, nf, "Brand NF").await,
    );
    let before = chorus_store::now_ms();
    // 22:30Z on 28 March: 00:30 on the 29th in Helsinki, 19:00 on the 28th in St John's.
    let mut both = post(
        "at://a/1",
        "bluesky",
        "2026-03-28T22:30:00Z",
        &[(q1, fi), (q2, fi), (q3, nf)],
    );
    both.sentiment = 0.62;
    let mut grumpy = post(
        "https://m.example/2",
        "mastodon",
        "2026-03-29T10:00:00Z",
        &[(q1, fi)],
    );
    grumpy.sentiment = -0.4;
    let batch = vec![
        both.clone(),
        grumpy,
        post("at://a/3", "bluesky", "2026-03-29T10:00:00Z", &[]),
    ];
    store.ingest_batch("s", "1", batch).await.unwrap();
    // The same post again (a restart): stored once, counted once.
    store.ingest_batch("s", "2", vec![both]).await.unwrap();
    let after = chorus_store::now_ms();

    let s = |x: &str| x.to_owned();
    let (f, n) = (fi.0, nf.0);
    assert_eq!(
        volume(store, Dimension::Market, Grain::Day).await,
        [
            (f, f.to_string(), s("2026-03-29"), 2),
            (n, n.to_string(), s("2026-03-28"), 1),
        ],
        "two queries of one market matching a post count it once"
    );
    assert_eq!(
        volume(store, Dimension::Network, Grain::Day).await,
        [
            (f, s("bluesky"), s("2026-03-29"), 1),
            (f, s("mastodon"), s("2026-03-29"), 1),
            (n, s("bluesky"), s("2026-03-28"), 1),
        ]
    );
    assert_eq!(
        volume(store, Dimension::Market, Grain::Week).await,
        [
            (f, f.to_string(), s("2026-03-23"), 2),
            (n, n.to_string(), s("2026-03-23"), 1),
        ]
    );
    assert_eq!(
        volume(store, Dimension::Network, Grain::Month).await,
        [
            (f, s("bluesky"), s("2026-03-01"), 1),
            (f, s("mastodon"), s("2026-03-01"), 1),
            (n, s("bluesky"), s("2026-03-01"), 1),
        ]
    );
    // Positive and negative beside the volume, by the same days.
    let mut q = RollupQuery::new(Dimension::Network, Grain::Day);
    q.by_market = true;
    q.metrics = vec![Metric::PositiveConversations, Metric::NegativeConversations];
    let moods: Vec<(i64, String, Metric, i64)> = store
        .rollups(&q)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.market_id.unwrap().0, r.subject, r.metric, r.value))
        .collect();
    assert_eq!(
        moods,
        [
            (f, s("bluesky"), Metric::PositiveConversations, 1),
            (f, s("mastodon"), Metric::NegativeConversations, 1),
            (n, s("bluesky"), Metric::PositiveConversations, 1),
        ]
    );
    // Not carried by posts' dimensions.
    assert!(
        volume(store, Dimension::Campaign, Grain::Day)
            .await
            .is_empty()
    );

    // Measured when stored, per network, in each market.
    let mut scope = RollupQuery::new(Dimension::Market, Grain::Day);
    scope.markets = Some(vec![fi]);
    scope.metrics = vec![Metric::ConversationVolume, Metric::Likes];
    let got = store.last_measured(&scope).await.unwrap();
    let networks: Vec<(&str, Metric)> =
        got.iter().map(|r| (r.network.as_str(), r.metric)).collect();
    assert_eq!(
        networks,
        [
            ("bluesky", Metric::ConversationVolume),
            ("mastodon", Metric::ConversationVolume)
        ]
    );
    assert!(
        got.iter().all(|r| (before..=after).contains(&r.at_ms)),
        "{got:?}"
    );
}

/// A person's click is one click in the market's local day for every subject of its post; a
/// bot's is not counted. Every measurement moves its scope's "last measured" time, per network.
async fn clicks_roll_up_and_measurements_say_when(store: &Store) {
    let author = author(store).await;
    let ps = principles(store, 301, 1).await;
    let w = world(store, "NF", "America/St_Johns", &["bluesky"], &author).await;
    let (story, vs) = w.story(store, true, &ps, &[0]).await;
    let v = vs[0];
    let link = store.variant_links(v, &[LINK.to_owned()]).await.unwrap()[0].id;
    // 02:29Z on 2 June is 23:59 on 1 June in St John's (UTC−2:30); 02:31Z is 2 June there.
    store
        .record_click(link, false, ms("2026-06-02T02:29:00Z"))
        .await
        .unwrap();
    store
        .record_click(link, false, ms("2026-06-02T02:31:00Z"))
        .await
        .unwrap();
    store
        .record_click(link, true, ms("2026-06-02T05:00:00Z"))
        .await
        .unwrap();
    for (dim, subject) in [
        (Dimension::Post, v.to_string()),
        (Dimension::Story, story.to_string()),
        (Dimension::Campaign, w.campaign.to_string()),
        (Dimension::Account, w.accounts[0].to_string()),
        (Dimension::Market, w.market.0.to_string()),
        (Dimension::Network, "bluesky".to_owned()),
        (Dimension::Principle, ps[0].to_string()),
    ] {
        let mut q = RollupQuery::new(dim, Grain::Day);
        q.by_bucket = true;
        q.subjects = Some(vec![subject.clone()]);
        assert_eq!(
            store.rollups(&q).await.unwrap(),
            vec![
                row(&subject, Some(date(2026, 6, 1)), Metric::Clicks, 1),
                row(&subject, Some(date(2026, 6, 2)), Metric::Clicks, 1),
            ],
            "{dim}"
        );
    }
    let err = store.record_click(link + 1000, false, 0).await.unwrap_err();
    assert!(
        matches!(err, chorus_store::StoreError::NotFound { .. }),
        "{err:?}"
    );

    // Last measured: clicks at the last person's click; likes once a snapshot is stored.
    let mut scope = RollupQuery::new(Dimension::Campaign, Grain::Day);
    scope.subjects = Some(vec![w.campaign.to_string()]);
    scope.metrics = vec![Metric::Likes, Metric::Clicks, Metric::Followers];
    let measured = |rows: Vec<chorus_store::MeasuredRow>| -> Vec<(String, Metric, i64)> {
        rows.into_iter()
            .map(|r| (r.network, r.metric, r.at_ms))
            .collect()
    };
    let bsky = || "bluesky".to_owned();
    assert_eq!(
        measured(store.last_measured(&scope).await.unwrap()),
        vec![(bsky(), Metric::Clicks, ms("2026-06-02T02:31:00Z"))]
    );
    store
        .record_post_snapshots(&[
            snap(v, "2026-06-03T10:00:00Z", likes(4, None)),
            snap(v, "2026-06-02T10:00:00Z", likes(1, None)),
        ])
        .await
        .unwrap();
    store
        .record_follower_snapshots(&[NewFollowerSnapshot {
            account_id: w.accounts[0],
            fetched_at_ms: ms("2026-06-04T00:00:00Z"),
            followers: Some(10),
        }])
        .await
        .unwrap();
    let want_posts = vec![
        (bsky(), Metric::Likes, ms("2026-06-03T10:00:00Z")),
        (bsky(), Metric::Clicks, ms("2026-06-02T02:31:00Z")),
    ];
    assert_eq!(
        measured(store.last_measured(&scope).await.unwrap()),
        want_posts
    );
    // Followers are the account's, market's and network's, not a campaign's.
    let mut market = RollupQuery::new(Dimension::Market, Grain::Day);
    market.markets = Some(vec![w.market]);
    market.metrics = scope.metrics.clone();
    let mut want = want_posts.clone();
    want.insert(1, (bsky(), Metric::Followers, ms("2026-06-04T00:00:00Z")));
    assert_eq!(measured(store.last_measured(&market).await.unwrap()), want);
    // Another market's scope, or none: nothing measured.
    market.markets = Some(vec![MarketId(w.market.0 + 1000)]);
    assert!(store.last_measured(&market).await.unwrap().is_empty());
    market.markets = Some(vec![]);
    assert!(store.last_measured(&market).await.unwrap().is_empty());
}

/// Every rollup of clicks and the conversation metrics, and their last-measured times.
async fn event_figures(store: &Store) -> Vec<String> {
    let mut out = Vec::new();
    for dim in Dimension::ALL {
        for grain in Grain::ALL {
            let mut q = RollupQuery::new(dim, grain);
            q.by_market = true;
            q.by_bucket = true;
            q.metrics = vec![Metric::Clicks];
            q.metrics.extend(Metric::CONVERSATIONS);
            out.extend(
                store
                    .rollups(&q)
                    .await
                    .unwrap()
                    .iter()
                    .map(|r| format!("{dim} {r:?}")),
            );
            out.extend(
                store
                    .last_measured(&q)
                    .await
                    .unwrap()
                    .iter()
                    .map(|r| format!("{dim} {grain} {r:?}")),
            );
        }
    }
    out
}

/// Recomputing clicks and conversation volume from the stored events (what migration 0014
/// does once, for events stored before) gives exactly what the writers keep.
async fn a_rebuild_from_stored_events_equals_the_kept_rollups(store: &Store) {
    let author = author(store).await;
    let ps = principles(store, 401, 2).await;
    let w = world(
        store,
        "AD",
        "Australia/Adelaide",
        &["bluesky", "mastodon"],
        &author,
    )
    .await;
    let (_, vs) = w.story(store, true, &ps, &[0, 1]).await;
    for (i, v) in vs.iter().enumerate() {
        let link = store.variant_links(*v, &[LINK.to_owned()]).await.unwrap()[0].id;
        for k in 0..9i64 {
            let at = ms("2026-04-04T10:00:00Z") + k * 7 * 3_600_000 + i as i64;
            store.record_click(link, k % 4 == 0, at).await.unwrap();
        }
    }
    let q = query(store, w.market, "Brand AD").await;
    let posts = (0..30)
        .map(|k| {
            let network = if k % 3 == 0 { "mastodon" } else { "bluesky" };
            let mut p = post(
                &format!("at://ad/{k}"),
                network,
                "2026-04-04T13:00:00Z",
                &[(q, w.market)],
            );
            p.posted_at_ms += k * 5 * 3_600_000;
            p.sentiment = [0.7, -0.5, 0.0][k as usize % 3];
            p
        })
        .collect();
    store.ingest_batch("s", "1", posts).await.unwrap();
    store
        .set_response_target(&Author::system("test"), w.market, 60)
        .await
        .unwrap();
    answer(store, w.market, 4).await;
    let kept = event_figures(store).await;
    assert!(
        kept.iter().any(|r| r.contains("FirstResponses")),
        "{kept:?}"
    );
    assert!(kept.len() > 20, "{kept:?}");
    // Six people's clicks per variant (every fourth is a bot's), thirty matched posts.
    assert_eq!(store.rebuild_event_rollups().await.unwrap(), (12, 30));
    assert_eq!(event_figures(store).await, kept);
    // Run again by a start (nothing pending): nothing changes.
    store.migrate().await.unwrap();
    assert_eq!(event_figures(store).await, kept);
}

/// Sends one reply to each of the first `n` conversations of `market`'s inbox, from a
/// connected account of the market.
async fn answer(store: &Store, market: MarketId, n: usize) {
    let account = store
        .connect_account(
            &Author::system("test"),
            &NewAccount {
                market_id: market,
                network: "bluesky",
                handle: &format!("brand-{}.test", market.0),
                external_id: &format!("did:plc:brand{}", market.0),
                service_url: "http://localhost:2583",
                sealed: "sealed",
            },
        )
        .await
        .unwrap();
    let inbox = store
        .inbox(&InboxQuery {
            market: Some(market),
            limit: 100,
            ..InboxQuery::default()
        })
        .await
        .unwrap();
    for c in inbox.iter().take(n) {
        let r = store
            .create_reply(&Author::system("test"), c.id, account.id, "Thanks!")
            .await
            .unwrap();
        let uri = format!("at://brand/{}", r.id);
        store.mark_reply_sent(r.id, &uri, "bafy").await.unwrap();
    }
}

/// A conversation's first reply is one first response in every market that matched it, on the
/// reply's day in that market's zone; a second reply adds nothing. Within target follows each
/// market's own target (none counts none within); the minutes add up for the mean.
async fn first_responses_roll_up_once_per_conversation_and_market(store: &Store) {
    let fi = market(store, "FI", "Europe/Helsinki").await;
    let nf = market(store, "NF", "America/St_Johns").await;
    let us = market(store, "US", "America/New_York").await;
    let (q1, q2, q3) = (
        query(store, fi, "Brand FI").await,
        query(store, nf, "Brand NF").await,
        query(store, us, "Brand US").await,
    );
    store
        .set_response_target(&Author::system("test"), fi, 60)
        .await
        .unwrap();
    // A target no reply can meet (it always takes some milliseconds).
    store
        .set_response_target(&Author::system("test"), nf, 0)
        .await
        .unwrap();
    let shared = post(
        "at://r/1",
        "bluesky",
        "2026-05-01T10:00:00Z",
        &[(q1, fi), (q2, nf), (q3, us)],
    );
    let fi_only = post("at://r/2", "bluesky", "2026-05-01T11:00:00Z", &[(q1, fi)]);
    store
        .ingest_batch("s", "1", vec![shared, fi_only])
        .await
        .unwrap();
    let before = chorus_store::now_ms();
    answer(store, fi, 2).await;
    // Answering the shared conversation again (from NF's account) adds nothing.
    answer(store, nf, 1).await;
    let after = chorus_store::now_ms();

    let mut q = RollupQuery::new(Dimension::Market, Grain::Month);
    q.by_market = true;
    q.metrics = Metric::CONVERSATIONS[3..].to_vec();
    let got: Vec<(i64, Metric, i64)> = store
        .rollups(&q)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.market_id.unwrap().0, r.metric, r.value))
        .collect();
    assert_eq!(
        got,
        [
            (fi.0, Metric::FirstResponses, 2),
            (fi.0, Metric::FirstResponsesWithinTarget, 2),
            (nf.0, Metric::FirstResponses, 1),
            (us.0, Metric::FirstResponses, 1),
        ],
        "minutes are 0 (answered at once) and so not stored; NF's 0-minute target is missed, \
         US has none"
    );
    let mut scope = RollupQuery::new(Dimension::Market, Grain::Day);
    scope.markets = Some(vec![nf]);
    scope.metrics = vec![Metric::FirstResponses];
    let measured = store.last_measured(&scope).await.unwrap();
    assert_eq!(measured.len(), 1, "{measured:?}");
    assert!((before..=after).contains(&measured[0].at_ms));
}

support::conformance_suite!(
    a_rebuild_from_stored_events_equals_the_kept_rollups,
    first_responses_roll_up_once_per_conversation_and_market,
    clicks_roll_up_and_measurements_say_when,
    matched_posts_roll_up_per_market_and_network_by_post_day
);
