//! Input = queries and a post separated by NUL bytes (`q1 \0 q2 \0 … \0 post text`): register
//! every query that parses, match the post, remove half of the queries, match again. Never
//! panics; results are sorted and only name registered queries.
#![no_main]

use chorus_query::{Matcher, Post, Scratch};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let mut parts: Vec<&str> = s.split('\0').collect();
    let text = parts.pop().unwrap_or("");
    let mut m = Matcher::new();
    let mut ids = Vec::new();
    for (i, q) in parts.iter().take(64).enumerate() {
        if m.add_str(i as u64, q).is_ok() {
            ids.push(i as u64);
        }
    }
    let domains = ["example.com", "www.nokia.com"];
    let post = Post { text, lang: Some("en"), country: Some("FI"), network: Some("bluesky"), author: Some("@bob"), domains: &domains };
    let mut scratch = Scratch::new();
    let got = m.matches(&post, &mut scratch).to_vec();
    assert!(got.windows(2).all(|w| w[0] < w[1]));
    assert!(got.iter().all(|id| ids.contains(id)));
    let removed: Vec<u64> = ids.iter().copied().step_by(2).collect();
    for id in &removed {
        assert!(m.remove(*id));
    }
    let again = m.matches(&post, &mut scratch).to_vec();
    // removing queries never changes the others' results
    let expected: Vec<u64> = got.iter().copied().filter(|id| !removed.contains(id)).collect();
    assert_eq!(again, expected);
});
