//! Search across the playbook.
//!
//! A playbook holds dozens of principles, not millions, so search runs over all of them in
//! memory: every word of the query must appear (as a word prefix) somewhere in the principle;
//! hits are ranked by where the words appear (title first, case studies last) and come with a
//! snippet whose matching words are marked.
//!
//! Words are compared folded — lower case, accents removed — so "Sao Paulo" finds "São Paulo"
//! and "aani" finds "Ääni"; and a query word loses a plural ending before it is matched
//! ([`root`]), so "batteries" finds "battery" and "campanhas" finds "campanha".

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::{Pillar, Principle, markdown::plain_text};
use crate::ids::PrincipleId;

/// One principle that matched, with the best snippet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    pub principle_id: PrincipleId,
    pub number: i64,
    pub slug: String,
    pub title: String,
    pub pillar: Pillar,
    pub score: u32,
    /// Which part of the principle the snippet comes from, e.g. "Case studies".
    pub field: &'static str,
    pub snippet: Vec<Segment>,
}

/// A piece of a snippet; `highlight` pieces are the matched words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Segment {
    pub text: String,
    pub highlight: bool,
}

/// Longest query accepted; longer input is cut.
const MAX_QUERY_TERMS: usize = 12;
const SNIPPET_CHARS: usize = 180;

/// Finds the principles matching every word of `query`, best first.
pub fn search(principles: &[Principle], query: &str) -> Vec<Hit> {
    let terms: Vec<String> = words(query)
        .map(|(_, w)| root(&fold(w)).to_owned())
        .take(MAX_QUERY_TERMS)
        .collect();
    if terms.is_empty() {
        return Vec::new();
    }
    let mut hits: Vec<Hit> = principles.iter().filter_map(|p| score(p, &terms)).collect();
    hits.sort_by(|a, b| b.score.cmp(&a.score).then(a.number.cmp(&b.number)));
    hits
}

fn score(p: &Principle, terms: &[String]) -> Option<Hit> {
    let market_examples: String = p
        .market_examples
        .iter()
        .map(|m| plain_text(&m.body))
        .collect::<Vec<_>>()
        .join(" ");
    let fields: [(&'static str, String, u32); 6] = [
        ("Title", p.title.clone(), 8),
        ("Statement", plain_text(&p.statement), 4),
        ("Implications", plain_text(&p.implications), 2),
        ("Examples", plain_text(&p.examples), 2),
        ("Case studies", plain_text(&p.case_studies), 1),
        ("Market examples", market_examples, 1),
    ];
    let mut total = 0;
    let mut best: Option<(u32, usize)> = None;
    for term in terms {
        let mut term_score = 0;
        for (i, (_, text, weight)) in fields.iter().enumerate() {
            let n = count_prefix_matches(text, term);
            if n > 0 {
                term_score += weight * (n.min(5) as u32 + 1);
                let field_score = *weight;
                if best.is_none_or(|(s, _)| field_score > s) {
                    best = Some((field_score, i));
                }
            }
        }
        if term_score == 0 {
            return None;
        }
        total += term_score;
    }
    let (_, best_field) = best?;
    // Snippets from the title repeat the heading; prefer the statement in that case.
    let snippet_field = if best_field == 0 { 1 } else { best_field };
    let (name, text, _) = &fields[snippet_field];
    Some(Hit {
        principle_id: p.id,
        number: p.number,
        slug: p.slug.clone(),
        title: p.title.clone(),
        pillar: p.pillar,
        score: total,
        field: name,
        snippet: snippet(text, terms),
    })
}

/// Words of `text` with their byte offsets: runs of alphanumeric characters.
fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let base = text.as_ptr() as usize;
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(move |w| (w.as_ptr() as usize - base, w))
}

