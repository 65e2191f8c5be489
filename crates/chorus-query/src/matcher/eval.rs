//! Exact evaluation of one compiled query ([`Program`], see `program.rs` for the layout) on
//! one tokenized post: the verification step after candidate selection. Everything here reads
//! the post's tokens and its set of present literals; nothing allocates.

use crate::ast::Field;
use crate::text::{TokenKind, Tokens};

use super::Post;
use super::present::Present;
use super::program::{
    AND, FIELD, FIELDS, HAS_EXACT, HAS_GLOB, NEAR, NOT, OR, PHRASE, PRESENT, Program, RAW, SLOPPY,
    WORD_LEN,
};

pub(crate) const NONE: u32 = u32::MAX;

/// What evaluation reads about the current post.
pub(crate) struct Ctx<'a> {
    pub post: &'a Post<'a>,
    pub toks: &'a Tokens,
    /// Literal id of each token's folded text (`NONE` if no query uses it).
    pub tok_lit: &'a [u32],
    /// The literals that occur in the post.
    pub present: &'a Present,
}

/// One query's program while it is evaluated.
#[derive(Clone, Copy)]
struct Prog<'p> {
    code: &'p [u32],
    strs: &'p str,
}

/// A sequence of encoded words (`WORD_LEN` code words each).
#[derive(Clone, Copy)]
struct Words<'p> {
    code: &'p [u32],
    strs: &'p str,
}

/// One decoded word predicate: literal, flags, and its string (`[offset, len]` in `strs`).
#[derive(Clone, Copy)]
struct WordRef<'p> {
    lit: u32,
    flags: u32,
    text: (u32, u32),
    strs: &'p str,
}

impl<'p> WordRef<'p> {
    fn text(&self) -> &'p str {
        let (a, n) = (self.text.0 as usize, self.text.1 as usize);
        self.strs.get(a..a + n).unwrap_or_default()
    }
}

impl<'p> Prog<'p> {
    fn at(&self, i: usize) -> u32 {
        self.code.get(i).copied().unwrap_or(0)
    }

    fn str_at(&self, i: usize) -> &'p str {
        let (a, n) = (self.at(i) as usize, self.at(i + 1) as usize);
        self.strs.get(a..a + n).unwrap_or_default()
    }

    /// The node at `i` as `(op, aux, payload)`.
    fn node(&self, i: usize) -> (u32, u32, &'p [u32]) {
        let tag = self.at(i);
        let len = self.at(i + 1) as usize;
        let payload = self.code.get(i + 2..i + len.max(2)).unwrap_or_default();
        (tag & 0xFF, tag >> 8, payload)
    }

    fn words(&self, code: &'p [u32]) -> Words<'p> {
        Words {
            code,
            strs: self.strs,
        }
    }
}

impl<'p> Words<'p> {
    fn len(&self) -> usize {
        self.code.len() / WORD_LEN
    }

    #[inline]
    fn get(&self, i: usize) -> WordRef<'p> {
        let w: [u32; WORD_LEN] = self
            .code
            .get(i * WORD_LEN..(i + 1) * WORD_LEN)
            .and_then(|w| w.try_into().ok())
            .unwrap_or([NONE, 0, 0, 0]);
        WordRef {
            lit: w[0],
            flags: w[1],
            text: (w[2], w[3]),
            strs: self.strs,
        }
    }

    fn iter(self) -> impl Iterator<Item = WordRef<'p>> {
        (0..self.len()).map(move |i| self.get(i))
    }
}

/// The alternatives of one NEAR side: `[word count, words…]` each.
#[derive(Clone, Copy)]
struct Alts<'p> {
    code: &'p [u32],
    count: usize,
    strs: &'p str,
}

impl<'p> Alts<'p> {
    /// The alternatives, and the code after them.
    fn split(code: &'p [u32], count: usize, strs: &'p str) -> (Alts<'p>, &'p [u32]) {
        let mut i = 0;
        for _ in 0..count {
            i += 1 + code.get(i).copied().unwrap_or(0) as usize * WORD_LEN;
        }
        let i = i.min(code.len());
        (
            Alts {
                code: &code[..i],
                count,
                strs,
            },
            &code[i..],
        )
    }

    fn iter(self) -> impl Iterator<Item = Words<'p>> + Clone {
        let mut rest = self.code;
        (0..self.count).map(move |_| {
            let n = rest.first().copied().unwrap_or(0) as usize * WORD_LEN;
            let code = rest.get(1..1 + n).unwrap_or_default();
            rest = rest.get(1 + n..).unwrap_or_default();
            Words {
                code,
                strs: self.strs,
            }
        })
    }
}

