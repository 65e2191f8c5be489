//! Rich-text facets on any text: no panic; every span lies on character boundaries inside the
//! text, spans are in order and do not overlap, and each covers what its feature says (an `@`
//! and the handle, a link's URL, a `#` or `＃` and the tag); the facets JSON carries the same
//! offsets. Handles and DIDs parse or fail cleanly, and a parsed handle parses to itself.
#![no_main]

use chorus_networks::bluesky::richtext::{Feature, detect, facets, graphemes};
use chorus_networks::bluesky::{Did, Handle};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let spans = detect(text);
    let mut end = 0;
    for s in &spans {
        assert!(
            s.start >= end && s.start < s.end && s.end <= text.len(),
            "{s:?}"
        );
        assert!(
            text.is_char_boundary(s.start) && text.is_char_boundary(s.end),
            "{s:?}"
        );
        end = s.end;
        let covered = &text[s.start..s.end];
        match &s.feature {
            Feature::Link(url) => assert_eq!(covered, url),
            Feature::Mention(h) => {
                let name = covered.strip_prefix('@').expect("a mention starts with @");
                // `Handle::parse` drops further leading `@`s ("@@ana.test" names ana.test).
                assert_eq!(
                    name.trim_start_matches('@').to_ascii_lowercase(),
                    h.as_str()
                );
            }
            Feature::Tag(tag) => {
                let rest = covered
                    .strip_prefix('#')
                    .or_else(|| covered.strip_prefix('＃'))
                    .expect("a tag starts with #");
                assert_eq!(rest, tag);
            }
        }
    }
    let json = facets(&spans, |h| Some(format!("did:plc:{}", h.as_str().len())));
    assert_eq!(json.len(), spans.len());
    for (f, s) in json.iter().zip(&spans) {
        assert_eq!(f["index"]["byteStart"], s.start);
        assert_eq!(f["index"]["byteEnd"], s.end);
    }
    assert!(graphemes(text) <= text.chars().count());

    if let Ok(h) = Handle::parse(text) {
        assert_eq!(Handle::parse(h.as_str()).ok().as_ref(), Some(&h));
    }
    if let Ok(d) = Did::parse(text) {
        assert_eq!(d.as_str(), text);
    }
});
