//! Click redirects: every link a variant publishes goes out as `{public_url}/l/{code}`, a
//! first-party redirect that counts the click (networks such as Bluesky report none) and
//! forwards to the link as the variant holds it, UTM tags included.
//!
//! The contract, in pure functions the store, the publisher and the web share:
//!
//! - [`find`] finds the links of a text the way the networks' rich text does (Bluesky's facet
//!   detection in `chorus-networks`: `http(s)://` words, a leading `(` and trailing sentence
//!   punctuation left out); [`targets`] lists the distinct ones that need a code.
//! - A [`LinkCode`] is [`CODE_LEN`] random base62 characters (about 59.5 bits): unguessable,
//!   so nobody walks the codes to read every campaign's targets or inflate their counts. Codes
//!   are random and stored (one per variant and target, created once and reused by every
//!   retry), not derived with a keyed hash: a stored code needs no key in the publish path and
//!   survives a key rotation, and the store's uniqueness makes a retried publish send the same
//!   text.
//! - [`published_text`] swaps each link for its redirect; [`counted_text`] does the same with a
//!   placeholder code, so the composer counts the length that will be published.
//! - [`is_bot`] is the rule by user agent that keeps crawlers and link-preview fetchers out of
//!   the human count (see `bots.rs` for the list).
//! - [`location`] is what a redirect sends: the stored target, with any byte a header may not
//!   carry percent-encoded. Nothing of the request goes into it.

mod bots;
#[cfg(test)]
mod tests;

use rand::Rng as _;

use crate::validate::Invalid;

pub use bots::is_bot;

/// Characters in a code.
pub const CODE_LEN: usize = 10;
/// The path redirects are served under, before the code.
pub const REDIRECT_PATH: &str = "/l/";

/// The address people reach this installation at (`[server] public_url`), without a trailing
/// slash: `http(s)://host[:port][/path]`, no user info, query or fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicBase(String);

impl PublicBase {
    pub fn parse(raw: &str) -> Result<PublicBase, Invalid> {
        let url = raw.trim().trim_end_matches('/');
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .ok_or_else(|| Invalid::new("must start with http:// or https://"))?;
        if let Some(c) = url.chars().find(|c| !c.is_ascii_graphic()) {
            return Err(Invalid::new(format!(
                "must be plain ASCII without spaces ({c:?} is not)"
            )));
        }
        if let Some(c) = url.chars().find(|c| matches!(c, '?' | '#' | '@' | '\\')) {
            return Err(Invalid::new(format!(
                "must be the address alone, without {c:?} (no query, fragment or user info)"
            )));
        }
        let host = rest.split('/').next().unwrap_or("");
        if host.is_empty() || host.starts_with(':') {
            return Err(Invalid::new("has no host name"));
        }
        Ok(PublicBase(url.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `{base}/l/{code}`.
    pub fn redirect_url(&self, code: &LinkCode) -> String {
        format!("{}{REDIRECT_PATH}{}", self.0, code.0)
    }

    /// Whether `url` is already one of this installation's redirects.
    pub fn is_redirect(&self, url: &str) -> bool {
        url.strip_prefix(self.0.as_str())
            .and_then(|rest| rest.strip_prefix(REDIRECT_PATH))
            .is_some_and(|code| LinkCode::parse(code).is_ok())
    }
}

impl std::fmt::Display for PublicBase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The code of one redirect: [`CODE_LEN`] characters of `[0-9A-Za-z]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkCode(String);

impl LinkCode {
    /// A code as it arrives in a request path. Anything but [`CODE_LEN`] base62 characters is
    /// refused, so path tricks (`..`, encoded slashes, a URL) never reach the store.
    pub fn parse(raw: &str) -> Result<LinkCode, Invalid> {
        if raw.len() == CODE_LEN && raw.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(LinkCode(raw.to_owned()))
        } else {
            Err(Invalid::new(format!(
                "a link code is {CODE_LEN} letters and digits"
            )))
        }
    }

    /// A new code from the thread's cryptographically secure generator, each character
    /// uniform over the 62.
    pub fn random() -> LinkCode {
        LinkCode(
            rand::rng()
                .sample_iter(rand::distr::Alphanumeric)
                .take(CODE_LEN)
                .map(char::from)
                .collect(),
        )
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for LinkCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A link in a text, at UTF-8 byte offsets (end exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    pub start: usize,
    pub end: usize,
}

/// Punctuation that ends a sentence rather than a URL (the same set as Bluesky's rich text).
const TRAILING: &[char] = &['.', ',', ';', ':', '!', '?', '"', '\''];

/// The `http(s)://` links of `text`, in order, delimited as the networks' rich text delimits
/// them: a word (split at whitespace) that starts with the scheme, after an optional `(`,
/// without trailing sentence punctuation, and without a closing `)` it does not open.
pub fn find(text: &str) -> Vec<Found> {
    let mut out = Vec::new();
    let mut offset = 0;
    for token in text.split_inclusive(char::is_whitespace) {
        let start = offset;
        offset += token.len();
        let word = token.trim_end_matches(char::is_whitespace);
        let (lead, word) = match word.strip_prefix('(') {
            Some(rest) => (1, rest),
            None => (0, word),
        };
        if !(word.starts_with("https://") || word.starts_with("http://")) {
            continue;
        }
        let url = word.trim_end_matches(TRAILING);
        let url = if url.ends_with(')') && !url.contains('(') {
            &url[..url.len() - 1]
        } else {
            url
        };
        if url.len() > "https://".len() {
            out.push(Found {
                start: start + lead,
                end: start + lead + url.len(),
            });
        }
    }
    out
}

/// The distinct links of `text` that need a redirect (those that are not one of `base`'s
/// already), in order of first appearance.
pub fn targets(text: &str, base: &PublicBase) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in find(text) {
        let url = &text[f.start..f.end];
        if !base.is_redirect(url) && !out.iter().any(|u| u == url) {
            out.push(url.to_owned());
        }
    }
    out
}

/// `text` with every link that has a code (`code_of` its target) replaced by its redirect.
/// Links without a code, and redirects of `base` already in the text, stay as they are, so
/// applying it twice changes nothing more.
pub fn published_text<'c>(
    text: &str,
    base: &PublicBase,
    code_of: impl Fn(&str) -> Option<&'c LinkCode>,
) -> String {
    replace(text, |url| {
        if base.is_redirect(url) {
            None
        } else {
            code_of(url).map(|c| base.redirect_url(c))
        }
    })
}

/// `text` as it will be published, for counting its length before any code exists: every link
/// replaced by a redirect of the same length as a real one.
pub fn counted_text(text: &str, base: &PublicBase) -> String {
    let placeholder = base.redirect_url(&LinkCode("x".repeat(CODE_LEN)));
    replace(text, |url| {
        (!base.is_redirect(url)).then(|| placeholder.clone())
    })
}

fn replace(text: &str, mut with: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for f in find(text) {
        if let Some(new) = with(&text[f.start..f.end]) {
            out.push_str(&text[last..f.start]);
            out.push_str(&new);
            last = f.end;
        }
    }
    out.push_str(&text[last..]);
    out
}

/// The `Location` a redirect to `target` sends: the target with every byte outside visible
/// ASCII percent-encoded (a URL typed with non-ASCII characters), which browsers read back as
/// the same address. `None` unless the target is an `http(s)://` URL.
pub fn location(target: &str) -> Option<String> {
    if !(target.starts_with("https://") || target.starts_with("http://")) {
        return None;
    }
    let mut out = String::with_capacity(target.len());
    for b in target.bytes() {
        if b.is_ascii_graphic() {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Some(out)
}
