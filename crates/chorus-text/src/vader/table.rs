//! A read-only hash table from lowercased word to [`WordInfo`], shaped for the per-token lookup
//! that dominates VADER's run time.
//!
//! Keys are stored zero-padded to whole 8-byte words, and the query is lowercased into a
//! zero-padded stack buffer ([`Key`]), so hashing and comparing are a few `u64` operations with
//! no call to `memcmp`. Open addressing with linear probing at a load factor of at most 1/4;
//! each slot holds 32 bits of the hash next to the entry index, so a miss rarely touches a key.
//! The table never changes after construction, so probe lengths are fixed by its content, not
//! by the input.

use super::lexicon::WordInfo;

/// Longest key, in bytes, that a [`Key`] can hold; longer tokens are never looked up (the
/// longest key of the VADER tables is far shorter).
pub(crate) const MAX_KEY: usize = 64;
const WORDS: usize = MAX_KEY / 8;

/// A lookup key: up to [`MAX_KEY`] bytes as little-endian words, zero-padded.
pub(crate) struct Key {
    words: [u64; WORDS],
    len: usize,
}

/// Bytes of `x` (all ASCII) in `lo..=hi`, as a mask of their high bits.
#[inline]
pub(crate) fn ascii_range_mask(x: u64, lo: u8, hi: u8) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let ge_lo = x + ONES * u64::from(0x80 - lo);
    let gt_hi = x + ONES * u64::from(0x7f - hi);
    ge_lo & !gt_hi & (ONES * 0x80)
}

impl Key {
    /// `bytes` as a key, or `None` when longer than [`MAX_KEY`].
    #[inline]
    pub(crate) fn new(bytes: &[u8]) -> Option<Self> {
        if bytes.len() > MAX_KEY {
            return None;
        }
        let mut words = [0u64; WORDS];
        for (w, chunk) in words.iter_mut().zip(bytes.chunks(8)) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            *w = u64::from_le_bytes(b);
        }
        Some(Self {
            words,
            len: bytes.len(),
        })
    }

    /// The key of the ASCII token `text[start..end]` lowercased, with Python's `isupper()` of
    /// the token (some uppercase letter, no lowercase one) and whether it holds an apostrophe;
    /// `None` when longer than [`MAX_KEY`]. Reads whole words straight from `text`.
    #[inline]
    pub(crate) fn ascii_lower(text: &[u8], start: usize, end: usize) -> Option<(Self, bool, bool)> {
        let len = end - start;
        if len > MAX_KEY {
            return None;
        }
        let mut words = [0u64; WORDS];
        let (mut upper, mut lower, mut apostrophe) = (0u64, 0u64, 0u64);
        let mut pos = start;
        let mut k = 0;
        while pos < end {
            let take = (end - pos).min(8);
            let mut x = if pos + 8 <= text.len() {
                let mut b = [0u8; 8];
                b.copy_from_slice(&text[pos..pos + 8]);
                u64::from_le_bytes(b)
            } else {
                text[pos..pos + take]
                    .iter()
                    .rev()
                    .fold(0u64, |acc, &c| acc << 8 | u64::from(c))
            };
            if take < 8 {
                x &= (1u64 << (8 * take)) - 1;
            }
            let up = ascii_range_mask(x, b'A', b'Z');
            upper |= up;
            lower |= ascii_range_mask(x, b'a', b'z');
            apostrophe |= ascii_range_mask(x, b'\'', b'\'');
            words[k] = x | (up >> 2);
            pos += 8;
            k += 1;
        }
        Some((
            Self { words, len },
            upper != 0 && lower == 0,
            apostrophe != 0,
        ))
    }

    #[inline]
    fn used(&self) -> &[u64] {
        &self.words[..self.len.div_ceil(8)]
    }

    #[inline]
    fn hash(&self) -> u64 {
        let mut h = hash_first(self.words[0], self.len);
        if self.len > 8 {
            for &w in &self.used()[1..] {
                h = (h.rotate_left(29) ^ w).wrapping_mul(0xA076_1D64_78BD_642F);
            }
        }
        h ^ (h >> 29)
    }
}

