//! Table tests for the Numbers vocabulary, the snapshot schedule and calendar buckets, and a
//! property test that every instant lies in the span of its own bucket.

use jiff::civil::{Date, date};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;

use super::schedule::{CHECKPOINTS, next_due, next_followers_due};
use super::*;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn tz(name: &str) -> TimeZone {
    jiff::tz::db().get(name).unwrap()
}

#[test]
fn metric_and_dimension_names_round_trip_and_bad_names_list_the_good_ones() {
    for m in Metric::ALL {
        assert_eq!(Metric::parse(m.name()).unwrap(), m);
        let def = m.definition();
        assert!(!def.is_empty() && !def.contains('\n'), "{m}: {def}");
        assert_eq!(
            serde_json::to_value(m).unwrap(),
            serde_json::json!(m.name())
        );
    }
    for d in Dimension::ALL {
        assert_eq!(Dimension::parse(d.name()).unwrap(), d);
    }
    for g in Grain::ALL {
        assert_eq!(Grain::parse(g.name()).unwrap(), g);
    }
    let e = Metric::parse("views").unwrap_err().message;
    assert!(e.contains("likes") && e.contains("first_hour_likes"), "{e}");
    assert!(
        Dimension::parse("country")
            .unwrap_err()
            .message
            .contains("principle")
    );
    assert!(Grain::parse("year").is_err());
}

#[test]
fn availability_per_network_never_pretends_a_missing_metric_is_zero() {
    use Availability::*;
    let cases: &[(Metric, &str, bool)] = &[
        (Metric::Likes, "bluesky", true),
        (Metric::Reposts, "bluesky", true),
        (Metric::Replies, "bluesky", true),
        (Metric::Quotes, "bluesky", true),
        (Metric::Bookmarks, "bluesky", true),
        (Metric::Followers, "bluesky", true),
        (Metric::FirstHourLikes, "bluesky", true),
        (Metric::Impressions, "bluesky", false),
        (Metric::Clicks, "bluesky", true),
        (Metric::ConversationVolume, "bluesky", true),
        (Metric::Leads, "bluesky", true),
        (Metric::Likes, "mastodon", true),
        (Metric::Quotes, "mastodon", false),
        (Metric::Bookmarks, "mastodon", false),
        (Metric::Impressions, "mastodon", false),
        (Metric::Likes, "webhook", false),
        (Metric::Clicks, "webhook", true),
    ];
    for (m, net, available) in cases {
        assert_eq!(
            m.availability(net).is_available(),
            *available,
            "{m} on {net}"
        );
    }
    assert!(matches!(
        Metric::Impressions.availability("bluesky"),
        NotAvailable { why } if why.contains("Bluesky")
    ));
    assert!(matches!(
        Metric::Likes.availability("bluesky"),
        Network { source } if source.contains("getPosts")
    ));
    assert!(matches!(
        Metric::Clicks.availability("bluesky"),
        Chorus { .. }
    ));
    assert_eq!(Metric::Clicks.kind(), Kind::Events);
    assert_eq!(Metric::Likes.kind(), Kind::Cumulative);
    assert!(Dimension::Network.carries(Metric::Followers));
    assert!(!Dimension::Principle.carries(Metric::Followers));
    assert!(Dimension::Principle.carries(Metric::Likes));
    assert!(Dimension::Market.carries(Metric::ConversationVolume));
    assert!(Dimension::Network.carries(Metric::ConversationVolume));
    assert!(!Dimension::Campaign.carries(Metric::ConversationVolume));
    assert!(!Dimension::Account.carries(Metric::ConversationVolume));
}

#[test]
fn snapshots_are_due_at_an_hour_a_day_a_week_a_month_then_daily() {
    let p = ts("2026-03-01T12:00:00Z");
    let h = |n: i64| p.checked_add(SignedDuration::from_hours(n)).unwrap();
    let d = |n: i64| h(24 * n);
    let s = |n: i64| p.checked_add(SignedDuration::from_secs(n)).unwrap();
    let cases: &[(Option<Timestamp>, Timestamp)] = &[
        (None, h(1)),
        (Some(s(1800)), h(1)),
        (Some(h(1)), d(1)),
        (Some(s(3601)), d(1)),
        (Some(d(1)), d(7)),
        (Some(d(3)), d(7)),
        (Some(d(7)), d(30)),
        (Some(d(10)), d(30)),
        (Some(d(30)), d(31)),
        (Some(s(30 * 86_400 + 1)), d(31)),
        (
            Some(d(45).checked_add(SignedDuration::from_hours(3)).unwrap()),
            d(46),
        ),
        (Some(d(400)), d(401)),
        // A fetch stamped before publication (clock skew): the first checkpoint.
        (Some(s(-60)), h(1)),
    ];
    for (last, want) in cases {
        assert_eq!(next_due(p, *last), *want, "last {last:?}");
    }
    assert_eq!(CHECKPOINTS.len(), 4);
    let now = ts("2026-05-01T00:00:00Z");
    assert_eq!(next_followers_due(None, now), now);
    assert_eq!(next_followers_due(Some(p), now), d(1));
}

