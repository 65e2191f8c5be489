//! Recursive-descent parser: lexical items → [`Node`]. Grammar (spec §3):
//!
//! ```text
//! or      := and ( OR and )*
//! and     := unary ( [AND] unary )*
//! unary   := (NOT | '-') unary | '+' unary | near
//! near    := primary [ (NEAR/n | ONEAR/n) primary ]
//! primary := '(' or ')' | ['='] word | ['='] "quoted"[~n] | field:value
//! ```
//! Depth and operand counts are bounded, so recursion cannot overflow the stack.

use std::ops::Range;

use crate::ast::{Field, Node, Word, WordKind};
use crate::error::{ErrorKind, ParseError};
use crate::lexer::{Item, Lex, lex};
use crate::text::{TokenKind, Tokens, fold_accents, is_unspaced, normalize_into, tokenize};

/// Longest accepted query, in bytes.
pub const MAX_QUERY_BYTES: usize = 4096;
/// Most operands (words, phrases, fields) in one query.
pub const MAX_OPERANDS: usize = 256;
/// Deepest nesting of parentheses and NOTs.
pub const MAX_DEPTH: usize = 32;
/// Most words in one phrase.
pub const MAX_PHRASE_WORDS: usize = 16;
/// Fewest characters before the first wildcard.
pub const MIN_WILDCARD_PREFIX: usize = 3;

/// Parse a query (spec: `docs/query-language.md`).
pub fn parse(query: &str) -> Result<Node, ParseError> {
    if query.len() > MAX_QUERY_BYTES {
        return Err(ParseError::new(
            ErrorKind::TooLong {
                len: query.len(),
                max: MAX_QUERY_BYTES,
            },
            MAX_QUERY_BYTES..query.len(),
        ));
    }
    let items = lex(query)?;
    if items.is_empty() {
        return Err(ParseError::new(ErrorKind::Empty, 0..query.len()));
    }
    let mut p = Parser {
        items,
        pos: 0,
        depth: 0,
        operands: 0,
        len: query.len(),
        toks: Tokens::new(),
    };
    let node = p.or()?;
    if let Some(item) = p.items.get(p.pos) {
        let kind = match item.lex {
            Lex::RParen => ErrorKind::UnexpectedParen,
            _ => ErrorKind::ExpectedTerm,
        };
        return Err(ParseError::new(kind, item.span.clone()));
    }
    // The canonical form writes every AND and OR in parentheses, where the query may have
    // relied on precedence (`a OR b c`): it must stay within the limit too, or it would not
    // parse back.
    if printed_depth(&node) > MAX_DEPTH {
        return Err(ParseError::new(
            ErrorKind::TooDeep { max: MAX_DEPTH },
            0..query.len(),
        ));
    }
    // Likewise its length: the canonical form spells out every AND, quotes phrases and writes
    // what NFKC made of the text (`¾` is `3⁄4`), so a query under the limit may print over it.
    let printed = printed_len(&node);
    if printed > MAX_QUERY_BYTES {
        return Err(ParseError::new(
            ErrorKind::CanonicalTooLong {
                len: printed,
                max: MAX_QUERY_BYTES,
            },
            0..query.len(),
        ));
    }
    Ok(node)
}

