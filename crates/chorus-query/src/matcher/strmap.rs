//! A string → id map tuned for the per-token lookups of the hot path. Strings of 1 to 23 bytes
//! (nearly every token) become a 24-byte inline key (the bytes, zero-padded, length in the
//! last byte) in an open-addressing table of 32-byte entries: a lookup is one hash of three
//! words and usually one cache line, with no pointer to chase and no `memcmp` call. The key of
//! a post token is loaded straight from the tokenizer's padded buffer
//! ([`window_key`]). Longer strings (and the empty string) use a boxed-key map.

use std::hash::BuildHasher;

use super::compile::Map;

pub(crate) type Inline = [u64; 3];

/// Longest string with an inline key.
const MAX_INLINE: usize = 23;

// a post token's window (see `window_key`) has at least the 24 bytes a key reads
const _: () = assert!(crate::text::PAD >= 24);

/// The inline key of `win[..len]`, where `win` holds at least 24 readable bytes (the token's
/// own bytes first, anything after them).
#[inline]
pub(crate) fn window_key(win: &[u8], len: usize) -> Option<Inline> {
    if len == 0 || len > MAX_INLINE {
        return None;
    }
    let win: &[u8; 24] = win.get(..24)?.try_into().ok()?;
    let word = |i: usize| {
        let mut x = [0u8; 8];
        x.copy_from_slice(&win[i * 8..i * 8 + 8]);
        u64::from_le_bytes(x)
    };
    let keep = |k: usize| match k {
        0 => 0,
        1..=7 => (1u64 << (8 * k)) - 1,
        _ => u64::MAX,
    };
    Some([
        word(0) & keep(len),
        word(1) & keep(len.saturating_sub(8)),
        (word(2) & keep(len.saturating_sub(16))) | (len as u64) << 56,
    ])
}

/// The inline key of `s` (None when empty or longer than 23 bytes).
pub(crate) fn inline_key(s: &str) -> Option<Inline> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > MAX_INLINE {
        return None;
    }
    let mut buf = [0u8; 24];
    buf[..b.len()].copy_from_slice(b);
    window_key(&buf, b.len())
}

#[inline]
fn folded_mul(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[repr(align(32))]
struct Entry {
    /// All zero: empty (a real key has its length in the last byte).
    key: Inline,
    val: u32,
}

/// Open addressing, linear probing, load at most 1/2, deletion by backward shift (no
/// tombstones). Seeded per table.
#[derive(Debug)]
pub(crate) struct InlineTable {
    slots: Vec<Entry>,
    len: usize,
    seed: u64,
}

impl Default for InlineTable {
    fn default() -> Self {
        Self {
            slots: Vec::new(),
            len: 0,
            seed: foldhash::fast::RandomState::default().hash_one(0x5eed_u64) | 1,
        }
    }
}

impl InlineTable {
    /// The hash of `k` (its low bits pick the slot; callers may use the high bits).
    #[inline]
    pub fn hash(&self, k: &Inline) -> u64 {
        let a = folded_mul(k[0] ^ self.seed, k[1] ^ 0x243F_6A88_85A3_08D3);
        folded_mul(a ^ k[2], 0x1319_8A2E_0370_7344 ^ self.seed)
    }

    /// Lookup with the hash from [`InlineTable::hash`].
    #[inline]
    pub fn get_hashed(&self, k: &Inline, h: u64) -> Option<u32> {
        let mask = self.slots.len().wrapping_sub(1);
        let mut i = h as usize & mask;
        while let Some(e) = self.slots.get(i) {
            if e.key == *k {
                return Some(e.val);
            }
            if e.key[2] == 0 {
                return None;
            }
            i = (i + 1) & mask;
        }
        None
    }

    #[inline]
    pub fn get(&self, k: &Inline) -> Option<u32> {
        self.get_hashed(k, self.hash(k))
    }

    pub fn insert(&mut self, k: Inline, val: u32) {
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = self.hash(&k) as usize & mask;
        loop {
            let e = &mut self.slots[i];
            if e.key == k {
                e.val = val;
                return;
            }
            if e.key[2] == 0 {
                *e = Entry { key: k, val };
                self.len += 1;
                return;
            }
            i = (i + 1) & mask;
        }
    }

    pub fn remove(&mut self, k: &Inline) {
        let mask = self.slots.len().wrapping_sub(1);
        let mut hole = self.hash(k) as usize & mask;
        loop {
            match self.slots.get(hole) {
                Some(e) if e.key == *k => break,
                Some(e) if e.key[2] != 0 => hole = (hole + 1) & mask,
                _ => return,
            }
        }
        self.len -= 1;
        // backward shift: pull later entries of the run into the hole when their home allows
        let mut j = hole;
        loop {
            j = (j + 1) & mask;
            let e = self.slots[j];
            if e.key[2] == 0 {
                break;
            }
            let home = self.hash(&e.key) as usize & mask;
            if (j.wrapping_sub(home) & mask) >= (j.wrapping_sub(hole) & mask) {
                self.slots[hole] = e;
                hole = j;
            }
        }
        self.slots[hole] = Entry::default();
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(16);
        let old = std::mem::replace(&mut self.slots, vec![Entry::default(); size]);
        self.len = 0;
        for e in old {
            if e.key[2] != 0 {
                self.insert(e.key, e.val);
            }
        }
    }

    pub fn memory_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Entry>()
    }
}