#[test]
fn buckets_follow_the_markets_calendar_across_dst_and_half_hour_offsets() {
    use Grain::{Day, Month, Week};
    // (instant, zone, grain, bucket)
    let cases: &[(&str, &str, Grain, Date)] = &[
        (
            "2026-03-28T21:59:59Z",
            "Europe/Helsinki",
            Day,
            date(2026, 3, 28),
        ),
        (
            "2026-03-28T22:00:00Z",
            "Europe/Helsinki",
            Day,
            date(2026, 3, 29),
        ),
        // After the change (UTC+3): 20:59:59Z is 23:59:59 local.
        (
            "2026-03-29T20:59:59Z",
            "Europe/Helsinki",
            Day,
            date(2026, 3, 29),
        ),
        (
            "2026-03-29T21:00:00Z",
            "Europe/Helsinki",
            Day,
            date(2026, 3, 30),
        ),
        (
            "2026-03-29T21:00:00Z",
            "Europe/Helsinki",
            Week,
            date(2026, 3, 30),
        ),
        (
            "2026-03-29T20:59:59Z",
            "Europe/Helsinki",
            Week,
            date(2026, 3, 23),
        ),
        (
            "2026-11-01T05:30:00Z",
            "America/New_York",
            Day,
            date(2026, 11, 1),
        ),
        (
            "2026-11-02T04:59:59Z",
            "America/New_York",
            Day,
            date(2026, 11, 1),
        ),
        (
            "2026-11-02T05:00:00Z",
            "America/New_York",
            Day,
            date(2026, 11, 2),
        ),
        (
            "2026-03-08T04:59:59Z",
            "America/New_York",
            Day,
            date(2026, 3, 7),
        ),
        (
            "2026-03-08T05:00:00Z",
            "America/New_York",
            Day,
            date(2026, 3, 8),
        ),
        (
            "2026-01-01T18:29:59Z",
            "Asia/Kolkata",
            Day,
            date(2026, 1, 1),
        ),
        (
            "2026-01-01T18:30:00Z",
            "Asia/Kolkata",
            Day,
            date(2026, 1, 2),
        ),
        (
            "2026-01-31T13:29:59Z",
            "Australia/Adelaide",
            Month,
            date(2026, 1, 1),
        ),
        (
            "2026-01-31T13:30:00Z",
            "Australia/Adelaide",
            Month,
            date(2026, 2, 1),
        ),
        (
            "2026-07-31T14:29:59Z",
            "Australia/Adelaide",
            Month,
            date(2026, 7, 1),
        ),
        (
            "2026-07-31T14:30:00Z",
            "Australia/Adelaide",
            Month,
            date(2026, 8, 1),
        ),
        (
            "2026-01-01T03:29:59Z",
            "America/St_Johns",
            Day,
            date(2025, 12, 31),
        ),
        (
            "2026-01-01T03:30:00Z",
            "America/St_Johns",
            Day,
            date(2026, 1, 1),
        ),
        (
            "2026-01-01T03:30:00Z",
            "America/St_Johns",
            Week,
            date(2025, 12, 29),
        ),
        (
            "2026-01-01T03:30:00Z",
            "America/St_Johns",
            Month,
            date(2026, 1, 1),
        ),
        (
            "2026-07-01T02:29:59Z",
            "America/St_Johns",
            Month,
            date(2026, 6, 1),
        ),
        (
            "2026-07-01T02:30:00Z",
            "America/St_Johns",
            Month,
            date(2026, 7, 1),
        ),
        ("2026-03-01T00:00:00Z", "UTC", Week, date(2026, 2, 23)),
        ("2026-03-02T00:00:00Z", "UTC", Week, date(2026, 3, 2)),
    ];
    for (at, zone, grain, want) in cases {
        assert_eq!(
            bucket_of(ts(at), &tz(zone), *grain),
            *want,
            "{at} in {zone} by {grain}"
        );
    }
}

