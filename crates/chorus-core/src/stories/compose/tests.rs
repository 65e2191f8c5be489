use super::*;
use crate::stories::rules::{Draft, Severity, check};

fn base() -> PublicBase {
    PublicBase::parse("https://chorus.example").unwrap()
}

const TAGGED: &str = "https://northwind.example/launch?utm_source=bluesky&utm_medium=social&utm_campaign=spring-launch&utm_content=story-12&utm_term=fi";

#[test]
fn counts_graphemes_and_links_as_posted() {
    // (text, network, through redirects, length)
    let short = "https://chorus.example/l/xxxxxxxxxx".len();
    let cases: &[(&str, Network, bool, usize)] = &[
        ("hello", Network::Bluesky, false, 5),
        ("🇫🇮 e\u{301} 👩‍👩‍👧", Network::Bluesky, false, 5),
        ("🇫🇮", Network::Mastodon, false, 2),
        (
            "see https://a.example/very/long/path",
            Network::Mastodon,
            false,
            4 + 23,
        ),
        ("see https://a.example/x", Network::Bluesky, false, 23),
        ("see https://a.example/x", Network::Bluesky, true, 4 + short),
        (
            "go https://chorus.example/l/abcdefghij",
            Network::Bluesky,
            true,
            3 + short,
        ),
    ];
    for (text, network, redirected, want) in cases {
        let b = base();
        let m = measure(text, *network, redirected.then_some(&b));
        assert_eq!(m.length, *want, "{text} on {network:?}");
        assert_eq!(m.length, network.length(&m.posted), "{text}");
        assert_eq!(m.over_from, None, "{text}");
    }
}

#[test]
fn a_49_character_post_with_a_tagged_link_counts_the_short_link() {
    let text = format!("Our spring launch is here, come and see it all!! {TAGGED}");
    let b = base();
    let m = measure(&text, Network::Bluesky, Some(&b));
    assert_eq!(m.links.len(), 1);
    let link = &m.links[0];
    assert_eq!(link.target, TAGGED);
    assert_eq!(link.posted, "https://chorus.example/l/xxxxxxxxxx");
    assert_eq!(link.counted, 35);
    assert_eq!(link.full, TAGGED.len());
    assert!(link.shortened());
    assert_eq!(m.length, 49 + 35);
    let plain = measure(&text, Network::Bluesky, None);
    assert_eq!(plain.length, 49 + TAGGED.len());
    assert!(!plain.links[0].shortened());
    assert_eq!(plain.links[0].counted, TAGGED.len());
}

#[test]
fn marks_where_the_text_runs_over_on_a_grapheme_boundary() {
    let text = format!("{}🇫🇮🇫🇮 tail", "a".repeat(299));
    let m = measure(&text, Network::Bluesky, None);
    assert_eq!(m.length, 299 + 2 + 5);
    let from = m.over_from.unwrap();
    assert_eq!(
        &m.posted[from..],
        "🇫🇮 tail",
        "the second flag is the 301st grapheme"
    );
    let exact = measure(&"a".repeat(300), Network::Bluesky, None);
    assert_eq!(exact.over_from, None, "300 of 300 fits");
}

#[test]
fn mastodon_overflow_starts_at_a_link_that_does_not_fit() {
    let text = format!("{} https://a.example/x and more", "b".repeat(480));
    let m = measure(&text, Network::Mastodon, None);
    assert_eq!(m.length, 480 + 1 + 23 + 9);
    assert_eq!(
        &m.posted[m.over_from.unwrap()..],
        "https://a.example/x and more"
    );
}

#[test]
fn the_count_agrees_with_the_blocking_finding() {
    let b = base();
    for extra in [0usize, 1, 40] {
        let text = format!("{} {TAGGED}", "c".repeat(300 - 36 + extra));
        let m = measure(&text, Network::Bluesky, Some(&b));
        let findings = check(
            &Draft {
                text: &text,
                network: Network::Bluesky,
                market: MarketId(1),
                principles: &[],
                images: &[],
                links: Some(&b),
            },
            &[],
        );
        let blocks = findings.iter().any(|f| f.severity == Severity::Error);
        assert_eq!(m.length, 300 + extra);
        assert_eq!(blocks, m.over_from.is_some(), "extra {extra}");
    }
}

fn banned(id: i64, term: &str, market: Option<MarketId>) -> Rule {
    Rule {
        id,
        kind: RuleKind::BannedTerm { term: term.into() },
        market,
        principle: None,
        enabled: true,
    }
}

#[test]
fn finds_terms_as_the_rules_match_them() {
    type Case<'a> = (&'a str, &'a str, &'a [(usize, usize)]);
    let cases: &[Case<'_>] = &[
        ("Best ever, BEST!", "best", &[(0, 4), (11, 15)]),
        ("bestseller", "best", &[]),
        ("the guaranteed result", "guaranteed result", &[(4, 21)]),
        ("Ääni ääni", "ääni", &[(0, 6), (7, 13)]),
        ("x", "", &[]),
    ];
    for (text, term, want) in cases {
        assert_eq!(term_spans(text, term), *want, "{term} in {text}");
        for (s, e) in *want {
            assert!(text.is_char_boundary(*s) && text.is_char_boundary(*e));
        }
    }
}

#[test]
fn marks_banned_terms_of_the_market_and_the_overflow_without_overlap() {
    let fi = MarketId(1);
    let rules = vec![
        banned(7, "cheapest", None),
        banned(8, "free", Some(MarketId(2))),
        Rule {
            enabled: false,
            ..banned(9, "now", None)
        },
    ];
    let text = format!("The cheapest free now {} cheapest", "d".repeat(280));
    let m = measure(&text, Network::Bluesky, None);
    let ks = marks(&m, &rules, fi);
    assert_eq!(
        ks.iter()
            .map(|k| &m.posted[k.start..k.end])
            .collect::<Vec<_>>(),
        vec!["cheapest", &m.posted[m.over_from.unwrap()..]]
    );
    assert_eq!(ks[0].kind, MarkKind::Banned { rule: 7 });
    assert_eq!(ks[1].kind, MarkKind::Over);
    assert!(
        ks[1].start >= ks[0].end,
        "the second “cheapest” is inside the overflow and marked only as overflow"
    );
}
