//! Query tree → verification program ([`Program`]) + anchor groups for candidate selection.
//!
//! Anchors: a *group* is a set of literals at least one of which must occur in any post the
//! query matches. A query is indexed under up to [`MAX_GROUPS`] groups that are all required
//! (the conjuncts of its top-level AND); a post makes it a candidate only when every group was
//! hit. Literals are interned with reference counts so queries can be removed.

use std::borrow::Cow;

pub(crate) type Map<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

use super::eval::NONE;
use super::program::{Expr, Program, WordPred};
use super::strmap::{StrMap, inline_key};
use crate::ast::{Field, Node, Word, WordKind};
use crate::text::fold_accents;

/// Most anchor groups per query (one bit each in the per-post hit mask).
pub(crate) const MAX_GROUPS: usize = 8;
/// Prefix anchors are cut to this many bytes (a shorter prefix is still implied).
pub(crate) const MAX_PREFIX_BYTES: usize = 31;
/// Every prefix literal has at least this many bytes (3 characters).
const MIN_PREFIX_BYTES: usize = 3;
const HEAD_BITS: u32 = 16;

/// Bits of the prefix filter (see `Literals::prefix_filter`).
const FILTER_BITS: u32 = 18;

/// Hash of the first [`MIN_PREFIX_BYTES`] bytes of `b` (which has at least that many).
fn head(b: &[u8]) -> usize {
    let x = u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16;
    (x.wrapping_mul(0x9E37_79B1) >> (32 - HEAD_BITS)) as usize
}

/// A literal as stored (owned) in the table.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum LitKey {
    Token(Box<str>),
    Prefix(Box<str>),
    Meta(Field, Box<str>),
}

