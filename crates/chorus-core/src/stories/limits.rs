//! How long a post may be on each network, counted the way the network counts.

use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

use crate::validate::{Invalid, quoted};

/// A network Chorus composes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    Bluesky,
    Mastodon,
}

impl Network {
    pub const ALL: [Network; 2] = [Network::Bluesky, Network::Mastodon];

    pub fn as_str(self) -> &'static str {
        match self {
            Network::Bluesky => "bluesky",
            Network::Mastodon => "mastodon",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Network::Bluesky => "Bluesky",
            Network::Mastodon => "Mastodon",
        }
    }

    pub fn parse(raw: &str) -> Result<Network, Invalid> {
        Network::ALL
            .into_iter()
            .find(|n| n.as_str() == raw.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                Invalid::new(format!(
                    "unknown network {}; use bluesky or mastodon",
                    quoted(raw)
                ))
            })
    }

    /// The length limit and the unit it is counted in.
    pub fn limit(self) -> (usize, Unit) {
        match self {
            Network::Bluesky => (300, Unit::Graphemes),
            Network::Mastodon => (500, Unit::Characters),
        }
    }

    /// The length of `text` as this network counts it.
    pub fn length(self, text: &str) -> usize {
        match self.limit().1 {
            Unit::Graphemes => text.graphemes(true).count(),
            Unit::Characters => mastodon_length(text),
        }
    }
}

/// What a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// User-perceived characters (a flag emoji or "é" written as e + accent is one).
    Graphemes,
    /// Unicode scalar values, except that every link counts as 23 (Mastodon's rule).
    Characters,
}

impl Unit {
    pub fn label(self) -> &'static str {
        match self {
            Unit::Graphemes => "characters",
            Unit::Characters => "characters",
        }
    }
}

/// Mastodon counts every URL as 23 characters, whatever its length.
fn mastodon_length(text: &str) -> usize {
    text.split_inclusive(char::is_whitespace)
        .map(|word| {
            let trimmed = word.trim_end();
            if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
                23 + (word.chars().count() - trimmed.chars().count())
            } else {
                word.chars().count()
            }
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_like_the_networks() {
        assert_eq!(Network::Bluesky.length("hello"), 5);
        assert_eq!(
            Network::Bluesky.length("🇫🇮🇧🇷"),
            2,
            "flags are one grapheme each"
        );
        assert_eq!(Network::Bluesky.length("e\u{301}"), 1);
        assert_eq!(Network::Bluesky.length("👩‍👩‍👧"), 1);
        assert_eq!(
            Network::Mastodon.length("🇫🇮"),
            2,
            "Mastodon counts code points"
        );
        assert_eq!(
            Network::Mastodon
                .length("see https://example.com/a/very/long/path/that/goes/on and on"),
            4 + 23 + 7
        );
        assert_eq!(Network::Bluesky.limit().0, 300);
        assert_eq!(Network::Mastodon.limit().0, 500);
        assert!(Network::parse("Bluesky").is_ok());
        assert!(Network::parse("myspace").is_err());
    }
}
