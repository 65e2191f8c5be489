//! The parsed form of a query. Words are already normalized (spec §1), so evaluating the tree
//! needs no further text processing of the query. `Display` prints canonical query syntax that
//! parses back to the same tree; [`Node::tree`] prints an indented tree for humans.

use std::fmt::{self, Write as _};

/// Which token kinds a query word matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WordKind {
    /// Any token: a word, a hashtag, a mention or an emoji.
    Any,
    /// Only hashtag tokens (`#word`).
    Hashtag,
    /// Only mention tokens (`@name`).
    Mention,
}

/// One query word: a normalized token, or a wildcard pattern over one token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Word {
    /// Normalized text: accent-folded, or lowercase-only when `exact_accents`.
    /// With `wildcard`, `?` stands for one character and a final `*` for any suffix.
    pub text: String,
    /// Which token kinds it matches.
    pub kind: WordKind,
    /// Accent folding off (`=word`): compare against the unfolded token.
    pub exact_accents: bool,
    /// `text` is a wildcard pattern.
    pub wildcard: bool,
}

/// A metadata field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// `lang:` — the post's language code.
    Lang,
    /// `country:` — the post's country code.
    Country,
    /// `network:` — the post's network.
    Network,
    /// `author:` — the post's author handle.
    Author,
    /// `site:` / `url:` — a link domain (or subdomain of it).
    Site,
}

impl Field {
    /// The field's name in query syntax.
    pub fn name(self) -> &'static str {
        match self {
            Field::Lang => "lang",
            Field::Country => "country",
            Field::Network => "network",
            Field::Author => "author",
            Field::Site => "site",
        }
    }
}

/// A query expression.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Node {
    /// All must match.
    And(Vec<Node>),
    /// At least one must match.
    Or(Vec<Node>),
    /// Must not match.
    Not(Box<Node>),
    /// Consecutive tokens in order; one word is a plain term.
    Phrase(Vec<Word>),
    /// Lucene sloppy phrase `"…"~slop`.
    Sloppy {
        /// At least two words.
        words: Vec<Word>,
        /// Maximum total displacement.
        slop: u32,
    },
    /// `left NEAR/gap right` (or ONEAR when `ordered`). Each side is a list of alternative
    /// phrases (a single word is a one-word phrase).
    Near {
        left: Vec<Vec<Word>>,
        right: Vec<Vec<Word>>,
        /// Maximum number of tokens between the two sides.
        gap: u32,
        /// Left must come before right.
        ordered: bool,
    },
    /// A metadata filter; `value` is normalized (see the spec's field table).
    Field { field: Field, value: String },
    /// Case-sensitive substring of the original text.
    Raw(String),
}

const OPERATOR_WORDS: [&str; 3] = ["and", "or", "not"];

fn fmt_word(w: &Word, f: &mut fmt::Formatter<'_>, in_phrase: bool) -> fmt::Result {
    let sign = match w.kind {
        WordKind::Any => "",
        WordKind::Hashtag => "#",
        WordKind::Mention => "@",
    };
    let needs_quotes = !w.wildcard
        && (OPERATOR_WORDS.contains(&w.text.as_str())
            || w.text.contains(':')
            || w.text.starts_with(['-', '+', '='])
            || near_like(&w.text));
    if in_phrase || !needs_quotes {
        write!(f, "{sign}{}", w.text)
    } else {
        write!(f, "\"{sign}{}\"", w.text)
    }
}

fn near_like(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    l.starts_with("near") || l.starts_with("onear")
}

fn fmt_seq(ws: &[Word], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if ws.iter().any(|w| w.exact_accents) {
        f.write_char('=')?;
    }
    if ws.len() == 1 {
        return fmt_word(&ws[0], f, false);
    }
    f.write_char('"')?;
    for (i, w) in ws.iter().enumerate() {
        if i > 0 {
            f.write_char(' ')?;
        }
        fmt_word(w, f, true)?;
    }
    f.write_char('"')
}

fn fmt_alts(alts: &[Vec<Word>], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if alts.len() == 1 {
        return fmt_seq(&alts[0], f);
    }
    f.write_char('(')?;
    for (i, a) in alts.iter().enumerate() {
        if i > 0 {
            f.write_str(" OR ")?;
        }
        fmt_seq(a, f)?;
    }
    f.write_char(')')
}

