//! What the composer shows about a text before it is saved: the text as it will be posted
//! (each link as its click redirect when links go out through one), its length counted the way
//! the network counts it, where it runs past the limit, what each link costs, and which parts
//! of the text the rules point at.
//!
//! Contract: [`measure`] counts exactly what [`super::rules::check`] counts (the same
//! [`crate::links::counted_text`] and [`Network::length`]), so the number the composer shows,
//! the finding that blocks and the mark in the preview always agree. Offsets are UTF-8 byte
//! offsets into [`Measured::posted`], on grapheme (or, for Mastodon, character and link)
//! boundaries, so a caller can slice the text at them.

use unicode_segmentation::UnicodeSegmentation;

use super::limits::{Network, Unit};
use super::rules::{Rule, RuleKind};
use crate::MarketId;
use crate::links::{self, PublicBase};

/// A text measured for a network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measured {
    /// The text as it will be posted: links replaced by their redirect (with a placeholder
    /// code of the real length) when links go out through one.
    pub posted: String,
    /// The length as the network counts it, and its limit.
    pub length: usize,
    pub limit: usize,
    /// Where in `posted` the text passes the limit: everything from here on does not fit.
    pub over_from: Option<usize>,
    /// Every link of the text, in order.
    pub links: Vec<LinkCount>,
}

/// What one link costs in the budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkCount {
    /// The link as the variant holds it (UTM tags included): where a click leads.
    pub target: String,
    /// The link as it goes out in the post (the short redirect, or the target itself).
    pub posted: String,
    /// The characters the network counts for it.
    pub counted: usize,
    /// The characters the target would take if it went out as it is.
    pub full: usize,
}

impl LinkCount {
    /// Whether the link goes out as a short redirect rather than as written.
    pub fn shortened(&self) -> bool {
        self.posted != self.target
    }
}

/// Measures `text` (as it will be saved: links already tagged) for `network`; `base` is where
/// click redirects are served, when links go out through them.
pub fn measure(text: &str, network: Network, base: Option<&PublicBase>) -> Measured {
    let posted = match base {
        Some(b) => links::counted_text(text, b),
        None => text.to_owned(),
    };
    let (limit, unit) = network.limit();
    let mut length = 0;
    let mut over_from = None;
    for (start, units) in counted_units(&posted, unit) {
        length += units;
        if length > limit && over_from.is_none() {
            over_from = Some(start);
        }
    }
    let placeholder = base.map(|b| links::counted_text("https://x.x", b));
    let links = links::find(text)
        .into_iter()
        .map(|f| {
            let target = text[f.start..f.end].to_owned();
            let posted = match (base, &placeholder) {
                (Some(b), Some(p)) if !b.is_redirect(&target) => p.clone(),
                _ => target.clone(),
            };
            LinkCount {
                counted: network.length(&posted),
                full: network.length(&target),
                posted,
                target,
            }
        })
        .collect();
    Measured {
        posted,
        length,
        limit,
        over_from,
        links,
    }
}

/// The text cut into the pieces the network counts, each with its byte offset and how many
/// characters it counts for: graphemes on Bluesky; on Mastodon characters, a link being 23.
fn counted_units(text: &str, unit: Unit) -> Vec<(usize, usize)> {
    match unit {
        Unit::Graphemes => text.grapheme_indices(true).map(|(i, _)| (i, 1)).collect(),
        Unit::Characters => {
            let mut out = Vec::new();
            let mut offset = 0;
            for word in text.split_inclusive(char::is_whitespace) {
                let trimmed = word.trim_end();
                if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
                    out.push((offset, 23));
                    let mut at = offset + trimmed.len();
                    for c in word[trimmed.len()..].chars() {
                        out.push((at, 1));
                        at += c.len_utf8();
                    }
                } else {
                    out.extend(word.char_indices().map(|(i, _)| (offset + i, 1)));
                }
                offset += word.len();
            }
            out
        }
    }
}

/// Why a part of the text is marked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarkKind {
    /// Past the network's limit.
    Over,
    /// A term a rule of the market forbids (the rule's id).
    Banned { rule: i64 },
}

/// A marked part of a text, `start..end` in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub start: usize,
    pub end: usize,
    pub kind: MarkKind,
}

/// The parts of `m.posted` to mark: each use of a term an enabled rule of `market` forbids,
/// then everything past the limit. Marks are in order and never overlap: a term that runs
/// past the limit is cut where the overflow starts.
pub fn marks(m: &Measured, rules: &[Rule], market: MarketId) -> Vec<Mark> {
    let text = &m.posted;
    let cut = m.over_from.unwrap_or(text.len());
    let mut out: Vec<Mark> = Vec::new();
    for rule in rules
        .iter()
        .filter(|r| r.enabled && r.market.is_none_or(|x| x == market))
    {
        if let RuleKind::BannedTerm { term } = &rule.kind {
            for (start, end) in term_spans(text, term) {
                if start < cut {
                    out.push(Mark {
                        start,
                        end: end.min(cut),
                        kind: MarkKind::Banned { rule: rule.id },
                    });
                }
            }
        }
    }
    out.sort_by_key(|k| k.start);
    let mut kept: Vec<Mark> = Vec::with_capacity(out.len() + 1);
    for k in out {
        if kept.last().is_none_or(|last| k.start >= last.end) {
            kept.push(k);
        }
    }
    if let Some(start) = m.over_from {
        kept.push(Mark {
            start,
            end: text.len(),
            kind: MarkKind::Over,
        });
    }
    kept
}

/// Where `term` occurs in `text` as the rules match it (case-insensitive, whole words; see
/// [`super::rules::contains_term`]), as byte ranges of `text`. Case folding that changes a
/// text's byte length (rare letters) would shift the offsets, so such a text is matched
/// character by character instead.
pub fn term_spans(text: &str, term: &str) -> Vec<(usize, usize)> {
    let needle: Vec<char> = term.trim().to_lowercase().chars().collect();
    if needle.is_empty() {
        return Vec::new();
    }
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let lower: Vec<char> = chars
        .iter()
        .map(|(_, c)| c.to_lowercase().next().unwrap_or(*c))
        .collect();
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = Vec::new();
    let mut i = 0;
    while i + needle.len() <= lower.len() {
        let end = i + needle.len();
        let hit = lower[i..end] == needle[..]
            && (i == 0 || !is_word(lower[i - 1]))
            && lower.get(end).is_none_or(|c| !is_word(*c));
        if hit {
            let start_byte = chars[i].0;
            let end_byte = chars.get(end).map_or(text.len(), |(b, _)| *b);
            out.push((start_byte, end_byte));
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests;
