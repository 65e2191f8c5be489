//! The playbook: the organization's principles as data, each under one of the three pillars.
//!
//! Principles are written in Markdown by global leads and read by everyone; [`markdown`] renders
//! them to HTML that is safe to put in a page whatever was typed, and [`search`] finds them.

pub mod markdown;
pub mod search;

use serde::{Deserialize, Serialize};

use crate::ids::{MarketId, PrincipleId};
use crate::validate::{FieldError, Invalid, optional_text, quoted, text};

/// The three kinds of work the playbook is organized around.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pillar {
    /// What we say: campaigns, posts, their variants.
    Stories,
    /// What it did: engagement, reach, leads.
    Numbers,
    /// What others say: listening, the inbox, replies.
    Conversations,
}

impl Pillar {
    pub const ALL: [Pillar; 3] = [Pillar::Stories, Pillar::Numbers, Pillar::Conversations];

    pub fn as_str(self) -> &'static str {
        match self {
            Pillar::Stories => "stories",
            Pillar::Numbers => "numbers",
            Pillar::Conversations => "conversations",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Pillar::Stories => "Stories",
            Pillar::Numbers => "Numbers",
            Pillar::Conversations => "Conversations",
        }
    }

    pub fn tagline(self) -> &'static str {
        match self {
            Pillar::Stories => "What we say: plan, write, approve and publish.",
            Pillar::Numbers => "What it did: measure, learn, decide.",
            Pillar::Conversations => "What others say: listen, route and answer.",
        }
    }

    pub fn parse(raw: &str) -> Result<Pillar, Invalid> {
        let norm = raw.trim().to_ascii_lowercase();
        Pillar::ALL
            .into_iter()
            .find(|p| p.as_str() == norm)
            .ok_or_else(|| {
                Invalid::new(format!(
                    "unknown pillar {}; expected stories, numbers or conversations",
                    quoted(raw)
                ))
            })
    }
}

impl std::fmt::Display for Pillar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A principle as stored. Long-form fields are Markdown source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principle {
    pub id: PrincipleId,
    /// Position in the playbook (1, 2, …); unique.
    pub number: i64,
    /// URL name, e.g. `define-clear-objectives`; unique.
    pub slug: String,
    pub pillar: Pillar,
    pub title: String,
    pub statement: String,
    pub implications: String,
    pub examples: String,
    pub case_studies: String,
    /// Examples written for one market, in its voice or language.
    pub market_examples: Vec<MarketExample>,
    /// Milliseconds since the Unix epoch of the last change.
    pub updated_at_ms: i64,
}

/// An example of a principle at work in one market.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketExample {
    pub market_id: MarketId,
    pub body: String,
}

/// Validated fields of a principle to create or update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrincipleInput {
    pub number: i64,
    pub slug: String,
    pub pillar: Pillar,
    pub title: String,
    pub statement: String,
    pub implications: String,
    pub examples: String,
    pub case_studies: String,
    pub market_examples: Vec<MarketExample>,
}

/// Largest Markdown field accepted, in characters.
pub const MAX_MARKDOWN: usize = 50_000;

/// Raw principle fields as typed into a form or sent in JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawPrinciple {
    pub number: i64,
    pub slug: Option<String>,
    pub pillar: String,
    pub title: String,
    pub statement: String,
    pub implications: String,
    pub examples: String,
    pub case_studies: String,
    pub market_examples: Vec<MarketExample>,
}

impl PrincipleInput {
    /// Validates raw fields; the error names the first bad field. An empty slug is derived from
    /// the title.
    pub fn parse(raw: &RawPrinciple) -> Result<Self, FieldError> {
        if !(1..=999).contains(&raw.number) {
            return Err(Invalid::new("must be between 1 and 999").at("number"));
        }
        let pillar = Pillar::parse(&raw.pillar).map_err(|e| e.at("pillar"))?;
        let title = text(&raw.title, 200).map_err(|e| e.at("title"))?;
        let slug = match raw.slug.as_deref().map(str::trim) {
            Some(s) if !s.is_empty() => parse_slug(s).map_err(|e| e.at("slug"))?,
            _ => slugify(&title),
        };
        if slug.is_empty() {
            return Err(Invalid::new("give a slug with letters or digits").at("slug"));
        }
        let statement = text(&raw.statement, MAX_MARKDOWN).map_err(|e| e.at("statement"))?;
        let implications =
            optional_text(&raw.implications, MAX_MARKDOWN).map_err(|e| e.at("implications"))?;
        let examples = optional_text(&raw.examples, MAX_MARKDOWN).map_err(|e| e.at("examples"))?;
        let case_studies =
            optional_text(&raw.case_studies, MAX_MARKDOWN).map_err(|e| e.at("case_studies"))?;
        let mut market_examples: Vec<MarketExample> = Vec::new();
        for ex in &raw.market_examples {
            let body =
                optional_text(&ex.body, MAX_MARKDOWN).map_err(|e| e.at("market_examples"))?;
            if body.is_empty() {
                continue;
            }
            if market_examples.iter().any(|m| m.market_id == ex.market_id) {
                return Err(Invalid::new(format!(
                    "market {} has two examples; merge them into one",
                    ex.market_id
                ))
                .at("market_examples"));
            }
            market_examples.push(MarketExample {
                market_id: ex.market_id,
                body,
            });
        }
        Ok(Self {
            number: raw.number,
            slug,
            pillar,
            title,
            statement,
            implications,
            examples,
            case_studies,
            market_examples,
        })
    }
}

