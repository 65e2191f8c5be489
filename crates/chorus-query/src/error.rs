//! Parse errors: what went wrong, where (byte span in the query), and a hint to fix it.

use std::fmt::Write as _;
use std::ops::Range;

use unicode_width::UnicodeWidthStr;

/// What went wrong while parsing a query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    #[error("the query is empty")]
    Empty,
    #[error("expected a term")]
    ExpectedTerm,
    #[error("unclosed quote")]
    UnclosedQuote,
    #[error("unclosed parenthesis")]
    UnclosedParen,
    #[error("unexpected closing parenthesis")]
    UnexpectedParen,
    #[error("{0} needs a term on both sides")]
    DanglingOperator(&'static str),
    #[error("{0} needs a number")]
    MissingDistance(&'static str),
    #[error("distance too large (at most {max})")]
    DistanceTooLarge { max: u32 },
    #[error("NEAR cannot be chained")]
    NearChain,
    #[error("NEAR operands must be words, phrases or a parenthesized OR of those")]
    BadNearOperand,
    #[error("a sloppy phrase needs at least two words")]
    SloppyTooShort,
    #[error("no searchable characters")]
    NoSearchableText,
    #[error("`{0}` must be directly followed by a term")]
    LoneSign(char),
    #[error("`*` is only allowed at the end of a word")]
    InnerStar,
    #[error("wildcard needs at least {min} characters before it")]
    WildcardPrefix { min: usize },
    #[error("wildcards apply to one word of letters and digits")]
    BadWildcardWord,
    #[error("`=` (exact accents) cannot be combined with wildcards")]
    ExactWildcard,
    #[error("empty value for field `{0}`")]
    EmptyField(&'static str),
    #[error("invalid value for field `{0}`")]
    BadFieldValue(&'static str),
    #[error("the query is too long ({len} bytes, at most {max})")]
    TooLong { len: usize, max: usize },
    #[error("the query's canonical form is too long ({len} bytes, at most {max})")]
    CanonicalTooLong { len: usize, max: usize },
    #[error("too many operands (at most {max})")]
    TooManyOperands { max: usize },
    #[error("too deeply nested (at most {max} levels)")]
    TooDeep { max: usize },
    #[error("phrase is too long (at most {max} words)")]
    PhraseTooLong { max: usize },
}

impl ErrorKind {
    /// A suggestion for fixing the query.
    pub fn hint(&self) -> &'static str {
        use ErrorKind::*;
        match self {
            Empty => "write a word, a \"phrase\" or a field such as lang:en",
            ExpectedTerm => "put a word, a \"phrase\" or a (group) here",
            UnclosedQuote => "add a closing \" at the end of the phrase",
            UnclosedParen => "add a closing ) or remove this (",
            UnexpectedParen => "remove it, or add the ( it should close",
            DanglingOperator(_) => {
                "write e.g. `nokia AND phone`; to search the word itself, quote it: \"and\""
            }
            MissingDistance(op) if op.starts_with('~') => {
                "write the slop after the phrase, e.g. \"new phone\"~3"
            }
            MissingDistance(_) => "NEAR needs a number, e.g. NEAR/3 (ONEAR/3 for in order)",
            DistanceTooLarge { .. } => {
                "use a smaller distance, or AND if order and distance do not matter"
            }
            NearChain => "split it: (a NEAR/3 b) AND (b NEAR/3 c)",
            BadNearOperand => "e.g. (nokia OR lumia) NEAR/5 \"battery life\"",
            SloppyTooShort => "a single word needs no ~n; remove it",
            NoSearchableText => {
                "words need a letter, digit or emoji; to match punctuation use raw:\"…\""
            }
            LoneSign(_) => "write -spam or +nokia without a space, or use NOT/AND",
            InnerStar => "use ? for a single character, e.g. wom?n",
            WildcardPrefix { .. } => {
                "make the part before * or ? longer, e.g. lumi* rather than lu*"
            }
            BadWildcardWord => {
                "a wildcard word is letters/digits plus ? and a final *, e.g. colo?r*"
            }
            ExactWildcard => "remove the = or the wildcard",
            EmptyField(_) => "put the value right after the colon, e.g. lang:en",
            BadFieldValue(_) => {
                "e.g. lang:en country:FI network:bluesky site:nokia.com author:nokia"
            }
            TooLong { .. } => "split it into several queries",
            CanonicalTooLong { .. } => {
                "split it into several queries (the canonical form writes every AND and quotes \
                 phrases)"
            }
            TooManyOperands { .. } => "split it into several queries",
            TooDeep { .. } => "remove redundant parentheses or NOTs",
            PhraseTooLong { .. } => "shorten the phrase or use raw:\"…\"",
        }
    }
}

/// A query that failed to parse: the kind of problem and its byte span in the query text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at byte {}", span.start)]
pub struct ParseError {
    /// What went wrong.
    pub kind: ErrorKind,
    /// Byte range of the offending part (on character boundaries; may be empty at the end).
    pub span: Range<usize>,
}

impl ParseError {
    pub(crate) fn new(kind: ErrorKind, span: Range<usize>) -> Self {
        Self { kind, span }
    }

    /// The hint for this error.
    pub fn hint(&self) -> &'static str {
        self.kind.hint()
    }

    /// Multi-line rendering: message and the character (1-based) it starts at, the query line
    /// with carets under the span, the hint.
    /// `query` must be the text that was parsed.
    pub fn render(&self, query: &str) -> String {
        let mut out = String::new();
        let start = floor_boundary(query, self.span.start);
        // People count characters, not bytes: "São" is 3 characters and 4 bytes.
        let _ = writeln!(
            out,
            "{} at character {}",
            capitalised(&self.kind.to_string()),
            query[..start].chars().count() + 1
        );
        let end = floor_boundary(query, self.span.end.max(start));
        let line_start = query[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = query[start..].find('\n').map_or(query.len(), |i| start + i);
        let shown = |s: &str| -> String {
            s.chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect()
        };
        let line = shown(&query[line_start..line_end]);
        let col = shown(&query[line_start..start]).width();
        let len = shown(&query[start..end.min(line_end)]).width().max(1);
        let _ = writeln!(out, "  {line}");
        let _ = writeln!(out, "  {}{}", " ".repeat(col), "^".repeat(len));
        let _ = write!(out, "hint: {}", self.hint());
        out
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}
