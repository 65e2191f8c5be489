//! The small tables behind [`super::ScriptModel`]: a trigram counter, letter counts, a code
//! per character, and the trigram → postings index. Each is sized to stay in the first levels
//! of cache: the ingest pipeline shares one core between its stages, so whatever a stage leaves
//! in cache is soon evicted, and a lookup that misses costs more than the scoring around it.

use super::MAX_LANGS;

/// Counts trigrams in a fixed open-addressing table that is never cleared: each slot carries
/// the number of the text that wrote it. Texts with too many distinct trigrams fall back to
/// sorting.
#[derive(Debug)]
pub(super) struct Counter {
    slots: Vec<(u64, u32, u32)>,
    generation: u32,
}

const COUNTER_SLOTS: usize = 1024;

impl Default for Counter {
    fn default() -> Self {
        Self {
            slots: vec![(0, 0, 0); COUNTER_SLOTS],
            generation: 0,
        }
    }
}

impl Counter {
    /// `(count, trigram)` for each distinct trigram of `trigrams`, in any order.
    pub(super) fn count(&mut self, trigrams: &mut [u64], out: &mut Vec<(u32, u64)>) {
        out.clear();
        if trigrams.len() > COUNTER_SLOTS / 2 {
            trigrams.sort_unstable();
            for &t in trigrams.iter() {
                match out.last_mut() {
                    Some((n, last)) if *last == t => *n += 1,
                    _ => out.push((1, t)),
                }
            }
            return;
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.slots.fill((0, 0, 0));
            self.generation = 1;
        }
        let g = self.generation;
        for &t in trigrams.iter() {
            let mut i = (t.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 54) as usize;
            loop {
                let slot = &mut self.slots[i];
                if slot.2 != g {
                    *slot = (t, 1, g);
                    out.push((0, t));
                    break;
                }
                if slot.0 == t {
                    slot.1 += 1;
                    break;
                }
                i = (i + 1) & (COUNTER_SLOTS - 1);
            }
        }
        for (n, t) in out.iter_mut() {
            let mut i = (t.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 54) as usize;
            while self.slots[i].0 != *t {
                i = (i + 1) & (COUNTER_SLOTS - 1);
            }
            *n = self.slots[i].1;
        }
    }
}

/// Occurrences of each letter of one text, by its [`CharCodes`] code (0 for the letters no
/// alphabet holds). Counting first means each distinct letter's alphabet bit set is walked once
/// per text rather than once per occurrence.
#[derive(Debug)]
pub(super) struct LetterCounts {
    counts: [u32; 256],
    touched: Vec<u8>,
}

impl Default for LetterCounts {
    fn default() -> Self {
        Self {
            counts: [0; 256],
            touched: Vec::new(),
        }
    }
}

impl LetterCounts {
    #[inline]
    pub(super) fn add(&mut self, code: u8) {
        let n = &mut self.counts[usize::from(code)];
        if *n == 0 {
            self.touched.push(code);
        }
        *n += 1;
    }

    /// Calls `f(code, occurrences)` for each code counted, and resets.
    pub(super) fn drain(&mut self, mut f: impl FnMut(u8, u32)) {
        for &code in &self.touched {
            let n = &mut self.counts[usize::from(code)];
            f(code, *n);
            *n = 0;
        }
        self.touched.clear();
    }
}

/// char → a code from 1 to 255 for the characters one script's tables use, 0 for any other: a
/// table for U+0000–U+0FFF (every script profiled here but for a few Latin letters and
/// punctuation), a sorted list above.
#[derive(Debug)]
pub(super) struct CharCodes {
    low: Vec<u8>,
    high: Vec<(u32, u8)>,
    assigned: u8,
}

const LOW_CHARS: usize = 0x1000;

impl Default for CharCodes {
    fn default() -> Self {
        Self {
            low: vec![0; LOW_CHARS],
            high: Vec::new(),
            assigned: 0,
        }
    }
}

impl CharCodes {
    /// The code of `c`, giving it the next one if it has none; `None` once 255 are given.
    pub(super) fn assign(&mut self, c: char) -> Option<u8> {
        let n = u32::from(c);
        let existing = self.get(n);
        if existing != 0 {
            return Some(existing);
        }
        let code = self.assigned.checked_add(1)?;
        self.assigned = code;
        match usize::try_from(n) {
            Ok(i) if i < LOW_CHARS => self.low[i] = code,
            _ => {
                let at = self.high.partition_point(|&(h, _)| h < n);
                self.high.insert(at, (n, code));
            }
        }
        Some(code)
    }

    /// The code of the character `n` (a code point), 0 when it has none.
    #[inline]
    pub(super) fn get(&self, n: u32) -> u8 {
        match self.low.get(n as usize) {
            Some(&code) => code,
            None => self
                .high
                .binary_search_by_key(&n, |&(h, _)| h)
                .map_or(0, |i| self.high[i].1),
        }
    }
}

/// A posting: a language's index (6 bits, below [`MAX_LANGS`]) and the trigram's rank in that
/// language's profile (below 512), in one `u16`.
#[inline]
pub(super) fn posting(lang: usize, rank: usize) -> u16 {
    debug_assert!(lang < MAX_LANGS && rank < 512);
    ((rank << 6) | lang) as u16
}

/// `(language index, rank)` of a [`posting`].
#[inline]
pub(super) fn unposting(p: u16) -> (usize, i32) {
    (usize::from(p & 0x3F), i32::from(p >> 6))
}

