//! Query text → lexical items with byte spans. Never panics: every index comes from
//! `char_indices` or is checked against the string length.

use std::ops::Range;

use crate::error::{ErrorKind, ParseError};

/// Largest `NEAR/n` or `~n`.
pub const MAX_DISTANCE: u32 = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lex {
    LParen,
    RParen,
    /// Quoted text (without the quotes) and an optional `~n` slop.
    Quoted(String, Option<u32>),
    /// A bare word, possibly `field:value` or `field:` directly before a quote.
    Word(String),
    And,
    Or,
    Not,
    Near {
        gap: u32,
        ordered: bool,
    },
    Minus,
    Plus,
    /// `=` before a word or quote: exact accents.
    Exact,
}

#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub lex: Lex,
    pub span: Range<usize>,
    /// No whitespace between this item and the previous one.
    pub glued: bool,
}

fn is_word_end(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '"')
}

pub(crate) fn lex(q: &str) -> Result<Vec<Item>, ParseError> {
    let mut out: Vec<Item> = Vec::new();
    let mut it = q.char_indices().peekable();
    let mut prev_end = usize::MAX;
    while let Some(&(i, c)) = it.peek() {
        if c.is_whitespace() {
            it.next();
            continue;
        }
        let glued = prev_end == i;
        let item = match c {
            '(' => {
                it.next();
                Item {
                    lex: Lex::LParen,
                    span: i..i + 1,
                    glued,
                }
            }
            ')' => {
                it.next();
                Item {
                    lex: Lex::RParen,
                    span: i..i + 1,
                    glued,
                }
            }
            '"' => {
                it.next();
                let mut end = None;
                for (j, d) in it.by_ref() {
                    if d == '"' {
                        end = Some(j);
                        break;
                    }
                }
                let Some(end) = end else {
                    return Err(ParseError::new(ErrorKind::UnclosedQuote, i..q.len()));
                };
                let text = q[i + 1..end].to_owned();
                let mut stop = end + 1;
                let mut slop = None;
                if let Some(&(t, '~')) = it.peek() {
                    it.next();
                    let mut digits = String::new();
                    let mut last = t + 1;
                    while let Some(&(j, d)) = it.peek() {
                        if d.is_ascii_digit() {
                            digits.push(d);
                            last = j + 1;
                            it.next();
                        } else {
                            break;
                        }
                    }
                    let n = parse_distance(&digits, "~n", t..last)?;
                    slop = Some(n);
                    stop = last;
                }
                Item {
                    lex: Lex::Quoted(text, slop),
                    span: i..stop,
                    glued,
                }
            }
            '-' | '+' | '=' => {
                it.next();
                match it.peek() {
                    Some(&(_, d)) if !d.is_whitespace() && d != ')' => {}
                    _ => return Err(ParseError::new(ErrorKind::LoneSign(c), i..i + 1)),
                }
                let lex = match c {
                    '-' => Lex::Minus,
                    '+' => Lex::Plus,
                    _ => Lex::Exact,
                };
                Item {
                    lex,
                    span: i..i + 1,
                    glued,
                }
            }
            _ => {
                let mut end = q.len();
                while let Some(&(j, d)) = it.peek() {
                    if is_word_end(d) {
                        end = j;
                        break;
                    }
                    it.next();
                }
                let w = &q[i..end];
                Item {
                    lex: classify_word(w, i..end)?,
                    span: i..end,
                    glued,
                }
            }
        };
        prev_end = item.span.end;
        out.push(item);
    }
    Ok(out)
}

fn classify_word(w: &str, span: Range<usize>) -> Result<Lex, ParseError> {
    if w.eq_ignore_ascii_case("and") || w == "&&" {
        return Ok(Lex::And);
    }
    if w.eq_ignore_ascii_case("or") || w == "||" {
        return Ok(Lex::Or);
    }
    if w.eq_ignore_ascii_case("not") {
        return Ok(Lex::Not);
    }
    for (name, ordered) in [("onear", true), ("near", false)] {
        let Some(head) = w.get(..name.len()) else {
            continue;
        };
        if !head.eq_ignore_ascii_case(name) {
            continue;
        }
        let rest = &w[name.len()..];
        let op = if ordered { "ONEAR" } else { "NEAR" };
        if rest.is_empty() {
            // `NEAR` in capitals is a mistyped operator; `near` in any other case is a word.
            if head == op {
                return Err(ParseError::new(ErrorKind::MissingDistance(op), span));
            }
            continue;
        }
        if let Some(num) = rest.strip_prefix('/') {
            if num.chars().all(|c| c.is_ascii_digit()) {
                let gap = parse_distance(num, op, span)?;
                return Ok(Lex::Near { gap, ordered });
            }
            return Err(ParseError::new(ErrorKind::MissingDistance(op), span));
        }
    }
    Ok(Lex::Word(w.to_owned()))
}

fn parse_distance(digits: &str, op: &'static str, span: Range<usize>) -> Result<u32, ParseError> {
    if digits.is_empty() {
        return Err(ParseError::new(ErrorKind::MissingDistance(op), span));
    }
    match digits.parse::<u32>() {
        Ok(n) if n <= MAX_DISTANCE => Ok(n),
        _ => Err(ParseError::new(
            ErrorKind::DistanceTooLarge { max: MAX_DISTANCE },
            span,
        )),
    }
}