/// Bytes of the canonical form (`Display`), counted without building the string.
fn printed_len(node: &Node) -> usize {
    struct Count(usize);
    impl std::fmt::Write for Count {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0 += s.len();
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing to a counter cannot fail.
    let _ = std::fmt::Write::write_fmt(&mut count, format_args!("{node}"));
    count.0
}

/// How deep the canonical form (`Display`) nests parentheses and NOTs, counted as the parser
/// counts them.
fn printed_depth(node: &Node) -> usize {
    match node {
        Node::And(xs) | Node::Or(xs) => 1 + xs.iter().map(printed_depth).max().unwrap_or(0),
        Node::Not(x) => 1 + printed_depth(x),
        Node::Near { left, right, .. } => usize::from(left.len() > 1 || right.len() > 1),
        Node::Phrase(_) | Node::Sloppy { .. } | Node::Field { .. } | Node::Raw(_) => 0,
    }
}

struct Parser {
    items: Vec<Item>,
    pos: usize,
    depth: usize,
    operands: usize,
    len: usize,
    toks: Tokens,
}

impl Parser {
    fn peek(&self) -> Option<&Item> {
        self.items.get(self.pos)
    }

    fn end_span(&self) -> Range<usize> {
        self.len..self.len
    }

    fn here(&self) -> Range<usize> {
        self.peek()
            .map_or_else(|| self.end_span(), |i| i.span.clone())
    }

    fn or(&mut self) -> Result<Node, ParseError> {
        let mut xs = vec![self.and()?];
        while matches!(self.peek().map(|i| &i.lex), Some(Lex::Or)) {
            self.pos += 1;
            xs.push(self.and()?);
        }
        Ok(flatten(xs, false))
    }

    fn and(&mut self) -> Result<Node, ParseError> {
        let mut xs = vec![self.unary()?];
        loop {
            match self.peek().map(|i| &i.lex) {
                Some(Lex::And) => {
                    self.pos += 1;
                    xs.push(self.unary()?);
                }
                Some(Lex::Or | Lex::RParen) | None => break,
                Some(_) => xs.push(self.unary()?),
            }
        }
        Ok(flatten(xs, true))
    }

    fn enter(&mut self, span: Range<usize>) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ParseError::new(ErrorKind::TooDeep { max: MAX_DEPTH }, span));
        }
        Ok(())
    }

    fn unary(&mut self) -> Result<Node, ParseError> {
        let Some(item) = self.peek() else {
            return Err(ParseError::new(ErrorKind::ExpectedTerm, self.end_span()));
        };
        let span = item.span.clone();
        match item.lex {
            Lex::Not | Lex::Minus => {
                self.pos += 1;
                self.enter(span)?;
                let inner = self.unary()?;
                self.depth -= 1;
                Ok(Node::Not(Box::new(inner)))
            }
            Lex::Plus => {
                self.pos += 1;
                self.unary()
            }
            _ => self.near(),
        }
    }

    fn near(&mut self) -> Result<Node, ParseError> {
        let start = self.here();
        let left = self.primary()?;
        let Some(Item {
            lex: Lex::Near { gap, ordered },
            span: op_span,
            ..
        }) = self.peek().cloned()
        else {
            return Ok(left);
        };
        self.pos += 1;
        let right_span = self.here();
        let right = self.primary()?;
        if let Some(Item {
            lex: Lex::Near { .. },
            span,
            ..
        }) = self.peek()
        {
            return Err(ParseError::new(ErrorKind::NearChain, span.clone()));
        }
        let left = near_operand(left).ok_or_else(|| {
            ParseError::new(ErrorKind::BadNearOperand, start.start..op_span.start)
        })?;
        let right = near_operand(right)
            .ok_or_else(|| ParseError::new(ErrorKind::BadNearOperand, right_span))?;
        Ok(Node::Near {
            left,
            right,
            gap,
            ordered,
        })
    }

    fn count_operand(&mut self, span: &Range<usize>) -> Result<(), ParseError> {
        self.operands += 1;
        if self.operands > MAX_OPERANDS {
            return Err(ParseError::new(
                ErrorKind::TooManyOperands { max: MAX_OPERANDS },
                span.clone(),
            ));
        }
        Ok(())
    }

    fn primary(&mut self) -> Result<Node, ParseError> {
        let Some(item) = self.peek().cloned() else {
            return Err(ParseError::new(ErrorKind::ExpectedTerm, self.end_span()));
        };
        self.pos += 1;
        match item.lex {
            Lex::LParen => {
                self.enter(item.span.clone())?;
                if matches!(self.peek().map(|i| &i.lex), Some(Lex::RParen)) {
                    return Err(ParseError::new(ErrorKind::ExpectedTerm, self.here()));
                }
                let inner = self.or()?;
                self.depth -= 1;
                match self.peek() {
                    Some(Item {
                        lex: Lex::RParen, ..
                    }) => {
                        self.pos += 1;
                        Ok(inner)
                    }
                    _ => Err(ParseError::new(ErrorKind::UnclosedParen, item.span)),
                }
            }
            Lex::RParen => Err(ParseError::new(ErrorKind::UnexpectedParen, item.span)),
            Lex::And => Err(ParseError::new(
                ErrorKind::DanglingOperator("AND"),
                item.span,
            )),
            Lex::Or => Err(ParseError::new(
                ErrorKind::DanglingOperator("OR"),
                item.span,
            )),
            Lex::Not | Lex::Minus | Lex::Plus => {
                Err(ParseError::new(ErrorKind::ExpectedTerm, item.span))
            }
            Lex::Near { ordered, .. } => Err(ParseError::new(
                ErrorKind::DanglingOperator(if ordered { "ONEAR" } else { "NEAR" }),
                item.span,
            )),
            Lex::Exact => {
                let Some(next) = self.peek().cloned() else {
                    return Err(ParseError::new(ErrorKind::LoneSign('='), item.span));
                };
                self.pos += 1;
                let span = item.span.start..next.span.end;
                match next.lex {
                    Lex::Word(w) if split_field(&w).is_none() => self.word(&w, true, span),
                    Lex::Quoted(t, slop) => self.quoted(&t, slop, true, span),
                    _ => Err(ParseError::new(ErrorKind::ExpectedTerm, next.span)),
                }
            }
            Lex::Quoted(t, slop) => self.quoted(&t, slop, false, item.span),
            Lex::Word(w) => match split_field(&w) {
                Some((field, value)) => self.field(field, value, item.span),
                None => self.word(&w, false, item.span),
            },
        }
    }

    fn field(
        &mut self,
        field: &'static str,
        value: &str,
        span: Range<usize>,
    ) -> Result<Node, ParseError> {
        self.count_operand(&span)?;
        let (value, span) = if value.is_empty() {
            match self.peek().cloned() {
                Some(Item {
                    lex: Lex::Quoted(t, None),
                    span: qs,
                    glued: true,
                }) => {
                    self.pos += 1;
                    (t, span.start..qs.end)
                }
                _ => return Err(ParseError::new(ErrorKind::EmptyField(field), span)),
            }
        } else {
            (value.to_owned(), span)
        };
        field_node(field, &value).map_err(|k| ParseError::new(k, span))
    }

    fn quoted(
        &mut self,
        text: &str,
        slop: Option<u32>,
        exact: bool,
        span: Range<usize>,
    ) -> Result<Node, ParseError> {
        self.count_operand(&span)?;
        let words = self.words_of(text, exact, &span)?;
        match slop {
            None => Ok(Node::Phrase(words)),
            Some(_) if words.len() < 2 => Err(ParseError::new(ErrorKind::SloppyTooShort, span)),
            Some(slop) => Ok(Node::Sloppy { words, slop }),
        }
    }

    fn word(&mut self, w: &str, exact: bool, span: Range<usize>) -> Result<Node, ParseError> {
        self.count_operand(&span)?;
        if w.contains(['*', '?']) {
            if exact {
                return Err(ParseError::new(ErrorKind::ExactWildcard, span));
            }
            return wildcard(w, span).map(|w| Node::Phrase(vec![w]));
        }
        Ok(Node::Phrase(self.words_of(w, exact, &span)?))
    }

    fn words_of(
        &mut self,
        text: &str,
        exact: bool,
        span: &Range<usize>,
    ) -> Result<Vec<Word>, ParseError> {
        tokenize(text, &mut self.toks);
        if self.toks.is_empty() {
            return Err(ParseError::new(ErrorKind::NoSearchableText, span.clone()));
        }
        if self.toks.len() > MAX_PHRASE_WORDS {
            return Err(ParseError::new(
                ErrorKind::PhraseTooLong {
                    max: MAX_PHRASE_WORDS,
                },
                span.clone(),
            ));
        }
        Ok((0..self.toks.len())
            .map(|i| Word {
                text: if exact {
                    self.toks.exact(i)
                } else {
                    self.toks.folded(i)
                }
                .to_owned(),
                kind: match self.toks.kind(i) {
                    TokenKind::Hashtag => WordKind::Hashtag,
                    TokenKind::Mention => WordKind::Mention,
                    TokenKind::Word | TokenKind::Emoji => WordKind::Any,
                },
                exact_accents: exact,
                wildcard: false,
            })
            .collect())
    }
}