impl Ctx<'_> {
    fn present(&self, lit: u32) -> bool {
        self.present.contains(lit)
    }

    #[inline]
    fn word_at(&self, w: &WordRef<'_>, i: usize) -> bool {
        if w.flags == 0 {
            return self.tok_lit.get(i) == Some(&w.lit);
        }
        let kind_ok = match w.flags & 3 {
            0 => true,
            1 => self.toks.kind(i) == TokenKind::Hashtag,
            _ => self.toks.kind(i) == TokenKind::Mention,
        };
        if !kind_ok {
            return false;
        }
        if w.flags & HAS_GLOB != 0 {
            return glob_match(w.text(), self.toks.folded(i));
        }
        if self.tok_lit.get(i) != Some(&w.lit) {
            return false;
        }
        w.flags & HAS_EXACT == 0 || self.toks.exact(i) == w.text()
    }

    fn could_occur(&self, w: &WordRef<'_>) -> bool {
        w.lit == NONE || self.present(w.lit)
    }

    fn phrase_at(&self, ws: Words<'_>, start: usize) -> bool {
        start + ws.len() <= self.toks.len()
            && ws
                .iter()
                .enumerate()
                .all(|(k, w)| self.word_at(&w, start + k))
    }

    /// A phrase anywhere in the post.
    #[inline(never)]
    fn phrase(&self, ws: Words<'_>) -> bool {
        if !ws.iter().all(|w| self.could_occur(&w)) {
            return false;
        }
        let (len, n) = (ws.len(), self.toks.len());
        if len == 0 || len > n {
            return false;
        }
        let first = ws.get(0);
        (0..=n - len)
            .any(|s| self.word_at(&first, s) && (1..len).all(|k| self.word_at(&ws.get(k), s + k)))
    }

    /// Does the post satisfy `prog`?
    pub fn eval(&self, prog: &Program) -> bool {
        let p = Prog {
            code: &prog.code,
            strs: &prog.strs,
        };
        self.child(p, 0)
    }

    /// The node at `i`; a literal test without the call.
    #[inline(always)]
    fn child(&self, p: Prog<'_>, i: usize) -> bool {
        if p.at(i) == PRESENT {
            return self.present(p.at(i + 2));
        }
        self.node(p, i)
    }

    fn node(&self, p: Prog<'_>, i: usize) -> bool {
        let (op, aux, payload) = p.node(i);
        match op {
            AND | OR => {
                let want = op == OR;
                let mut k = i + 2;
                let end = i + 2 + payload.len();
                while k < end {
                    if self.child(p, k) == want {
                        return want;
                    }
                    k += (p.at(k + 1) as usize).max(2);
                }
                !want
            }
            NOT => !self.child(p, i + 2),
            PRESENT => self.present(payload.first().copied().unwrap_or(NONE)),
            PHRASE => self.phrase(p.words(payload)),
            SLOPPY => {
                let slop = payload.first().copied().unwrap_or(0);
                let ws = p.words(payload.get(1..).unwrap_or_default());
                ws.iter().all(|w| self.could_occur(&w)) && self.sloppy(ws, slop)
            }
            NEAR => self.near_node(p, payload, aux != 0),
            FIELD => FIELDS
                .get(aux as usize)
                .is_some_and(|&f| field_matches(self.post, f, p.str_at(i + 2))),
            RAW => raw_matches(self.post, p.str_at(i + 2)),
            _ => false,
        }
    }

    #[inline(never)]
    fn near_node(&self, p: Prog<'_>, payload: &[u32], ordered: bool) -> bool {
        let gap = payload.first().copied().unwrap_or(0);
        let n_left = payload.get(1).copied().unwrap_or(0) as usize;
        let rest = payload.get(2..).unwrap_or_default();
        let (left, rest) = Alts::split(rest, n_left, p.strs);
        let n_right = count_alts(rest);
        let (right, _) = Alts::split(rest, n_right, p.strs);
        self.near(left, right, gap, ordered)
    }

    /// Lucene sloppy phrase: distinct positions p_i with word i at p_i and
    /// `max(p_i - i) - min(p_i - i) <= slop`.
    #[inline(never)]
    fn sloppy(&self, ws: Words<'_>, slop: u32) -> bool {
        let n = self.toks.len() as i64;
        let slop = i64::from(slop);
        if ws.len() == 2 {
            let (w0, w1) = (ws.get(0), ws.get(1));
            for p in 0..n {
                if !self.word_at(&w0, p as usize) {
                    continue;
                }
                let lo = (p + 1 - slop).max(0);
                let hi = (p + 1 + slop).min(n - 1);
                for q in lo..=hi {
                    if q != p && self.word_at(&w1, q as usize) {
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
                p >= 0 && p < n && self.word_at(&ws.get(i as usize), p as usize)
            });
            if anchored && self.assign(ws, b, slop) {
                return true;
            }
        }
        false
    }

    fn assign(&self, ws: Words<'_>, b: i64, slop: i64) -> bool {
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
        ws: Words<'_>,
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
        let w = ws.get(i);
        for p in lo..=hi {
            let slot = (p - base) as usize;
            if slot >= 96 || seen[slot] || !self.word_at(&w, p as usize) {
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

    fn near(&self, left: Alts<'_>, right: Alts<'_>, gap: u32, ordered: bool) -> bool {
        let n = self.toks.len();
        let gap = gap as usize;
        let possible = |alts: Alts<'_>| alts.iter().any(|a| a.iter().all(|w| self.could_occur(&w)));
        if !possible(left) || !possible(right) {
            return false;
        }
        for a0 in 0..n {
            for la in left.iter().filter(|la| self.phrase_at(*la, a0)) {
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

#[inline(never)]
fn raw_matches(post: &Post<'_>, s: &str) -> bool {
    memchr::memmem::find(post.text.as_bytes(), s.as_bytes()).is_some()
}

/// How many `[word count, words…]` alternatives `code` holds.
fn count_alts(code: &[u32]) -> usize {
    let (mut i, mut k) = (0, 0);
    while let Some(&n) = code.get(i) {
        i += 1 + n as usize * WORD_LEN;
        k += 1;
    }
    k
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
#[inline(never)]
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
