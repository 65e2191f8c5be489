//! Property tests: random queries × random posts, the matcher agrees with the reference
//! evaluator; and the same after removing and re-adding queries.

use chorus_query::text::{Tokens, tokenize};
use chorus_query::{Matcher, Node, Post, Scratch, parse};
use proptest::prelude::*;

use super::reference;

const WORDS: &[&str] = &[
    "nokia", "Nokia", "phone", "café", "cafe", "CAFÉ", "apple", "apples", "app", "東", "京", "😀",
    "the", "x1",
];

fn atom() -> impl Strategy<Value = String> {
    let w = prop::sample::select(vec![
        "nokia", "phone", "café", "cafe", "apple", "東京", "😀", "the", "x1",
    ]);
    prop_oneof![
        w.clone().prop_map(|w| w.to_owned()),
        w.clone().prop_map(|w| format!("#{w}")),
        w.clone().prop_map(|w| format!("@{w}")),
        Just("=café".to_owned()),
        Just("=cafe".to_owned()),
        prop::sample::select(vec!["app*", "appl?", "app??s", "nok*", "#nok*", "caf*"])
            .prop_map(str::to_owned),
        (w.clone(), w.clone()).prop_map(|(a, b)| format!("\"{a} {b}\"")),
        (w.clone(), w.clone(), 0u32..4).prop_map(|(a, b, n)| format!("\"{a} {b}\"~{n}")),
        (w.clone(), w.clone(), w.clone(), 0u32..3)
            .prop_map(|(a, b, c, n)| format!("\"{a} {b} {c}\"~{n}")),
        (w.clone(), w.clone(), 0u32..3, any::<bool>())
            .prop_map(|(a, b, n, o)| format!("{a} {}/{n} {b}", if o { "ONEAR" } else { "NEAR" })),
        (w.clone(), w.clone(), w, 0u32..3)
            .prop_map(|(a, b, c, n)| format!("({a} OR \"{b} {c}\") NEAR/{n} {c}")),
        prop::sample::select(vec![
            "lang:en",
            "lang:pt",
            "lang:pt-br",
            "country:fi",
            "network:bluesky",
            "author:bob",
            "site:nokia.com",
            "raw:\"Nokia\"",
            "raw:\"é\"",
        ])
        .prop_map(str::to_owned),
    ]
}

fn query() -> impl Strategy<Value = String> {
    atom().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} AND {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} OR {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} {b})")),
            inner.clone().prop_map(|a| format!("NOT {a}")),
            (inner.clone(), inner).prop_map(|(a, b)| format!("(+{a} -{b})")),
        ]
    })
}

#[derive(Debug, Clone)]
struct TestPost {
    text: String,
    lang: Option<&'static str>,
    country: Option<&'static str>,
    network: Option<&'static str>,
    author: Option<&'static str>,
    domains: Vec<&'static str>,
}

fn post() -> impl Strategy<Value = TestPost> {
    let tok = (
        prop::sample::select(WORDS),
        prop::sample::select(vec!["", "", "", "#", "@"]),
        prop::sample::select(vec![" ", " ", ", ", "! ", "-"]),
    );
    (
        prop::collection::vec(tok, 0..10),
        prop::option::of(prop::sample::select(vec!["en", "EN", "pt", "pt-BR", "es"])),
        prop::option::of(prop::sample::select(vec!["FI", "fi", "US"])),
        prop::option::of(prop::sample::select(vec!["bluesky", "Bluesky", "mastodon"])),
        prop::option::of(prop::sample::select(vec!["bob", "@Bob", "alice"])),
        prop::collection::vec(
            prop::sample::select(vec![
                "nokia.com",
                "www.Nokia.com",
                "notnokia.com",
                "example.org",
            ]),
            0..2,
        ),
    )
        .prop_map(|(toks, lang, country, network, author, domains)| TestPost {
            text: toks
                .iter()
                .map(|(w, s, sep)| format!("{s}{w}{sep}"))
                .collect(),
            lang,
            country,
            network,
            author,
            domains,
        })
}

fn as_post(p: &TestPost) -> Post<'_> {
    Post {
        text: &p.text,
        lang: p.lang,
        country: p.country,
        network: p.network,
        author: p.author,
        domains: &p.domains,
    }
}