/// Checks a slug: lowercase ASCII letters, digits and single hyphens, at most 80 characters.
pub fn parse_slug(raw: &str) -> Result<String, Invalid> {
    let ok = !raw.is_empty()
        && raw.len() <= 80
        && raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !raw.starts_with('-')
        && !raw.ends_with('-')
        && !raw.contains("--");
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(Invalid::new(format!(
            "{} is not a slug; use lowercase letters, digits and hyphens, e.g. define-clear-objectives",
            quoted(raw)
        )))
    }
}

/// Makes a slug from a title: ASCII letters and digits kept (lowercased), everything else a
/// hyphen, runs collapsed, at most 80 characters.
pub fn slugify(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if let Some(plain) = fold_latin(c) {
            out.push_str(plain);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.truncate(80);
    out.trim_end_matches('-').to_owned()
}

/// ASCII for the accented Latin letters common in market names and titles.
fn fold_latin(c: char) -> Option<&'static str> {
    Some(match c.to_lowercase().next().unwrap_or(c) {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => "a",
        'æ' => "ae",
        'ç' | 'č' | 'ć' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' => "e",
        'ì' | 'í' | 'î' | 'ï' => "i",
        'ñ' | 'ń' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => "o",
        'ù' | 'ú' | 'û' | 'ü' => "u",
        'ý' | 'ÿ' => "y",
        'ß' => "ss",
        'š' | 'ś' => "s",
        'ž' | 'ź' | 'ż' => "z",
        'ł' => "l",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawPrinciple {
        RawPrinciple {
            number: 5,
            slug: None,
            pillar: "numbers".into(),
            title: "Define clear objectives from the outset".into(),
            statement: "Know what success looks like.".into(),
            ..Default::default()
        }
    }

    #[test]
    fn parse_derives_slug_and_checks_fields() {
        let p = PrincipleInput::parse(&raw()).unwrap();
        assert_eq!(p.slug, "define-clear-objectives-from-the-outset");
        assert_eq!(p.pillar, Pillar::Numbers);

        let mut r = raw();
        r.pillar = "vibes".into();
        assert_eq!(PrincipleInput::parse(&r).unwrap_err().field, "pillar");
        let mut r = raw();
        r.title = "  ".into();
        assert_eq!(PrincipleInput::parse(&r).unwrap_err().field, "title");
        let mut r = raw();
        r.slug = Some("Bad Slug".into());
        assert_eq!(PrincipleInput::parse(&r).unwrap_err().field, "slug");
        let mut r = raw();
        r.number = 0;
        assert_eq!(PrincipleInput::parse(&r).unwrap_err().field, "number");
        let mut r = raw();
        r.statement = String::new();
        assert_eq!(PrincipleInput::parse(&r).unwrap_err().field, "statement");
    }

    #[test]
    fn market_examples_are_one_per_market() {
        let mut r = raw();
        r.market_examples = vec![
            MarketExample {
                market_id: MarketId(1),
                body: "a".into(),
            },
            MarketExample {
                market_id: MarketId(2),
                body: "  ".into(),
            },
            MarketExample {
                market_id: MarketId(1),
                body: "b".into(),
            },
        ];
        assert_eq!(
            PrincipleInput::parse(&r).unwrap_err().field,
            "market_examples"
        );
        r.market_examples.pop();
        assert_eq!(PrincipleInput::parse(&r).unwrap().market_examples.len(), 1);
    }

    #[test]
    fn slugify_examples() {
        assert_eq!(
            slugify("Sharing is more important than control!"),
            "sharing-is-more-important-than-control"
        );
        assert_eq!(slugify("  Ääkköset & São Paulo  "), "aakkoset-sao-paulo");
        assert_eq!(slugify("***"), "");
    }
}
