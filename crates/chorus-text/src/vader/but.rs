//! `_but_check` of vaderSentiment 3.3.2, including its `list.index` behaviour.
//!
//! The Python walks the list position by position, reads the *current* value `v` there, finds
//! the first position `si` holding a value equal to `v` (`sentiments.index(v)`, so `si` may
//! lie before the walk's position when an earlier item had the same value), and scales the
//! value at `si`: ×0.5 before the first "but", ×1.5 after it, unchanged at it.
//!
//! [`but_check_naive`] is that walk, O(n²). [`but_check`] gives the same result in
//! O(n log n) for long inputs by keeping, per distinct value, the ordered set of positions
//! that currently hold it; short inputs use the naive walk, which is faster there.

use std::collections::BTreeSet;

use super::lexicon::Map;

/// Above this many sentiments the indexed walk is used.
const NAIVE_MAX: usize = 64;

#[inline]
fn factor(si: usize, bi: usize) -> Option<f64> {
    match si.cmp(&bi) {
        std::cmp::Ordering::Less => Some(0.5),
        std::cmp::Ordering::Greater => Some(1.5),
        std::cmp::Ordering::Equal => None,
    }
}

/// The literal walk (reference implementation).
pub(crate) fn but_check_naive(sentiments: &mut [f64], bi: usize) {
    for k in 0..sentiments.len() {
        let v = sentiments[k];
        // `v` itself sits at `k`, so a match always exists at or before `k`.
        let si = sentiments[..=k].iter().position(|&x| x == v).unwrap_or(k);
        if let Some(f) = factor(si, bi) {
            sentiments[si] = v * f;
        }
    }
}

/// Value key under Python float equality: `-0.0 == 0.0`; NaN never occurs in VADER scores.
#[inline]
fn key(v: f64) -> u64 {
    (v + 0.0).to_bits()
}

/// Same result as [`but_check_naive`].
pub(crate) fn but_check(sentiments: &mut [f64], bi: usize) {
    if sentiments.len() <= NAIVE_MAX {
        but_check_naive(sentiments, bi);
        return;
    }
    let mut positions: Map<u64, BTreeSet<usize>> = Map::default();
    for (i, &v) in sentiments.iter().enumerate() {
        positions.entry(key(v)).or_default().insert(i);
    }
    for k in 0..sentiments.len() {
        let v = sentiments[k];
        let Some(si) = positions.get(&key(v)).and_then(|set| set.first().copied()) else {
            continue; // unreachable: position k holds v
        };
        let Some(f) = factor(si, bi) else { continue };
        let nv = v * f;
        if key(nv) != key(v) {
            if let Some(set) = positions.get_mut(&key(v)) {
                set.remove(&si);
            }
            positions.entry(key(nv)).or_default().insert(si);
        }
        sentiments[si] = nv;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_values_scale_the_first_occurrence() {
        // "good good good but bad bad bad": index() always finds the first equal value.
        let mut s = [1.9, 1.9, 1.9, 0.0, -2.5, -2.5, -2.5];
        but_check_naive(&mut s, 3);
        // step 0: s[0]=0.95; step 1: v=1.9 first at 1 -> 0.95; step 2: v=1.9 at 2 -> 0.95
        // step 3: v=0 at 3 == bi: unchanged
        // step 4: v=-2.5 at 4 -> -3.75; step 5: -2.5 at 5 -> -3.75; step 6 -> -3.75
        assert_eq!(s, [0.95, 0.95, 0.95, 0.0, -3.75, -3.75, -3.75]);
    }

    #[test]
    fn value_equal_to_an_earlier_scaled_one() {
        // After step 0, s[0] = 1.0 equals s[1]; step 1 then scales s[0] again, not s[1].
        let mut s = [2.0, 1.0, 0.0];
        but_check_naive(&mut s, 2);
        assert_eq!(s, [0.5, 1.0, 0.0]);
    }

    #[test]
    fn indexed_walk_equals_naive_walk() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let palette = [
            0.0, -0.0, 1.0, 2.0, 0.5, 4.0, -1.0, -2.0, 3.0, 1.5, 0.25, -0.5,
        ];
        for round in 0..300 {
            let n = 65 + (next() % 200) as usize;
            let mut a: Vec<f64> = (0..n)
                .map(|_| palette[(next() % palette.len() as u64) as usize])
                .collect();
            let mut b = a.clone();
            let bi = (next() % n as u64) as usize;
            but_check_naive(&mut a, bi);
            but_check(&mut b, bi);
            let ab: Vec<u64> = a.iter().map(|v| v.to_bits()).collect();
            let bb: Vec<u64> = b.iter().map(|v| v.to_bits()).collect();
            assert_eq!(ab, bb, "round {round}");
        }
    }
}
