//! Tagging links with UTM parameters, so every visit a post brings is attributed to its
//! campaign, story, market and network.
//!
//! Parameters: `utm_source` = network, `utm_medium` = `social`, `utm_campaign` = campaign slug
//! (or `none`), `utm_content` = `story-<id>`, `utm_term` = market code. Parameters a link
//! already carries are kept as they are (an editor's explicit choice wins).

/// What the tags say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Utm<'a> {
    pub network: &'a str,
    pub campaign: Option<&'a str>,
    pub story: i64,
    pub market: &'a str,
}

impl Utm<'_> {
    fn pairs(&self) -> [(&'static str, String); 5] {
        [
            ("utm_source", self.network.to_ascii_lowercase()),
            ("utm_medium", "social".to_owned()),
            ("utm_campaign", self.campaign.unwrap_or("none").to_owned()),
            ("utm_content", format!("story-{}", self.story)),
            ("utm_term", self.market.to_ascii_lowercase()),
        ]
    }
}

/// Adds the UTM parameters to one URL (before any `#fragment`).
pub fn tag_url(url: &str, utm: &Utm<'_>) -> String {
    let (base, fragment) = match url.find('#') {
        Some(i) => (&url[..i], &url[i..]),
        None => (url, ""),
    };
    let existing: Vec<&str> = base
        .split_once('?')
        .map(|(_, q)| q.split('&').filter_map(|kv| kv.split('=').next()).collect())
        .unwrap_or_default();
    let mut out = base.to_owned();
    for (k, v) in utm.pairs() {
        if existing.contains(&k) {
            continue;
        }
        out.push(if out.contains('?') { '&' } else { '?' });
        out.push_str(k);
        out.push('=');
        out.push_str(&encode(&v));
    }
    out.push_str(fragment);
    out
}

/// Tags every http(s) link in `text`; returns the new text and the tagged links.
pub fn tag_text(text: &str, utm: &Utm<'_>) -> (String, Vec<String>) {
    let mut out = String::with_capacity(text.len() + 64);
    let mut links = Vec::new();
    for piece in text.split_inclusive(char::is_whitespace) {
        let word = piece.trim_end();
        let space = &piece[word.len()..];
        // Keep sentence punctuation after a URL outside it.
        let core = word.trim_end_matches(['.', ',', ';', ':', '!', '?', ')']);
        if core.starts_with("http://") || core.starts_with("https://") {
            let tagged = tag_url(core, utm);
            out.push_str(&tagged);
            out.push_str(&word[core.len()..]);
            links.push(tagged);
        } else {
            out.push_str(word);
        }
        out.push_str(space);
    }
    (out, links)
}

/// Whether `url` already carries every UTM parameter.
pub fn is_tagged(url: &str) -> bool {
    ["utm_source=", "utm_medium=", "utm_campaign="]
        .iter()
        .all(|p| url.contains(p))
}

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const UTM: Utm<'static> = Utm {
        network: "Bluesky",
        campaign: Some("spring-launch"),
        story: 42,
        market: "FI",
    };

    #[test]
    fn tags_urls_keeping_existing_parameters_and_fragments() {
        assert_eq!(
            tag_url("https://x.io/p", &UTM),
            "https://x.io/p?utm_source=bluesky&utm_medium=social&utm_campaign=spring-launch&utm_content=story-42&utm_term=fi"
        );
        assert_eq!(
            tag_url("https://x.io/p?a=1&utm_source=newsletter#top", &UTM),
            "https://x.io/p?a=1&utm_source=newsletter&utm_medium=social&utm_campaign=spring-launch&utm_content=story-42&utm_term=fi#top"
        );
        let none = Utm {
            campaign: None,
            ..UTM
        };
        assert!(tag_url("https://x.io", &none).contains("utm_campaign=none"));
    }

    #[test]
    fn tags_links_inside_text() {
        let (text, links) = tag_text("New: https://x.io/a. And http://y.io/b\nbye", &UTM);
        assert_eq!(links.len(), 2);
        assert!(text.starts_with("New: https://x.io/a?utm_source=bluesky"));
        assert!(text.contains("utm_term=fi. And http://y.io/b?utm_source"));
        assert!(text.ends_with("\nbye"));
        assert!(is_tagged(&links[0]));
        let (same, none) = tag_text("no links here", &UTM);
        assert_eq!(same, "no links here");
        assert!(none.is_empty());
    }
}