#[derive(Debug, Default)]
pub(crate) struct StrMap {
    pub small: InlineTable,
    large: Map<Box<str>, u32>,
}

impl StrMap {
    #[inline]
    pub fn get(&self, s: &str) -> Option<u32> {
        match inline_key(s) {
            Some(k) => self.small.get(&k),
            None => self.large.get(s).copied(),
        }
    }

    /// Lookup of a string that has no inline key (longer than 23 bytes, or empty).
    pub fn get_large(&self, s: &str) -> Option<u32> {
        self.large.get(s).copied()
    }

    pub fn insert(&mut self, s: &str, id: u32) {
        match inline_key(s) {
            Some(k) => self.small.insert(k, id),
            None => {
                self.large.insert(s.into(), id);
            }
        }
    }

    pub fn remove(&mut self, s: &str) {
        match inline_key(s) {
            Some(k) => self.small.remove(&k),
            None => {
                self.large.remove(s);
            }
        }
    }

    /// Approximate heap bytes.
    pub fn memory_bytes(&self) -> usize {
        self.small.memory_bytes()
            + self.large.capacity() * 25 * 8 / 7
            + self.large.keys().map(|k| k.len()).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_keys_equal_string_keys() {
        let text = "abcdefghijklmnopqrstuvwxyz0123456789";
        for start in 0..8 {
            for len in 0..=25 {
                let mut win = text.as_bytes()[start..].to_vec();
                win.extend_from_slice(&[0; 24]);
                let s = &text[start..(start + len).min(text.len())];
                if s.len() == len {
                    assert_eq!(window_key(&win, len), inline_key(s), "{s:?}");
                }
            }
        }
        assert_eq!(inline_key(""), None);
        assert_eq!(inline_key(&"x".repeat(24)), None);
        assert_ne!(inline_key("ab"), inline_key("ab\0"));
    }

    #[test]
    fn table_insert_get_remove_against_a_hashmap() {
        let mut t = InlineTable::default();
        let mut reference = std::collections::HashMap::new();
        let key = |i: u32| inline_key(&format!("w{}", i.wrapping_mul(2_654_435_761) % 5000));
        for step in 0..40_000u32 {
            let Some(k) = key(step) else { continue };
            match step % 3 {
                0 | 1 => {
                    t.insert(k, step);
                    reference.insert(k, step);
                }
                _ => {
                    t.remove(&k);
                    reference.remove(&k);
                }
            }
            if step % 997 == 0 {
                for i in 0..5000 {
                    let k = inline_key(&format!("w{i}")).unwrap();
                    assert_eq!(t.get(&k), reference.get(&k).copied());
                }
            }
        }
        assert_eq!(t.len, reference.len());
    }
}