/// A literal as the compiler sees it (borrowed from the query tree where possible).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LitRef<'a> {
    Token(Cow<'a, str>),
    Prefix(&'a str),
    Meta(Field, &'a str),
}

/// The interned literals of all registered queries and their posting lists.
#[derive(Debug, Default)]
pub(crate) struct Literals {
    pub tokens: StrMap,
    pub prefixes: StrMap,
    /// Per field (`Field as usize`): metadata value → literal.
    pub meta: [Map<Box<str>, u32>; 5],
    /// Per hash of the first [`MIN_PREFIX_BYTES`] bytes: bit `L` set when a prefix literal of
    /// `L` bytes has that head. A token is looked up only at those lengths.
    head_lens: Vec<u32>,
    /// How many prefix literals have each (head, length); maintains `head_lens` on removal.
    head_len_count: Map<(u32, u8), u32>,
    /// One bit per [`FILTER_BITS`]-bit slice of the hash of each inline prefix key: a lookup
    /// whose bit is clear cannot succeed (32 KiB, so it stays in cache).
    prefix_filter: Vec<u64>,
    /// How many prefix literals set each filter bit; maintains `prefix_filter` on removal.
    prefix_filter_count: Map<u32, u32>,
    keys: Vec<Option<LitKey>>,
    refs: Vec<u32>,
    free: Vec<u32>,
    /// Per literal: one entry per query whose *first* (rarest) anchor group holds it, each
    /// `[slot, n, other groups…]` with the query's other groups inline (`n` words of
    /// `[len, lit, lit, …]` per group), so checking a candidate reads nothing else. Only these
    /// lists are walked per post. A literal with a non-empty list carries [`POSTED`] in the
    /// string maps, so the walk is skipped without touching this array for all others.
    pub postings: Vec<Vec<u32>>,
}

/// Flag on literal ids stored in the lookup maps: the literal has a non-empty posting list.
/// Ids stay below it: every literal holds well over 64 bytes, so 2^31 of them cannot exist.
pub(crate) const POSTED: u32 = 1 << 31;

impl Literals {
    pub fn live(&self) -> usize {
        self.keys.len() - self.free.len()
    }

    /// The id of an interned literal (without the [`POSTED`] flag).
    fn find(&self, key: &LitRef<'_>) -> Option<u32> {
        let found = match key {
            LitRef::Token(t) => self.tokens.get(t),
            LitRef::Prefix(p) => self.prefixes.get(p),
            LitRef::Meta(f, v) => self.meta[*f as usize].get(*v).copied(),
        };
        found.map(|id| id & !POSTED)
    }

    /// How many references registered queries hold to `key` (0 when it is not interned).
    pub fn uses(&self, key: &LitRef<'_>) -> u32 {
        self.find(key).map_or(0, |id| self.refs[id as usize])
    }

    /// Store `id` in its lookup map with or without the [`POSTED`] flag.
    fn set_posted(&mut self, id: u32, posted: bool) {
        let v = if posted { id | POSTED } else { id };
        match &self.keys[id as usize] {
            Some(LitKey::Token(t)) => self.tokens.insert(t, v),
            Some(LitKey::Prefix(p)) => self.prefixes.insert(p, v),
            Some(LitKey::Meta(f, m)) => {
                self.meta[*f as usize].insert(m.clone(), v);
            }
            None => {}
        }
    }

    /// Append a posting entry (`[slot, n, other groups…]`) to `lit`'s list.
    pub fn post(&mut self, lit: u32, entry: &[u32]) {
        let list = &mut self.postings[lit as usize];
        list.extend_from_slice(entry);
        if list.len() == entry.len() {
            self.set_posted(lit, true);
        }
    }

    /// Remove the entry of `slot` from `lit`'s list.
    pub fn unpost(&mut self, lit: u32, slot: u32) {
        let list = &mut self.postings[lit as usize];
        let mut i = 0;
        while let (Some(&s), Some(&n)) = (list.get(i), list.get(i + 1)) {
            let end = (i + 2 + n as usize).min(list.len());
            if s == slot {
                list.drain(i..end);
                break;
            }
            i = end;
        }
        if list.is_empty() {
            *list = Vec::new();
            self.set_posted(lit, false);
        }
    }

    /// Total posting entries (queries posted under some literal, counted per literal).
    pub fn entries(&self) -> usize {
        self.postings
            .iter()
            .map(|l| {
                let (mut i, mut k) = (0, 0);
                while let Some(&n) = l.get(i + 1) {
                    i += 2 + n as usize;
                    k += 1;
                }
                k
            })
            .sum()
    }

    pub fn intern(&mut self, key: &LitRef<'_>) -> u32 {
        if let Some(id) = self.find(key) {
            self.refs[id as usize] += 1;
            return id;
        }
        let id = match self.free.pop() {
            Some(id) => id,
            None => {
                self.keys.push(None);
                self.refs.push(0);
                self.postings.push(Vec::new());
                (self.keys.len() - 1) as u32
            }
        };
        let owned = match key {
            LitRef::Token(t) => {
                let t: Box<str> = (**t).into();
                self.tokens.insert(&t, id);
                LitKey::Token(t)
            }
            LitRef::Prefix(p) => {
                let p: Box<str> = (*p).into();
                if self.head_lens.is_empty() {
                    self.head_lens = vec![0; 1 << HEAD_BITS];
                    self.prefix_filter = vec![0; 1 << (FILTER_BITS - 6)];
                }
                self.prefixes.insert(&p, id);
                if let Some(bit) = self.filter_bit(&p) {
                    *self.prefix_filter_count.entry(bit).or_insert(0) += 1;
                    self.prefix_filter[bit as usize >> 6] |= 1 << (bit & 63);
                }
                let h = head(p.as_bytes());
                *self
                    .head_len_count
                    .entry((h as u32, p.len() as u8))
                    .or_insert(0) += 1;
                self.head_lens[h] |= 1 << p.len();
                LitKey::Prefix(p)
            }
            LitRef::Meta(f, v) => {
                let v: Box<str> = (*v).into();
                self.meta[*f as usize].insert(v.clone(), id);
                LitKey::Meta(*f, v)
            }
        };
        self.keys[id as usize] = Some(owned);
        self.refs[id as usize] = 1;
        id
    }

    /// Byte lengths at which some prefix literal with the head of the token in `win` (its
    /// `len` bytes first, see [`crate::text::Tokens::folded_window`]) exists (bit set =
    /// length), limited to lengths not longer than the token.
    #[inline]
    pub fn prefix_lengths(&self, win: &[u8], len: usize) -> u32 {
        if len < MIN_PREFIX_BYTES || win.len() < MIN_PREFIX_BYTES {
            return 0;
        }
        let upto = if len >= 31 {
            u32::MAX
        } else {
            (2u32 << len) - 1
        };
        self.head_lens.get(head(win)).map_or(0, |&b| b & upto)
    }

    fn filter_bit(&self, prefix: &str) -> Option<u32> {
        let k = inline_key(prefix)?;
        Some((self.prefixes.small.hash(&k) >> (64 - FILTER_BITS)) as u32)
    }

    /// False when no prefix literal has an inline key with hash `h` (the prefix table's).
    #[inline]
    pub fn prefix_may_exist(&self, h: u64) -> bool {
        let bit = h >> (64 - FILTER_BITS);
        self.prefix_filter
            .get(bit as usize >> 6)
            .is_some_and(|w| w & (1 << (bit & 63)) != 0)
    }

    pub fn release(&mut self, id: u32) {
        let i = id as usize;
        if self.refs[i] > 1 {
            self.refs[i] -= 1;
            return;
        }
        self.refs[i] = 0;
        match self.keys[i].take() {
            Some(LitKey::Token(t)) => {
                self.tokens.remove(&t);
            }
            Some(LitKey::Prefix(p)) => {
                self.prefixes.remove(&p);
                if let Some(bit) = self.filter_bit(&p)
                    && let Some(c) = self.prefix_filter_count.get_mut(&bit)
                {
                    *c -= 1;
                    if *c == 0 {
                        self.prefix_filter_count.remove(&bit);
                        self.prefix_filter[bit as usize >> 6] &= !(1 << (bit & 63));
                    }
                }
                let h = head(p.as_bytes());
                let key = (h as u32, p.len() as u8);
                if let Some(c) = self.head_len_count.get_mut(&key) {
                    *c -= 1;
                    if *c == 0 {
                        self.head_len_count.remove(&key);
                        self.head_lens[h] &= !(1 << p.len());
                    }
                }
            }
            Some(LitKey::Meta(f, v)) => {
                self.meta[f as usize].remove(&v);
            }
            None => return,
        }
        self.postings[i] = Vec::new();
        self.free.push(id);
    }

    /// Approximate heap bytes of the tables.
    pub fn memory_bytes(&self) -> usize {
        let map = |n: usize, entry: usize| n * (entry + 1) * 8 / 7;
        let strings: usize = self
            .keys
            .iter()
            .flatten()
            .map(|k| match k {
                LitKey::Token(s) | LitKey::Prefix(s) | LitKey::Meta(_, s) => 2 * s.len(),
            })
            .sum();
        self.tokens.memory_bytes()
            + self.prefixes.memory_bytes()
            + self
                .meta
                .iter()
                .map(|m| map(m.capacity(), 20))
                .sum::<usize>()
            + strings
            + self.keys.capacity() * std::mem::size_of::<Option<LitKey>>()
            + self.refs.capacity() * 4
            + self.head_lens.capacity() * 4
            + self.head_len_count.capacity() * 16
            + self.prefix_filter.capacity() * 8
            + self.prefix_filter_count.capacity() * 9
            + self.postings.capacity() * 24
            + self
                .postings
                .iter()
                .map(|p| p.capacity() * 4)
                .sum::<usize>()
    }
}

/// A query compiled against a [`Literals`] table.
pub(crate) struct Compiled {
    pub program: Program,
    /// Literal ids of the first (rarest-looking) anchor group: the query is posted under each.
    /// Empty: the query has no anchor and is evaluated on every post.
    pub primary: Vec<u32>,
    /// The other anchor groups, flattened: `[len, lit, lit, …]` per group. A candidate needs
    /// a literal of every group present in the post before it is evaluated.
    pub secondary: Box<[u32]>,
    /// Every literal id this query holds a reference to (released on removal).
    pub held: Vec<u32>,
}

pub(crate) fn compile(node: &Node, lits: &mut Literals) -> Compiled {
    let mut c = Compiler {
        lits,
        held: Vec::new(),
    };
    let expr = c.expr(node);
    // The first group is the one the query is posted under: it should be the one least likely
    // to occur in a post. A literal's frequency is estimated from its length and from how many
    // registered queries use it (the words many queries mention are the common ones).
    let table: &Literals = c.lits;
    let cost = |k: &LitRef<'_>| lit_cost(k) * f64::from(1 + table.uses(k));
    let mut groups = conjuncts(node, &cost);
    if groups.is_empty() {
        groups = meta_conjuncts(node, &cost);
    }
    let mut keyed: Vec<(f64, Vec<LitRef<'_>>)> = groups
        .into_iter()
        .map(|g| (g.iter().map(cost).sum::<f64>(), g))
        .collect();
    keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut groups: Vec<Vec<LitRef<'_>>> = keyed.into_iter().map(|(_, g)| g).collect();
    groups.dedup();
    groups.truncate(MAX_GROUPS);
    let mut groups = groups.into_iter().map(|g| {
        let mut ids: Vec<u32> = g.iter().map(|k| c.intern(k)).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    });
    let primary = groups.next().unwrap_or_default();
    let mut secondary = Vec::new();
    for g in groups {
        secondary.push(g.len() as u32);
        secondary.extend(g);
    }
    Compiled {
        program: Program::encode(&expr),
        primary,
        secondary: secondary.into(),
        held: c.held,
    }
}

struct Compiler<'a> {
    lits: &'a mut Literals,
    held: Vec<u32>,
}

impl Compiler<'_> {
    fn intern(&mut self, key: &LitRef<'_>) -> u32 {
        let id = self.lits.intern(key);
        self.held.push(id);
        id
    }

    fn word(&mut self, w: &Word) -> WordPred {
        if w.wildcard {
            return WordPred {
                lit: NONE,
                kind: w.kind,
                exact: None,
                glob: Some(w.text.as_str().into()),
            };
        }
        let (folded, exact) = folded_and_exact(w);
        let lit = self.intern(&LitRef::Token(folded));
        WordPred {
            lit,
            kind: w.kind,
            exact,
            glob: None,
        }
    }

    fn expr(&mut self, n: &Node) -> Expr {
        match n {
            Node::And(xs) => {
                let mut v: Vec<Expr> = xs.iter().map(|x| self.expr(x)).collect();
                v.sort_by_key(cost);
                Expr::And(v)
            }
            Node::Or(xs) => {
                let mut v: Vec<Expr> = xs.iter().map(|x| self.expr(x)).collect();
                v.sort_by_key(cost);
                Expr::Or(v)
            }
            Node::Not(x) => Expr::Not(Box::new(self.expr(x))),
            Node::Phrase(ws) if ws.len() == 1 => {
                let w = &ws[0];
                if w.kind == WordKind::Any && !w.exact_accents {
                    if !w.wildcard {
                        return Expr::Present(self.intern(&LitRef::Token(Cow::Borrowed(&w.text))));
                    }
                    if let Some(p) = simple_prefix(&w.text) {
                        return Expr::Present(self.intern(&LitRef::Prefix(p)));
                    }
                }
                Expr::Phrase(vec![self.word(w)])
            }
            Node::Phrase(ws) => Expr::Phrase(ws.iter().map(|w| self.word(w)).collect()),
            Node::Sloppy { words, slop } => Expr::Sloppy {
                words: words.iter().map(|w| self.word(w)).collect(),
                slop: *slop,
            },
            Node::Near {
                left,
                right,
                gap,
                ordered,
            } => {
                let mut side = |alts: &[Vec<Word>]| -> Vec<Vec<WordPred>> {
                    alts.iter()
                        .map(|a| a.iter().map(|w| self.word(w)).collect())
                        .collect()
                };
                let left = side(left);
                let right = side(right);
                Expr::Near {
                    left,
                    right,
                    gap: *gap,
                    ordered: *ordered,
                }
            }
            Node::Field { field, value } => Expr::Field(*field, value.as_str().into()),
            Node::Raw(s) => Expr::Raw(s.as_str().into()),
        }
    }
}

/// Evaluation cost rank, cheapest first inside AND/OR.
fn cost(e: &Expr) -> u32 {
    match e {
        Expr::Present(_) | Expr::Field(..) => 1,
        Expr::Phrase(ws) if ws.len() == 1 => 3,
        Expr::Phrase(_) => 4,
        Expr::Sloppy { .. } => 5,
        Expr::Near { .. } => 6,
        Expr::Raw(_) => 7,
        Expr::Not(x) => cost(x),
        Expr::And(xs) | Expr::Or(xs) => xs.iter().map(cost).sum::<u32>().min(50),
    }
}

fn folded_and_exact(w: &Word) -> (Cow<'_, str>, Option<Box<str>>) {
    if !w.exact_accents {
        return (Cow::Borrowed(&w.text), None);
    }
    let mut f = String::new();
    fold_accents(&w.text, &mut f);
    (Cow::Owned(f), Some(w.text.as_str().into()))
}

/// `abc*` (no `?`) → `abc`, when short enough to be checked by the prefix table.
fn simple_prefix(pat: &str) -> Option<&str> {
    let p = pat.strip_suffix('*')?;
    (!p.contains('?') && p.len() <= MAX_PREFIX_BYTES).then_some(p)
}

/// Anchor literal of one word.
fn word_anchor(w: &Word) -> LitRef<'_> {
    if w.wildcard {
        let end = w.text.find(['?', '*']).unwrap_or(w.text.len());
        let mut cut = end.min(MAX_PREFIX_BYTES);
        while !w.text.is_char_boundary(cut) {
            cut -= 1;
        }
        return LitRef::Prefix(&w.text[..cut]);
    }
    LitRef::Token(folded_and_exact(w).0)
}

