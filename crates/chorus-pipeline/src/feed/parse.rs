//! Normalize stage for feeds: RSS 0.9x/1.0/2.0, Atom and JSON Feed (parsed by `feed-rs`) into
//! posts. An entry's URI is its link (so one article in two feeds is stored once), else its
//! id within the feed. Markup in titles and summaries is reduced to text; the text stays
//! untrusted and is escaped wherever it is shown.

use crate::incoming::Incoming;

#[derive(Debug, thiserror::Error)]
#[error("not a feed: {0}")]
pub struct ParseError(String);

/// The entries of a feed fetched from `feed_url`, as posts. Entries without a time get
/// `now_ms`.
pub fn entries(feed_url: &str, bytes: &[u8], now_ms: i64) -> Result<Vec<Incoming>, ParseError> {
    let feed = feed_rs::parser::parse(bytes).map_err(|e| ParseError(e.to_string()))?;
    let feed_title = feed
        .title
        .as_ref()
        .map(|t| to_text(&t.content))
        .filter(|t| !t.is_empty());
    let lang = feed
        .language
        .as_deref()
        .and_then(crate::normalize::language);
    let mut out = Vec::with_capacity(feed.entries.len());
    for e in feed.entries {
        let link = e
            .links
            .iter()
            .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
            .or(e.links.first())
            .map(|l| l.href.trim().to_owned())
            .filter(|h| h.starts_with("http://") || h.starts_with("https://"));
        let title = e
            .title
            .as_ref()
            .map(|t| to_text(&t.content))
            .unwrap_or_default();
        let body = e
            .summary
            .as_ref()
            .map(|s| to_text(&s.content))
            .or_else(|| {
                e.content
                    .as_ref()
                    .and_then(|c| c.body.as_deref())
                    .map(to_text)
            })
            .unwrap_or_default();
        let text = match (title.is_empty(), body.is_empty()) {
            (false, false) if !body.starts_with(&title) => format!("{title}\n\n{body}"),
            (false, _) if body.is_empty() => title.clone(),
            _ => body,
        };
        if text.trim().is_empty() {
            continue;
        }
        let author_name = e
            .authors
            .first()
            .and_then(|p| p.name.as_deref())
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
            .or_else(|| feed_title.clone());
        let at = e
            .published
            .or(e.updated)
            .map(|t| t.timestamp_millis())
            .unwrap_or(now_ms)
            .min(now_ms + 5 * 60_000);
        let domains = link
            .as_deref()
            .and_then(|l| url::Url::parse(l).ok())
            .and_then(|u| u.host_str().map(|h| h.to_ascii_lowercase()))
            .into_iter()
            .collect();
        out.push(Incoming {
            uri: link
                .clone()
                .unwrap_or_else(|| format!("feed:{feed_url}#{}", e.id)),
            network: "rss".into(),
            author: feed_url.to_owned(),
            author_handle: author_name,
            text: truncate(&text, 10_000),
            declared_langs: lang.iter().cloned().collect(),
            country: None,
            domains,
            posted_at_ms: at,
            reply_parent: None,
            reply_root: None,
            quote_of: None,
            cid: None,
            link,
        });
    }
    Ok(out)
}

