//! The playbook's rules for posts, as data, and the checks that apply them.
//!
//! Rules are rows an admin or global lead edits: each names the principle it serves, so a failed
//! check says which principle asks for it and how to fix the post. Network length limits are not
//! rules (nobody may turn them off) but are reported the same way.

use serde::{Deserialize, Serialize};

use super::limits::Network;
use super::utm;
use crate::links::PublicBase;
use crate::validate::{Invalid, quoted, text};
use crate::{MarketId, PrincipleId};

/// What a rule checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RuleKind {
    /// The story cites at least one principle.
    CitePrinciple,
    /// Every image has alternative text.
    AltText,
    /// Links carry UTM tags (added automatically when the post is saved).
    UtmLinks,
    /// The text must not contain this term (case-insensitive, whole words).
    BannedTerm { term: String },
    /// The text must contain this term (e.g. a disclosure like "#ad").
    RequiredTerm { term: String },
}

impl RuleKind {
    pub fn key(&self) -> &'static str {
        match self {
            RuleKind::CitePrinciple => "cite_principle",
            RuleKind::AltText => "alt_text",
            RuleKind::UtmLinks => "utm_links",
            RuleKind::BannedTerm { .. } => "banned_term",
            RuleKind::RequiredTerm { .. } => "required_term",
        }
    }

    /// Builds a rule kind from its key and, for term rules, the term.
    pub fn parse(key: &str, term: &str) -> Result<RuleKind, Invalid> {
        let term = || text(term, 100);
        Ok(match key.trim() {
            "cite_principle" => RuleKind::CitePrinciple,
            "alt_text" => RuleKind::AltText,
            "utm_links" => RuleKind::UtmLinks,
            "banned_term" => RuleKind::BannedTerm { term: term()? },
            "required_term" => RuleKind::RequiredTerm { term: term()? },
            other => {
                return Err(Invalid::new(format!(
                    "unknown rule {}; use cite_principle, alt_text, utm_links, banned_term or required_term",
                    quoted(other)
                )));
            }
        })
    }

    pub fn describe(&self) -> String {
        match self {
            RuleKind::CitePrinciple => "Stories cite at least one principle".into(),
            RuleKind::AltText => "Every image has alternative text".into(),
            RuleKind::UtmLinks => "Links carry UTM tags".into(),
            RuleKind::BannedTerm { term } => format!("Never say “{term}”"),
            RuleKind::RequiredTerm { term } => format!("Always include “{term}”"),
        }
    }
}

/// A rule as stored: what it checks, where (all markets or one), and which principle it serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub id: i64,
    #[serde(flatten)]
    pub kind: RuleKind,
    /// `None`: every market.
    pub market: Option<MarketId>,
    pub principle: Option<PrincipleId>,
    pub enabled: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Shown for information; nothing to fix.
    Info,
    /// Blocks submitting and scheduling until fixed.
    Error,
}

/// One result of checking a post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub rule_id: Option<i64>,
    /// The principle the rule serves (to name it in the message).
    pub principle: Option<PrincipleId>,
    pub message: String,
    pub fix: String,
}

/// An image as the checks see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo<'a> {
    pub name: &'a str,
    pub alt: &'a str,
}

/// A variant's content, as the checks see it.
#[derive(Debug, Clone)]
pub struct Draft<'a> {
    pub text: &'a str,
    pub network: Network,
    pub market: MarketId,
    pub principles: &'a [PrincipleId],
    pub images: &'a [ImageInfo<'a>],
    /// Where the text's links go out as click redirects (`crate::links`), when they do: the
    /// length is then counted with each link as its redirect, as it will be published.
    pub links: Option<&'a PublicBase>,
}

/// Checks `draft` against the network's limit and every enabled rule that applies to its market.
pub fn check(draft: &Draft<'_>, rules: &[Rule]) -> Vec<Finding> {
    let mut out = Vec::new();
    let (limit, _) = draft.network.limit();
    let len = match draft.links {
        Some(base) => draft
            .network
            .length(&crate::links::counted_text(draft.text, base)),
        None => draft.network.length(draft.text),
    };
    if len > limit {
        out.push(Finding {
            severity: Severity::Error,
            rule_id: None,
            principle: None,
            message: format!("{len} of {limit} characters on {}", draft.network.label()),
            fix: format!(
                "Shorten the text by {} character{}.",
                len - limit,
                if len - limit == 1 { "" } else { "s" }
            ),
        });
    }
    if draft.text.trim().is_empty() && draft.images.is_empty() {
        out.push(Finding {
            severity: Severity::Error,
            rule_id: None,
            principle: None,
            message: "The post is empty".into(),
            fix: "Write the text of the post.".into(),
        });
    }
    for rule in rules
        .iter()
        .filter(|r| r.enabled && r.market.is_none_or(|m| m == draft.market))
    {
        let finding = |severity, message: String, fix: String| Finding {
            severity,
            rule_id: Some(rule.id),
            principle: rule.principle,
            message,
            fix,
        };
        match &rule.kind {
            RuleKind::CitePrinciple => {
                if draft.principles.is_empty() {
                    out.push(finding(
                        Severity::Error,
                        "The story cites no principle".into(),
                        "Pick the principle (or principles) this story serves.".into(),
                    ));
                }
            }
            RuleKind::AltText => {
                for img in draft.images.iter().filter(|i| i.alt.trim().is_empty()) {
                    out.push(finding(
                        Severity::Error,
                        format!("Image “{}” has no alternative text", img.name),
                        "Describe the image for people who cannot see it.".into(),
                    ));
                }
            }
            RuleKind::UtmLinks => {
                let untagged = draft
                    .text
                    .split_whitespace()
                    .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
                    .filter(|w| !utm::is_tagged(w))
                    .count();
                if untagged > 0 {
                    out.push(finding(
                        Severity::Info,
                        format!(
                            "{untagged} link{} will be tagged with UTM parameters when saved",
                            if untagged == 1 { "" } else { "s" }
                        ),
                        String::new(),
                    ));
                }
            }
            RuleKind::BannedTerm { term } => {
                if contains_term(draft.text, term) {
                    out.push(finding(
                        Severity::Error,
                        format!("“{term}” is not used in this market's posts"),
                        format!("Remove or rephrase “{term}”."),
                    ));
                }
            }
            RuleKind::RequiredTerm { term } => {
                if !contains_term(draft.text, term) {
                    out.push(finding(
                        Severity::Error,
                        format!("Posts in this market include “{term}”"),
                        format!("Add “{term}” to the text."),
                    ));
                }
            }
        }
    }
    out
}

/// Whether the findings allow submitting and scheduling.
pub fn passes(findings: &[Finding]) -> bool {
    findings.iter().all(|f| f.severity != Severity::Error)
}

/// Case-insensitive whole-word (or whole-phrase) containment; terms starting with `#` or `@`
/// match as written.
pub fn contains_term(text: &str, term: &str) -> bool {
    let hay = text.to_lowercase();
    let needle = term.trim().to_lowercase();
    if needle.is_empty() {
        return false;
    }
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut from = 0;
    while let Some(pos) = hay[from..].find(&needle) {
        let start = from + pos;
        let end = start + needle.len();
        let before_ok = hay[..start].chars().next_back().is_none_or(|c| !is_word(c));
        let after_ok = hay[end..].chars().next().is_none_or(|c| !is_word(c));
        if before_ok && after_ok {
            return true;
        }
        from = start + needle.chars().next().map_or(1, char::len_utf8);
    }
    false
}

#[cfg(test)]
mod tests;
