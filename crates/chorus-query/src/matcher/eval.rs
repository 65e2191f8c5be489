//! Exact evaluation of one compiled query on one tokenized post: the verification step after
//! candidate selection. Everything here reads the post's tokens and per-post literal stamps;
//! nothing allocates.

use crate::ast::{Field, WordKind};
use crate::text::{TokenKind, Tokens};

use super::Post;
use super::present::Present;

pub(crate) const NONE: u32 = u32::MAX;

/// A predicate on one token.
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

/// A compiled query expression.
#[derive(Debug, Clone)]
pub(crate) enum Expr {
    And(Box<[Expr]>),
    Or(Box<[Expr]>),
    Not(Box<Expr>),
    /// A literal (word of any kind, or a token prefix) occurs in the post.
    Present(u32),
    /// Consecutive tokens (one or more).
    Phrase(Box<[WordPred]>),
    Sloppy {
        words: Box<[WordPred]>,
        slop: u32,
    },
    Near {
        left: Box<[Box<[WordPred]>]>,
        right: Box<[Box<[WordPred]>]>,
        gap: u32,
        ordered: bool,
    },
    Field(Field, Box<str>),
    Raw(Box<str>),
}

/// What evaluation reads about the current post.
pub(crate) struct Ctx<'a> {
    pub post: &'a Post<'a>,
    pub toks: &'a Tokens,
    /// Literal id of each token's folded text (`NONE` if no query uses it).
    pub tok_lit: &'a [u32],
    /// The literals that occur in the post.
    pub present: &'a Present,
}

impl Ctx<'_> {
    fn present(&self, lit: u32) -> bool {
        self.present.contains(lit)
    }

    fn word_at(&self, w: &WordPred, i: usize) -> bool {
        let kind_ok = match w.kind {
            WordKind::Any => true,
            WordKind::Hashtag => self.toks.kind(i) == TokenKind::Hashtag,
            WordKind::Mention => self.toks.kind(i) == TokenKind::Mention,
        };
        if !kind_ok {
            return false;
        }
        if let Some(g) = &w.glob {
            return glob_match(g, self.toks.folded(i));
        }
        if self.tok_lit[i] != w.lit {
            return false;
        }
        match &w.exact {
            Some(e) => self.toks.exact(i) == &**e,
            None => true,
        }
    }

    fn could_occur(&self, w: &WordPred) -> bool {
        w.lit == NONE || self.present(w.lit)
    }

    fn phrase_at(&self, ws: &[WordPred], start: usize) -> bool {
        start + ws.len() <= self.toks.len()
            && ws
                .iter()
                .enumerate()
                .all(|(k, w)| self.word_at(w, start + k))
    }

    pub fn eval(&self, e: &Expr) -> bool {
        match e {
            Expr::And(xs) => xs.iter().all(|x| self.eval(x)),
            Expr::Or(xs) => xs.iter().any(|x| self.eval(x)),
            Expr::Not(x) => !self.eval(x),
            Expr::Present(lit) => self.present(*lit),
            Expr::Phrase(ws) => {
                if !ws.iter().all(|w| self.could_occur(w)) {
                    return false;
                }
                (0..self.toks.len()).any(|s| self.phrase_at(ws, s))
            }
            Expr::Sloppy { words, slop } => {
                words.iter().all(|w| self.could_occur(w)) && self.sloppy(words, *slop)
            }
            Expr::Near {
                left,
                right,
                gap,
                ordered,
            } => self.near(left, right, *gap, *ordered),
            Expr::Field(f, v) => field_matches(self.post, *f, v),
            Expr::Raw(s) => memchr::memmem::find(self.post.text.as_bytes(), s.as_bytes()).is_some(),
        }
    }

    /// Lucene sloppy phrase: distinct positions p_i with word i at p_i and
    /// `max(p_i - i) - min(p_i - i) <= slop`.
    fn sloppy(&self, ws: &[WordPred], slop: u32) -> bool {
        let n = self.toks.len() as i64;
        let slop = i64::from(slop);
        if ws.len() == 2 {
            for p in 0..n {
                if !self.word_at(&ws[0], p as usize) {
                    continue;
                }
                let lo = (p + 1 - slop).max(0);
                let hi = (p + 1 + slop).min(n - 1);
                for q in lo..=hi {
                    if q != p && self.word_at(&ws[1], q as usize) {
                        return true;
                    }
                }
            }
            return false;
        }
        // General case: for each candidate minimum offset b (= p - i of some occurrence),
        // word i must sit in [b + i, b + i + slop]; find distinct positions by bipartite
        // matching (Kuhn) over that window.
        let k = ws.len() as i64;
        for b in -k..n {
            let window = (b.max(0), (b + k - 1 + slop).min(n - 1));
            if window.0 > window.1 {
                continue;
            }
            // the window's minimum must actually be used: some word i at exactly b + i
            let anchored = (0..k).any(|i| {
                let p = b + i;
                p >= 0 && p < n && self.word_at(&ws[i as usize], p as usize)
            });
            if anchored && self.assign(ws, b, slop) {
                return true;
            }
        }
        false
    }

    fn assign(&self, ws: &[WordPred], b: i64, slop: i64) -> bool {
        const W: usize = 96;
        let base = b.max(0);
        let mut owner = [usize::MAX; W];
        for i in 0..ws.len() {
            let mut seen = [false; W];
            if !self.augment(ws, i, b, slop, base, &mut owner, &mut seen) {
                return false;
            }
        }
        true
    }

    #[allow(clippy::too_many_arguments)]
    fn augment(
        &self,
        ws: &[WordPred],
        i: usize,
        b: i64,
        slop: i64,
        base: i64,
        owner: &mut [usize; 96],
        seen: &mut [bool; 96],
    ) -> bool {
        let n = self.toks.len() as i64;
        let lo = (b + i as i64).max(0);
        let hi = (b + i as i64 + slop).min(n - 1);
        for p in lo..=hi {
            let slot = (p - base) as usize;
            if slot >= 96 || seen[slot] || !self.word_at(&ws[i], p as usize) {
                continue;
            }
            seen[slot] = true;
            if owner[slot] == usize::MAX
                || self.augment(ws, owner[slot], b, slop, base, owner, seen)
            {
                owner[slot] = i;
                return true;
            }
        }
        false
    }

    fn near(
        &self,
        left: &[Box<[WordPred]>],
        right: &[Box<[WordPred]>],
        gap: u32,
        ordered: bool,
    ) -> bool {
        let n = self.toks.len();
        let gap = gap as usize;
        let possible =
            |alts: &[Box<[WordPred]>]| alts.iter().any(|a| a.iter().all(|w| self.could_occur(w)));
        if !possible(left) || !possible(right) {
            return false;
        }
        for a0 in 0..n {
            for la in left.iter().filter(|la| self.phrase_at(la, a0)) {
                let a1 = a0 + la.len();
                // right after left: b0 in [a1, a1 + gap]
                for b0 in a1..=(a1 + gap).min(n) {
                    if right.iter().any(|rb| self.phrase_at(rb, b0)) {
                        return true;
                    }
                }
                if ordered {
                    continue;
                }
                // right before left: b1 = b0 + len <= a0 and a0 - b1 <= gap
                for rb in right.iter() {
                    let len = rb.len();
                    for b1 in a0.saturating_sub(gap)..=a0 {
                        if b1 >= len && self.phrase_at(rb, b1 - len) {
                            return true;
                        }
                    }
                }
            }
        }
        false
    }
}

