//! Attribution: what a landing page's address says about where the visitor came from.
//!
//! Every link Chorus publishes carries UTM tags (`crate::stories::utm`): `utm_source` the
//! network, `utm_medium` social, `utm_campaign` the campaign's slug, `utm_content` =
//! `story-<id>`, `utm_term` the market. [`Utm::from_query`] reads them from a query string (any
//! order, percent-encoded or not, other parameters ignored); [`Utm::story_id`] finds the story.
//! Values are cut to [`MAX_VALUE`] characters and dropped when they hold control characters:
//! they come from anyone's link.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How many characters of a UTM value are kept.
pub const MAX_VALUE: usize = 200;

/// The five UTM parameters, each absent unless the address carried a usable value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Utm {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub medium: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub term: Option<String>,
}

impl Utm {
    /// Reads the tags from a query string (with or without its leading `?`). The first
    /// occurrence of a parameter wins.
    pub fn from_query(query: &str) -> Utm {
        let query = query.strip_prefix('?').unwrap_or(query);
        let mut utm = Utm::default();
        for pair in query.split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let slot = match decode(k).as_deref() {
                Some("utm_source") => &mut utm.source,
                Some("utm_medium") => &mut utm.medium,
                Some("utm_campaign") => &mut utm.campaign,
                Some("utm_content") => &mut utm.content,
                Some("utm_term") => &mut utm.term,
                _ => continue,
            };
            if slot.is_none() {
                *slot = decode(v).and_then(|v| clean(&v));
            }
        }
        utm
    }

    /// Whether the address carried any tag.
    pub fn is_empty(&self) -> bool {
        *self == Utm::default()
    }

    /// The story a `utm_content` of `story-<id>` names (a positive id; anything else is none).
    pub fn story_id(&self) -> Option<i64> {
        let id = self.content.as_deref()?.strip_prefix("story-")?;
        if id.is_empty() || id.len() > 18 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        id.parse::<i64>().ok().filter(|id| *id > 0)
    }

    /// The tags as the ledger stores them: a JSON object of the present ones, keyed by their
    /// parameter names.
    pub fn to_json(&self) -> String {
        let pairs: BTreeMap<&str, &str> = [
            ("utm_source", &self.source),
            ("utm_medium", &self.medium),
            ("utm_campaign", &self.campaign),
            ("utm_content", &self.content),
            ("utm_term", &self.term),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
        .collect();
        serde_json::to_string(&pairs).unwrap_or_else(|_| "{}".to_owned())
    }
}

/// A value kept: trimmed, non-empty, no control characters, at most [`MAX_VALUE`] characters.
fn clean(v: &str) -> Option<String> {
    if v.chars().any(char::is_control) {
        return None;
    }
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    Some(v.chars().take(MAX_VALUE).collect())
}

/// Decodes `application/x-www-form-urlencoded` (`+` is a space, `%XX` a byte); `None` when the
/// bytes are not UTF-8 or an escape is broken.
fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_published_links_tags_name_its_story() {
        let utm = Utm::from_query(
            "?utm_source=bluesky&utm_medium=social&utm_campaign=spring-launch&utm_content=story-42&utm_term=fi",
        );
        assert_eq!(utm.source.as_deref(), Some("bluesky"));
        assert_eq!(utm.medium.as_deref(), Some("social"));
        assert_eq!(utm.campaign.as_deref(), Some("spring-launch"));
        assert_eq!(utm.term.as_deref(), Some("fi"));
        assert_eq!(utm.story_id(), Some(42));
        assert_eq!(
            utm.to_json(),
            r#"{"utm_campaign":"spring-launch","utm_content":"story-42","utm_medium":"social","utm_source":"bluesky","utm_term":"fi"}"#
        );
    }

    #[test]
    fn the_tags_chorus_writes_read_back() {
        let tagged = crate::stories::utm::tag_url(
            "https://x.io/r/guide",
            &crate::stories::utm::Utm {
                network: "Bluesky",
                campaign: Some("autumn sale"),
                story: 7,
                market: "FI",
            },
        );
        let query = tagged.split_once('?').unwrap().1;
        let utm = Utm::from_query(query);
        assert_eq!(utm.campaign.as_deref(), Some("autumn sale"));
        assert_eq!(utm.story_id(), Some(7));
    }

    #[test]
    fn other_parameters_and_bad_values_are_ignored() {
        let utm = Utm::from_query(
            "a=1&utm_source=%E2%9C%93+ok&utm_source=second&utm_medium=%0Aevil&utm_term=%ZZ&utm_campaign=",
        );
        assert_eq!(utm.source.as_deref(), Some("✓ ok"));
        assert_eq!(utm.medium, None, "control characters drop the value");
        assert_eq!(utm.term, None, "a broken escape drops the value");
        assert_eq!(utm.campaign, None, "empty is absent");
        assert!(Utm::from_query("").is_empty());
        assert_eq!(Utm::from_query("utm_content=x").story_id(), None);
        let long = format!("utm_campaign={}", "a".repeat(500));
        assert_eq!(Utm::from_query(&long).campaign.unwrap().len(), MAX_VALUE);
    }

    #[test]
    fn only_story_and_a_positive_id_name_a_story() {
        for (content, id) in [
            ("story-1", Some(1)),
            ("story-9007199254740993", Some(9_007_199_254_740_993)),
            ("story-0", None),
            ("story--1", None),
            ("story-1a", None),
            ("story-", None),
            ("Story-1", None),
            ("story-99999999999999999999", None),
            ("post-1", None),
        ] {
            let utm = Utm {
                content: Some(content.into()),
                ..Utm::default()
            };
            assert_eq!(utm.story_id(), id, "{content}");
        }
    }
}
