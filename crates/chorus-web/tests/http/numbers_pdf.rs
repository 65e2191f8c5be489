//! `GET /numbers/report.pdf`: the Numbers report as a PDF, read back with poppler's `pdftotext`
//! and `pdfinfo` (`.ci/setup-pdf.sh`; the tests skip, printing why, when they are missing,
//! unless CHORUS_REQUIRE_SERVICES=1). The figures are the API's for the same filters, "not
//! available" is written out, names keep their accents, and another market's analyst gets 404.

use std::io::Write;
use std::process::Command;

use chorus_core::Role;
use chorus_core::audit::Author;
use chorus_core::org::{MarketCode, MarketInput};
use chorus_store::Organization;
use reqwest::StatusCode;

use crate::numbers::{seed_market, seed_principle};
use crate::support::{Browser, api, spawn_app, token};

const RANGE: &str = "from=2026-03-01&to=2026-03-31";

/// The text of `pdf` (`pdftotext -layout`) and its page count, or `None` to skip.
pub fn pdf_text(pdf: &[u8]) -> Option<(String, usize)> {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(pdf).unwrap();
    let out = match Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(file.path())
        .arg("-")
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            let reason = format!("pdftotext is not installed ({e}); run .ci/setup-pdf.sh");
            assert!(
                std::env::var("CHORUS_REQUIRE_SERVICES").as_deref() != Ok("1"),
                "{reason} (CHORUS_REQUIRE_SERVICES=1)"
            );
            eprintln!("skipped: {reason}");
            return None;
        }
    };
    assert!(out.status.success(), "pdftotext refuses the file: {out:?}");
    let info = Command::new("pdfinfo").arg(file.path()).output().unwrap();
    assert!(info.status.success(), "pdfinfo refuses the file: {info:?}");
    let pages = String::from_utf8(info.stdout)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Pages:").map(|p| p.trim().parse().unwrap()))
        .unwrap();
    Some((String::from_utf8(out.stdout).unwrap(), pages))
}

/// The row of a table whose first cell starts with `name` (a line that goes on with figures),
/// as words.
fn row(text: &str, name: &str) -> Vec<String> {
    text.lines()
        .find(|l| {
            l.trim_start()
                .strip_prefix(name)
                .is_some_and(|rest| rest.split_whitespace().any(|w| w.parse::<i64>().is_ok()))
        })
        .unwrap_or_else(|| panic!("no row {name:?} in:\n{text}"))
        .split_whitespace()
        .map(String::from)
        .collect()
}