fn quote_value(v: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if v.is_empty() || v.contains([' ', '"', '(', ')']) || v.chars().any(char::is_whitespace) {
        write!(f, "\"{v}\"")
    } else {
        f.write_str(v)
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::And(xs) | Node::Or(xs) => {
                let op = if matches!(self, Node::And(_)) {
                    " AND "
                } else {
                    " OR "
                };
                f.write_char('(')?;
                for (i, x) in xs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(op)?;
                    }
                    write!(f, "{x}")?;
                }
                f.write_char(')')
            }
            Node::Not(x) => write!(f, "NOT {x}"),
            Node::Phrase(ws) => fmt_seq(ws, f),
            Node::Sloppy { words, slop } => {
                if words.iter().any(|w| w.exact_accents) {
                    f.write_char('=')?;
                }
                f.write_char('"')?;
                for (i, w) in words.iter().enumerate() {
                    if i > 0 {
                        f.write_char(' ')?;
                    }
                    fmt_word(w, f, true)?;
                }
                write!(f, "\"~{slop}")
            }
            Node::Near {
                left,
                right,
                gap,
                ordered,
            } => {
                fmt_alts(left, f)?;
                write!(f, " {}/{gap} ", if *ordered { "ONEAR" } else { "NEAR" })?;
                fmt_alts(right, f)
            }
            Node::Field { field, value } => {
                write!(f, "{}:", field.name())?;
                quote_value(value, f)
            }
            Node::Raw(s) => write!(f, "raw:\"{s}\""),
        }
    }
}

impl Node {
    /// An indented tree, one node per line, for `chorus query check`.
    pub fn tree(&self) -> String {
        let mut out = String::new();
        self.tree_into(&mut out, "", "");
        out
    }

    fn tree_into(&self, out: &mut String, first: &str, rest: &str) {
        let label = match self {
            Node::And(_) => "AND".to_owned(),
            Node::Or(_) => "OR".to_owned(),
            Node::Not(_) => "NOT".to_owned(),
            Node::Phrase(ws) if ws.len() == 1 => describe_word(&ws[0]),
            Node::Phrase(ws) => format!("PHRASE {}", describe_words(ws)),
            Node::Sloppy { words, slop } => {
                format!("SLOPPY PHRASE ~{slop} {}", describe_words(words))
            }
            Node::Near {
                left,
                right,
                gap,
                ordered,
            } => format!(
                "{}/{gap} {} | {}",
                if *ordered { "ONEAR" } else { "NEAR" },
                left.iter()
                    .map(|s| describe_words(s))
                    .collect::<Vec<_>>()
                    .join(" OR "),
                right
                    .iter()
                    .map(|s| describe_words(s))
                    .collect::<Vec<_>>()
                    .join(" OR ")
            ),
            Node::Field { field, value } => format!("FIELD {} = {value:?}", field.name()),
            Node::Raw(s) => format!("RAW {s:?} (case-sensitive substring)"),
        };
        let _ = writeln!(out, "{first}{label}");
        let kids: &[Node] = match self {
            Node::And(xs) | Node::Or(xs) => xs,
            Node::Not(x) => std::slice::from_ref(x.as_ref()),
            _ => &[],
        };
        for (i, k) in kids.iter().enumerate() {
            let last = i + 1 == kids.len();
            let (f, r) = if last {
                ("└─ ", "   ")
            } else {
                ("├─ ", "│  ")
            };
            k.tree_into(out, &format!("{rest}{f}"), &format!("{rest}{r}"));
        }
    }
}

fn describe_word(w: &Word) -> String {
    let what = match (w.wildcard, w.kind) {
        (true, _) => "WILDCARD",
        (false, WordKind::Hashtag) => "HASHTAG",
        (false, WordKind::Mention) => "MENTION",
        (false, WordKind::Any) => "WORD",
    };
    let sign = match w.kind {
        WordKind::Any => "",
        WordKind::Hashtag => "#",
        WordKind::Mention => "@",
    };
    let exact = if w.exact_accents {
        " (exact accents)"
    } else {
        ""
    };
    format!("{what} {sign}{}{exact}", w.text)
}

fn describe_words(ws: &[Word]) -> String {
    let inner: Vec<String> = ws
        .iter()
        .map(|w| {
            let sign = match w.kind {
                WordKind::Any => "",
                WordKind::Hashtag => "#",
                WordKind::Mention => "@",
            };
            format!("{}{sign}{}", if w.exact_accents { "=" } else { "" }, w.text)
        })
        .collect();
    format!("\"{}\"", inner.join(" "))
}