/// `?` = one character, final `*` = any suffix; everything else literal.
pub(crate) fn glob_match(pat: &str, tok: &str) -> bool {
    let mut t = tok.chars();
    let mut p = pat.chars().peekable();
    while let Some(pc) = p.next() {
        match pc {
            '*' if p.peek().is_none() => return true,
            '?' => {
                if t.next().is_none() {
                    return false;
                }
            }
            c => {
                if t.next() != Some(c) {
                    return false;
                }
            }
        }
    }
    t.next().is_none()
}

/// Field filters on post metadata (spec §2.4). Query values are already normalized.
pub(crate) fn field_matches(post: &Post<'_>, f: Field, v: &str) -> bool {
    match f {
        Field::Lang => post.lang.is_some_and(|l| {
            l.eq_ignore_ascii_case(v)
                || (l.len() > v.len()
                    && l.as_bytes()[v.len()] == b'-'
                    && l.as_bytes()[..v.len()].eq_ignore_ascii_case(v.as_bytes()))
        }),
        Field::Country => post.country.is_some_and(|c| c.eq_ignore_ascii_case(v)),
        Field::Network => post.network.is_some_and(|c| c.eq_ignore_ascii_case(v)),
        Field::Author => post.author.is_some_and(|a| {
            let a = a.strip_prefix('@').unwrap_or(a);
            if a.is_ascii() {
                a.eq_ignore_ascii_case(v)
            } else {
                a.chars().flat_map(char::to_lowercase).eq(v.chars())
            }
        }),
        Field::Site => post.domains.iter().any(|d| domain_matches(d, v)),
    }
}

fn domain_matches(d: &str, v: &str) -> bool {
    let d = d.trim_end_matches('.');
    if d.is_ascii() {
        if d.len() < v.len() {
            return false;
        }
        let (head, tail) = d.as_bytes().split_at(d.len() - v.len());
        return tail.eq_ignore_ascii_case(v.as_bytes())
            && (head.is_empty() || head.ends_with(b"."));
    }
    let d: String = d.chars().flat_map(char::to_lowercase).collect();
    d == v || d.strip_suffix(v).is_some_and(|head| head.ends_with('.'))
}
