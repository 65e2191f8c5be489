//! How a post will look: the text escaped, links, hashtags and mentions highlighted, line
//! breaks kept. The output is HTML built only from escaped text and fixed tags, so the composer
//! can show it unescaped (`|safe`) without letting a draft inject markup.

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The post text as preview HTML.
pub fn render(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for piece in text.split_inclusive(char::is_whitespace) {
        let word = piece.trim_end();
        let space = &piece[word.len()..];
        let core = word.trim_end_matches(['.', ',', ';', ':', '!', '?', ')']);
        let tail = &word[core.len()..];
        if is_link(core) {
            let e = escape(core);
            out.push_str(&format!(
                "<a class=\"post-preview__link\" href=\"{e}\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">{}</a>",
                escape(&shorten(core))
            ));
            out.push_str(&escape(tail));
        } else if is_tag(core, '#') || is_tag(core, '@') {
            out.push_str("<span class=\"post-preview__tag\">");
            out.push_str(&escape(core));
            out.push_str("</span>");
            out.push_str(&escape(tail));
        } else {
            out.push_str(&escape(word));
        }
        for c in space.chars() {
            if c == '\n' {
                out.push_str("<br>\n");
            } else {
                out.push(c);
            }
        }
    }
    out
}

fn is_link(w: &str) -> bool {
    (w.starts_with("https://") || w.starts_with("http://"))
        && w.len() > "https://".len()
        && !w.contains(['<', '>', '"', '\''])
}

fn is_tag(w: &str, sigil: char) -> bool {
    w.len() > 1
        && w.starts_with(sigil)
        && w[1..]
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Networks show long links shortened: host and the start of the path.
fn shorten(url: &str) -> String {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .unwrap_or(url);
    let shown: String = rest.chars().take(30).collect();
    if rest.chars().count() > 30 {
        format!("{shown}…")
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_and_highlights_links_and_tags() {
        let cases: &[(&str, &str)] = &[
            ("plain", "plain"),
            (
                "<b>hi</b> & \"x\"",
                "&lt;b&gt;hi&lt;/b&gt; &amp; &quot;x&quot;",
            ),
            (
                "see https://x.io/a.",
                "see <a class=\"post-preview__link\" href=\"https://x.io/a\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">x.io/a</a>.",
            ),
            (
                "#launch @ana.bsky.social",
                "<span class=\"post-preview__tag\">#launch</span> <span class=\"post-preview__tag\">@ana.bsky.social</span>",
            ),
            ("a\nb", "a<br>\nb"),
            (
                "javascript:alert(1) <script>alert(1)</script>",
                "javascript:alert(1) &lt;script&gt;alert(1)&lt;/script&gt;",
            ),
            (
                "https://x.io/\"onmouseover=alert(1)",
                "https://x.io/&quot;onmouseover=alert(1)",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(render(input), *want, "{input}");
        }
    }

    #[test]
    fn long_links_are_shortened_but_point_to_the_whole_url() {
        let url = "https://northwind.example/products/earbuds?utm_source=bluesky&utm_medium=social";
        let html = render(url);
        assert!(html.contains("href=\"https://northwind.example/products/earbuds?utm_source=bluesky&amp;utm_medium=social\""));
        assert!(
            html.contains(">northwind.example/products/ear…</a>"),
            "{html}"
        );
    }
}
