//! Bulk: CSV import with a validation report that imports nothing until the file is clean;
//! calendar export as iCalendar and CSV.

use chorus_core::Role;
use chorus_core::stories::workflow::StoryState;
use reqwest::StatusCode;

use super::seed::world;
use crate::support::*;

async fn story_count(app: &TestApp) -> usize {
    app.store.stories(None, None, 10_000).await.unwrap().len()
}

fn report_rows(html: &str) -> Vec<(String, String, String)> {
    let start = html.find(r#"id="import-report""#).expect("a report");
    let body = &html[start..html[start..].find("</table>").unwrap() + start];
    body.split("<tr><td class=\"num\">")
        .skip(1)
        .map(|row| {
            let cells: Vec<String> = row
                .split("</td>")
                .map(|c| c.rsplit('>').next().unwrap_or("").to_owned())
                .collect();
            (cells[0].clone(), cells[1].clone(), cells[2].clone())
        })
        .collect()
}

#[tokio::test]
async fn csv_import_reports_row_column_problem_and_imports_nothing_until_clean() {
    let app = spawn_app().await;
    world(&app).await;
    let editor = Browser::login_as(&app, Role::Editor).await;
    let before = story_count(&app).await;

    let bad = "story,market,account,locale,time,text,principles\n\
        Launch,FI,northwind-fi.test,fi-FI,2026-03-29 03:30,Hei,5\n\
        Launch,XX,northwind-fi.test,fi-FI,,Hei,5\n\
        Launch,BR,northwind-br.test,pt-BR,,Oi,5\n\
        Other,FI,nobody.test,fi-FI,,Hei,5\n\
        Other,FI,northwind-fi.test,de-DE,,Hei,5\n\
        Long,FI,northwind-fi.test,fi-FI,,"
        .to_owned()
        + &"x".repeat(301)
        + ",5\n\
        Dup,FI,northwind-fi.test,fi-FI,,one,\n\
        Dup,FI,northwind-fi.test,fi-FI,,two,\n\
        Bad principle,FI,northwind-fi.test,fi-FI,,Hei,99\n";
    let r = editor.post_form("/stories/import", &[("csv", &bad)]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Nothing was imported"), "{html}");
    let rows = report_rows(&html);
    let has = |row: &str, col: &str, words: &str| {
        rows.iter()
            .any(|(r, c, m)| r == row && c == col && m.contains(words))
    };
    assert!(
        has("2", "time", "does not exist in Europe/Helsinki"),
        "{rows:?}"
    );
    assert!(has("3", "market", "no market"), "{rows:?}");
    assert!(
        has("4", "market", "you may not write stories for Brazil"),
        "{rows:?}"
    );
    assert!(
        has("5", "account", "choose one of the accounts"),
        "{rows:?}"
    );
    assert!(has("6", "locale", "Finland posts in fi-FI"), "{rows:?}");
    assert!(has("7", "text", "Bluesky allows 300"), "{rows:?}");
    assert!(
        has("9", "locale", "row 8 already has this story"),
        "{rows:?}"
    );
    assert!(has("10", "principles", "no principle"), "{rows:?}");
    assert_eq!(rows.len(), 8, "{rows:?}");
    assert_eq!(story_count(&app).await, before, "nothing was imported");

    // Header problems are reported on row 1.
    let r = editor
        .post_form(
            "/stories/import",
            &[("csv", "story,market,acount,locale,text\n")],
        )
        .await;
    let rows = report_rows(&r.text().await.unwrap());
    assert!(rows.contains(&("1".into(), "acount".into(), "unknown column; use story, market, account, locale, text (and optionally campaign, principles, brief, time)".into())), "{rows:?}");
    assert!(
        rows.iter()
            .any(|(r, c, m)| r == "1" && c == "account" && m == "this column is missing")
    );

    // Nearly clean: row 3 still has two problems.
    let good = "story,market,account,locale,time,text,principles,brief\n\
        Autumn launch,FI,northwind-fi.test,fi-FI,2026-10-25 03:30,\"Hei, syksy! https://northwind.example\",5,Day one\n\
        Autumn launch,FI,@northwind-fi.test,fi-FI,,,,\n\
        Winter teaser,FI,northwind-fi.test,fi-FI,,Talvi tulee,5,\n";
    let r = editor.post_form("/stories/import", &[("csv", good)]).await;
    let html = r.text().await.unwrap();
    assert!(
        html.contains("already has this story") && html.contains("the post is empty"),
        "{html}"
    );
    // Clean: two stories.
    let good = "story,market,account,locale,time,text,principles,brief\n\
        Autumn launch,FI,northwind-fi.test,fi-FI,2026-10-25 03:30,\"Hei, syksy! https://northwind.example\",5,Day one\n\
        Winter teaser,FI,@northwind-fi.test,fi-FI,2026-12-01 10:00,Toinen,5,\n";
    let r = editor.post_form("/stories/import", &[("csv", good)]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("Imported 2 stories as drafts."), "{html}");
    assert_eq!(story_count(&app).await, before + 2);
    let stories = app.store.stories(None, None, 100).await.unwrap();
    let autumn = stories.iter().find(|s| s.title == "Autumn launch").unwrap();
    assert_eq!(autumn.state, StoryState::Draft);
    assert_eq!(autumn.brief, "Day one");
    let v = &app.store.variants(autumn.id).await.unwrap()[0];
    assert_eq!(
        v.scheduled_at_ms,
        Some(1_792_888_200_000),
        "first 03:30 of 25 Oct in Helsinki"
    );
    assert_eq!(
        v.body, "Hei, syksy! https://northwind.example",
        "no UTM rule, no tags"
    );
    let winter = stories.iter().find(|s| s.title == "Winter teaser").unwrap();
    assert_eq!(app.store.variants(winter.id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn calendar_exports_as_icalendar_and_csv() {
    let base = chorus_app::PublicBase::parse("https://chorus.example").unwrap();
    let app = spawn_app_with_state(web_config(), |s| s.with_public_url(base)).await;
    let w = world(&app).await;
    // 2026-10-25 00:30Z = 03:30 EEST in Helsinki.
    w.story_titled(
        &app.store,
        w.fi,
        StoryState::Scheduled,
        1_792_888_200_000,
        "Launch; day one, FI",
    )
    .await;
    w.story_titled(
        &app.store,
        w.fi,
        StoryState::Draft,
        1_792_888_200_000 + 3_600_000,
        "=HYPERLINK(\"http://evil\")",
    )
    .await;
    let br = w
        .story_in(&app.store, w.br, StoryState::Draft, 1_792_888_200_000)
        .await;

    let lead = Browser::login_as(&app, Role::MarketLead).await;
    let r = lead
        .get("/stories/calendar.ics?view=month&date=2026-10-01")
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/calendar; charset=utf-8");
    let ics = r.text().await.unwrap();
    assert!(
        ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"),
        "{ics}"
    );
    assert_eq!(
        ics.matches("BEGIN:VEVENT").count(),
        2,
        "FI only: BR is not the lead's ({br})"
    );
    assert!(ics.contains("DTSTART:20261025T003000Z\r\n"), "{ics}");
    assert!(ics.contains("UID:variant-"));
    let unfolded = ics.replace("\r\n ", "");
    assert!(
        unfolded.contains("SUMMARY:[FI] Launch\\; day one\\, FI (@northwind-fi.test\\, fi-FI)"),
        "{unfolded}"
    );
    assert!(
        unfolded.contains("DESCRIPTION:Sun 25 Oct 2026\\, 03:30 EEST in Europe/Helsinki\\n"),
        "{unfolded}"
    );
    for line in ics.split("\r\n") {
        assert!(line.len() <= 75, "folded at 75 octets: {line:?}");
    }
    // Links a calendar application can open: the story's page at the public address.
    assert!(
        unfolded.contains("\r\nURL:https://chorus.example/stories/"),
        "{unfolded}"
    );
    assert!(
        unfolded.contains("Story: https://chorus.example/stories/"),
        "{unfolded}"
    );

    let r = lead
        .get("/stories/calendar.csv?view=month&date=2026-10-01&state=draft")
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "variant_id,story_id,story,state,market,campaign,account,network,locale,time,timezone,utc,publication,published_uri,text"
    );
    let row = lines.next().unwrap();
    assert!(
        row.contains("\"'=HYPERLINK(\"\"http://evil\"\")\""),
        "formulas are defused: {row}"
    );
    // An hour after the first 03:30 is the second 03:30: the clocks went back in between.
    assert!(row.contains(",draft,FI,,northwind-fi.test,bluesky,fi-FI,2026-10-25 03:30,Europe/Helsinki,2026-10-25T01:30:00Z,pending,,"), "{row}");
    assert!(lines.next().is_none(), "the state filter keeps only drafts");
}