fn check(
    m: &Matcher,
    live: &[(u64, Node)],
    posts: &[TestPost],
    scratch: &mut Scratch,
) -> Result<(), TestCaseError> {
    let mut toks = Tokens::new();
    for p in posts {
        let post = as_post(p);
        tokenize(&p.text, &mut toks);
        let want: Vec<u64> = live
            .iter()
            .filter(|(_, n)| reference::eval(n, &post, &toks))
            .map(|(id, _)| *id)
            .collect();
        let got = m.matches(&post, scratch).to_vec();
        prop_assert_eq!(&got, &want, "post {:?}", p);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn matcher_agrees_with_reference(
        qs in prop::collection::vec(query(), 1..25),
        posts in prop::collection::vec(post(), 1..20),
        drop in prop::collection::vec(any::<bool>(), 25),
    ) {
        let mut live: Vec<(u64, Node)> = Vec::new();
        let mut m = Matcher::new();
        for (i, q) in qs.iter().enumerate() {
            let node = parse(q).map_err(|e| TestCaseError::fail(e.render(q)))?;
            m.add(i as u64 * 7 + 3, &node);
            live.push((i as u64 * 7 + 3, node));
        }
        let mut scratch = Scratch::new();
        check(&m, &live, &posts, &mut scratch)?;

        // remove some, re-add one under a new id: still exact
        let mut kept = Vec::new();
        for (k, (id, n)) in live.into_iter().enumerate() {
            if drop[k % drop.len()] {
                prop_assert!(m.remove(id));
            } else {
                kept.push((id, n));
            }
        }
        if let Some((_, n)) = kept.first().cloned() {
            m.add(1_000_000, &n);
            kept.push((1_000_000, n));
        }
        kept.sort_by_key(|(id, _)| *id);
        check(&m, &kept, &posts, &mut scratch)?;
        prop_assert_eq!(m.len(), kept.len());
    }
}

#[test]
fn removing_everything_leaves_no_literals() {
    let mut m = Matcher::new();
    let qs = [
        "nokia AND phone",
        "app* -the",
        "#nokia OR lang:en",
        "-spam",
        "\"a b\" NEAR/2 c",
        "\"a b\"~2 x",
    ];
    for (i, q) in qs.iter().enumerate() {
        m.add_str(i as u64, q).unwrap();
    }
    assert!(m.stats().literals > 0);
    for i in 0..qs.len() {
        assert!(m.remove(i as u64));
    }
    let s = m.stats();
    assert_eq!(
        (s.queries, s.literals, s.postings, s.unanchored),
        (0, 0, 0, 0)
    );
    let mut scratch = Scratch::new();
    assert!(
        m.matches(
            &Post {
                text: "nokia phone",
                ..Post::default()
            },
            &mut scratch
        )
        .is_empty()
    );
}

#[test]
fn pure_negation_and_metadata_only_queries() {
    let mut m = Matcher::new();
    m.add_str(1, "-spam").unwrap();
    m.add_str(2, "lang:fi -spam").unwrap();
    m.add_str(3, "site:nokia.com OR author:nokia").unwrap();
    m.add_str(4, "(lang:en OR nokia) country:FI").unwrap();
    let mut s = Scratch::new();
    let mut run = |text, lang, country, author, domains: &[&str]| {
        m.matches(
            &Post {
                text,
                lang,
                country,
                network: None,
                author,
                domains,
            },
            &mut s,
        )
        .to_vec()
    };
    assert_eq!(run("hello", None, None, None, &[]), vec![1]);
    assert_eq!(
        run("spam here", Some("fi"), None, None, &[]),
        Vec::<u64>::new()
    );
    assert_eq!(run("moi", Some("FI"), Some("fi"), None, &[]), vec![1, 2]);
    assert_eq!(run("x", None, None, Some("@Nokia"), &[]), vec![1, 3]);
    assert_eq!(run("x", None, None, None, &["shop.nokia.com"]), vec![1, 3]);
    assert_eq!(run("x", None, None, None, &["notnokia.com"]), vec![1]);
    assert_eq!(run("Nokia!", Some("de"), Some("FI"), None, &[]), vec![1, 4]);
    assert_eq!(run("x", Some("en-GB"), Some("FI"), None, &[]), vec![1, 4]);
}

#[test]
fn one_scratch_many_matchers_and_changes() {
    // the scratch caches token lookups per matcher version: alternating matchers, and changing
    // one between posts, must never reuse a stale lookup
    let mut a = Matcher::new();
    a.add_str(1, "nokia").unwrap();
    let mut b = Matcher::new();
    b.add_str(1, "phone").unwrap();
    let mut s = Scratch::new();
    let post = Post {
        text: "nokia phone",
        ..Post::default()
    };
    let other = Post {
        text: "apple",
        ..Post::default()
    };
    for _ in 0..3 {
        assert_eq!(a.matches(&post, &mut s), &[1]);
        assert_eq!(b.matches(&other, &mut s), &[] as &[u64]);
        assert_eq!(b.matches(&post, &mut s), &[1]);
    }
    b.add_str(2, "apple").unwrap();
    assert_eq!(b.matches(&other, &mut s), &[2]);
    b.remove(2);
    assert_eq!(b.matches(&other, &mut s), &[] as &[u64]);
    a.add_str(2, "apple").unwrap();
    assert_eq!(a.matches(&other, &mut s), &[2]);
}
