//! The playbook's Markdown renderer on any text: no panic, and the HTML is safe by the rules the
//! page relies on. Every `<` in the output opens (or closes) a tag the renderer itself writes, no
//! tag is `<script`, no attribute is an event handler (`on…=`) or outside the renderer's own
//! set, and every `href`/`src`, read the way a browser reads it (entities decoded, tabs and
//! newlines removed, leading spaces and controls dropped), is relative or http, https or mailto
//! — never `javascript:`, `data:` or `vbscript:`.
#![no_main]

use chorus_core::playbook::markdown::{plain_text, render};
use libfuzzer_sys::fuzz_target;

const TAGS: &[&str] = &[
    "a",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "img",
    "input",
    "li",
    "ol",
    "p",
    "pre",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
];
const ATTRIBUTES: &[&str] = &[
    "alt", "checked", "class", "disabled", "href", "id", "src", "start", "style", "title", "type",
];

/// Decodes the character references the renderer writes in attribute values.
fn decode(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let Some(end) = after.find(';') else {
            out.push_str(&rest[i..]);
            return out;
        };
        let name = &after[..end];
        let c = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            _ => name
                .strip_prefix("#x")
                .or_else(|| name.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The URL's scheme as a browser's URL parser finds it, lowercased; `None` when relative.
fn scheme(url: &str) -> Option<String> {
    let cleaned: String = url
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let colon = cleaned.find(':')?;
    let s = &cleaned[..colon];
    let valid = s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then(|| s.to_ascii_lowercase())
}

/// Checks one tag starting after its `<`; returns the bytes it spans up to and including `>`.
fn check_tag(tag: &str, html: &str) -> usize {
    let end = tag
        .find('>')
        .unwrap_or_else(|| panic!("unclosed tag in {html}"));
    let inner = tag[..end].trim_end_matches('/');
    let inner = inner.strip_prefix('/').unwrap_or(inner);
    let name_len = inner
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(inner.len());
    let name = &inner[..name_len];
    assert!(
        TAGS.contains(&name),
        "tag <{name}> the renderer does not write: {html}"
    );
    let mut attrs = inner[name_len..].trim_start();
    while !attrs.is_empty() {
        let eq = attrs
            .find('=')
            .unwrap_or_else(|| panic!("attribute without value: {html}"));
        let attr = &attrs[..eq];
        assert!(
            !attr.to_ascii_lowercase().starts_with("on"),
            "event handler attribute {attr} in {html}"
        );
        assert!(ATTRIBUTES.contains(&attr), "attribute {attr:?} in {html}");
        let value = attrs[eq + 1..]
            .strip_prefix('"')
            .unwrap_or_else(|| panic!("unquoted attribute value in {html}"));
        let close = value
            .find('"')
            .unwrap_or_else(|| panic!("unterminated value in {html}"));
        let v = decode(&value[..close]);
        if attr == "href" || attr == "src" {
            if let Some(s) = scheme(&v) {
                assert!(
                    matches!(s.as_str(), "http" | "https" | "mailto"),
                    "{attr}={v:?} in {html}"
                );
            }
        }
        attrs = value[close + 1..].trim_start();
    }
    end + 1
}

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let html = render(source);
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "{html}");
    let mut rest = html.as_str();
    while let Some(i) = rest.find('<') {
        let used = check_tag(&rest[i + 1..], &html);
        rest = &rest[i + 1 + used..];
    }
    let _ = plain_text(source);
});
