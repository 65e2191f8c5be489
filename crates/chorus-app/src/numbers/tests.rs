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
    // Clicks are counted by Chorus, but the rollups do not hold them yet: not a 0.
    assert!(!metric_info(Metric::Clicks, &bsky).available);
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
    let text = String::from_utf8(write_csv(&r).unwrap()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "market,principle,name,likes,impressions");
    assert_eq!(lines[1], "FI,7,1. Define clear objectives,12,not available");
    assert_eq!(
        lines[2],
        "FI,8,\"'=HYPERLINK(\"\"http://x\"\")\",'-2,not available"
    );
    assert_eq!(lines[3], "BR,9,'+cmd|' /C calc'!A0,0,not available");
    assert_eq!(lines[4], "BR,10,'@SUM(A1),1,not available");
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
        "principle,name,bucket,likes,impressions\n7,One,2026-03-02,3,not available\n"
    );
}
