//! Where to send a browser when the request names the place (`next` after signing in, `back`
//! after a bulk change): **only a path on this server**, checked by [`local_target`], the one
//! function every such parameter goes through.
//!
//! The target is *parsed*, not pattern-matched: it is resolved with the `url` crate against a
//! fixed base that is never served (`http://chorus.invalid/`) and accepted only when the result
//! has that base's origin and a path that starts with a single `/`. `url` implements the WHATWG
//! URL Standard, the algorithm browsers use to resolve a `Location` header, so what is checked
//! here is what the browser will do with it: `\` counts as `/`, `/.//host` collapses to
//! `//host`, `https:host` is absolute, `javascript:` has no origin — every trick is judged by
//! where it lands rather than by what it looks like. (`http::Uri` parses the RFC 3986 grammar of
//! request targets; it knows none of the browser's leniencies, so it would check a different
//! language from the one the browser speaks.)
//!
//! Before parsing, control characters and whitespace are refused outright: browsers strip tabs
//! and newlines from URLs (`/\t/evil.example` becomes `//evil.example`), and they cannot go in
//! a header anyway. The answer is the parsed URL's own serialization of path, query and
//! fragment — ASCII, percent-encoded, a valid header value — never the raw input.

use url::Url;

/// The base targets are resolved against; `.invalid` is reserved and never resolves.
const BASE: &str = "http://chorus.invalid/";

/// The longest target accepted, in bytes (our own pages' URLs are far shorter).
pub(crate) const MAX_TARGET_LEN: usize = 2048;

/// A redirect target that is not a path on this server; what is wrong, in words safe to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct BadTarget(&'static str);

/// The path (with query and fragment) on this server that `raw` names, or `default` when `raw`
/// is empty. Anything else — another origin, a scheme, a protocol-relative `//host`, control
/// characters or whitespace, more than [`MAX_TARGET_LEN`] bytes — is refused.
pub(crate) fn local_target(raw: &str, default: &str) -> Result<String, BadTarget> {
    if raw.is_empty() {
        return Ok(default.to_owned());
    }
    if raw.len() > MAX_TARGET_LEN {
        return Err(BadTarget("the return address is too long"));
    }
    if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(BadTarget(
            "the return address contains control characters or spaces",
        ));
    }
    let not_local = BadTarget("the return address is not a page of this site");
    let base = Url::parse(BASE).map_err(|_| not_local.clone())?;
    let url = base.join(raw).map_err(|_| not_local.clone())?;
    if url.origin() != base.origin() || !url.username().is_empty() || url.password().is_some() {
        return Err(not_local);
    }
    let path = url.path();
    if !path.starts_with('/') || path.starts_with("//") {
        return Err(not_local);
    }
    let mut target = path.to_owned();
    if let Some(q) = url.query() {
        target.push('?');
        target.push_str(q);
    }
    if let Some(f) = url.fragment() {
        target.push('#');
        target.push_str(f);
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "/playbook";

    #[test]
    fn local_paths_pass_normalized() {
        for (raw, want) in [
            ("", D),
            ("/admin/users?x=1", "/admin/users?x=1"),
            (
                "/conversations?status=open&before=1_2",
                "/conversations?status=open&before=1_2",
            ),
            ("/stories/3#comments", "/stories/3#comments"),
            ("/a/../b", "/b"),
            ("/%2F%2Fevil.example", "/%2F%2Fevil.example"),
            ("/%5Cevil.example", "/%5Cevil.example"),
            ("/%09/evil.example/x", "/%09/evil.example/x"),
            ("%2F%2Fevil.example", "/%2F%2Fevil.example"),
            ("/stories/é", "/stories/%C3%A9"),
            // Same scheme without slashes is relative in the URL Standard: it stays here.
            ("http:evil.example", "/evil.example"),
            ("playbook", "/playbook"),
        ] {
            assert_eq!(local_target(raw, D).as_deref(), Ok(want), "{raw:?}");
        }
    }

    #[test]
    fn anything_that_leaves_the_site_is_refused() {
        for raw in [
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "\\/evil.example",
            "/.//evil.example",
            "/..//evil.example/x",
            "https://evil.example",
            "http://evil.example/x",
            "https:evil.example",
            "HTTPS://evil.example",
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "mailto:a@b.c",
            "//user@evil.example",
            "http://chorus.invalid@evil.example/",
            "//chorus.invalid:81/x",
            "http://user:pw@chorus.invalid/x",
            "/\t/evil.example/x",
            "/\r\nSet-Cookie: x=1",
            "/\n/evil.example",
            "/ /evil.example",
            "/x\u{0}",
            "/x\u{7f}",
            "/x\u{85}",
            "/x\u{a0}",
            "/x\u{2028}",
            "\u{3000}/evil",
        ] {
            assert!(local_target(raw, D).is_err(), "{raw:?} was accepted");
        }
        let long = format!("/{}", "a".repeat(MAX_TARGET_LEN));
        assert!(local_target(&long, D).is_err());
    }

    #[test]
    fn accepted_targets_are_valid_header_values_and_stay_local() {
        use proptest::prelude::*;
        proptest!(|(raw in ".{0,80}")| {
            if let Ok(t) = local_target(&raw, D) {
                prop_assert!(axum::http::HeaderValue::from_str(&t).is_ok(), "{t:?}");
                prop_assert!(t.starts_with('/') && !t.starts_with("//"), "{t:?}");
                let base = Url::parse(BASE).unwrap();
                prop_assert_eq!(base.join(&t).unwrap().origin(), base.origin());
            }
        });
    }
}
