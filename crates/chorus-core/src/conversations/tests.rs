//! Table tests for the conversation vocabulary.

use super::*;

fn raw(name: &str, query: &str) -> RawQuery {
    RawQuery {
        name: name.into(),
        query: query.into(),
        ..RawQuery::default()
    }
}

#[test]
fn query_input_names_the_bad_field() {
    let m = MarketId(1);
    let ok = QueryInput::parse(m, None, &raw(" Brand ", " northwind ")).unwrap();
    assert_eq!(ok.name, "Brand");
    assert_eq!(ok.query, "northwind");
    assert_eq!(ok.side, Side::Topic);
    assert_eq!(ok.spike_factor, DEFAULT_SPIKE_FACTOR);
    assert!(ok.active);
    let cases: &[(RawQuery, &str)] = &[
        (raw("", "x"), "name"),
        (raw("n", "   "), "query"),
        (raw("n", &"a ".repeat(3000)), "query"),
        (
            RawQuery {
                languages: vec!["english".into()],
                ..raw("n", "x")
            },
            "languages",
        ),
        (
            RawQuery {
                networks: vec!["Blue Sky".into()],
                ..raw("n", "x")
            },
            "networks",
        ),
        (
            RawQuery {
                side: Some("them".into()),
                ..raw("n", "x")
            },
            "side",
        ),
        (
            RawQuery {
                spike_factor: Some(1.0),
                ..raw("n", "x")
            },
            "spike_factor",
        ),
    ];
    for (r, field) in cases {
        let err = QueryInput::parse(m, None, r).unwrap_err();
        assert_eq!(err.field, *field, "{r:?}: {err}");
    }
}

#[test]
fn languages_and_networks_normalize_and_narrow_the_query() {
    let q = QueryInput::parse(
        MarketId(1),
        None,
        &RawQuery {
            languages: vec!["fi-FI".into(), "SV".into(), "fi".into(), " ".into()],
            networks: vec!["Bluesky".into()],
            side: Some("Us".into()),
            ..raw("Brand", "northwind OR #northwind")
        },
    )
    .unwrap();
    assert_eq!(q.languages, ["fi", "sv"]);
    assert_eq!(q.networks[0].as_str(), "bluesky");
    assert_eq!(q.side, Side::Us);
    assert_eq!(
        q.effective_query(),
        "(northwind OR #northwind) AND (lang:fi OR lang:sv) AND (network:bluesky)"
    );
    assert_eq!(effective_query("a", &[], &[]), "(a)");
}

#[test]
fn statuses_sentiments_tags() {
    for s in Status::ALL {
        assert_eq!(Status::parse(s.as_str()).unwrap(), s);
    }
    assert!(Status::parse("closed").is_err());
    for (compound, want) in [
        (0.05, Sentiment::Positive),
        (0.0499, Sentiment::Neutral),
        (0.0, Sentiment::Neutral),
        (-0.0499, Sentiment::Neutral),
        (-0.05, Sentiment::Negative),
        (-0.9, Sentiment::Negative),
    ] {
        assert_eq!(Sentiment::of(compound), want, "{compound}");
        let (lo, hi) = want.range();
        assert!(compound >= lo && compound < hi, "{compound} in {want:?}");
    }
    assert_eq!(tag(" Battery Life ").unwrap(), "battery-life");
    assert_eq!(tag("Kundservice").unwrap(), "kundservice");
    for bad in ["", "a<b", &"x".repeat(41), "semi;colon"] {
        assert!(tag(bad).is_err(), "{bad:?}");
    }
    let comma = tag("late,delivery").unwrap_err().to_string();
    assert!(comma.contains("add one tag at a time"), "{comma}");
    assert!(note("  ").is_err());
    assert_eq!(language_code("pt-BR").unwrap(), "pt");
    assert!(language_code("Portuguese").is_err());
    assert!(response_target_minutes(4).is_err());
    assert_eq!(response_target_minutes(60).unwrap(), 60);
}

#[test]
fn spikes_need_volume_and_a_multiple_of_the_baseline() {
    // (volume, baseline, factor, expected)
    for (v, b, f, want) in [
        (30, 10.0, 3.0, true),
        (29, 10.0, 3.0, false),
        (9, 0.0, 3.0, false), // below the minimum volume
        (10, 0.0, 3.0, true), // silent query, real burst
        (10, 0.2, 3.0, true), // baseline floored at 1
        (40, 20.0, 2.5, false),
        (50, 20.0, 2.5, true),
    ] {
        assert_eq!(
            is_spike(v, b, f, SPIKE_MIN_VOLUME),
            want,
            "{v} vs {b} × {f}"
        );
    }
}

#[test]
fn a_labelled_score_reads_back_as_its_label() {
    for s in Sentiment::ALL {
        assert_eq!(Sentiment::of(s.labelled_score()), s);
        let (lo, hi) = s.range();
        assert!((lo..hi).contains(&s.labelled_score()), "{s:?}");
    }
}
