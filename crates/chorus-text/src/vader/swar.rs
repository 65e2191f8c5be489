//! Word-at-a-time byte tests (SWAR): eight bytes of text in a `u64`, tested with a few
//! integer operations and no branch per byte. Each mask function returns the high bit of every
//! byte lane that passes, so `trailing_zeros() / 8` is the first such byte.

/// Bit 7 of every byte.
pub(crate) const HIGH: u64 = 0x8080_8080_8080_8080;
pub(crate) const ONES: u64 = 0x0101_0101_0101_0101;

/// The 8 bytes of `b` from `i` (which has 8 bytes left) as a little-endian word.
#[inline(always)]
pub(crate) fn word_at(b: &[u8], i: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(w)
}

/// The bytes of `b` from `i` (fewer than 8 left) as a word, padded with spaces.
#[cfg(test)]
#[inline]
pub(crate) fn tail_word(b: &[u8], i: usize) -> u64 {
    let mut w = [b' '; 8];
    for (slot, &c) in w.iter_mut().zip(b.get(i..).unwrap_or_default()) {
        *slot = c;
    }
    u64::from_le_bytes(w)
}

/// Bytes of `x` whose low 7 bits are in `lo..=hi` (`hi < 0x80`), as a mask of their high bits.
#[inline(always)]
pub(crate) fn low7_range_mask(x: u64, lo: u8, hi: u8) -> u64 {
    let y = x & !HIGH;
    let ge_lo = y + ONES * u64::from(0x80 - lo);
    let gt_hi = y + ONES * u64::from(0x7f - hi);
    ge_lo & !gt_hi & HIGH
}

/// High bit set in each byte of the ASCII word `x` below `0x21`.
#[inline(always)]
pub(crate) fn below_21(x: u64) -> u64 {
    !(x + ONES * (0x80 - 0x21)) & HIGH
}

/// High bit set in each byte of `x` equal to `c` (exact for any bytes: no carries).
#[inline(always)]
pub(crate) fn byte_eq(x: u64, c: u8) -> u64 {
    let t = x ^ (ONES * u64::from(c));
    !(((t & !HIGH) + !HIGH) | t) & HIGH
}

/// `s` holds the byte `needle` (one pass without early exit, which vectorizes: tokens are
/// short, and most do not hold it).
#[inline]
pub(crate) fn holds_byte(s: &[u8], needle: u8) -> bool {
    s.iter().fold(false, |a, &c| a | (c == needle))
}

/// A set of bytes to search for, 8 bytes of the haystack at a time when it has at most
/// [`ByteSet::SWAR`] members (the emoji keys of 3.3.2 start with one of 4 bytes).
#[derive(Debug, Clone)]
pub(crate) struct ByteSet {
    /// Each member repeated in every byte of a word (the first `len` are used).
    splat: [u64; ByteSet::SWAR],
    len: usize,
    member: [bool; 256],
    /// No member is ASCII.
    pub(crate) above_ascii: bool,
}

impl ByteSet {
    const SWAR: usize = 4;

    pub(crate) fn new(bytes: &[u8]) -> Self {
        let mut member = [false; 256];
        for &b in bytes {
            member[usize::from(b)] = true;
        }
        let mut splat = [0; Self::SWAR];
        let mut len = 0;
        for b in 0..=255u8 {
            if member[usize::from(b)] {
                if len < Self::SWAR {
                    splat[len] = ONES * u64::from(b);
                }
                len += 1;
            }
        }
        let above_ascii = bytes.iter().all(|&b| b >= 0x80);
        Self {
            splat,
            len,
            member,
            above_ascii,
        }
    }

    /// The position of the first byte of `b` in the set.
    #[inline]
    pub(crate) fn find(&self, b: &[u8]) -> Option<usize> {
        if self.len > Self::SWAR {
            return b.iter().position(|&v| self.member[usize::from(v)]);
        }
        let mut chunks = b.chunks_exact(8);
        let mut base = 0;
        for c in &mut chunks {
            let x = word_at(c, 0);
            let mut hit = 0;
            for &m in &self.splat[..self.len] {
                // high bit of each byte of `x ^ m` that is zero (exact: no carries)
                let t = x ^ m;
                hit |= !(((t & !HIGH) + !HIGH) | t) & HIGH;
            }
            if hit != 0 {
                return Some(base + (hit.trailing_zeros() / 8) as usize);
            }
            base += 8;
        }
        let rest = chunks.remainder();
        rest.iter()
            .position(|&v| self.member[usize::from(v)])
            .map(|p| base + p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_set_finds_the_first_member() {
        let mut seed = 3u64;
        for members in [
            &b""[..],
            b"\xf0",
            b"\xc2\xe2\xe3\xf0",
            b"a!\x00\xff",
            b"abcdefg",
        ] {
            let set = ByteSet::new(members);
            for _ in 0..2000 {
                let mut hay = Vec::new();
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                for _ in 0..((seed >> 40) % 40) {
                    seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    hay.push((seed >> 56) as u8);
                }
                let want = hay.iter().position(|b| members.contains(b));
                assert_eq!(set.find(&hay), want, "{members:?} {hay:?}");
            }
        }
    }
}
