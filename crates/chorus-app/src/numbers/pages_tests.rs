//! The campaign, post and league use cases: each objective's outcome (measured, not measured,
//! not available, no target) from `objective_view` alone, then against a temporary SQLite
//! store — a FI analyst reads a FI + BR campaign's FI figures only, a BR campaign or post is
//! not found, followers are counted in the campaign's markets, and the league ranks by
//! followers with "not available" for a market never measured.

use chorus_core::audit::Author;
use chorus_core::numbers::objective::{Measure, Measured, Period};
use chorus_core::numbers::progress::Standing;
use chorus_core::numbers::{Metric, PostCounts};
use chorus_core::stories::limits::Network;
use chorus_core::stories::{CampaignInput, Objective};
use chorus_core::{MarketId, Role};
use chorus_store::{NewAccount, NewFollowerSnapshot, NewPostSnapshot, StoryInput, VariantInput};
use jiff::civil::{Date, date};

use super::*;
use crate::Error;
use crate::users::tests::{World, world};

fn objective(metric: &str, target: f64, period: &str) -> Objective {
    Objective {
        metric: metric.into(),
        target,
        period: period.into(),
    }
}

/// 1–10 March, viewed on the 5th, with 2 likes, 1 repost, 1 reply and 1 quote every day.
fn view(o: &Objective) -> ObjectiveView {
    objective_view(
        o,
        date(2026, 3, 1),
        date(2026, 3, 10),
        date(2026, 3, 5),
        &[Network::Bluesky],
        |m| {
            let per_day = match m {
                Metric::Likes => 2,
                Metric::Reposts | Metric::Replies | Metric::Quotes => 1,
                _ => 100,
            };
            (1..=5).map(|d| (date(2026, 3, d), per_day)).collect()
        },
    )
}

#[test]
fn an_objective_is_measured_or_says_why_not_never_zero() {
    let v = view(&objective("Engagement", 100.0, "campaign"));
    assert_eq!(v.measured, Measured::Counted(Measure::Engagement));
    let Outcome::Measured(p) = &v.outcome else {
        panic!("{:?}", v.outcome)
    };
    assert_eq!(p.actual, 25, "5 a day for 5 days, the four counts added");
    assert_eq!(p.pace, 50.0);
    assert_eq!(p.standing, Standing::Behind);

    let v = view(&objective("likes", 2.0, "per week"));
    assert_eq!(v.period, Period::PerWeek);
    let Outcome::Measured(p) = &v.outcome else {
        panic!("{:?}", v.outcome)
    };
    // The week of 2–8 March: 4 days so far at 2 a day.
    assert_eq!(
        (p.from, p.to, p.actual),
        (date(2026, 3, 2), date(2026, 3, 8), 8)
    );

    let v = view(&objective("share of voice", 30.0, ""));
    assert_eq!(v.outcome, Outcome::NotMeasured);
    assert_eq!(
        v.measured.describe(),
        "Chorus does not measure 'share of voice'"
    );

    // Sign-ups are leads, counted by Reach's confirmations: measured like any other count
    // (100 a day here, as every other metric in this test's figures).
    let v = view(&objective("sign-ups", 30.0, ""));
    let Outcome::Measured(p) = &v.outcome else {
        panic!("{:?}", v.outcome)
    };
    assert_eq!(p.actual, 500);

    // Impressions: Chorus knows the metric, Bluesky does not report it.
    let v = view(&objective("impressions", 30.0, ""));
    let Outcome::NotAvailable { why } = &v.outcome else {
        panic!("{:?}", v.outcome)
    };
    assert!(why.contains("Bluesky reports no views"), "{why}");

    // A target of 0 (which the campaign form refuses, but stored data may hold).
    assert_eq!(
        view(&objective("likes", 0.0, "")).outcome,
        Outcome::NoTarget
    );

    assert!(
        view(&objective("followers", 10.0, ""))
            .counted_as
            .contains("in the campaign's markets"),
    );
}