fn truncate(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// Markup → text: tags dropped (block tags become line breaks), the common entities decoded,
/// whitespace collapsed. Script and style contents are dropped whole.
pub fn to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let Some(end) = after.find('>') else {
            out.push_str(after);
            rest = "";
            break;
        };
        let tag = after[1..end].trim().to_ascii_lowercase();
        let name = tag
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("");
        rest = &after[end + 1..];
        if (name == "script" || name == "style") && !tag.starts_with('/') {
            let close = format!("</{name}");
            let lower = rest.to_ascii_lowercase();
            rest = match lower.find(&close) {
                Some(j) => rest[j..].find('>').map_or("", |k| &rest[j + k + 1..]),
                None => "",
            };
            continue;
        }
        if matches!(
            name,
            "p" | "br" | "div" | "li" | "h1" | "h2" | "h3" | "h4" | "tr" | "blockquote"
        ) {
            out.push('\n');
        }
    }
    out.push_str(rest);
    let decoded = decode_entities(&out);
    let mut clean = String::with_capacity(decoded.len());
    for line in decoded.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.is_empty() {
            continue;
        }
        if !clean.is_empty() {
            clean.push('\n');
        }
        clean.push_str(&words.join(" "));
    }
    clean
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let end = after.find(';').filter(|e| *e <= 10);
        let decoded = end.and_then(|e| {
            let name = &after[1..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" | "#39" => Some('\''),
                "nbsp" => Some(' '),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            }?;
            Some((c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &after[e + 1..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSS: &str = r#"<?xml version="1.0"?>
<rss version="2.0"><channel><title>Northwind News</title><language>fi-FI</language>
<item><title>Uusi kuuloke &amp; kotelo</title><link>https://news.example/a1</link>
<description>&lt;p&gt;Akku kestää &lt;b&gt;30 tuntia&lt;/b&gt;.&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;</description>
<pubDate>Tue, 24 Nov 2026 08:00:00 GMT</pubDate><guid>a1</guid></item>
<item><title>Ei linkkiä</title><guid isPermaLink="false">x-2</guid></item>
<item><description>   </description></item>
</channel></rss>"#;

    const ATOM: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Contoso blog</title><id>urn:c</id>
<updated>2026-11-20T10:00:00Z</updated>
<entry><title type="html">Launch &lt;em&gt;day&lt;/em&gt;</title><id>urn:c:1</id>
<link rel="alternate" href="https://contoso.example/launch"/><author><name>Dana</name></author>
<updated>2026-11-20T10:00:00Z</updated><summary>We shipped it.</summary></entry></feed>"#;

    #[test]
    fn rss_items_become_posts() {
        let now = 1_800_000_000_000;
        let posts = entries("https://news.example/feed.xml", RSS.as_bytes(), now).unwrap();
        assert_eq!(posts.len(), 2, "the empty item is skipped");
        let p = &posts[0];
        assert_eq!(p.uri, "https://news.example/a1");
        assert_eq!(p.text, "Uusi kuuloke & kotelo\n\nAkku kestää 30 tuntia.");
        assert_eq!(p.network, "rss");
        assert_eq!(p.author, "https://news.example/feed.xml");
        assert_eq!(p.author_handle.as_deref(), Some("Northwind News"));
        assert_eq!(p.declared_langs, ["fi"]);
        assert_eq!(p.domains, ["news.example"]);
        assert_eq!(p.posted_at_ms, 1_795_507_200_000);
        assert_eq!(p.link.as_deref(), Some("https://news.example/a1"));
        assert_eq!(posts[1].uri, "feed:https://news.example/feed.xml#x-2");
        assert_eq!(posts[1].posted_at_ms, now);
    }

    #[test]
    fn atom_entries_become_posts() {
        let posts = entries(
            "https://contoso.example/atom",
            ATOM.as_bytes(),
            i64::MAX / 2,
        )
        .unwrap();
        assert_eq!(posts.len(), 1);
        assert_eq!(posts[0].text, "Launch day\n\nWe shipped it.");
        assert_eq!(posts[0].author_handle.as_deref(), Some("Dana"));
        assert_eq!(posts[0].uri, "https://contoso.example/launch");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(entries("u", b"<html><body>not a feed", 0).is_err());
        assert!(entries("u", b"", 0).is_err());
        assert!(entries("u", &[0xff, 0xfe, 0x00], 0).is_err());
    }

    #[test]
    fn markup_to_text() {
        for (html, want) in [
            ("<p>a</p><p>b</p>", "a\nb"),
            ("x<script>alert('<p>')</script>y", "xy"),
            (
                "&lt;b&gt; &amp;amp; &#233;&#xE9; &bogus; a&b",
                "<b> &amp; éé &bogus; a&b",
            ),
            ("unclosed <b", "unclosed <b"),
            ("  many   spaces\n\n\n here ", "many spaces\nhere"),
        ] {
            assert_eq!(to_text(html), want, "{html}");
        }
    }
}