fn flatten(xs: Vec<Node>, and: bool) -> Node {
    if xs.len() == 1 {
        if let Some(x) = xs.into_iter().next() {
            return x;
        }
        return Node::And(Vec::new());
    }
    let mut out = Vec::with_capacity(xs.len());
    for x in xs {
        match x {
            Node::And(inner) if and => out.extend(inner),
            Node::Or(inner) if !and => out.extend(inner),
            x => out.push(x),
        }
    }
    if and { Node::And(out) } else { Node::Or(out) }
}

fn near_operand(n: Node) -> Option<Vec<Vec<Word>>> {
    match n {
        Node::Phrase(ws) => Some(vec![ws]),
        Node::Or(xs) => xs
            .into_iter()
            .map(|x| match x {
                Node::Phrase(ws) => Some(ws),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

const FIELDS: [&str; 7] = ["lang", "country", "network", "author", "site", "url", "raw"];

fn split_field(w: &str) -> Option<(&'static str, &str)> {
    let (name, value) = w.split_once(':')?;
    let f = FIELDS.iter().find(|f| f.eq_ignore_ascii_case(name))?;
    Some((f, value))
}

fn field_node(field: &'static str, value: &str) -> Result<Node, ErrorKind> {
    let code = |f: Field, upper: bool| -> Result<Node, ErrorKind> {
        let ok = !value.is_empty()
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok {
            return Err(if value.is_empty() {
                ErrorKind::EmptyField(field)
            } else {
                ErrorKind::BadFieldValue(field)
            });
        }
        let v = if upper {
            value.to_ascii_uppercase()
        } else {
            value.to_ascii_lowercase()
        };
        Ok(Node::Field { field: f, value: v })
    };
    match field {
        "lang" => code(Field::Lang, false),
        "country" => code(Field::Country, true),
        "network" => code(Field::Network, false),
        "author" => {
            let v: String = value
                .trim()
                .trim_start_matches('@')
                .chars()
                .flat_map(char::to_lowercase)
                .collect();
            if v.is_empty() {
                return Err(ErrorKind::EmptyField(field));
            }
            Ok(Node::Field {
                field: Field::Author,
                value: v,
            })
        }
        "site" | "url" => {
            let v = value.trim();
            let v = v.split_once("://").map_or(v, |(_, rest)| rest);
            let v = v.split(['/', '?', '#']).next().unwrap_or("");
            let v: String = v
                .trim_end_matches('.')
                .chars()
                .flat_map(char::to_lowercase)
                .collect();
            if v.is_empty() {
                return Err(ErrorKind::EmptyField(field));
            }
            if v.contains(char::is_whitespace) || v.starts_with('.') {
                return Err(ErrorKind::BadFieldValue(field));
            }
            Ok(Node::Field {
                field: Field::Site,
                value: v,
            })
        }
        _ => {
            if value.is_empty() {
                return Err(ErrorKind::EmptyField("raw"));
            }
            Ok(Node::Raw(value.to_owned()))
        }
    }
}

fn wildcard(w: &str, span: Range<usize>) -> Result<Word, ParseError> {
    let (kind, body) = match w.chars().next() {
        Some('#') => (WordKind::Hashtag, &w[1..]),
        Some('@') => (WordKind::Mention, &w[1..]),
        _ => (WordKind::Any, w),
    };
    let err = |k| Err(ParseError::new(k, span.clone()));
    let stars = body.matches('*').count();
    if stars > 1 || (stars == 1 && !body.ends_with('*')) {
        return err(ErrorKind::InnerStar);
    }
    if !body
        .chars()
        .all(|c| c == '*' || c == '?' || (c.is_alphanumeric() && !is_unspaced(c)))
    {
        return err(ErrorKind::BadWildcardWord);
    }
    let mut norm = String::new();
    normalize_into(body, &mut norm);
    let mut text = String::new();
    fold_accents(&norm, &mut text);
    let prefix = text.chars().take_while(|&c| c != '*' && c != '?').count();
    if prefix < MIN_WILDCARD_PREFIX {
        return err(ErrorKind::WildcardPrefix {
            min: MIN_WILDCARD_PREFIX,
        });
    }
    // Judged again after NFKC, which may turn a character into one of a script without spaces
    // (U+3194 ㆔ becomes the ideograph 三): the canonical form prints the normalized word, and
    // it must read back (found by fuzzing the parser).
    if !text
        .chars()
        .all(|c| c == '*' || c == '?' || (c.is_alphanumeric() && !is_unspaced(c)))
    {
        return err(ErrorKind::BadWildcardWord);
    }
    Ok(Word {
        text,
        kind,
        exact_accents: false,
        wildcard: true,
    })
}

#[cfg(test)]
mod tests;
