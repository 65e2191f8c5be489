//! Markdown to HTML that is safe to put in a page, whatever the author typed.
//!
//! Safety comes from construction, not from cleaning afterwards: raw HTML in the source is shown
//! as text (escaped), and links and images keep only `http`, `https` and `mailto` targets or
//! relative paths, so no `javascript:` or `data:` URL ever reaches the page.
//!
//! Images from other sites are a privacy question as much as a safety one: an `<img>` makes
//! every viewer's browser call the image's host (who learns who reads what, and when). Unless
//! the installation allows them ([`Images::External`]), an image whose address is not a path on
//! this server is rendered as a link to it, its alternative text as the link's text.

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd, html};

/// Which images become `<img>` elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Images {
    /// Only images on this server (relative paths); others are links.
    #[default]
    Local,
    /// Images from anywhere (`http`, `https` or relative).
    External,
}

/// Renders Markdown to sanitized HTML; images from other sites become links.
pub fn render(source: &str) -> String {
    render_with(source, Images::Local)
}

/// Renders Markdown to sanitized HTML, with images as `images` says.
pub fn render_with(source: &str, images: Images) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    // For each open image, whether it is rendered as a link instead.
    let mut as_link: Vec<bool> = Vec::new();
    let parser = Parser::new_ext(source, options).map(move |event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let dest_url = safe_url(dest_url);
            let link = images == Images::Local && !is_local_url(&dest_url);
            as_link.push(link);
            if link {
                Event::Start(Tag::Link {
                    link_type: LinkType::Inline,
                    dest_url,
                    title,
                    id,
                })
            } else {
                Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                })
            }
        }
        Event::End(TagEnd::Image) => {
            if as_link.pop().unwrap_or(false) {
                Event::End(TagEnd::Link)
            } else {
                Event::End(TagEnd::Image)
            }
        }
        other => other,
    });
    let mut out = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut out, parser);
    out
}

/// The Markdown source reduced to its words, for search and previews.
pub fn plain_text(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    for event in Parser::new(source) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
                out.push_str(&t)
            }
            Event::SoftBreak | Event::HardBreak | Event::End(_)
                if !out.ends_with(' ') && !out.is_empty() =>
            {
                out.push(' ');
            }
            _ => {}
        }
    }
    out.trim_end().to_owned()
}

fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    if is_safe_url(&url) {
        url
    } else {
        CowStr::Borrowed("#")
    }
}

/// Whether `url` (already safe) stays on this server: no scheme and no authority (`//host`,
/// and `\\host` or `/\\host`, which browsers read the same way).
fn is_local_url(url: &str) -> bool {
    let compact: String = url
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
        .map(|c| if c == '\\' { '/' } else { c })
        .collect();
    if compact.starts_with("//") {
        return false;
    }
    match compact.find(':') {
        None => true,
        Some(colon) => compact.find(['/', '?', '#']).is_some_and(|sep| sep < colon),
    }
}

fn is_safe_url(url: &str) -> bool {
    // Browsers ignore ASCII whitespace and control characters inside a scheme ("java\tscript:").
    let compact: String = url
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    match compact.find(':') {
        None => true,
        Some(colon) => {
            // A colon after the first '/', '?' or '#' is part of a relative path, not a scheme.
            let first_sep = compact.find(['/', '?', '#']).unwrap_or(usize::MAX);
            if first_sep < colon {
                return true;
            }
            let scheme = &compact[..colon];
            matches!(scheme, "http" | "https" | "mailto")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_common_markdown() {
        let html = render("# Title\n\n- one\n- **two**\n\n> quote\n\n[site](https://example.com)");
        assert!(html.contains("<h1>Title</h1>"));
        assert!(html.contains("<li><strong>two</strong></li>"));
        assert!(html.contains("<blockquote>"));
        assert!(html.contains(r#"<a href="https://example.com">site</a>"#));
    }

    #[test]
    fn raw_html_is_escaped() {
        let html = render("hello <script>alert(1)</script>\n\n<img src=x onerror=alert(1)>");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn dangerous_urls_are_replaced() {
        for src in [
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](<java\tscript:alert(1)>)",
            "[x](&#106;avascript:alert(1))",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "![x](javascript:alert(1))",
            "[x](vbscript:msgbox)",
        ] {
            let html = render(src).to_ascii_lowercase();
            for attr in html.split("href=\"").chain(html.split("src=\"")).skip(1) {
                let value = attr.split('"').next().unwrap_or_default();
                assert!(
                    !value.contains("script:") && !value.starts_with("data:"),
                    "{src} -> {html}"
                );
            }
        }
        assert!(render("[x](/playbook/a:b)").contains(r#"href="/playbook/a:b""#));
        assert!(render("[x](mailto:a@b.c)").contains("mailto:a@b.c"));
    }

    #[test]
    fn images_from_other_sites_are_links_unless_allowed() {
        for src in [
            "![a chart](https://tracker.example/pixel.png)",
            "![a chart](http://tracker.example/pixel.png \"title\")",
            "![a chart](//tracker.example/pixel.png)",
            r"![a chart](\\\\tracker.example/pixel.png)",
            "![a chart](/\\tracker.example/pixel.png)",
            "![a chart][ref]\n\n[ref]: https://tracker.example/pixel.png",
            "[![a chart](https://tracker.example/pixel.png)](https://example.com)",
        ] {
            let html = render(src);
            assert!(!html.contains("<img"), "{src} -> {html}");
            assert!(html.contains("a chart</a>"), "{src} -> {html}");
            assert!(
                html.contains("tracker.example/pixel.png"),
                "{src} -> {html}"
            );
            let allowed = render_with(src, Images::External);
            assert!(allowed.contains("<img"), "{src} -> {allowed}");
        }
        for src in [
            "![logo](/static/logo.png)",
            "![logo](logo.png)",
            "![logo](a/b:c.png)",
        ] {
            assert!(render(src).contains("<img"), "{src} -> {}", render(src));
        }
        // Unsafe addresses stay unsafe either way.
        assert!(render("![x](javascript:alert(1))").contains(r##"src="#""##));
        let html = render_with("![x](data:image/png;base64,AAAA)", Images::External);
        assert!(!html.contains("data:"), "{html}");
    }

    #[test]
    fn plain_text_drops_markup() {
        assert_eq!(plain_text("# A *b*\n\n- c\n- d"), "A b c d");
    }
}
