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
}