/// The hash of a key's first word, and of a key of at most 8 bytes.
#[inline(always)]
fn hash_first(word: u64, len: usize) -> u64 {
    (word ^ (len as u64).rotate_right(8)).wrapping_mul(0xA076_1D64_78BD_642F)
}

/// Words of [`WordTable::filter`] (a power of two).
const FILTER_WORDS: usize = 1024;

/// The filter word and its two bits for a key of hash `h`: bits of `h` that neither the slot
/// index (low bits) nor the tag (top 16) use.
#[inline(always)]
fn filter_bits(h: u64) -> (usize, u64) {
    let w = (h >> 20) as usize & (FILTER_WORDS - 1);
    (w, 1u64 << ((h >> 32) & 63) | 1u64 << ((h >> 38) & 63))
}

/// One word: the first word of its key inline, the others in `WordTable::rest`.
#[derive(Debug)]
struct Entry {
    first: u64,
    /// Offset in `WordTable::rest` of the key's words after the first.
    rest: u32,
    len: u32,
    info: WordInfo,
}

/// The table; see the module documentation.
#[derive(Debug)]
pub(crate) struct WordTable {
    /// `hash >> 48 << 16 | (entry index + 1)`; 0 is empty.
    slots: Box<[u32]>,
    mask: usize,
    /// A one-hash-word Bloom filter of the keys (8 KiB, stays in L1): most lookups miss, and
    /// this answers them without touching `slots`.
    filter: Box<[u64]>,
    entries: Vec<Entry>,
    rest: Vec<u64>,
}

