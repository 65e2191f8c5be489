//! The percolator: many queries, one post at a time → the ids of the queries the post matches.
//!
//! Per post: tokenize (into the caller's [`Scratch`]); look every token up in the literal table
//! (exact words, and token prefixes for wildcards); look the metadata up; each literal present
//! is stamped and walks its posting list, which holds only the queries whose first (rarest)
//! anchor group contains it. Those candidates whose other anchor groups all have a stamped
//! literal, plus the few queries without anchors (pure negations, raw-only), are verified
//! exactly. Adding or removing a query touches only that query's postings.

mod compile;
mod eval;
mod present;
mod program;
mod strmap;

use crate::ast::{Field, Node};
use crate::error::ParseError;
use crate::parser::parse;
use crate::text::{Tokens, tokenize};
use compile::{Literals, Map, POSTED, compile};
use eval::{Ctx, NONE};
use present::Present;
use program::Program;
use strmap::window_key;

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

impl<'a> Post<'a> {
    /// A post as Chorus listens to it, from the fields ingest keeps: the language it detected
    /// (`und` when unknown), the country and network the source gave, the author matched by
    /// handle when the network gave one and by id otherwise, and the links' domains. The one
    /// place both the live pipeline and the preview of a draft query (over stored posts) build
    /// the matcher's post, so a draft previews what it will match.
    pub fn listened(
        text: &'a str,
        lang: &'a str,
        country: Option<&'a str>,
        network: &'a str,
        author_id: &'a str,
        author_handle: Option<&'a str>,
        domains: &'a [&'a str],
    ) -> Post<'a> {
        Post {
            text,
            lang: Some(lang),
            country,
            network: Some(network),
            author: Some(author_handle.unwrap_or(author_id)),
            domains,
        }
    }
}

/// Reusable per-thread buffers for [`Matcher::matches`]. Keep one per worker and pass it to
/// every call: once warm, matching a post allocates nothing.
#[derive(Debug, Default)]
pub struct Scratch {
    toks: Tokens,
    tok_lit: Vec<u32>,
    /// Literals with postings present in this post, each once.
    hits: Vec<u32>,
    st: PostState,
    meta_buf: String,
    out: Vec<u64>,
    candidates: usize,
}

/// Per-post state: the literals present and the candidate queries found so far.
#[derive(Debug, Default)]
struct PostState {
    present: Present,
    /// Slots of the queries whose every anchor group has a literal in the post (may repeat).
    cands: Vec<u32>,
}

impl PostState {
    fn begin(&mut self) {
        self.present.begin();
        self.cands.clear();
    }

    /// A posting list (entries `[slot, n, other groups…]`, see `Literals::postings`) of a
    /// literal in the post: keep the queries whose other groups all have a literal present.
    /// Called once every literal of the post is in `present`.
    fn walk(&mut self, mut list: &[u32]) {
        while let [slot, n, rest @ ..] = list {
            let (groups, tail) = rest.split_at((*n as usize).min(rest.len()));
            if self.groups_hit(groups) {
                self.cands.push(*slot);
            }
            list = tail;
        }
    }

