//! The set of literals present in the current post: a small open-addressing table in the
//! caller's scratch, sized to the post rather than to the matcher, so the membership tests of
//! the hot path (first occurrence, candidate checks, evaluation) stay in the L1 cache however
//! many queries are registered. Entries carry the post's epoch, so nothing is cleared per post.

/// Literals seen in the current post.
#[derive(Debug, Default)]
pub(crate) struct Present {
    /// `epoch << 32 | literal`; an entry with another epoch is empty.
    table: Vec<u64>,
    /// `32 - log2(table.len())`.
    shift: u32,
    epoch: u32,
    len: usize,
}

const MIN_BITS: u32 = 7;

#[inline]
fn home(lit: u32, shift: u32) -> usize {
    (lit.wrapping_mul(0x9E37_79B1) >> shift) as usize
}

impl Present {
    /// Start a new post. After a post that grew the table far beyond what this one is likely
    /// to need, shrink it back so it stays cache-resident.
    pub fn begin(&mut self) {
        if self.table.len() > 4 << MIN_BITS && self.len * 8 < self.table.len() {
            self.table = Vec::new();
        }
        if self.table.is_empty() {
            self.table = vec![0; 1 << MIN_BITS];
            self.shift = 32 - MIN_BITS;
            self.epoch = 0;
        }
        if self.epoch == u32::MAX {
            self.table.fill(0);
            self.epoch = 0;
        }
        self.epoch += 1;
        self.len = 0;
    }

    /// Add `lit`; true when it was not yet present.
    #[inline]
    pub fn insert(&mut self, lit: u32) -> bool {
        if (self.len + 1) * 2 > self.table.len() {
            self.grow();
        }
        let want = u64::from(self.epoch) << 32 | u64::from(lit);
        let mask = self.table.len() - 1;
        let mut i = home(lit, self.shift);
        loop {
            let e = self.table[i];
            if e == want {
                return false;
            }
            if (e >> 32) as u32 != self.epoch {
                self.table[i] = want;
                self.len += 1;
                return true;
            }
            i = (i + 1) & mask;
        }
    }

    /// Is `lit` present in the current post?
    #[inline]
    pub fn contains(&self, lit: u32) -> bool {
        let want = u64::from(self.epoch) << 32 | u64::from(lit);
        let mask = self.table.len().wrapping_sub(1);
        let mut i = home(lit, self.shift);
        while let Some(&e) = self.table.get(i) {
            if e == want {
                return true;
            }
            if (e >> 32) as u32 != self.epoch {
                return false;
            }
            i = (i + 1) & mask;
        }
        false
    }

    fn grow(&mut self) {
        let size = (self.table.len() * 2).max(1 << MIN_BITS);
        let old = std::mem::replace(&mut self.table, vec![0; size]);
        self.shift = 32 - size.trailing_zeros();
        let epoch = self.epoch;
        self.len = 0;
        for e in old {
            if (e >> 32) as u32 == epoch {
                self.insert(e as u32);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Present;

    #[test]
    fn membership_per_post_and_growth() {
        let mut p = Present::default();
        p.begin();
        for lit in (0..5000u32).map(|i| i * 7919) {
            assert!(p.insert(lit));
            assert!(!p.insert(lit));
        }
        assert!((0..5000u32).all(|i| p.contains(i * 7919)));
        assert!(!p.contains(1));
        p.begin(); // a new post forgets everything
        assert!(!p.contains(0) && !p.contains(7919));
        assert!(p.insert(7919) && p.contains(7919) && !p.contains(0));
        assert!(p.table.len() >= 1 << 13);
        p.begin(); // after a small post the table shrinks back
        assert!(p.table.len() <= 1 << 9);
        assert!(!p.contains(7919) && p.insert(7919));
    }

    #[test]
    fn epoch_wrap_clears() {
        let mut p = Present::default();
        p.begin();
        p.insert(3);
        p.epoch = u32::MAX;
        p.table[0] = u64::from(u32::MAX) << 32 | 5;
        p.begin();
        assert_eq!(p.epoch, 1);
        assert!(!p.contains(3) && !p.contains(5));
    }
}
