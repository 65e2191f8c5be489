//! Feed parsing (RSS 0.9x/1.0/2.0, Atom, JSON Feed through feed-rs, then Chorus's own markup
//! reduction), without the network: no panic on any bytes; every entry has non-blank text of at
//! most 10,000 characters (plus the ellipsis), an http(s) link or a `feed:` URI, a time no later
//! than five minutes after now, and lowercase domains. `to_text` (markup → text) alone, on any
//! text: no leading or trailing whitespace and no blank line.
#![no_main]

use chorus_pipeline::feed::parse::{entries, to_text};
use libfuzzer_sys::fuzz_target;

const URL: &str = "https://news.example/feed.xml";
const NOW: i64 = 1_796_000_000_000;

fuzz_target!(|data: &[u8]| {
    if let Ok(posts) = entries(URL, data, NOW) {
        for p in &posts {
            assert!(!p.text.trim().is_empty(), "{p:?}");
            assert!(
                p.text.chars().count() <= 10_001,
                "{} chars",
                p.text.chars().count()
            );
            match &p.link {
                Some(l) => {
                    assert!(l.starts_with("http://") || l.starts_with("https://"), "{l}");
                    assert_eq!(&p.uri, l);
                }
                None => assert!(
                    p.uri.starts_with("feed:https://news.example/feed.xml#"),
                    "{}",
                    p.uri
                ),
            }
            assert!(p.posted_at_ms <= NOW + 5 * 60_000);
            for d in &p.domains {
                assert_eq!(*d, d.to_ascii_lowercase());
            }
            assert_eq!(p.network, "rss");
        }
    }
    if let Ok(html) = std::str::from_utf8(data) {
        let text = to_text(html);
        assert!(!text.starts_with(char::is_whitespace) && !text.ends_with(char::is_whitespace));
        assert!(!text.contains("\n\n"), "{text:?}");
    }
});