    /// Every group of a query's flattened other groups has a literal in the post.
    fn groups_hit(&self, mut groups: &[u32]) -> bool {
        while let Some((&n, rest)) = groups.split_first() {
            let (g, rest) = rest.split_at((n as usize).min(rest.len()));
            if !g.iter().any(|&l| self.present.contains(l)) {
                return false;
            }
            groups = rest;
        }
        true
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

/// The cold part of a registered query (its program is in `Matcher::progs`).
struct Slot {
    id: u64,
    /// The literals it is posted under.
    primary: Box<[u32]>,
    /// Every literal it holds a reference to.
    held: Box<[u32]>,
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
    /// Per slot: the verification program (empty for a free slot). Dense and apart from the
    /// rest of the slot, for the candidate loop.
    progs: Vec<Program>,
    slots: Vec<Option<Slot>>,
    free: Vec<u32>,
    by_id: Map<u64, u32>,
    always: Vec<u32>,
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
        let compiled = compile(query, &mut self.lits);
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(None);
                self.progs.push(Program::default());
                (self.slots.len() - 1) as u32
            }
        };
        if compiled.primary.is_empty() {
            self.always.push(slot);
        }
        let mut entry = vec![slot, compiled.secondary.len() as u32];
        entry.extend_from_slice(&compiled.secondary);
        for &lit in &compiled.primary {
            self.lits.post(lit, &entry);
        }
        self.progs[slot as usize] = compiled.program;
        self.slots[slot as usize] = Some(Slot {
            id,
            primary: compiled.primary.into(),
            held: compiled.held.into(),
        });
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
        self.progs[slot as usize] = Program::default();
        if s.primary.is_empty() {
            self.always.retain(|&x| x != slot);
        }
        for &lit in &s.primary {
            self.lits.unpost(lit, slot);
        }
        for &lit in &s.held {
            self.lits.release(lit);
        }
        self.free.push(slot);
        true
    }

    /// Sizes and approximate memory.
    pub fn stats(&self) -> Stats {
        let postings = self.lits.entries();
        let slot_bytes = self.slots.capacity() * std::mem::size_of::<Option<Slot>>()
            + self.progs.capacity() * std::mem::size_of::<Program>()
            + self
                .slots
                .iter()
                .flatten()
                .map(|s| (s.held.len() + s.primary.len()) * 4)
                .sum::<usize>()
            + self.progs.iter().map(Program::memory_bytes).sum::<usize>();
        Stats {
            queries: self.len(),
            literals: self.lits.live(),
            postings,
            unanchored: self.always.len(),
            memory_bytes: self.lits.memory_bytes()
                + slot_bytes
                + self.by_id.capacity() * 13
                + self.always.capacity() * 4,
        }
    }

    /// The ids of the queries `post` matches, ascending. The slice lives in `scratch`.
    pub fn matches<'s>(&self, post: &Post<'_>, scratch: &'s mut Scratch) -> &'s [u64] {
        let s = scratch;
        s.st.begin();
        s.hits.clear();
        tokenize(post.text, &mut s.toks);
        s.tok_lit.clear();
        let lits = &self.lits;
        // 1. every literal of the post: the tokens, their prefixes, the metadata
        for i in 0..s.toks.len() {
            let (win, len) = s.toks.folded_window(i);
            let v = match window_key(win, len) {
                Some(k) => lits.tokens.small.get(&k),
                None => lits.tokens.get_large(s.toks.folded(i)),
            };
            match v {
                None => s.tok_lit.push(NONE),
                Some(v) => {
                    s.tok_lit.push(v & !POSTED);
                    if s.st.present.insert(v & !POSTED) && v & POSTED != 0 {
                        s.hits.push(v & !POSTED);
                    }
                }
            }
            let mut lens = lits.prefix_lengths(win, len);
            while lens != 0 {
                let l = lens.trailing_zeros() as usize;
                lens &= lens - 1;
                let v = match window_key(win, l) {
                    Some(k) => {
                        let h = lits.prefixes.small.hash(&k);
                        if !lits.prefix_may_exist(h) {
                            continue;
                        }
                        lits.prefixes.small.get_hashed(&k, h)
                    }
                    None => s
                        .toks
                        .folded(i)
                        .get(..l)
                        .and_then(|p| lits.prefixes.get_large(p)),
                };
                if let Some(v) = v
                    && s.st.present.insert(v & !POSTED)
                    && v & POSTED != 0
                {
                    s.hits.push(v & !POSTED);
                }
            }
        }
        if lits.meta.iter().any(|m| !m.is_empty()) {
            self.hit_meta(post, &mut s.st.present, &mut s.hits, &mut s.meta_buf);
        }
        // 2. the queries posted under them whose other anchor groups are all present
        for &lit in &s.hits {
            s.st.walk(&lits.postings[lit as usize]);
        }
        s.st.cands.sort_unstable();
        s.st.cands.dedup();
        // 3. exact evaluation
        s.out.clear();
        let ctx = Ctx {
            post,
            toks: &s.toks,
            tok_lit: &s.tok_lit,
            present: &s.st.present,
        };
        let mut verified = 0;
        for &slot in s.st.cands.iter().chain(&self.always) {
            let Some(prog) = self.progs.get(slot as usize) else {
                continue;
            };
            verified += 1;
            if ctx.eval(prog)
                && let Some(Some(q)) = self.slots.get(slot as usize)
            {
                s.out.push(q.id);
            }
        }
        s.candidates = verified;
        s.out.sort_unstable();
        &s.out
    }

    fn hit_meta(
        &self,
        post: &Post<'_>,
        present: &mut Present,
        hits: &mut Vec<u32>,
        buf: &mut String,
    ) {
        let meta = &self.lits.meta;
        let mut look = |f: Field, v: &str| {
            if let Some(&v) = meta[f as usize].get(v)
                && present.insert(v & !POSTED)
                && v & POSTED != 0
            {
                hits.push(v & !POSTED);
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
            look(Field::Lang, buf);
            if let Some((primary, _)) = buf.split_once('-') {
                look(Field::Lang, primary);
            }
        }
        if let Some(c) = post.country {
            lower(c, true, buf);
            look(Field::Country, buf);
        }
        if let Some(n) = post.network {
            lower(n, false, buf);
            look(Field::Network, buf);
        }
        if let Some(a) = post.author {
            lower(a.strip_prefix('@').unwrap_or(a), false, buf);
            look(Field::Author, buf);
        }
        for d in post.domains {
            lower(d.trim_end_matches('.'), false, buf);
            let mut rest: &str = buf;
            loop {
                look(Field::Site, rest);
                match rest.split_once('.') {
                    Some((_, r)) if !r.is_empty() => rest = r,
                    _ => break,
                }
            }
        }
    }
}
