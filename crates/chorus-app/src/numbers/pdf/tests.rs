//! The PDF drawn from a hand-made document, read back with poppler's `pdftotext` and `pdfinfo`
//! (skipped with the reason printed when they are missing, unless CHORUS_REQUIRE_SERVICES=1).

use std::io::Write;
use std::process::Command;

use chorus_core::numbers::{Dimension, Grain, Metric};
use chorus_core::stories::limits::Network;
use jiff::ToSpan;
use jiff::civil::date;

use super::*;
use crate::numbers::{Chart, Report, ReportRow, metric_info};

fn report(group_by: Dimension, by_market: bool, rows: Vec<ReportRow>) -> Report {
    Report {
        group_by,
        by_market,
        grain: Grain::Day,
        from: date(2026, 3, 1),
        to: date(2026, 3, 31),
        metrics: Metric::ALL
            .iter()
            .map(|m| metric_info(*m, &[Network::Bluesky]))
            .collect(),
        rows,
        last_fetched_ms: None,
        tz: "UTC".into(),
        demo: false,
    }
}

fn row(market: Option<&str>, label: &str, likes: i64) -> ReportRow {
    let values = Metric::ALL
        .iter()
        .map(|m| match m {
            Metric::Likes => Some(likes),
            Metric::Reposts => Some(likes / 10),
            Metric::Impressions | Metric::Clicks | Metric::ConversationVolume | Metric::Leads => {
                None
            }
            _ => Some(0),
        })
        .collect();
    ReportRow {
        market: market.map(String::from),
        subject: label.into(),
        label: label.into(),
        bucket: None,
        values,
    }
}

fn document(principles: usize) -> ReportDocument {
    let by_market = report(
        Dimension::Market,
        false,
        vec![
            row(None, "Säästö Suomi", 1234),
            row(None, "São Paulo", 567),
            row(None, "東京", 89),
        ],
    );
    let by_principle = report(
        Dimension::Principle,
        true,
        (0..principles)
            .map(|i| {
                row(
                    Some("FI"),
                    &format!("{}. Principle number {i}", i + 1),
                    i as i64,
                )
            })
            .collect(),
    );
    let totals = by_market
        .metrics
        .iter()
        .enumerate()
        .map(|(i, info)| {
            let sum: Option<i64> = by_market.rows.iter().map(|r| r.values[i]).sum();
            (info.clone(), sum)
        })
        .collect();
    let days: Vec<_> = (0..31)
        .map(|i| date(2026, 3, 1).checked_add(i.days()).unwrap())
        .collect();
    let values = (0..31).map(|i| (i * 7 % 13) as i64 - 2).collect();
    ReportDocument {
        organization: "Nordic Ääni Oy".into(),
        kind: "Market report",
        title: "Säästö Suomi".into(),
        details: vec!["Market FI · time zone Europe/Helsinki".into()],
        from: date(2026, 3, 1),
        to: date(2026, 3, 31),
        generated: "2026-04-01 06:00 UTC".into(),
        overview: Overview {
            from: date(2026, 3, 1),
            to: date(2026, 3, 31),
            markets: vec![],
            campaigns: vec![],
            principles: vec![],
            networks: vec![Network::Bluesky],
            accounts: vec![],
            zones: vec![],
            totals,
            chart: Some(Chart {
                metric: Metric::Likes,
                days,
                values,
            }),
            by_market,
            by_principle: Some(by_principle),
            measured: true,
            conversations: None,
        },
        objectives: Some(ObjectiveSection {
            rows: vec![ObjectiveRow {
                metric: "sign-ups".into(),
                period: "campaign".into(),
                target: "500".into(),
                progress: None,
            }],
            note: "Progress against each objective is not measured yet.".into(),
        }),
    }
}

fn required() -> bool {
    std::env::var("CHORUS_REQUIRE_SERVICES").as_deref() == Ok("1")
}

/// `pdftotext -layout` and `pdfinfo`'s page count of `pdf`, or `None` (skip) without poppler.
fn read_back(pdf: &[u8]) -> Option<(String, usize)> {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(pdf).unwrap();
    let path = file.path();
    let text = match Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .output()
    {
        Ok(out) => {
            assert!(out.status.success(), "pdftotext: {out:?}");
            String::from_utf8(out.stdout).unwrap()
        }
        Err(e) => {
            let reason = format!("pdftotext is not installed ({e}); run .ci/setup-pdf.sh");
            assert!(!required(), "{reason} (CHORUS_REQUIRE_SERVICES=1)");
            eprintln!("skipped: {reason}");
            return None;
        }
    };
    let info = Command::new("pdfinfo").arg(path).output().unwrap();
    assert!(info.status.success(), "pdfinfo refuses the file: {info:?}");
    let info = String::from_utf8(info.stdout).unwrap();
    let pages = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .map(|p| p.trim().parse().unwrap())
        .unwrap();
    Some((text, pages))
}

#[test]
fn the_same_document_gives_the_same_bytes() {
    let doc = document(3);
    let a = render(&doc).unwrap();
    assert!(a.starts_with(b"%PDF-"));
    assert_eq!(a, render(&doc).unwrap());
    // Subset: far smaller than the two embedded faces (1.4 MiB).
    assert!(a.len() < 120_000, "{} bytes", a.len());
}

#[test]
fn pdftotext_reads_the_figures_names_and_not_available() {
    let pdf = render(&document(3)).unwrap();
    if let Ok(path) = std::env::var("CHORUS_PDF_SAMPLE") {
        std::fs::write(path, &pdf).unwrap();
    }
    let Some((text, pages)) = read_back(&pdf) else {
        return;
    };
    assert!(pages >= 2, "the definitions follow the tables:\n{text}");
    for p in 1..=pages {
        assert!(text.contains(&format!("Page {p} of {pages}")), "{text}");
    }
    for want in [
        "NORDIC ÄÄNI OY · NUMBERS REPORT",
        "Säästö Suomi",
        "Market report · 2026-03-01 to 2026-03-31",
        "São Paulo",
        "東京",
        "Likes per day",
        "Impressions",
        "Generated 2026-04-01 06:00 UTC by Chorus · Nordic Ääni Oy",
        "Bluesky: not available",
        "sign-ups",
    ] {
        assert!(text.contains(want), "{want:?} missing from:\n{text}");
    }
    // The by-market rows: each name with its likes and reposts, in the table's order.
    let line = |name: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("no row for {name} in:\n{text}"))
            .split_whitespace()
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert_eq!(line("São Paulo")[2..4], ["567", "56"]);
    assert_eq!(line("東京")[1..3], ["89", "8"]);
    // The totals tile: 1234 + 567 + 89, and unavailable metrics written out, never 0.
    assert!(text.contains("1890"), "{text}");
    let tiles_end = text.find("Likes per day").unwrap();
    let tiles = &text[..tiles_end];
    assert_eq!(
        tiles.matches(NOT_AVAILABLE).count(),
        4,
        "impressions, clicks, conversation volume, leads: {tiles}"
    );
}

#[test]
fn long_tables_continue_on_numbered_pages() {
    let pdf = render(&document(60)).unwrap();
    let Some((text, pages)) = read_back(&pdf) else {
        return;
    };
    assert!(pages >= 3, "{pages} pages");
    for p in 1..=pages {
        assert!(
            text.contains(&format!("Page {p} of {pages}")),
            "page {p}:\n{text}"
        );
    }
    assert!(text.contains("60. Principle number 59"), "{text}");
}
