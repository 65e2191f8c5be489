//! Table tests, one block per rule.

use super::*;

const FI: MarketId = MarketId(1);
const BR: MarketId = MarketId(2);

fn rule(id: i64, kind: RuleKind, market: Option<MarketId>) -> Rule {
    Rule {
        id,
        kind,
        market,
        principle: Some(PrincipleId(5)),
        enabled: true,
    }
}

fn run(
    text: &str,
    principles: &[PrincipleId],
    images: &[ImageInfo<'_>],
    rules: &[Rule],
) -> Vec<Finding> {
    check(
        &Draft {
            text,
            network: Network::Bluesky,
            market: FI,
            principles,
            images,
            links: None,
        },
        rules,
    )
}

#[test]
fn cite_principle() {
    let rules = [rule(1, RuleKind::CitePrinciple, None)];
    let f = run("hello", &[], &[], &rules);
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].principle,
        Some(PrincipleId(5)),
        "names the principle it serves"
    );
    assert!(!passes(&f));
    assert!(run("hello", &[PrincipleId(1)], &[], &rules).is_empty());
}

#[test]
fn alt_text() {
    let rules = [rule(2, RuleKind::AltText, None)];
    let imgs = [
        ImageInfo {
            name: "a.png",
            alt: "A phone",
        },
        ImageInfo {
            name: "b.png",
            alt: "  ",
        },
    ];
    let f = run("x", &[], &imgs, &rules);
    assert_eq!(f.len(), 1);
    assert!(f[0].message.contains("b.png"));
    assert!(f[0].fix.contains("Describe"));
}

#[test]
fn utm_links_is_informational() {
    let rules = [rule(3, RuleKind::UtmLinks, None)];
    let f = run(
        "see https://x.io and https://y.io?utm_source=a&utm_medium=b&utm_campaign=c",
        &[],
        &[],
        &rules,
    );
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::Info);
    assert!(f[0].message.starts_with("1 link will be tagged"));
    assert!(passes(&f));
}

#[test]
fn banned_terms_match_whole_words_in_their_market_only() {
    let rules = [rule(
        4,
        RuleKind::BannedTerm {
            term: "cheap".into(),
        },
        Some(FI),
    )];
    for (text, hit) in [
        ("So CHEAP!", true),
        ("cheap", true),
        ("cheaper than ever", false),
        ("a cheapskate", false),
        ("not expensive", false),
    ] {
        assert_eq!(!run(text, &[], &[], &rules).is_empty(), hit, "{text}");
    }
    let elsewhere = check(
        &Draft {
            text: "so cheap",
            network: Network::Bluesky,
            market: BR,
            principles: &[],
            images: &[],
            links: None,
        },
        &rules,
    );
    assert!(elsewhere.is_empty(), "a FI rule does not apply in BR");
}

#[test]
fn required_terms() {
    let rules = [rule(5, RuleKind::RequiredTerm { term: "#ad".into() }, None)];
    assert_eq!(run("New earbuds!", &[], &[], &rules).len(), 1);
    assert!(run("New earbuds! #ad", &[], &[], &rules).is_empty());
    assert!(run("New earbuds! #AD", &[], &[], &rules).is_empty());
    assert_eq!(run("New earbuds! #adventure", &[], &[], &rules).len(), 1);
}

#[test]
fn disabled_rules_and_network_limits() {
    let mut r = rule(6, RuleKind::CitePrinciple, None);
    r.enabled = false;
    assert!(run("x", &[], &[], &[r]).is_empty());
    let long = "a".repeat(301);
    let f = run(&long, &[], &[], &[]);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].message, "301 of 300 characters on Bluesky");
    assert_eq!(f[0].fix, "Shorten the text by 1 character.");
    assert!(
        !run("", &[], &[], &[]).is_empty(),
        "an empty post is an error"
    );
}

#[test]
fn rule_kinds_parse() {
    assert_eq!(RuleKind::parse("alt_text", "").unwrap(), RuleKind::AltText);
    assert_eq!(
        RuleKind::parse("banned_term", " free ").unwrap(),
        RuleKind::BannedTerm {
            term: "free".into()
        }
    );
    assert!(RuleKind::parse("banned_term", "").is_err());
    assert!(RuleKind::parse("be_nice", "").is_err());
}

#[test]
fn links_count_as_the_redirects_they_go_out_as() {
    let base = crate::links::PublicBase::parse("https://c.example").unwrap();
    // 28 + 1 + a 300-character link: far over as typed, well under as published (the redirect
    // is 30 characters: https://c.example/l/ and a 10-character code).
    let text = format!(
        "Our launch, read all about it https://x.io/{}",
        "p".repeat(287)
    );
    let draft = |links| Draft {
        text: &text,
        network: Network::Bluesky,
        market: FI,
        principles: &[],
        images: &[],
        links,
    };
    let as_typed = check(&draft(None), &[]);
    assert_eq!(as_typed.len(), 1);
    assert_eq!(as_typed[0].message, "330 of 300 characters on Bluesky");
    assert!(check(&draft(Some(&base)), &[]).is_empty());
    // And the other way: a short link whose redirect pushes the text over.
    let text = format!("{} https://x.io", "a".repeat(280));
    let draft = Draft {
        text: &text,
        network: Network::Bluesky,
        market: FI,
        principles: &[],
        images: &[],
        links: Some(&base),
    };
    let f = check(&draft, &[]);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].message, "311 of 300 characters on Bluesky");
}