/// A word as search compares it: lower case, with accents and other combining marks removed
/// (canonical decomposition first, so "São" and "Sa\u{303}o" both fold to "sao").
fn fold(word: &str) -> String {
    word.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The part of a folded query word that must begin a word of the text: the word without a
/// plural ending of the playbook's languages (English -ies/-es/-s, Portuguese and Spanish
/// -ões/-es/-s), as long as four letters remain. Search matches by prefix, so cutting an ending
/// only ever finds more: "batteries" → "batter" finds "battery" and "batteries", "opiniões" →
/// "opini" finds "opinião", while "news" and "shoes" keep enough letters to stay themselves.
fn root(term: &str) -> &str {
    const MIN: usize = 4;
    for ending in ["ies", "oes", "es", "s"] {
        if let Some(rest) = term.strip_suffix(ending)
            && rest.chars().count() >= MIN
            && !(ending == "s" && (rest.ends_with('s') || rest.ends_with('u')))
        {
            return rest;
        }
    }
    term
}

fn is_prefix_ci(word: &str, term: &str) -> bool {
    fold(word).starts_with(term)
}

fn count_prefix_matches(text: &str, term: &str) -> usize {
    words(text).filter(|(_, w)| is_prefix_ci(w, term)).count()
}

fn snippet(text: &str, terms: &[String]) -> Vec<Segment> {
    let matches: Vec<(usize, usize)> = words(text)
        .filter(|(_, w)| terms.iter().any(|t| is_prefix_ci(w, t)))
        .map(|(off, w)| (off, off + w.len()))
        .collect();
    let first = matches.first().map_or(0, |m| m.0);
    // Start a little before the first match, on a char boundary, at a word start if we can.
    let mut start = first.saturating_sub(SNIPPET_CHARS / 3);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    if start > 0
        && let Some(space) = text[start..first].find(' ')
    {
        start += space + 1;
    }
    let mut end = (start + SNIPPET_CHARS).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    let mut out = Vec::new();
    let mut push = |s: &str, highlight: bool| {
        if !s.is_empty() {
            out.push(Segment {
                text: s.to_owned(),
                highlight,
            });
        }
    };
    if start > 0 {
        push("…", false);
    }
    let mut pos = start;
    for (a, b) in matches
        .into_iter()
        .filter(|(a, b)| *a >= start && *b <= end)
    {
        push(&text[pos..a], false);
        push(&text[a..b], true);
        pos = b;
    }
    push(&text[pos..end], false);
    if end < text.len() {
        push("…", false);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::MarketId;
    use crate::playbook::MarketExample;

    fn principle(id: i64, title: &str, statement: &str, case: &str) -> Principle {
        Principle {
            id: PrincipleId(id),
            number: id,
            slug: format!("p{id}"),
            pillar: Pillar::Stories,
            title: title.into(),
            statement: statement.into(),
            implications: String::new(),
            examples: String::new(),
            case_studies: case.into(),
            market_examples: vec![],
            updated_at_ms: 0,
        }
    }

    #[test]
    fn every_term_must_match_and_title_ranks_first() {
        let ps = vec![
            principle(1, "Define clear objectives", "Set **targets** first.", ""),
            principle(
                2,
                "Share more",
                "Objectives matter too.",
                "A story about targets.",
            ),
            principle(3, "Listen", "Hear people.", ""),
        ];
        let hits = search(&ps, "objective");
        assert_eq!(hits.iter().map(|h| h.number).collect::<Vec<_>>(), [1, 2]);
        let hits = search(&ps, "objectives targets");
        assert_eq!(hits.iter().map(|h| h.number).collect::<Vec<_>>(), [1, 2]);
        assert!(search(&ps, "objectives listen").is_empty());
        assert!(search(&ps, "  ").is_empty());
        assert_eq!(search(&ps, "STORY")[0].field, "Case studies");
    }

    #[test]
    fn snippet_marks_matches_and_survives_multibyte_text() {
        let long = format!(
            "{} Ääni kuuluu kaikille. {}",
            "ö".repeat(200),
            "ä".repeat(300)
        );
        let ps = vec![principle(1, "T", &long, "")];
        let hits = search(&ps, "ääni");
        assert_eq!(hits.len(), 1);
        let marked: Vec<&str> = hits[0]
            .snippet
            .iter()
            .filter(|s| s.highlight)
            .map(|s| s.text.as_str())
            .collect();
        assert_eq!(marked, ["Ääni"]);
        assert_eq!(hits[0].snippet.first().map(|s| s.text.as_str()), Some("…"));
    }

    #[test]
    fn accents_and_plural_endings_do_not_hide_a_principle() {
        let mut p = principle(1, "Battery life", "Ääni kuuluu kaikille.", "");
        p.market_examples.push(MarketExample {
            market_id: MarketId(1),
            body: "Em São Paulo, a opinião de cada cliente e cada campanha conta.".into(),
        });
        let ps = [p];
        for query in [
            "Sao Paulo",
            "SÃO",
            "sa\u{303}o",
            "batteries",
            "aani",
            "opiniões",
            "campanhas",
        ] {
            let hits = search(&ps, query);
            assert_eq!(hits.len(), 1, "{query:?} finds nothing");
        }
        let hits = search(&ps, "Sao Paulo");
        let marked: Vec<&str> = hits[0]
            .snippet
            .iter()
            .filter(|s| s.highlight)
            .map(|s| s.text.as_str())
            .collect();
        assert_eq!(
            marked,
            ["São", "Paulo"],
            "the text's own spelling is marked"
        );
        // Cutting endings never makes a short word match everything.
        assert_eq!(root("shoes"), "shoe");
        assert_eq!(root("news"), "news");
        assert_eq!(root("status"), "status");
        assert_eq!(root("process"), "process");
        assert!(search(&ps, "batons").is_empty());
    }

    #[test]
    fn market_examples_are_searched() {
        let mut p = principle(1, "T", "S", "");
        p.market_examples.push(MarketExample {
            market_id: MarketId(1),
            body: "Em São Paulo respondemos em minutos.".into(),
        });
        let hits = search(&[p], "paulo");
        assert_eq!(hits[0].field, "Market examples");
    }
}
