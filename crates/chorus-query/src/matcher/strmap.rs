//! A string → id map tuned for the per-token lookups of the hot path: strings up to 23 bytes
//! (nearly every token) are stored inline in the hash table as three `u64`, so a lookup is one
//! probe with no pointer to chase and no `memcmp` call; longer strings use a boxed-key map.

use super::compile::Map;

type Inline = [u64; 3];

#[derive(Debug, Default)]
pub(crate) struct StrMap {
    small: Map<Inline, u32>,
    large: Map<Box<str>, u32>,
}

#[inline]
fn inline_key(s: &str) -> Option<Inline> {
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