#[tokio::test]
async fn the_pdf_report_has_the_apis_figures_for_the_callers_markets_only() {
    let app = spawn_app().await;
    let sys = Author::system("test");
    app.store
        .set_organization(
            &sys,
            &Organization {
                name: "Säästö Oy".into(),
                slug: "saasto".into(),
            },
        )
        .await
        .unwrap();
    // Names with accents: the embedded font covers them, and pdftotext reads them back.
    for (code, name) in [("FI", "Suomi – Säästö"), ("BR", "São Paulo")] {
        let m = app
            .store
            .market_by_code(&MarketCode::parse(code).unwrap())
            .await
            .unwrap();
        let input = MarketInput {
            code: m.code.clone(),
            name: name.into(),
            country: m.country.clone(),
            locales: m.locales.clone(),
            timezone: m.timezone.clone(),
        };
        app.store.update_market(&sys, m.id, &input).await.unwrap();
    }
    let p = seed_principle(&app.store).await;
    let (_, fi_campaign) = seed_market(&app.store, "FI", p, 12, 3).await;
    let (_, br_campaign) = seed_market(&app.store, "BR", p, 30, 7).await;
    // FI's campaign aims at 100 likes, and at something Chorus does not count.
    let c = app.store.campaign(fi_campaign).await.unwrap();
    let with_objectives = chorus_core::stories::CampaignInput {
        name: c.name.clone(),
        slug: c.slug.clone(),
        objectives: vec![
            chorus_core::stories::Objective::parse("likes", "100", "campaign").unwrap(),
            chorus_core::stories::Objective::parse("share of voice", "30", "campaign").unwrap(),
        ],
        markets: c.markets.clone(),
        principles: c.principles.clone(),
        starts_on: c.starts_on,
        ends_on: c.ends_on,
    };
    app.store
        .update_campaign(&sys, fi_campaign, &with_objectives)
        .await
        .unwrap();

    let analyst = Browser::login_as(&app, Role::Analyst).await;
    let resp = analyst
        .get(&format!("/numbers/report.pdf?market=FI&{RANGE}"))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("chorus-numbers-fi-2026-03-01-2026-03-31.pdf")
    );
    let pdf = resp.bytes().await.unwrap();
    // The API's figures for the same filters.
    let (_, body) = api(&app, &token(&app, Role::Analyst).await)
        .get(&format!("/api/v1/numbers?market=FI&{RANGE}"))
        .await;
    let values = &body["rows"][0]["values"];
    assert_eq!(
        (values["likes"].as_i64(), values["reposts"].as_i64()),
        (Some(12), Some(3))
    );
    if let Some((text, pages)) = pdf_text(&pdf) {
        assert!(pages >= 1);
        assert!(text.contains(&format!("Page {pages} of {pages}")), "{text}");
        for want in [
            "SÄÄSTÖ OY · NUMBERS REPORT",
            "Suomi – Säästö",
            "Market report · 2026-03-01 to 2026-03-31",
            "Market FI · time zone Europe/Helsinki",
            "Likes per day",
            "Busiest day: 2026-03-10 (6).",
            "Define clear objectives",
            "Bluesky: not available — Bluesky reports no views or impressions",
            "Generated ",
        ] {
            assert!(text.contains(want), "{want:?} missing:\n{text}");
        }
        // By market: the API's likes and reposts for FI, then replies, quotes, … as 0.
        let fi = row(&text, "Suomi – Säästö");
        assert_eq!(fi[3..5], ["12", "3"], "{text}");
        // The tiles: impressions (Bluesky has none) are written out; clicks, conversation
        // volume and leads (Reach's confirmations) are counted, so they read 0 here.
        let tiles = &text[..text.find("Likes per day").unwrap()];
        assert_eq!(tiles.matches("not available").count(), 1, "{tiles}");
        // BR's figures are not in FI's report (the footer's generation time aside).
        let body: Vec<&str> = text.lines().filter(|l| !l.contains("Generated")).collect();
        assert!(
            !text.contains("São Paulo") && !body.iter().any(|l| l.contains("30")),
            "{text}"
        );
    }

    // The campaign's report: its name, markets and objectives section.
    let resp = analyst
        .get(&format!(
            "/numbers/report.pdf?campaign={fi_campaign}&{RANGE}"
        ))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    if let Some((text, _)) = pdf_text(&resp.bytes().await.unwrap()) {
        for want in [
            "=Campaign FI",
            "Campaign report",
            "Campaign 2026-01-01 to 2026-12-31 · Suomi – Säästö (FI)",
            "Objectives",
            // The campaign page's progress, as of the report's last day.
            "12 of 100 (12%) · behind pace",
            "Chorus does not measure 'share of voice'",
            "As of 2026-03-31.",
        ] {
            assert!(text.contains(want), "{want:?} missing:\n{text}");
        }
        assert_eq!(row(&text, "Suomi – Säästö")[3..5], ["12", "3"], "{text}");
    }

    // Another market, by market or campaign, does not exist for FI's analyst and lead.
    for role in [Role::Analyst, Role::MarketLead] {
        let b = Browser::login_as(&app, role).await;
        for q in [
            format!("market=BR&{RANGE}"),
            format!("campaign={br_campaign}&{RANGE}"),
        ] {
            let resp = b.get(&format!("/numbers/report.pdf?{q}")).await;
            assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{role} {q}");
            let body = resp.text().await.unwrap();
            assert!(!body.contains("São Paulo") && !body.contains("Campaign BR"));
        }
    }
    // People who read no numbers get none.
    let editor = Browser::login_as(&app, Role::Editor).await;
    let resp = editor.get("/numbers/report.pdf?market=FI").await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // An admin's report of every market has both, with the accents.
    let admin = Browser::login_as(&app, Role::Admin).await;
    let resp = admin.get(&format!("/numbers/report.pdf?{RANGE}")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    if let Some((text, _)) = pdf_text(&resp.bytes().await.unwrap()) {
        assert_eq!(row(&text, "São Paulo")[2..4], ["30", "7"], "{text}");
        assert_eq!(row(&text, "Suomi – Säästö")[3..5], ["12", "3"], "{text}");
        assert!(
            text.contains("\n 42 ") || text.contains(" 42 "),
            "likes total: {text}"
        );
    }

    // The page links to the report with its filters.
    let (_, html) = analyst
        .get_html(&format!("/numbers?market=FI&{RANGE}"))
        .await;
    assert!(
        html.contains("/numbers/report.pdf?from=2026-03-01&#38;to=2026-03-31&#38;market=FI"),
        "{html}"
    );
}
