//! Errors for values that failed to parse, and the field they came from.

use std::borrow::Cow;
use std::fmt;

/// A value that is not acceptable, with a message that says why and how to fix it.
///
/// Parse constructors return this; the caller, who knows where the value came from, turns it into
/// a [`FieldError`] with [`Invalid::at`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Invalid {
    pub message: String,
}

impl Invalid {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// Names the field (or config key, or CSV column) the bad value came from.
    pub fn at(self, field: impl Into<Cow<'static, str>>) -> FieldError {
        FieldError {
            field: field.into(),
            message: self.message,
        }
    }
}

/// A bad value in a named field of a form, a JSON body, a config file or an import.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FieldError {
    pub field: Cow<'static, str>,
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// How many characters of a refused value an error message quotes.
pub const QUOTED_CHARS: usize = 40;

/// A refused value as an error message shows it: quoted, with control characters escaped, and
/// cut to its first [`QUOTED_CHARS`] characters (then `…` after the closing quote). A message
/// names what was wrong; it never echoes back a whole input, which may be huge or hostile.
pub fn quoted(raw: &str) -> Quoted<'_> {
    Quoted(raw)
}

/// See [`quoted`].
#[derive(Clone, Copy)]
pub struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.char_indices().nth(QUOTED_CHARS) {
            None => write!(f, "{:?}", self.0),
            Some((cut, _)) => write!(f, "{:?}…", &self.0[..cut]),
        }
    }
}

/// Trims `raw` and checks it is non-empty and at most `max` characters.
pub fn text(raw: &str, max: usize) -> Result<String, Invalid> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(Invalid::new("must not be empty"));
    }
    let len = trimmed.chars().count();
    if len > max {
        return Err(Invalid::new(format!(
            "is {len} characters long; the limit is {max}"
        )));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(Invalid::new("must not contain control characters"));
    }
    Ok(trimmed.to_owned())
}

/// Like [`text`] but allows the empty string (for optional long-form fields).
pub fn optional_text(raw: &str, max: usize) -> Result<String, Invalid> {
    if raw.trim().is_empty() {
        Ok(String::new())
    } else {
        text(raw, max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_trims_and_limits() {
        assert_eq!(text("  hi ", 5).unwrap(), "hi");
        assert_eq!(text("   ", 5).unwrap_err().message, "must not be empty");
        assert!(
            text("abcdef", 5)
                .unwrap_err()
                .message
                .contains("limit is 5")
        );
        assert!(text("a\u{0}b", 5).is_err());
        assert_eq!(optional_text("  ", 5).unwrap(), "");
        let e = Invalid::new("bad").at("title");
        assert_eq!(e.to_string(), "title: bad");
    }

    #[test]
    fn quoted_values_are_short() {
        assert_eq!(quoted("fi-XX").to_string(), r#""fi-XX""#);
        assert_eq!(quoted("a\tb\n").to_string(), r#""a\tb\n""#);
        let long = "é".repeat(60_000);
        let q = quoted(&long).to_string();
        assert_eq!(q, format!("{:?}…", "é".repeat(QUOTED_CHARS)));
        let exact = "x".repeat(QUOTED_CHARS);
        assert_eq!(quoted(&exact).to_string(), format!("{exact:?}"));
    }

    /// Every parser that quotes what it refuses quotes a short prefix of it.
    #[test]
    fn parsers_quote_a_prefix_of_long_input() {
        use crate::conversations as conv;
        use crate::stories::{self, limits, rules, schedule, workflow};
        let long = format!("!{}", "x".repeat(60_000));
        let l = long.as_str();
        let messages: Vec<(&str, Option<String>)> = vec![
            ("side", conv::Side::parse(l).err().map(|e| e.message)),
            (
                "network name",
                conv::NetworkName::parse(l).err().map(|e| e.message),
            ),
            ("language", conv::language_code(l).err().map(|e| e.message)),
            ("status", conv::Status::parse(l).err().map(|e| e.message)),
            (
                "sentiment",
                conv::Sentiment::parse(l).err().map(|e| e.message),
            ),
            ("tag", conv::tag(l).err().map(|e| e.message)),
            ("role", crate::Role::parse(l).err().map(|e| e.message)),
            (
                "target",
                stories::Objective::parse("m", l, "")
                    .err()
                    .map(|e| e.message),
            ),
            (
                "campaign state",
                stories::CampaignState::parse(l).err().map(|e| e.message),
            ),
            (
                "network",
                limits::Network::parse(l).err().map(|e| e.message),
            ),
            (
                "rule",
                rules::RuleKind::parse(l, "").err().map(|e| e.message),
            ),
            (
                "schedule",
                schedule::parse_local(l).err().map(|e| e.message),
            ),
            (
                "story state",
                workflow::StoryState::parse(l).err().map(|e| e.message),
            ),
            (
                "transition",
                workflow::Transition::parse(l).err().map(|e| e.message),
            ),
            (
                "market code",
                crate::org::MarketCode::parse(l).err().map(|e| e.message),
            ),
            (
                "country",
                crate::org::CountryCode::parse(l).err().map(|e| e.message),
            ),
            (
                "locale",
                crate::org::Locale::parse(l).err().map(|e| e.message),
            ),
            (
                "time zone",
                crate::org::TimeZoneName::parse(l).err().map(|e| e.message),
            ),
            (
                "email",
                crate::user::Email::parse(l).err().map(|e| e.message),
            ),
            (
                "pillar",
                crate::playbook::Pillar::parse(l).err().map(|e| e.message),
            ),
            (
                "slug",
                crate::playbook::parse_slug(l).err().map(|e| e.message),
            ),
        ];
        for (what, message) in messages {
            let message = message.unwrap_or_else(|| panic!("{what}: accepted"));
            assert!(message.len() < 300, "{what}: {} bytes", message.len());
        }
    }
}
