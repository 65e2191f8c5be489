//! The percolator: many queries, one post at a time → the ids of the queries the post matches.
//!
//! Per post: tokenize (into the caller's [`Scratch`]); look every token up in the literal table
//! (exact words, and token prefixes for wildcards); look the metadata up; each literal present
//! walks its posting list and sets its group bit in the query's hit mask; queries whose every
//! anchor group was hit, plus the few queries without anchors (pure negations, raw-only), are
//! verified exactly. Adding or removing a query touches only that query's postings.

mod compile;
mod eval;
mod strmap;

use crate::ast::{Field, Node};
use crate::error::ParseError;
use crate::parser::parse;
use crate::text::{Tokens, tokenize};
use compile::{Compiled, Literals, Map, compile};
use eval::{Ctx, NONE};
use strmap::TokenCache;

/// Source of matcher versions: every change to any matcher takes a fresh, process-unique
/// number, so a [`Scratch`] used with several matchers can tell whose lookups it cached.
static NEXT_VERSION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn next_version() -> u64 {
    NEXT_VERSION.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// A post to match. Borrowed: build it from whatever the caller holds, no owned strings needed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Post<'a> {
    /// The post's text.
    pub text: &'a str,
    /// Language code (`en`, `pt-BR`).
    pub lang: Option<&'a str>,
    /// Country code (`FI`).
    pub country: Option<&'a str>,
    /// Network name (`bluesky`).
    pub network: Option<&'a str>,
    /// Author handle (a leading `@` is ignored).
    pub author: Option<&'a str>,
    /// Domains of the links in the post (`www.nokia.com`).
    pub domains: &'a [&'a str],
}

/// Reusable per-thread buffers for [`Matcher::matches`]. Keep one per worker and pass it to
/// every call: once warm, matching a post allocates nothing.
#[derive(Debug, Default)]
pub struct Scratch {
    toks: Tokens,
    tok_lit: Vec<u32>,
    cache: TokenCache,
    prefix_cache: TokenCache,
    st: Stamps,
    meta_buf: String,
    out: Vec<u64>,
    candidates: usize,
}

/// Per-post marks. `epoch` grows by one per post; an array entry equal to the current epoch
/// is "set in this post", so nothing is cleared between posts.
#[derive(Debug, Default)]
struct Stamps {
    epoch: u32,
    /// Per literal: the epoch of the last post it occurred in.
    stamp: Vec<u32>,
    /// Per query slot: `epoch << 8 | mask of anchor groups hit`.
    q_state: Vec<u32>,
    touched: Vec<u32>,
}

/// Epochs live in the top 24 bits of `q_state`.
const EPOCH_LIMIT: u32 = (1 << 24) - 1;

impl Stamps {
    fn begin(&mut self, lits: usize, slots: usize) {
        if self.stamp.len() < lits {
            self.stamp.resize(lits, 0);
        }
        if self.q_state.len() < slots {
            self.q_state.resize(slots, 0);
        }
        if self.epoch >= EPOCH_LIMIT {
            self.stamp.fill(0);
            self.q_state.fill(0);
            self.epoch = 0;
        }
        self.epoch += 1;
        self.touched.clear();
    }

    #[inline]
    fn hit(&mut self, lit: u32, postings: &[Vec<u32>]) {
        let s = &mut self.stamp[lit as usize];
        if *s == self.epoch {
            return;
        }
        *s = self.epoch;
        let mark = self.epoch << 8;
        for &p in &postings[lit as usize] {
            let slot = (p >> 3) as usize;
            let q = &mut self.q_state[slot];
            if *q & !0xFF != mark {
                *q = mark;
                self.touched.push(slot as u32);
            }
            *q |= 1 << (p & 7);
        }
    }

    fn mask(&self, slot: u32) -> u8 {
        (self.q_state[slot as usize] & 0xFF) as u8
    }
}

impl Scratch {
    /// Empty buffers.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many queries were verified for the last post (candidates + unanchored).
    pub fn last_candidates(&self) -> usize {
        self.candidates
    }
}

struct Slot {
    id: u64,
    compiled: Compiled,
}

