//! A compiled query as one flat block of `u32` words ([`Program`]), so verifying a candidate
//! reads one or two cache lines instead of chasing a pointer per tree node. The compiler builds
//! the tree form ([`Expr`]) first (it sorts operands by cost), then [`Program::encode`] lays
//! it out; `eval.rs` walks the layout.
//!
//! Layout: every node is `[tag, len, payload…]` where `tag` = op | aux << 8 and `len` counts
//! the node's words including these two, so a node is skipped in O(1):
//!
//! | op | aux | payload |
//! | --- | --- | --- |
//! | `AND`, `OR` | — | the operands, one node each |
//! | `NOT` | — | the operand |
//! | `PRESENT` | — | literal id |
//! | `PHRASE` | — | words |
//! | `SLOPPY` | — | slop, words |
//! | `NEAR` | ordered (0/1) | gap, left alternative count, then left and right alternatives, each `[word count, words…]` |
//! | `FIELD` | `Field as u32` | string |
//! | `RAW` | — | string |
//!
//! A word is [`WORD_LEN`] words: literal id (or `NONE`), kind | has-exact << 2 | has-glob << 3,
//! string. A string is `[offset, len]` into the program's `strs`.

use crate::ast::{Field, WordKind};

/// A predicate on one token (tree form).
#[derive(Debug, Clone)]
pub(crate) struct WordPred {
    /// Literal id of the folded word (exact match), or `NONE` for glob patterns.
    pub lit: u32,
    pub kind: WordKind,
    /// Unfolded text to compare when accent folding is off.
    pub exact: Option<Box<str>>,
    /// Wildcard pattern over the folded token.
    pub glob: Option<Box<str>>,
}

/// A compiled query expression (tree form, before [`Program::encode`]).
#[derive(Debug, Clone)]
pub(crate) enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    /// A literal (word of any kind, or a token prefix) occurs in the post.
    Present(u32),
    /// Consecutive tokens (one or more).
    Phrase(Vec<WordPred>),
    Sloppy {
        words: Vec<WordPred>,
        slop: u32,
    },
    Near {
        left: Vec<Vec<WordPred>>,
        right: Vec<Vec<WordPred>>,
        gap: u32,
        ordered: bool,
    },
    Field(Field, Box<str>),
    Raw(Box<str>),
}

pub(crate) const AND: u32 = 0;
pub(crate) const OR: u32 = 1;
pub(crate) const NOT: u32 = 2;
pub(crate) const PRESENT: u32 = 3;
pub(crate) const PHRASE: u32 = 4;
pub(crate) const SLOPPY: u32 = 5;
pub(crate) const NEAR: u32 = 6;
pub(crate) const FIELD: u32 = 7;
pub(crate) const RAW: u32 = 8;

/// Words per encoded word predicate.
pub(crate) const WORD_LEN: usize = 4;

pub(crate) const HAS_EXACT: u32 = 1 << 2;
pub(crate) const HAS_GLOB: u32 = 1 << 3;

pub(crate) const FIELDS: [Field; 5] = [
    Field::Lang,
    Field::Country,
    Field::Network,
    Field::Author,
    Field::Site,
];

/// One query's verification program: the root node at `code[0]`.
#[derive(Debug, Default)]
pub(crate) struct Program {
    pub code: Box<[u32]>,
    pub strs: Box<str>,
}

struct Encoder {
    code: Vec<u32>,
    strs: String,
}

impl Program {
    pub fn encode(e: &Expr) -> Program {
        let mut enc = Encoder {
            code: Vec::new(),
            strs: String::new(),
        };
        enc.node(e);
        Program {
            code: enc.code.into(),
            strs: enc.strs.into(),
        }
    }

    /// Approximate heap bytes.
    pub fn memory_bytes(&self) -> usize {
        self.code.len() * 4 + self.strs.len()
    }
}

impl Encoder {
    /// Open a node; returns its index for [`Encoder::close`].
    fn open(&mut self, op: u32, aux: u32) -> usize {
        let at = self.code.len();
        self.code.extend([op | aux << 8, 0]);
        at
    }

    fn close(&mut self, at: usize) {
        self.code[at + 1] = (self.code.len() - at) as u32;
    }

    fn string(&mut self, s: &str) {
        self.code.extend([self.strs.len() as u32, s.len() as u32]);
        self.strs.push_str(s);
    }

    fn word(&mut self, w: &WordPred) {
        let kind = match w.kind {
            WordKind::Any => 0,
            WordKind::Hashtag => 1,
            WordKind::Mention => 2,
        };
        let (flag, s) = match (&w.exact, &w.glob) {
            (_, Some(g)) => (HAS_GLOB, &**g),
            (Some(e), None) => (HAS_EXACT, &**e),
            (None, None) => (0, ""),
        };
        self.code.extend([w.lit, kind | flag]);
        self.string(s);
    }

    fn words(&mut self, ws: &[WordPred]) {
        for w in ws {
            self.word(w);
        }
    }

    fn node(&mut self, e: &Expr) {
        let at = match e {
            Expr::And(xs) | Expr::Or(xs) => {
                let at = self.open(if matches!(e, Expr::And(_)) { AND } else { OR }, 0);
                for x in xs {
                    self.node(x);
                }
                at
            }
            Expr::Not(x) => {
                let at = self.open(NOT, 0);
                self.node(x);
                at
            }
            Expr::Present(lit) => {
                let at = self.open(PRESENT, 0);
                self.code.push(*lit);
                at
            }
            Expr::Phrase(ws) => {
                let at = self.open(PHRASE, 0);
                self.words(ws);
                at
            }
            Expr::Sloppy { words, slop } => {
                let at = self.open(SLOPPY, 0);
                self.code.push(*slop);
                self.words(words);
                at
            }
            Expr::Near {
                left,
                right,
                gap,
                ordered,
            } => {
                let at = self.open(NEAR, u32::from(*ordered));
                self.code.extend([*gap, left.len() as u32]);
                for alt in left.iter().chain(right) {
                    self.code.push(alt.len() as u32);
                    self.words(alt);
                }
                at
            }
            Expr::Field(f, v) => {
                let at = self.open(FIELD, *f as u32);
                self.string(v);
                at
            }
            Expr::Raw(s) => {
                let at = self.open(RAW, 0);
                self.string(s);
                at
            }
        };
        self.close(at);
    }
}
