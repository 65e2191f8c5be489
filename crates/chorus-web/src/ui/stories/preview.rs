//! How a post will look: the text escaped, links, hashtags and mentions highlighted, line
//! breaks kept, and the parts the checks point at marked (what runs past the network's limit,
//! terms a rule forbids). The output is HTML built only from escaped text and fixed tags, so the
//! composer can show it unescaped (`|safe`) without letting a draft inject markup.

use chorus_core::stories::compose::{Mark, MarkKind};

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
    render_with(text, &mut std::iter::empty())
}

/// [`render`], each link pointing at the next of `hrefs` (where a posted short link leads)
/// while there is one, else at itself.
fn render_with(text: &str, hrefs: &mut dyn Iterator<Item = &str>) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for piece in text.split_inclusive(char::is_whitespace) {
        let word = piece.trim_end();
        let space = &piece[word.len()..];
        let core = word.trim_end_matches(['.', ',', ';', ':', '!', '?', ')']);
        let tail = &word[core.len()..];
        if is_link(core) {
            let e = escape(hrefs.next().unwrap_or(core));
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

/// The post text as preview HTML with `marks` (in order, not overlapping, on character
/// boundaries of `text`) wrapped in `<mark>`: the overflow as `post-preview__over`, a banned
/// term as `post-preview__banned`. A link or tag cut by a mark is styled up to the cut. The
/// links point, in order, at `hrefs` (where each leads: a short link's target).
pub fn render_marked(text: &str, marks: &[Mark], hrefs: &[&str]) -> String {
    let hrefs = &mut hrefs.iter().copied();
    let mut out = String::with_capacity(text.len() * 2);
    let mut at = 0;
    for m in marks {
        let (Some(before), Some(inside)) = (text.get(at..m.start), text.get(m.start..m.end)) else {
            continue;
        };
        out.push_str(&render_with(before, hrefs));
        let (class, title) = match m.kind {
            MarkKind::Over => ("post-preview__over", "Past the limit: this does not fit"),
            MarkKind::Banned { .. } => (
                "post-preview__banned",
                "A rule of the playbook forbids this",
            ),
        };
        out.push_str(&format!("<mark class=\"{class}\" title=\"{title}\">"));
        out.push_str(&render_with(inside, hrefs));
        out.push_str("</mark>");
        at = m.end;
    }
    out.push_str(&render_with(text.get(at..).unwrap_or(""), hrefs));
    out
}

/// Up to two capital letters standing in for an account's picture: the first letters of the
/// first two parts of its name or handle ("northwind.bsky.social" → "NB", "Ana" → "A").
pub fn initials(name: &str) -> String {
    name.trim_start_matches('@')
        .split(|c: char| !c.is_alphanumeric())
        .filter_map(|part| part.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

/// The name a network shows above a post when the account has set none: its handle's first
/// part ("northwind.bsky.social" → "northwind").
pub fn display_name(handle: &str) -> String {
    handle
        .trim_start_matches('@')
        .split('.')
        .next()
        .unwrap_or("")
        .to_owned()
}

/// Host and path of a link (`https://` and the query left out), as a card shows where it leads.
pub fn card_parts(url: &str) -> (String, String) {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .unwrap_or(url);
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    match rest.split_once('/') {
        Some((host, path)) => (host.to_owned(), format!("/{path}")),
        None => (rest.to_owned(), String::new()),
    }
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
pub fn shorten(url: &str) -> String {
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
    fn marks_wrap_the_overflow_and_banned_terms_escaped() {
        let text = "The <best> deal ever";
        let marks = [
            Mark {
                start: 5,
                end: 9,
                kind: MarkKind::Banned { rule: 1 },
            },
            Mark {
                start: 16,
                end: text.len(),
                kind: MarkKind::Over,
            },
        ];
        assert_eq!(
            render_marked(text, &marks, &[]),
            "The &lt;<mark class=\"post-preview__banned\" title=\"A rule of the playbook forbids this\">best</mark>&gt; deal <mark class=\"post-preview__over\" title=\"Past the limit: this does not fit\">ever</mark>"
        );
        assert_eq!(render_marked("plain", &[], &[]), "plain");
        assert!(
            render_marked(
                "go https://c.example/l/xxxxxxxxxx",
                &[],
                &["https://t.example/a?b=1&c=2"]
            )
            .contains("href=\"https://t.example/a?b=1&amp;c=2\""),
            "a short link points where it leads"
        );
    }

    #[test]
    fn names_initials_and_cards() {
        assert_eq!(initials("northwind.bsky.social"), "NB");
        assert_eq!(initials("@ana"), "A");
        assert_eq!(initials(""), "");
        assert_eq!(display_name("@northwind.bsky.social"), "northwind");
        assert_eq!(
            card_parts("https://northwind.example/launch/x?utm_source=bluesky"),
            ("northwind.example".into(), "/launch/x".into())
        );
        assert_eq!(
            card_parts("https://a.example"),
            ("a.example".into(), String::new())
        );
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
