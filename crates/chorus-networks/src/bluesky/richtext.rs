//! Rich text: the 300-grapheme limit and facets (links, mentions, hashtags) at UTF-8 byte
//! offsets, the way Bluesky's own clients detect them.

use serde_json::{Value, json};
use unicode_segmentation::UnicodeSegmentation as _;

use super::identity::Handle;

/// Bluesky's limit on a post's text, in extended grapheme clusters.
pub const MAX_GRAPHEMES: usize = 300;
/// The lexicon's limit on a post's text, in UTF-8 bytes.
pub const MAX_BYTES: usize = 3000;
/// Longest hashtag, in characters, the lexicon accepts.
pub const MAX_TAG_CHARS: usize = 64;

/// Counts user-perceived characters (what the 300 limit counts).
pub fn graphemes(text: &str) -> usize {
    text.graphemes(true).count()
}

/// What a facet marks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Feature {
    Link(String),
    /// A handle as written; resolved to a DID before publishing.
    Mention(Handle),
    /// Without the `#`.
    Tag(String),
}

/// A span of the text, in UTF-8 byte offsets (end exclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub feature: Feature,
}

const TRAILING: &[char] = &['.', ',', ';', ':', '!', '?', '"', '\''];

/// Finds links (`http(s)://…`), mentions (`@handle.tld`) and hashtags (`#tag`) in `text`.
pub fn detect(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut offset = 0;
    for token in text.split_inclusive(char::is_whitespace) {
        let start = offset;
        offset += token.len();
        let word = token.trim_end_matches(char::is_whitespace);
        let (lead, word) = match word.strip_prefix('(') {
            Some(rest) => (1, rest),
            None => (0, word),
        };
        let at = start + lead;
        if let Some(rest) = word.strip_prefix('@') {
            let name = rest.trim_end_matches(|c| TRAILING.contains(&c) || c == ')');
            if let Ok(h) = Handle::parse(name)
                && !name.is_empty()
            {
                spans.push(Span {
                    start: at,
                    end: at + 1 + name.len(),
                    feature: Feature::Mention(h),
                });
            }
        } else if word.starts_with("https://") || word.starts_with("http://") {
            let url = trim_trailing(word);
            let url = if url.ends_with(')') && !url.contains('(') {
                &url[..url.len() - 1]
            } else {
                url
            };
            if url.len() > "https://".len() {
                spans.push(Span {
                    start: at,
                    end: at + url.len(),
                    feature: Feature::Link(url.to_owned()),
                });
            }
        } else if lead == 0
            && let Some((hash_len, rest)) = word
                .strip_prefix('#')
                .map(|r| (1, r))
                .or_else(|| word.strip_prefix('＃').map(|r| ('＃'.len_utf8(), r)))
        {
            let tag =
                rest.trim_end_matches(|c: char| c.is_ascii_punctuation() || TRAILING.contains(&c));
            let ok = !tag.is_empty()
                && tag.chars().count() <= MAX_TAG_CHARS
                && !tag.chars().all(|c| c.is_ascii_digit())
                && !tag.starts_with('\u{fe0f}');
            if ok {
                spans.push(Span {
                    start,
                    end: start + hash_len + tag.len(),
                    feature: Feature::Tag(tag.to_owned()),
                });
            }
        }
    }
    spans
}

fn trim_trailing(s: &str) -> &str {
    s.trim_end_matches(TRAILING)
}

/// The `facets` array of a post record. Mentions whose handle did not resolve (`None` from
/// `did_of`) are left as plain text.
pub fn facets(spans: &[Span], did_of: impl Fn(&Handle) -> Option<String>) -> Vec<Value> {
    spans
        .iter()
        .filter_map(|s| {
            let feature = match &s.feature {
                Feature::Link(uri) => json!({"$type": "app.bsky.richtext.facet#link", "uri": uri}),
                Feature::Tag(tag) => json!({"$type": "app.bsky.richtext.facet#tag", "tag": tag}),
                Feature::Mention(h) => {
                    json!({"$type": "app.bsky.richtext.facet#mention", "did": did_of(h)?})
                }
            };
            Some(json!({
                "index": {"byteStart": s.start, "byteEnd": s.end},
                "features": [feature],
            }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(text: &str) -> Vec<(String, Feature)> {
        detect(text)
            .into_iter()
            .map(|s| (text[s.start..s.end].to_owned(), s.feature))
            .collect()
    }

    fn h(s: &str) -> Handle {
        Handle::parse(s).unwrap()
    }

    #[test]
    fn detects_at_byte_offsets() {
        use Feature::*;
        let rows: &[(&str, Vec<(&str, Feature)>)] = &[
            ("hello", vec![]),
            ("#launch day", vec![("#launch", Tag("launch".into()))]),
            ("héllo #café!", vec![("#café", Tag("café".into()))]),
            (
                "🎉🎉 @alice.test hi",
                vec![("@alice.test", Mention(h("alice.test")))],
            ),
            (
                "see https://example.com/a?b=1.",
                vec![(
                    "https://example.com/a?b=1",
                    Link("https://example.com/a?b=1".into()),
                )],
            ),
            (
                "(https://ex.com/x) and (@bob.test)",
                vec![
                    ("https://ex.com/x", Link("https://ex.com/x".into())),
                    ("@bob.test", Mention(h("bob.test"))),
                ],
            ),
            (
                "#123 is not a tag, #1st is",
                vec![("#1st", Tag("1st".into()))],
            ),
            ("a#b no, @nodot no, mail@x.test no", vec![]),
            ("＃日本語 tag", vec![("＃日本語", Tag("日本語".into()))]),
        ];
        for (text, want) in rows {
            let got = show(text);
            let want: Vec<(String, Feature)> = want
                .iter()
                .map(|(s, f)| ((*s).to_owned(), f.clone()))
                .collect();
            assert_eq!(got, want, "{text}");
        }
    }

    #[test]
    fn counts_graphemes_not_bytes_or_chars() {
        assert_eq!(graphemes("e\u{301}"), 1);
        assert_eq!(graphemes("👩‍👩‍👧‍👦"), 1);
        assert_eq!(graphemes(&"🎉".repeat(300)), 300);
        assert_eq!(graphemes("abc"), 3);
    }

    #[test]
    fn builds_facets_and_drops_unresolved_mentions() {
        let text = "hi @alice.test and @nobody.test #tag";
        let f = facets(&detect(text), |h| {
            (h.as_str() == "alice.test").then(|| "did:plc:alice".to_owned())
        });
        assert_eq!(f.len(), 2);
        assert_eq!(f[0]["index"]["byteStart"], 3);
        assert_eq!(f[0]["features"][0]["did"], "did:plc:alice");
        assert_eq!(f[1]["features"][0]["tag"], "tag");
    }
}