fn ms(s: &str) -> i64 {
    s.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

/// An account in `market`, and a story of `campaign` there with one variant measured on 10
/// March (likes `likes`); returns (account, variant).
async fn post_in(w: &World, market: MarketId, campaign: i64, tag: &str, likes: i64) -> (i64, i64) {
    let sys = Author::system("test");
    let account = w
        .store
        .connect_account(
            &sys,
            &NewAccount {
                market_id: market,
                network: "bluesky",
                handle: &format!("{tag}.test"),
                external_id: &format!("did:plc:{tag}"),
                service_url: "http://localhost:2583",
                sealed: "sealed",
            },
        )
        .await
        .unwrap();
    let author = w
        .person(&format!("{tag}@example.com"), &[(Role::Admin, None)], None)
        .await;
    let author = Author::user(author, "author");
    let story = w
        .store
        .create_story(
            &author,
            &StoryInput {
                market_id: market,
                campaign_id: Some(campaign),
                title: format!("Story {tag}"),
                brief: "b".into(),
                principles: vec![],
            },
        )
        .await
        .unwrap();
    let v = w
        .store
        .save_variant(
            &author,
            story.id,
            None,
            &VariantInput {
                account_id: account.id,
                locale: "en".into(),
                body: "post".into(),
                scheduled_at_ms: None,
            },
        )
        .await
        .unwrap();
    w.store
        .record_post_snapshots(&[NewPostSnapshot {
            variant_id: v.id,
            fetched_at_ms: ms("2026-03-10T10:00:00Z"),
            counts: PostCounts {
                likes: Some(likes),
                ..PostCounts::default()
            },
            next_due_ms: ms("2026-03-11T10:00:00Z"),
        }])
        .await
        .unwrap();
    (account.id, v.id)
}

async fn campaign(
    w: &World,
    name: &str,
    markets: Vec<MarketId>,
    objectives: Vec<Objective>,
) -> i64 {
    let input = CampaignInput::parse(
        name,
        objectives,
        markets,
        vec![],
        "2026-03-01",
        "2026-03-31",
    )
    .unwrap();
    w.store
        .create_campaign(&Author::system("test"), &input)
        .await
        .unwrap()
        .id
}

fn on(day: Date) -> CampaignNumbersInput {
    CampaignNumbersInput {
        on: day.to_string(),
    }
}

#[tokio::test]
async fn a_campaign_in_two_markets_shows_the_callers_market_only_and_another_market_is_not_found() {
    let w = world().await;
    let both = campaign(
        &w,
        "Both",
        vec![w.fi, w.br],
        vec![
            objective("likes", 100.0, ""),
            objective("new followers", 50.0, ""),
        ],
    )
    .await;
    let br_only = campaign(
        &w,
        "Brazil only",
        vec![w.br],
        vec![objective("likes", 1.0, "")],
    )
    .await;
    let (fi_account, _) = post_in(&w, w.fi, both, "fi", 7).await;
    let (_, br_post) = post_in(&w, w.br, both, "br", 40).await;
    // FI's followers: 1000, then 1030 during the campaign (the first count is all of them).
    w.store
        .record_follower_snapshots(&[
            NewFollowerSnapshot {
                account_id: fi_account,
                fetched_at_ms: ms("2026-02-20T10:00:00Z"),
                followers: Some(1000),
            },
            NewFollowerSnapshot {
                account_id: fi_account,
                fetched_at_ms: ms("2026-03-05T10:00:00Z"),
                followers: Some(1030),
            },
        ])
        .await
        .unwrap();

    let analyst = w
        .person("analyst@example.com", &[(Role::Analyst, Some(w.fi))], None)
        .await;
    let analyst = w.caller(analyst).await;
    let c = campaign_numbers(&w.app, &analyst, both, &on(date(2026, 3, 15)))
        .await
        .unwrap();
    assert!(c.partial, "the campaign also runs in BR");
    assert_eq!(c.by_market.len(), 1);
    assert_eq!(c.by_market[0].code, "FI");
    let Outcome::Measured(likes) = &c.objectives[0].outcome else {
        panic!("{:?}", c.objectives[0].outcome)
    };
    assert_eq!(likes.actual, 7, "FI's 7 likes, not BR's 40");
    let Outcome::Measured(followers) = &c.objectives[1].outcome else {
        panic!("{:?}", c.objectives[1].outcome)
    };
    assert_eq!(followers.actual, 30, "gained within the campaign, in FI");
    assert_eq!(c.days.len(), 15);
    let (metric, per_day) = &c.daily[0];
    assert_eq!(*metric, Metric::Likes);
    assert_eq!(per_day[9], 7);

    // The admin sees both markets added up.
    let admin = w
        .person("admin@example.com", &[(Role::Admin, None)], None)
        .await;
    let admin = w.caller(admin).await;
    let c = campaign_numbers(&w.app, &admin, both, &on(date(2026, 3, 15)))
        .await
        .unwrap();
    assert!(!c.partial);
    let Outcome::Measured(likes) = &c.objectives[0].outcome else {
        panic!()
    };
    assert_eq!(likes.actual, 47);

    // A campaign and a post of BR only do not exist for FI's analyst.
    let e = campaign_numbers(&w.app, &analyst, br_only, &CampaignNumbersInput::default())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound("campaign")), "{e:?}");
    let e = post_numbers(&w.app, &analyst, br_post).await.unwrap_err();
    assert!(matches!(e, Error::NotFound("post")), "{e:?}");
    // Not published: not a post either, even in the caller's market (for the admin too).
    let e = post_numbers(&w.app, &admin, br_post).await.unwrap_err();
    assert!(matches!(e, Error::NotFound("post")), "{e:?}");
    let e = campaign_numbers(
        &w.app,
        &analyst,
        both,
        &CampaignNumbersInput { on: "May".into() },
    )
    .await
    .unwrap_err();
    assert_eq!(e.field(), Some("on"));

    // Someone who reads numbers nowhere is refused outright.
    let editor = w
        .person("editor@example.com", &[(Role::Editor, Some(w.fi))], None)
        .await;
    let editor = w.caller(editor).await;
    let e = campaign_numbers(&w.app, &editor, both, &CampaignNumbersInput::default())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Forbidden(_)), "{e:?}");

    // The league: FI 7 likes per 1,030 followers; BR never measured: no rate, unranked.
    let l = league(
        &w.app,
        &admin,
        &ReportFilters {
            from: "2026-03-01".into(),
            to: "2026-03-31".into(),
            ..ReportFilters::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(l.rows.len(), 2);
    assert_eq!((l.rows[0].code.as_str(), l.rows[0].rank), ("FI", Some(1)));
    assert_eq!(l.rows[0].followers, Some(1030));
    let rate = l.rows[0].per_thousand.unwrap();
    assert!((rate - 7000.0 / 1030.0).abs() < 1e-9, "{rate}");
    assert_eq!(l.rows[1].code, "BR");
    assert_eq!(l.rows[1].engagement, 40);
    assert_eq!(
        (l.rows[1].followers, l.rows[1].per_thousand, l.rows[1].rank),
        (None, None, None)
    );
}