impl WordTable {
    /// Builds the table; keys longer than [`MAX_KEY`] are left out (no token could match them).
    /// At most 65,535 words.
    pub(crate) fn build<'a>(items: impl ExactSizeIterator<Item = (&'a str, WordInfo)>) -> Self {
        let cap = (items.len() * 4).next_power_of_two().max(16);
        let mut t = Self {
            slots: vec![0; cap].into_boxed_slice(),
            mask: cap - 1,
            filter: vec![0; FILTER_WORDS].into_boxed_slice(),
            entries: Vec::new(),
            rest: Vec::new(),
        };
        for (word, info) in items {
            let Some(key) = Key::new(word.as_bytes()) else {
                continue;
            };
            let h = key.hash();
            let (w, bits) = filter_bits(h);
            t.filter[w] |= bits;
            t.entries.push(Entry {
                first: key.words[0],
                rest: t.rest.len() as u32,
                len: key.len as u32,
                info,
            });
            t.rest
                .extend_from_slice(&key.used()[1.min(key.used().len())..]);
            let index = u32::try_from(t.entries.len()).unwrap_or(0) & 0xFFFF;
            let mut i = h as usize & t.mask;
            while t.slots[i] != 0 {
                i = (i + 1) & t.mask;
            }
            t.slots[i] = ((h >> 48) as u32) << 16 | index;
        }
        t
    }

    #[inline(always)]
    pub(crate) fn get(&self, key: &Key) -> Option<&WordInfo> {
        let h = key.hash();
        if !self.may_hold(h) {
            return None;
        }
        let tag = ((h >> 48) as u32) << 16;
        let mut i = h as usize & self.mask;
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                return None;
            }
            if slot & 0xFFFF_0000 == tag {
                let e = &self.entries[(slot & 0xFFFF) as usize - 1];
                if self.same_key(e, key) {
                    return Some(&e.info);
                }
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Lookup of a key of 1 to 8 bytes given as its one (zero-padded) word: the same result as
    /// [`WordTable::get`] on that key, without building a [`Key`].
    #[inline(always)]
    pub(crate) fn get_short(&self, word: u64, len: usize) -> Option<&WordInfo> {
        let h = hash_first(word, len);
        let h = h ^ (h >> 29);
        if !self.may_hold(h) {
            return None;
        }
        let tag = ((h >> 48) as u32) << 16;
        let mut i = h as usize & self.mask;
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                return None;
            }
            if slot & 0xFFFF_0000 == tag {
                let e = &self.entries[(slot & 0xFFFF) as usize - 1];
                if e.len as usize == len && e.first == word {
                    return Some(&e.info);
                }
            }
            i = (i + 1) & self.mask;
        }
    }

    /// The filter may hold a key of hash `h` (no false negatives).
    #[inline(always)]
    fn may_hold(&self, h: u64) -> bool {
        let (w, bits) = filter_bits(h);
        self.filter[w] & bits == bits
    }

    #[inline]
    fn same_key(&self, e: &Entry, key: &Key) -> bool {
        if e.len as usize != key.len || e.first != key.words[0] {
            return false;
        }
        let used = key.used();
        let rest = e.rest as usize;
        used.len() <= 1
            || used[1..]
                .iter()
                .zip(&self.rest[rest..])
                .all(|(a, b)| a == b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_key_and_nothing_else() {
        let words: Vec<String> = (0..5000)
            .map(|i| format!("w{i}"))
            .chain(["", "a", "abcdefgh", "abcdefghi"].map(String::from))
            .collect();
        let info = |k: usize| WordInfo {
            id: k as u16,
            ..WordInfo::default()
        };
        let table = WordTable::build(words.iter().enumerate().map(|(k, w)| (w.as_str(), info(k))));
        for (k, w) in words.iter().enumerate() {
            assert_eq!(
                table.get(&Key::new(w.as_bytes()).unwrap()).map(|i| i.id),
                Some(k as u16),
                "{w}"
            );
            // Every ASCII byte lowercases like u8::to_ascii_lowercase.
            let up = w.to_ascii_uppercase();
            let lowered = Key::ascii_lower(up.as_bytes(), 0, up.len()).unwrap().0;
            assert_eq!(table.get(&lowered).map(|i| i.id), Some(k as u16), "{up}");
        }
        for miss in ["w5000", "abcdefg", "abcdefgh\0", "abcdefghj", "W1", "x"] {
            assert!(
                table.get(&Key::new(miss.as_bytes()).unwrap()).is_none(),
                "{miss}"
            );
        }
        let lower = |s: &[u8]| Key::ascii_lower(s, 0, s.len()).unwrap();
        let (key, upper, _) = lower(b"ABCDEFGH");
        assert_eq!(table.get(&key).map(|i| i.id), Some(5002));
        assert!(upper);
        let (key, upper, _) = lower(b"AbCdEfGh");
        assert_eq!(table.get(&key).map(|i| i.id), Some(5002));
        assert!(!upper);
        assert!(!lower(b"123!").1);
        assert!(lower(b"@[`{Z").1);
        assert!(lower(b"isn't").2 && !lower(b"isnt").2);
        // A token inside a longer text: bytes past its end are masked off.
        let text = b"xx ABCDEFGH yy w12 z";
        assert_eq!(
            table
                .get(&Key::ascii_lower(text, 3, 11).unwrap().0)
                .map(|i| i.id),
            Some(5002)
        );
        assert_eq!(
            table
                .get(&Key::ascii_lower(text, 15, 18).unwrap().0)
                .map(|i| i.id),
            Some(12)
        );
        assert!(Key::new(&[b'a'; 65]).is_none());
        // get_short agrees with get on every key of up to 8 bytes, hit or miss
        for w in words
            .iter()
            .map(String::as_str)
            .chain(["w5000", "abcdefg", "x", "W1"])
        {
            let Some(key) = Key::new(w.as_bytes()).filter(|k| (1..=8).contains(&k.len)) else {
                continue;
            };
            assert_eq!(
                table.get_short(key.words[0], key.len).map(|i| i.id),
                table.get(&key).map(|i| i.id),
                "{w}"
            );
        }
    }
}
