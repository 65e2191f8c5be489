//! Matching posts against parsed queries: the indexed matcher returns exactly the queries the
//! deliberately simple reference evaluator (the one the property tests use) says the post
//! matches, before and after removing and re-adding queries, with a warm scratch reused across
//! inputs.
//!
//! Input: `queries (one a line) \1 post text \1 lang \1 country \1 network \1 author \1 domains
//! (space-separated)`.
#![no_main]

use std::cell::RefCell;

use chorus_fuzz::fields;
use chorus_query::text::{Tokens, tokenize};
use chorus_query::{Matcher, Node, Post, Scratch};
use libfuzzer_sys::fuzz_target;

#[path = "../../crates/chorus-query/tests/query/reference.rs"]
mod reference;

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::new());
}

fn opt(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

fn expected(live: &[(u64, Node)], post: &Post<'_>, toks: &Tokens) -> Vec<u64> {
    let mut ids: Vec<u64> = live
        .iter()
        .filter(|(_, n)| reference::eval(n, post, toks))
        .map(|(id, _)| *id)
        .collect();
    ids.sort_unstable();
    ids
}

/// The reference tries every assignment of a sloppy phrase's words to positions: exponential in
/// the words. Inputs where that could take seconds are skipped (the matcher itself is linear).
fn reference_is_cheap(n: &Node, tokens: usize) -> bool {
    match n {
        Node::And(xs) | Node::Or(xs) => xs.iter().all(|x| reference_is_cheap(x, tokens)),
        Node::Not(x) => reference_is_cheap(x, tokens),
        Node::Sloppy { words, .. } => {
            (tokens.max(1) as u64).saturating_pow(words.len() as u32) <= 1 << 20
        }
        _ => true,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let [queries, text, lang, country, network, author, domains] = fields::<7>(input);
    let domains: Vec<&str> = domains.split_whitespace().collect();
    let post = Post {
        text,
        lang: opt(lang),
        country: opt(country),
        network: opt(network),
        author: opt(author),
        domains: &domains,
    };
    let mut matcher = Matcher::new();
    let mut live: Vec<(u64, Node)> = Vec::new();
    for (i, q) in queries.lines().take(16).enumerate() {
        if let Ok(node) = chorus_query::parse(q) {
            let id = i as u64 * 7 + 3;
            matcher.add(id, &node);
            live.push((id, node));
        }
    }
    if live.is_empty() {
        return;
    }
    let mut toks = Tokens::new();
    tokenize(text, &mut toks);
    if !live.iter().all(|(_, n)| reference_is_cheap(n, toks.len())) {
        return;
    }
    SCRATCH.with_borrow_mut(|scratch| {
        let want = expected(&live, &post, &toks);
        assert_eq!(matcher.matches(&post, scratch), want.as_slice(), "{post:?}");

        // Remove every other query, re-add the first under a new id: still exact.
        let mut kept = Vec::new();
        for (k, (id, node)) in live.into_iter().enumerate() {
            if k % 2 == 1 {
                assert!(matcher.remove(id));
            } else {
                kept.push((id, node));
            }
        }
        if let Some((_, node)) = kept.first().cloned() {
            matcher.add(1_000, &node);
            kept.push((1_000, node));
        }
        let want = expected(&kept, &post, &toks);
        assert_eq!(matcher.matches(&post, scratch), want.as_slice(), "{post:?}");
        assert_eq!(matcher.len(), kept.len());
    });
});
