//! A string → id map tuned for the per-token lookups of the hot path: strings up to 23 bytes
//! (nearly every token) are stored inline in the hash table as three `u64`, so a lookup is one
//! probe with no pointer to chase and no `memcmp` call; longer strings use a boxed-key map.

use super::compile::Map;

pub(crate) type Inline = [u64; 3];

#[derive(Debug, Default)]
pub(crate) struct StrMap {
    small: Map<Inline, u32>,
    large: Map<Box<str>, u32>,
}

#[inline]
pub(crate) fn inline_key(s: &str) -> Option<Inline> {
    let b = s.as_bytes();
    if b.len() > 23 {
        return None;
    }
    let mut buf = [0u8; 24];
    buf[0] = b.len() as u8;
    buf[1..=b.len()].copy_from_slice(b);
    let w = |i: usize| {
        let mut x = [0u8; 8];
        x.copy_from_slice(&buf[i * 8..i * 8 + 8]);
        u64::from_le_bytes(x)
    };
    Some([w(0), w(1), w(2)])
}

impl StrMap {
    #[inline]
    pub fn get(&self, s: &str) -> Option<u32> {
        match inline_key(s) {
            Some(k) => self.small.get(&k).copied(),
            None => self.large.get(s).copied(),
        }
    }

    /// Lookup by an inline key from [`inline_key`].
    #[inline]
    pub fn get_inline(&self, k: &Inline) -> Option<u32> {
        self.small.get(k).copied()
    }

    pub fn insert(&mut self, s: &str, id: u32) {
        match inline_key(s) {
            Some(k) => self.small.insert(k, id),
            None => self.large.insert(s.into(), id),
        };
    }

    pub fn remove(&mut self, s: &str) {
        match inline_key(s) {
            Some(k) => self.small.remove(&k),
            None => self.large.remove(s),
        };
    }

    /// Approximate heap bytes.
    pub fn memory_bytes(&self) -> usize {
        self.small.capacity() * 33 * 8 / 7
            + self.large.capacity() * 25 * 8 / 7
            + self.large.keys().map(|k| k.len()).sum::<usize>()
    }
}

/// A small direct-mapped cache of token → literal lookups (including misses), kept in the
/// caller's scratch: frequent words (Zipf) hit it instead of the large table. Valid for one
/// matcher version only.
#[derive(Debug, Default)]
pub(crate) struct TokenCache {
    version: u64,
    entries: Vec<(Inline, u32)>,
}

const CACHE_BITS: u32 = 12;

impl TokenCache {
    /// Forget everything unless the cache was filled for `version`.
    pub fn validate(&mut self, version: u64) {
        if self.version != version || self.entries.is_empty() {
            self.entries.clear();
            self.entries.resize(1 << CACHE_BITS, ([0; 3], 0));
            self.version = version;
        }
    }

    /// The literal of `token` (or `none`), through the cache.
    #[inline]
    pub fn get(&mut self, map: &StrMap, token: &str, none: u32) -> u32 {
        let Some(k) = inline_key(token) else {
            return map.get(token).unwrap_or(none);
        };
        let h = (k[0] ^ k[1].rotate_left(23) ^ k[2].rotate_left(47))
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let i = (h >> (64 - CACHE_BITS)) as usize;
        // an all-zero key is the empty string, never a token: empty entries never match
        if let Some(e) = self.entries.get_mut(i) {
            if e.0 == k {
                return e.1;
            }
            let lit = map.get_inline(&k).unwrap_or(none);
            *e = (k, lit);
            return lit;
        }
        map.get_inline(&k).unwrap_or(none)
    }
}