/// Sizes of a matcher, for reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Registered queries.
    pub queries: usize,
    /// Distinct literals (words, prefixes, metadata values) in use.
    pub literals: usize,
    /// Entries in all posting lists.
    pub postings: usize,
    /// Queries without anchors, verified on every post.
    pub unanchored: usize,
    /// Approximate heap bytes held by the matcher.
    pub memory_bytes: usize,
}

/// Many compiled queries; see the module docs.
#[derive(Default)]
pub struct Matcher {
    lits: Literals,
    slots: Vec<Option<Slot>>,
    free: Vec<u32>,
    by_id: Map<u64, u32>,
    always: Vec<u32>,
    /// Per slot: the hit mask that makes it a candidate (all its groups); dense for the hot loop.
    full: Vec<u8>,
    /// Changes with every add/remove (see [`NEXT_VERSION`]); 0 = never changed.
    version: u64,
}

impl std::fmt::Debug for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matcher")
            .field("stats", &self.stats())
            .finish()
    }
}

impl Matcher {
    /// An empty matcher.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of registered queries.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// True when no query is registered.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Parse `query` and register it under `id` (replacing a query with the same id).
    pub fn add_str(&mut self, id: u64, query: &str) -> Result<(), ParseError> {
        let node = parse(query)?;
        self.add(id, &node);
        Ok(())
    }