#[test]
fn bucket_spans_are_23_24_or_25_hours_and_start_after_a_skipped_midnight() {
    let hours = |zone: &str, d: Date, g: Grain| {
        let (a, b) = bucket_span(d, &tz(zone), g);
        (a, b.duration_since(a).as_secs() / 60)
    };
    let helsinki = hours("Europe/Helsinki", date(2026, 3, 29), Grain::Day);
    assert_eq!(helsinki, (ts("2026-03-28T22:00:00Z"), 23 * 60));
    let ny = hours("America/New_York", date(2026, 11, 1), Grain::Day);
    assert_eq!(ny, (ts("2026-11-01T04:00:00Z"), 25 * 60));
    let kolkata = hours("Asia/Kolkata", date(2026, 1, 2), Grain::Day);
    assert_eq!(kolkata, (ts("2026-01-01T18:30:00Z"), 24 * 60));
    // Chile skips 00:00–01:00 on 2026-09-06: the day starts at 01:00 -03 (04:00Z), 23 hours.
    let santiago = hours("America/Santiago", date(2026, 9, 6), Grain::Day);
    assert_eq!(santiago, (ts("2026-09-06T04:00:00Z"), 23 * 60));
    // A week with the change in it is 7 × 24 − 1 hours; March 2026 in Helsinki is 31 × 24 − 1.
    let week = hours("Europe/Helsinki", date(2026, 3, 23), Grain::Week);
    assert_eq!(week.1, (7 * 24 - 1) * 60);
    let month = hours("Europe/Helsinki", date(2026, 3, 1), Grain::Month);
    assert_eq!(month, (ts("2026-02-28T22:00:00Z"), (31 * 24 - 1) * 60));
    let stjohns = hours("America/St_Johns", date(2026, 1, 1), Grain::Month);
    assert_eq!(stjohns, (ts("2026-01-01T03:30:00Z"), 31 * 24 * 60));
}

const ZONES: &[&str] = &[
    "UTC",
    "Europe/Helsinki",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Adelaide",
    "America/St_Johns",
    "America/Santiago",
    "Pacific/Chatham",
];

proptest! {
    #[test]
    fn every_instant_lies_in_its_own_buckets_span(
        secs in 1_700_000_000i64..1_900_000_000,
        zone in 0..ZONES.len(),
        grain in 0..3usize,
    ) {
        let at = Timestamp::from_second(secs).unwrap();
        let zone = tz(ZONES[zone]);
        let grain = Grain::ALL[grain];
        let start = bucket_of(at, &zone, grain);
        let (a, b) = bucket_span(start, &zone, grain);
        prop_assert!(a <= at && at < b, "{at} not in [{a}, {b})");
        // The next bucket starts where this one ends.
        prop_assert_eq!(bucket_of(b, &zone, grain), grain.next(start));
        prop_assert_eq!(bucket_span(grain.next(start), &zone, grain).0, b);
    }
}

/// `cover` tiles every range exactly: each of its buckets' days lies in the range, no day
/// twice, every day once; and a 30-day range is mostly weeks (a year mostly months).
#[test]
fn cover_tiles_a_range_with_whole_months_weeks_and_days() {
    use jiff::ToSpan;
    let base = date(2024, 1, 1);
    for start in 0..70i64 {
        for len in 0..400i64 {
            if len > 70 && len % 13 != 0 {
                continue;
            }
            let from = base.checked_add(start.days()).unwrap();
            let to = from.checked_add(len.days()).unwrap();
            let mut days = Vec::new();
            for (grain, first, end) in cover(from, to) {
                let mut b = first;
                while b < end {
                    assert_eq!(grain.start(b), b, "{grain} bucket {b} in {from}..{to}");
                    let mut d = b;
                    while d < grain.next(b) {
                        days.push(d);
                        d = d.tomorrow().unwrap();
                    }
                    b = grain.next(b);
                }
            }
            let mut want = Vec::new();
            let mut d = from;
            while d < to {
                want.push(d);
                d = d.tomorrow().unwrap();
            }
            assert_eq!(days, want, "{from}..{to}");
        }
    }
    // 2026-11-08 (a Sunday) .. 2026-12-08: a day, four weeks, a day.
    let runs = cover(date(2026, 11, 8), date(2026, 12, 8));
    assert_eq!(
        runs,
        vec![
            (Grain::Day, date(2026, 11, 8), date(2026, 11, 9)),
            (Grain::Week, date(2026, 11, 9), date(2026, 12, 7)),
            (Grain::Day, date(2026, 12, 7), date(2026, 12, 8)),
        ]
    );
    assert!(cover(date(2026, 1, 1), date(2027, 1, 1)).len() == 1);
}