/// Compact trigram (three [`CharCodes`], never 0) → `(start, len)` in the postings: open
/// addressing with linear probing, at most half full, 8-byte slots (the Latin profiles' 4,002
/// trigrams take 64 KiB). Most of a text's trigrams are in no profile; a miss stops at the
/// first empty slot, and a trigram with a character no profile uses is not looked up at all.
#[derive(Debug)]
pub(super) struct TrigramIndex {
    /// `(key, start << 8 | len)`; key 0 marks an empty slot.
    slots: Vec<(u32, u32)>,
    shift: u32,
}

impl TrigramIndex {
    pub(super) fn with_capacity(n: usize) -> Self {
        let size = (2 * n).next_power_of_two().max(16);
        TrigramIndex {
            slots: vec![(0, 0); size],
            shift: 32 - size.trailing_zeros(),
        }
    }

    #[inline]
    fn home(&self, key: u32) -> usize {
        (key.wrapping_mul(0x9E37_79B1) >> self.shift) as usize
    }

    /// Inserts a key not yet present (the build inserts each trigram once); `len` below 256,
    /// `start` below 2^24.
    pub(super) fn insert(&mut self, key: u32, start: u32, len: u32) {
        debug_assert_ne!(key, 0, "0 marks an empty slot");
        debug_assert!(len < 256 && start < 1 << 24);
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        while self.slots[i].0 != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = (key, (start << 8) | len);
    }

    #[inline]
    pub(super) fn get(&self, key: u32) -> Option<(u32, u32)> {
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let (k, v) = self.slots[i];
            if k == key {
                return Some((v >> 8, v & 0xFF));
            }
            if k == 0 {
                return None;
            }
            i = (i + 1) & mask;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn letter_counts_reset_between_texts() {
        let mut l = LetterCounts::default();
        for code in [1, 1, 7, 0, 255] {
            l.add(code);
        }
        let mut seen = Vec::new();
        l.drain(|code, n| seen.push((code, n)));
        seen.sort_unstable();
        assert_eq!(seen, [(0, 1), (1, 2), (7, 1), (255, 1)]);
        l.drain(|code, n| panic!("{code} counted again ({n})"));
    }

    #[test]
    fn trigram_index_finds_what_a_map_holds() {
        let mut seed = 88_172_645_463_325_252u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 40) as u32 | 1
        };
        for n in [0usize, 1, 5, 100, 3000] {
            let mut want: HashMap<u32, (u32, u32)> = HashMap::new();
            while want.len() < n {
                let key = next();
                let v = (want.len() as u32, key % 256);
                want.insert(key, v);
            }
            let mut index = TrigramIndex::with_capacity(n);
            for (&k, &(a, b)) in &want {
                index.insert(k, a, b);
            }
            for (&k, &v) in &want {
                assert_eq!(index.get(k), Some(v), "n={n}");
            }
            for _ in 0..1000 {
                let k = next();
                assert_eq!(index.get(k), want.get(&k).copied(), "n={n}");
            }
        }
    }

    #[test]
    fn char_codes_are_dense_stable_and_zero_elsewhere() {
        let mut codes = CharCodes::default();
        let chars = ['a', 'é', 'ж', 'ह', '\u{2019}', '\u{1EF9}', 'a', '\u{1F600}'];
        let got: Vec<Option<u8>> = chars.iter().map(|&c| codes.assign(c)).collect();
        assert_eq!(
            got,
            [
                Some(1),
                Some(2),
                Some(3),
                Some(4),
                Some(5),
                Some(6),
                Some(1),
                Some(7)
            ]
        );
        for (&c, &code) in chars.iter().zip(&got) {
            assert_eq!(Some(codes.get(u32::from(c))), code, "{c}");
        }
        assert_eq!(codes.get(u32::from('b')), 0);
        assert_eq!(codes.get(u32::from('\u{2018}')), 0);
        assert_eq!(codes.assigned, 7);
        let mut full = CharCodes::default();
        let given = (0x100..0x300)
            .filter_map(char::from_u32)
            .map_while(|c| full.assign(c))
            .count();
        assert_eq!(given, 255);
        // Once all 255 are given, a new character is skipped (no code, and none later), while
        // the characters that have one keep it.
        let skipped = char::from_u32(0x100 + 255).unwrap();
        assert_eq!(full.assign(skipped), None);
        assert_eq!(full.get(u32::from(skipped)), 0);
        assert_eq!(full.assign('\u{100}'), Some(1));
        assert_eq!(full.assign('\u{1FE}'), Some(255));
        assert_eq!(full.assigned, 255);
    }

    #[test]
    fn postings_pack_and_unpack() {
        for lang in 0..MAX_LANGS {
            for rank in [0, 1, 299, 511] {
                assert_eq!(unposting(posting(lang, rank)), (lang, rank as i32));
            }
        }
    }

    #[test]
    fn counter_counts_like_sorting() {
        let mut c = Counter::default();
        let mut out = Vec::new();
        for round in 0..3u64 {
            for n in [0usize, 1, 7, 300, 513, 2000] {
                let mut v: Vec<u64> = (0..n as u64).map(|i| (i * 7919 + round) % 97).collect();
                c.count(&mut v.clone(), &mut out);
                out.sort_unstable();
                v.sort_unstable();
                let mut want: Vec<(u32, u64)> = Vec::new();
                for t in v {
                    match want.last_mut() {
                        Some((k, last)) if *last == t => *k += 1,
                        _ => want.push((1, t)),
                    }
                }
                want.sort_unstable();
                assert_eq!(out, want, "n={n} round={round}");
            }
        }
    }
}