    /// Register a parsed query under `id`, replacing any query with the same id.
    pub fn add(&mut self, id: u64, query: &Node) {
        self.remove(id);
        self.version = next_version();
        let compiled = compile(query, &mut self.lits);
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(None);
                (self.slots.len() - 1) as u32
            }
        };
        if compiled.groups.is_empty() {
            self.always.push(slot);
        }
        for (g, lits) in compiled.groups.iter().enumerate() {
            for &lit in lits {
                self.lits.postings[lit as usize].push((slot << 3) | g as u32);
            }
        }
        let full = ((1u16 << compiled.groups.len()) - 1) as u8;
        if self.full.len() <= slot as usize {
            self.full.resize(slot as usize + 1, 0);
        }
        self.full[slot as usize] = full;
        self.slots[slot as usize] = Some(Slot { id, compiled });
        self.by_id.insert(id, slot);
    }

    /// Remove the query `id`. Returns whether it was registered.
    pub fn remove(&mut self, id: u64) -> bool {
        let Some(slot) = self.by_id.remove(&id) else {
            return false;
        };
        let Some(s) = self.slots[slot as usize].take() else {
            return false;
        };
        self.full[slot as usize] = 0;
        self.version = next_version();
        if s.compiled.groups.is_empty() {
            self.always.retain(|&x| x != slot);
        }
        for lits in &s.compiled.groups {
            for &lit in lits {
                self.lits.postings[lit as usize].retain(|&p| p >> 3 != slot);
            }
        }
        for &lit in &s.compiled.held {
            self.lits.release(lit);
        }
        self.free.push(slot);
        true
    }

    /// Sizes and approximate memory.
    pub fn stats(&self) -> Stats {
        let postings = self.lits.postings.iter().map(Vec::len).sum();
        let slot_bytes = self.slots.capacity() * std::mem::size_of::<Option<Slot>>()
            + self
                .slots
                .iter()
                .flatten()
                .map(|s| {
                    s.compiled.held.capacity() * 4
                        + s.compiled
                            .groups
                            .iter()
                            .map(|g| 24 + g.capacity() * 4)
                            .sum::<usize>()
                        + expr_bytes(&s.compiled.expr)
                })
                .sum::<usize>();
        Stats {
            queries: self.len(),
            literals: self.lits.live(),
            postings,
            unanchored: self.always.len(),
            memory_bytes: self.lits.memory_bytes()
                + slot_bytes
                + self.by_id.capacity() * 13
                + self.always.capacity() * 4
                + self.full.capacity(),
        }
    }

    /// The ids of the queries `post` matches, ascending. The slice lives in `scratch`.
    pub fn matches<'s>(&self, post: &Post<'_>, scratch: &'s mut Scratch) -> &'s [u64] {
        let s = scratch;
        s.st.begin(self.lits.capacity(), self.slots.len());
        tokenize(post.text, &mut s.toks);
        s.tok_lit.clear();
        s.cache.validate(self.version);
        s.prefix_cache.validate(self.version);
        let lits = &self.lits;
        for i in 0..s.toks.len() {
            let t = s.toks.folded(i);
            let lit = s.cache.get(&lits.tokens, t, NONE);
            s.tok_lit.push(lit);
            if lit != NONE {
                s.st.hit(lit, &lits.postings);
            }
            let mut lens = lits.prefix_lengths(t);
            while lens != 0 {
                let l = lens.trailing_zeros() as usize;
                lens &= lens - 1;
                if let Some(p) = t.get(..l) {
                    let plit = s.prefix_cache.get(&lits.prefixes, p, NONE);
                    if plit != NONE {
                        s.st.hit(plit, &lits.postings);
                    }
                }
            }
        }
        if lits.meta.iter().any(|m| !m.is_empty()) {
            self.hit_meta(post, &mut s.st, &mut s.meta_buf);
        }
        s.out.clear();
        let ctx = Ctx {
            post,
            toks: &s.toks,
            tok_lit: &s.tok_lit,
            stamp: &s.st.stamp,
            epoch: s.st.epoch,
        };
        let mut verified = 0;
        for &slot in s.st.touched.iter() {
            let full = self.full[slot as usize];
            if full == 0 || s.st.mask(slot) != full {
                continue;
            }
            let Some(q) = &self.slots[slot as usize] else {
                continue;
            };
            verified += 1;
            if ctx.eval(&q.compiled.expr) {
                s.out.push(q.id);
            }
        }
        for &slot in &self.always {
            if let Some(q) = &self.slots[slot as usize] {
                verified += 1;
                if ctx.eval(&q.compiled.expr) {
                    s.out.push(q.id);
                }
            }
        }
        s.candidates = verified;
        s.out.sort_unstable();
        &s.out
    }

    fn hit_meta(&self, post: &Post<'_>, st: &mut Stamps, buf: &mut String) {
        let meta = &self.lits.meta;
        let look = |f: Field, v: &str, st: &mut Stamps| {
            if let Some(&lit) = meta[f as usize].get(v) {
                st.hit(lit, &self.lits.postings);
            }
        };
        let lower = |s: &str, upper: bool, buf: &mut String| {
            buf.clear();
            if upper {
                buf.extend(s.chars().map(|c| c.to_ascii_uppercase()));
            } else {
                buf.extend(s.chars().flat_map(char::to_lowercase));
            }
        };
        if let Some(l) = post.lang {
            lower(l, false, buf);
            look(Field::Lang, buf, st);
            if let Some((primary, _)) = buf.split_once('-') {
                look(Field::Lang, primary, st);
            }
        }
        if let Some(c) = post.country {
            lower(c, true, buf);
            look(Field::Country, buf, st);
        }
        if let Some(n) = post.network {
            lower(n, false, buf);
            look(Field::Network, buf, st);
        }
        if let Some(a) = post.author {
            lower(a.strip_prefix('@').unwrap_or(a), false, buf);
            look(Field::Author, buf, st);
        }
        for d in post.domains {
            lower(d.trim_end_matches('.'), false, buf);
            let mut rest: &str = buf;
            loop {
                look(Field::Site, rest, st);
                match rest.split_once('.') {
                    Some((_, r)) if !r.is_empty() => rest = r,
                    _ => break,
                }
            }
        }
    }
}

fn expr_bytes(e: &eval::Expr) -> usize {
    use eval::Expr;
    let words = |ws: &[eval::WordPred]| -> usize {
        ws.iter()
            .map(|w| {
                std::mem::size_of::<eval::WordPred>()
                    + w.exact.as_ref().map_or(0, |s| s.len())
                    + w.glob.as_ref().map_or(0, |s| s.len())
            })
            .sum()
    };
    std::mem::size_of::<Expr>()
        + match e {
            Expr::And(xs) | Expr::Or(xs) => xs.iter().map(expr_bytes).sum(),
            Expr::Not(x) => expr_bytes(x),
            Expr::Phrase(ws) | Expr::Sloppy { words: ws, .. } => words(ws),
            Expr::Near { left, right, .. } => {
                left.iter().chain(right.iter()).map(|a| 16 + words(a)).sum()
            }
            Expr::Field(_, s) | Expr::Raw(s) => s.len(),
            Expr::Present(_) => 0,
        }
}
