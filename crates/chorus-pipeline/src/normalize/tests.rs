//! Table tests: records in the shapes real exports have → posts.

use super::*;

fn ctx() -> Context {
    Context {
        network: "import".into(),
        now_ms: 42,
    }
}

fn header(cols: &[&str]) -> Vec<String> {
    cols.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn ira_csv_rows_import_as_they_are() {
    let h = header(&[
        "author_id",
        "content",
        "region",
        "language",
        "publish_date",
        "harvested_date",
        "following",
        "followers",
        "updates",
        "post_type",
        "retweet",
    ]);
    let cols = Columns::from_header(&h).unwrap();
    let row = csv::StringRecord::from(vec![
        "iris0_o",
        "Предвыборный вальсок http://t.co/yk8PjH2F",
        "United States",
        "Russian",
        "2012-02-25 12:25:00",
        "2012-02-25 12:30:00",
        "221",
        "156",
        "326",
        "",
        "0",
    ]);
    let p = csv_row(&cols, &row, &ctx()).unwrap();
    assert_eq!(p.author, "iris0_o");
    assert_eq!(p.text, "Предвыборный вальсок http://t.co/yk8PjH2F");
    assert_eq!(p.declared_langs, ["ru"]);
    assert_eq!(p.posted_at_ms, 1_330_172_700_000);
    assert_eq!(p.network, "import");
    assert_eq!(p.country, None, "a region name is not a country code");
    assert!(
        p.uri.starts_with("import:") && p.uri.len() == 7 + 32,
        "{}",
        p.uri
    );
    let again = csv_row(&cols, &row, &ctx()).unwrap();
    assert_eq!(p.uri, again.uri, "stable: the same row gets the same URI");
    let mut other = row.clone();
    other = csv::StringRecord::from(
        other
            .iter()
            .enumerate()
            .map(|(i, f)| if i == 1 { "different" } else { f })
            .collect::<Vec<_>>(),
    );
    assert_ne!(csv_row(&cols, &other, &ctx()).unwrap().uri, p.uri);
}

#[test]
fn csv_without_text_or_with_bad_times_is_refused() {
    assert_eq!(
        Columns::from_header(&header(&["id", "author"])).unwrap_err(),
        NormalizeError::NoText
    );
    let cols = Columns::from_header(&header(&["text", "created_at"])).unwrap();
    let err = csv_row(
        &cols,
        &csv::StringRecord::from(vec!["hi", "yesterday"]),
        &ctx(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("yesterday"), "{err}");
    let err = csv_row(
        &cols,
        &csv::StringRecord::from(vec!["  ", "2020-01-01"]),
        &ctx(),
    )
    .unwrap_err();
    assert_eq!(err, NormalizeError::EmptyText);
}

#[test]
fn json_lines_in_flat_and_connector_shapes() {
    let p = json_line(
        r#"{"id":"p0","text":"Hello #out","author":"a312","lang":"ar","country":"br","network":"instagram","ts":1700000002,"domains":["Nokia.COM"]}"#,
        &ctx(),
    )
    .unwrap();
    assert_eq!(p.uri, "p0");
    assert_eq!(p.network, "instagram");
    assert_eq!(p.declared_langs, ["ar"]);
    assert_eq!(p.country.as_deref(), Some("BR"));
    assert_eq!(p.posted_at_ms, 1_700_000_002_000);
    assert_eq!(p.domains, ["nokia.com"]);
    let p = json_line(
        r#"{"network":"bluesky","uri":"at://did:plc:x/app.bsky.feed.post/1","author":{"id":"did:plc:x","handle":"x.test"},"text":"hei","langs":["fi","en"],"reply_parent":"at://p","reply_root":"at://r","created_at":"2026-11-26T07:00:00Z"}"#,
        &ctx(),
    )
    .unwrap();
    assert_eq!(p.author, "did:plc:x");
    assert_eq!(p.author_handle.as_deref(), Some("x.test"));
    assert_eq!(p.declared_langs, ["fi", "en"]);
    assert_eq!(p.reply_parent.as_deref(), Some("at://p"));
    assert_eq!(p.reply_root.as_deref(), Some("at://r"));
    let p = json_line(r#"{"body":"no time, no author"}"#, &ctx()).unwrap();
    assert_eq!((p.posted_at_ms, p.author.as_str()), (42, "unknown"));
    for bad in ["[1,2]", "{", r#"{"id":1}"#, r#"{"text":"x","ts":"soon"}"#] {
        assert!(json_line(bad, &ctx()).is_err(), "{bad}");
    }
}

#[test]
fn times_and_language_names() {
    for (raw, want) in [
        ("1700000002", Some(1_700_000_002_000)),
        ("1700000002123", Some(1_700_000_002_123)),
        ("2012-02-06 04:18:00", Some(1_328_501_880_000)),
        ("2012-02-06T04:18:00Z", Some(1_328_501_880_000)),
        ("2012-02-06T06:18:00+02:00", Some(1_328_501_880_000)),
        ("2012-02-06", Some(1_328_486_400_000)),
        ("06/02/2012", None),
    ] {
        assert_eq!(parse_time(raw), want, "{raw}");
    }
    for (raw, want) in [
        ("English", Some("en")),
        ("Farsi (Persian)", Some("fa")),
        ("Tagalog (Filipino)", Some("tl")),
        ("pt-BR", Some("pt")),
        ("LANGUAGE UNDEFINED", None),
        ("und", None),
        ("Klingon", None),
    ] {
        assert_eq!(language(raw).as_deref(), want, "{raw}");
    }
}

/// The fast path for `YYYY-MM-DD HH:MM[:SS]` answers as jiff does, over every month and day
/// around the edges (day 0, 29–32, month 0 and 13, leap and century years), hour 24, minute and
/// second 60, both separators; and leaves to jiff what it does not answer.
#[test]
fn fast_civil_times_equal_jiff() {
    let mut answered = 0;
    for year in [
        1, 400, 1600, 1899, 1900, 1969, 1970, 2000, 2012, 2024, 2100, 9999,
    ] {
        for month in 0..=13 {
            for day in 0..=32 {
                for (h, m, s) in [
                    (0, 0, 0),
                    (4, 18, 0),
                    (23, 59, 59),
                    (24, 0, 0),
                    (12, 60, 0),
                    (1, 2, 60),
                ] {
                    for sep in [' ', 'T'] {
                        let full =
                            format!("{year:04}-{month:02}-{day:02}{sep}{h:02}:{m:02}:{s:02}");
                        let short = format!("{year:04}-{month:02}-{day:02}{sep}{h:02}:{m:02}");
                        for text in [full, short] {
                            let fast = super::utc_civil_fast(text.as_bytes());
                            let general = super::parse_time_general(&text);
                            if fast.is_some() {
                                answered += 1;
                                assert_eq!(fast, general, "{text}");
                            }
                            assert_eq!(parse_time(&text), general, "{text}");
                        }
                    }
                }
            }
        }
    }
    assert!(answered > 10_000, "the fast path answered only {answered}");
    for text in [
        "2012-02-06 04:18:00Z",
        "2012-2-06 04:18:00",
        "２０１２-02-06 04:18:00",
        "2012-02-06 04:18:0x",
    ] {
        assert_eq!(super::utc_civil_fast(text.as_bytes()), None, "{text}");
    }
}
