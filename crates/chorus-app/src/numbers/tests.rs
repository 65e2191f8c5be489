use chorus_core::numbers::{Dimension, Grain, Metric};
use chorus_core::stories::limits::Network;
use jiff::civil::date as ymd;

use super::*;

#[test]
fn group_by_takes_one_dimension_or_one_and_market() {
    let ok = [
        ("", (Dimension::Market, false)),
        ("market", (Dimension::Market, false)),
        ("principle", (Dimension::Principle, false)),
        ("principle,market", (Dimension::Principle, true)),
        ("market, campaign", (Dimension::Campaign, true)),
    ];
    for (raw, want) in ok {
        assert_eq!(group_by(raw).ok(), Some(want), "{raw:?}");
    }
    for raw in ["planet", "market,market", "post,story", "post,story,market"] {
        let e = group_by(raw).unwrap_err();
        assert_eq!(e.field(), Some("group_by"), "{raw:?}");
    }
}

#[test]
fn dates_name_their_field() {
    assert_eq!(date("2026-03-01", "from").unwrap(), Some(ymd(2026, 3, 1)));
    assert_eq!(date(" ", "from").unwrap(), None);
    assert_eq!(date("1.3.2026", "to").unwrap_err().field(), Some("to"));
}

#[test]
fn availability_is_per_network_and_rollups_decide_what_is_counted() {
    let bsky = [Network::Bluesky];
    assert!(metric_info(Metric::Likes, &bsky).available);
    let imp = metric_info(Metric::Impressions, &bsky);
    assert!(!imp.available);
    assert_eq!(
        imp.sources[0].note,
        "Bluesky reports no views or impressions"
    );
    // Clicks are counted by Chorus's redirect and leads by Reach's confirmations.
    assert!(metric_info(Metric::Clicks, &bsky).available);
    assert!(metric_info(Metric::Leads, &bsky).available);
    let quotes = metric_info(Metric::Quotes, &[Network::Bluesky, Network::Mastodon]);
    assert!(quotes.available, "available on one of the networks");
    assert_eq!(
        quotes
            .sources
            .iter()
            .map(|s| s.available)
            .collect::<Vec<_>>(),
        [true, false]
    );
}

#[test]
fn tz_is_an_iana_zone_utc_by_default() {
    assert_eq!(zone("").unwrap().0, "UTC");
    let (name, z) = zone(" America/St_Johns ").unwrap();
    assert_eq!(name, "America/St_Johns");
    assert_eq!(z.iana_name(), Some("America/St_Johns"));
    for bad in ["Mars/Olympus", "+02:00", "Helsinki"] {
        assert_eq!(zone(bad).unwrap_err().field(), Some("tz"), "{bad}");
    }
}

#[test]
fn last_measured_is_per_network_and_only_for_available_metrics() {
    let nets = [Network::Bluesky, Network::Mastodon];
    let row = |network: &str, metric, at_ms| chorus_store::MeasuredRow {
        network: network.into(),
        metric,
        at_ms,
    };
    let measured = [
        row("bluesky", Metric::Likes, 10),
        row("mastodon", Metric::Likes, 30),
        row("bluesky", Metric::Clicks, 50),
        row("bluesky", Metric::Impressions, 70),
    ];
    let likes = with_times(metric_info(Metric::Likes, &nets), &measured);
    assert_eq!(likes.last_measured_ms, Some(30));
    assert_eq!(
        likes
            .sources
            .iter()
            .map(|s| s.last_measured_ms)
            .collect::<Vec<_>>(),
        [Some(10), Some(30)]
    );
    // Not available: no time, whatever a row says.
    let imp = with_times(metric_info(Metric::Impressions, &nets), &measured);
    assert_eq!(imp.last_measured_ms, None);
    let quotes = with_times(metric_info(Metric::Quotes, &nets), &measured);
    assert_eq!(quotes.last_measured_ms, None, "never measured");
}

fn report_of(rows: Vec<ReportRow>) -> Report {
    let networks = [Network::Bluesky];
    Report {
        group_by: Dimension::Principle,
        by_market: true,
        grain: Grain::Day,
        from: ymd(2026, 3, 1),
        to: ymd(2026, 3, 31),
        metrics: [Metric::Likes, Metric::Impressions]
            .into_iter()
            .map(|m| metric_info(m, &networks))
            .collect(),
        tz: "UTC".into(),
        rows,
        last_fetched_ms: None,
        demo: false,
    }
}

#[test]
fn csv_writes_the_rows_with_not_available_and_neutralised_cells() {
    let row = |market: &str, subject: &str, label: &str, likes: i64| ReportRow {
        market: Some(market.into()),
        subject: subject.into(),
        label: label.into(),
        bucket: None,
        values: vec![Some(likes), None],
    };
    let r = report_of(vec![
        row("FI", "7", "1. Define clear objectives", 12),
        row("FI", "8", "=HYPERLINK(\"http://x\")", -2),
        row("BR", "9", "+cmd|' /C calc'!A0", 0),
        row("BR", "10", "@SUM(A1)", 1),
        row("BR", "11", "\tTab", 1),
        row("BR", "12", "\rReturn", 1),
    ]);
    let r = Report {
        last_fetched_ms: Some(1_774_951_200_000),
        ..r
    };
    let text = String::from_utf8(write_csv(&r).unwrap()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "market,principle,name,likes,impressions,last_measured_at"
    );
    assert_eq!(
        lines[1],
        "FI,7,1. Define clear objectives,12,not available,2026-03-31T10:00:00Z"
    );
    assert_eq!(
        lines[2],
        "FI,8,\"'=HYPERLINK(\"\"http://x\"\")\",'-2,not available,2026-03-31T10:00:00Z"
    );
    assert_eq!(
        lines[3],
        "BR,9,'+cmd|' /C calc'!A0,0,not available,2026-03-31T10:00:00Z"
    );
    assert_eq!(
        lines[4],
        "BR,10,'@SUM(A1),1,not available,2026-03-31T10:00:00Z"
    );
    assert!(text.contains("'\tTab"), "{text}");
    assert!(text.contains("'\rReturn"), "{text}");
}

#[test]
fn csv_of_a_series_has_a_bucket_column() {
    let mut r = report_of(vec![ReportRow {
        market: Some("FI".into()),
        subject: "7".into(),
        label: "One".into(),
        bucket: Some(ymd(2026, 3, 2)),
        values: vec![Some(3), None],
    }]);
    r.by_market = false;
    let text = String::from_utf8(write_csv(&r).unwrap()).unwrap();
    assert_eq!(
        text,
        "principle,name,bucket,likes,impressions,last_measured_at\n\
         7,One,2026-03-02,3,not available,\n",
        "never measured: an empty cell"
    );
}