/// Rough cost of a literal: how often we expect it in a post (longer = rarer).
fn lit_cost(k: &LitRef<'_>) -> f64 {
    match k {
        LitRef::Token(t) => 1.0 / (t.len() as f64).powi(3),
        LitRef::Prefix(p) => 8.0 / (p.len() as f64).powi(3),
        LitRef::Meta(..) => 1.0,
    }
}

/// Estimated frequency of a literal in posts (see [`compile`]).
type Cost<'c> = dyn Fn(&LitRef<'_>) -> f64 + 'c;

fn group_cost(g: &[LitRef<'_>], cost: &Cost<'_>) -> f64 {
    g.iter().map(cost).sum()
}

/// The best single literal of a phrase (its rarest-looking word).
fn seq_anchor<'a>(ws: &'a [Word], cost: &Cost<'_>) -> Option<LitRef<'a>> {
    ws.iter()
        .map(word_anchor)
        .min_by(|a, b| cost(a).total_cmp(&cost(b)))
}

/// One anchor per alternative of a NEAR side.
fn side_anchors<'a>(alts: &'a [Vec<Word>], cost: &Cost<'_>) -> Option<Vec<LitRef<'a>>> {
    alts.iter().map(|a| seq_anchor(a, cost)).collect()
}

/// Required groups of text literals: every one must be hit by a matching post.
fn conjuncts<'a>(n: &'a Node, cost: &Cost<'_>) -> Vec<Vec<LitRef<'a>>> {
    match n {
        Node::And(xs) => xs.iter().flat_map(|x| conjuncts(x, cost)).collect(),
        Node::Phrase(ws) | Node::Sloppy { words: ws, .. } => {
            ws.iter().map(|w| vec![word_anchor(w)]).collect()
        }
        Node::Near { left, right, .. } => [side_anchors(left, cost), side_anchors(right, cost)]
            .into_iter()
            .flatten()
            .collect(),
        Node::Or(xs) => {
            let mut union = Vec::new();
            for x in xs {
                let best = conjuncts(x, cost)
                    .into_iter()
                    .min_by(|a, b| group_cost(a, cost).total_cmp(&group_cost(b, cost)));
                match best {
                    Some(g) => union.extend(g),
                    None => return Vec::new(),
                }
            }
            vec![union]
        }
        Node::Not(_) | Node::Field { .. } | Node::Raw(_) => Vec::new(),
    }
}

/// Required groups of metadata literals, for queries without text anchors.
fn meta_conjuncts<'a>(n: &'a Node, cost: &Cost<'_>) -> Vec<Vec<LitRef<'a>>> {
    match n {
        Node::And(xs) => xs.iter().flat_map(|x| meta_conjuncts(x, cost)).collect(),
        Node::Field { field, value } => vec![vec![LitRef::Meta(*field, value)]],
        Node::Or(xs) => {
            let mut union = Vec::new();
            for x in xs {
                let mut gs = meta_conjuncts(x, cost);
                if gs.is_empty() {
                    // a text-anchored alternative also works here
                    gs = conjuncts(x, cost);
                }
                match gs.into_iter().next() {
                    Some(g) => union.extend(g),
                    None => return Vec::new(),
                }
            }
            vec![union]
        }
        _ => Vec::new(),
    }
}
