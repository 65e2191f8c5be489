//! Scoring for the scripts shared by several languages (Latin, Cyrillic, Arabic, Devanagari,
//! Hebrew) with whatlang 0.18's data and its "combined" method: an out-of-place distance over
//! each language's 300 most frequent trigrams, an alphabet score (share of the letters that
//! belong to the language's alphabet; Latin and Cyrillic only), weighted by text length, and
//! whatlang's confidence formula. Computed through inverted indexes, so that the cost follows
//! the text's trigrams and letters, not languages × 300 lookups.

use std::collections::HashMap;

use foldhash::fast::FixedState;
use whatlang::{Lang, Script};

mod data {
    include!(concat!(env!("OUT_DIR"), "/lang_profiles.rs"));
}

const MAX_TRIGRAM_DISTANCE: i64 = 300;
const MAX_TOTAL_DISTANCE: i64 = MAX_TRIGRAM_DISTANCE * MAX_TRIGRAM_DISTANCE;
/// Text trigrams considered, most frequent first (whatlang's TEXT_TRIGRAMS_SIZE).
const TEXT_TRIGRAMS: usize = 600;
/// Upper bound on the number of profiled languages (51 in whatlang 0.18).
const MAX_LANGS: usize = 64;

#[inline]
fn pack(a: char, b: char, c: char) -> u64 {
    (u64::from(a) << 42) | (u64::from(b) << 21) | u64::from(c)
}

/// Scores of the best two languages of a script for one text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TrigramOutcome {
    pub(crate) lang: Lang,
    pub(crate) confidence: f64,
}

/// Buffers reused between texts.
#[derive(Debug, Default)]
pub(crate) struct TrigramScratch {
    trigrams: Vec<u64>,
    counted: Vec<(u32, u64)>,
    counter: Counter,
}

/// Counts trigrams in a fixed open-addressing table that is never cleared: each slot carries
/// the number of the text that wrote it. Texts with too many distinct trigrams fall back to
/// sorting.
#[derive(Debug)]
struct Counter {
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
    fn count(&mut self, trigrams: &mut [u64], out: &mut Vec<(u32, u64)>) {
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

#[derive(Debug)]
pub(crate) struct TrigramModel {
    /// Languages in profile order; `acc` is indexed like this.
    langs: Vec<(Script, Lang)>,
    /// trigram → range in `postings`.
    index: HashMap<u64, (u32, u32), FixedState>,
    /// (language index, rank in its profile).
    postings: Vec<(u16, u16)>,
    /// letter → bit set of the languages whose alphabet holds it.
    alphabet: HashMap<char, u64, FixedState>,
    /// The same for ASCII, by byte.
    ascii_alphabet: [u64; 128],
    /// Languages that have an alphabet (the others score 1, as whatlang's placeholder does).
    with_alphabet: u64,
}

impl TrigramModel {
    pub(crate) fn build() -> Self {
        let mut langs = Vec::new();
        let mut lists: HashMap<u64, Vec<(u16, u16)>, FixedState> = HashMap::default();
        for &(script, code, profile) in data::PROFILES {
            let Some(script) = [
                Script::Latin,
                Script::Cyrillic,
                Script::Arabic,
                Script::Devanagari,
                Script::Hebrew,
            ]
            .into_iter()
            .find(|&s| script_name(s) == script) else {
                continue;
            };
            let Some(lang) = Lang::from_code(code) else {
                continue;
            };
            if langs.len() == MAX_LANGS {
                break;
            }
            let li = langs.len() as u16;
            langs.push((script, lang));
            for (rank, &[a, b, c]) in profile.iter().enumerate() {
                lists
                    .entry(pack(a, b, c))
                    .or_default()
                    .push((li, rank as u16));
            }
        }
        let mut alphabet: HashMap<char, u64, FixedState> = HashMap::default();
        let mut with_alphabet = 0u64;
        for &(script, code, letters) in data::ALPHABETS {
            let found = langs
                .iter()
                .position(|&(s, l)| l.code() == code && script_name(s) == script);
            let Some(li) = found else { continue };
            with_alphabet |= 1 << li;
            for c in letters.chars() {
                *alphabet.entry(c).or_default() |= 1 << li;
            }
        }
        let mut index = HashMap::with_capacity_and_hasher(lists.len(), FixedState::default());
        let mut postings = Vec::new();
        for (tri, list) in lists {
            index.insert(tri, (postings.len() as u32, list.len() as u32));
            postings.extend(list);
        }
        let mut ascii_alphabet = [0u64; 128];
        for (b, slot) in ascii_alphabet.iter_mut().enumerate() {
            *slot = alphabet.get(&char::from(b as u8)).copied().unwrap_or(0);
        }
        Self {
            langs,
            index,
            postings,
            alphabet,
            ascii_alphabet,
            with_alphabet,
        }
    }

    /// Best language of `script` for `text` (letters, apostrophes, hyphens and single spaces),
    /// with whatlang's confidence; `None` when the text has no trigram.
    pub(crate) fn detect(
        &self,
        text: &str,
        script: Script,
        s: &mut TrigramScratch,
    ) -> Option<TrigramOutcome> {
        // Trigrams of the lowercased text, stop characters as spaces (whatlang's `count`).
        s.trigrams.clear();
        if text.is_ascii() {
            let chars = text
                .bytes()
                .map(|b| to_trigram_char(char::from(b.to_ascii_lowercase())));
            push_trigrams(chars, &mut s.trigrams);
        } else {
            // Multi-char lowercase forms (rare) keep their first char.
            let lower = |c: char| c.to_lowercase().next().unwrap_or(c);
            push_trigrams(
                text.chars().map(lower).map(to_trigram_char),
                &mut s.trigrams,
            );
        }
        if s.trigrams.is_empty() {
            return None;
        }
        s.counter.count(&mut s.trigrams, &mut s.counted);
        let count = s.counted.len().min(TEXT_TRIGRAMS) as i64;
        ranks(&mut s.counted);

        // Sum over shared trigrams of (|text rank - profile rank| - 300) per language; a
        // profile trigram missing from the text costs 300, so the distance is 300·300 + acc.
        let mut acc = [0i32; MAX_LANGS];
        for &(pos, tri) in &s.counted {
            let pos = pos as i32;
            if let Some(&(start, len)) = self.index.get(&tri) {
                for &(li, rank) in &self.postings[start as usize..(start + len) as usize] {
                    acc[usize::from(li) % MAX_LANGS] += (pos - i32::from(rank)).abs() - 300;
                }
            }
        }
        // Alphabet: letters of each language's alphabet among the text's letters.
        let mut in_alphabet = [0u32; MAX_LANGS];
        let mut letters = 0u32;
        let add = |in_alphabet: &mut [u32; MAX_LANGS], mut mask: u64, n: u32| {
            while mask != 0 {
                in_alphabet[mask.trailing_zeros() as usize % MAX_LANGS] += n;
                mask &= mask - 1;
            }
        };
        let mut ascii_counts = [0u32; 128];
        for c in text.chars() {
            if c.is_ascii() {
                ascii_counts[usize::from(c.to_ascii_lowercase() as u8) % 128] += 1;
            } else {
                let c = c.to_lowercase().next().unwrap_or(c);
                if to_trigram_char(c) != ' ' {
                    letters += 1;
                    add(
                        &mut in_alphabet,
                        self.alphabet.get(&c).copied().unwrap_or(0),
                        1,
                    );
                }
            }
        }
        for (b, &n) in ascii_counts.iter().enumerate() {
            if n > 0 && to_trigram_char(char::from(b as u8)) != ' ' {
                letters += n;
                add(&mut in_alphabet, self.ascii_alphabet[b], n);
            }
        }
        let alphabet_weight =
            (-(f64::from(letters) / 300.0) + 2.0 / 3.0).clamp(1.0 / 3.0, 2.0 / 3.0);

        let max = count * MAX_TRIGRAM_DISTANCE;
        let mut best: Option<(f64, usize)> = None;
        let mut second: Option<f64> = None;
        for (li, &(lang_script, _)) in self.langs.iter().enumerate() {
            if lang_script != script {
                continue;
            }
            let mut dist = MAX_TOTAL_DISTANCE + i64::from(acc[li % MAX_LANGS]);
            if MAX_TRIGRAM_DISTANCE > count {
                dist -= (MAX_TRIGRAM_DISTANCE - count) * MAX_TRIGRAM_DISTANCE;
            }
            let dist = dist.clamp(0, MAX_TOTAL_DISTANCE);
            let trigram_score = (max - dist).max(0) as f64 / max as f64;
            let alphabet_score = if self.with_alphabet & (1 << li) == 0 || letters == 0 {
                1.0
            } else {
                let raw = (2 * in_alphabet[li % MAX_LANGS]).saturating_sub(letters);
                f64::from(raw) / f64::from(letters)
            };
            let score = alphabet_score * alphabet_weight + trigram_score * (1.0 - alphabet_weight);
            match best {
                Some((b, _)) if score <= b => {
                    if second.is_none_or(|s2| score > s2) {
                        second = Some(score);
                    }
                }
                _ => {
                    second = best.map(|(b, _)| b);
                    best = Some((score, li));
                }
            }
        }
        let (s1, li) = best?;
        let confidence = match second {
            Some(s2) => confidence(s1, s2, count as usize),
            None => 1.0,
        };
        Some(TrigramOutcome {
            lang: self.langs[li].1,
            confidence,
        })
    }
}

fn script_name(s: Script) -> &'static str {
    match s {
        Script::Latin => "latin",
        Script::Cyrillic => "cyrillic",
        Script::Arabic => "arabic",
        Script::Devanagari => "devanagari",
        Script::Hebrew => "hebrew",
        _ => "",
    }
}

/// Appends the trigrams of `chars` (already lowercased, stop characters as spaces), as
/// whatlang's `count` forms them: a leading and a trailing space, no trigram centred on a space
/// next to another space.
#[inline]
fn push_trigrams(mut chars: impl Iterator<Item = char>, out: &mut Vec<u64>) {
    let Some(first) = chars.next() else { return };
    let (mut c1, mut c2) = (' ', first);
    for c3 in chars.chain([' ']) {
        if !(c2 == ' ' && (c1 == ' ' || c3 == ' ')) {
            out.push(pack(c1, c2, c3));
        }
        c1 = c2;
        c2 = c3;
    }
}

/// Turns `(count, trigram)` pairs into `(rank, trigram)`, most frequent first, keeping the
/// first [`TEXT_TRIGRAMS`]. Trigrams with equal counts share the middle rank of their group
/// (whatlang orders them by code point, which carries no information); only texts with more
/// than [`TEXT_TRIGRAMS`] distinct trigrams are sorted, by count then code point, to cut there.
fn ranks(counted: &mut Vec<(u32, u64)>) {
    if counted.len() > TEXT_TRIGRAMS {
        counted.sort_unstable_by(|a, b| b.cmp(a));
        counted.truncate(TEXT_TRIGRAMS);
    }
    let max = counted.iter().map(|c| c.0).max().unwrap_or(0) as usize;
    if max <= 64 {
        // Group sizes by count; rank of a group = trigrams with a higher count + half its size.
        let mut sizes = [0u32; 65];
        for &(n, _) in counted.iter() {
            sizes[n as usize] += 1;
        }
        let mut mid = [0u32; 65];
        let mut above = 0;
        for n in (1..=max).rev() {
            mid[n] = above + sizes[n].saturating_sub(1) / 2;
            above += sizes[n];
        }
        for c in counted.iter_mut() {
            c.0 = mid[c.0 as usize];
        }
    } else {
        counted.sort_unstable_by(|a, b| b.cmp(a));
        for (pos, c) in counted.iter_mut().enumerate() {
            c.0 = pos as u32;
        }
    }
}

/// whatlang's `is_stop_char`: ASCII space, punctuation and digits become word boundaries.
#[inline]
fn to_trigram_char(c: char) -> char {
    if matches!(c, '\u{0}'..='\u{40}' | '\u{5B}'..='\u{60}' | '\u{7B}'..='\u{7E}') {
        ' '
    } else {
        c
    }
}

/// whatlang's `calculate_confidence`: how far the best score stands above the second, relative
/// to what is expected for this many trigrams.
fn confidence(highest: f64, second: f64, count: usize) -> f64 {
    if highest == 0.0 {
        return 0.0;
    }
    if second == 0.0 {
        return highest;
    }
    let confident_rate = (3.0 / count as f64) + 0.015;
    let rate = (highest - second) / second;
    if rate > confident_rate {
        1.0
    } else {
        rate / confident_rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_profiles_load() {
        let m = TrigramModel::build();
        assert_eq!(m.langs.len(), 51);
        assert_eq!(m.postings.len(), 51 * 300);
    }

    #[test]
    fn picks_the_language_of_clear_text() {
        let m = TrigramModel::build();
        let mut s = TrigramScratch::default();
        let mut lang = |t: &str, script| m.detect(t, script, &mut s).map(|o| o.lang);
        assert_eq!(
            lang(
                "the quick brown fox jumps over the lazy dog and runs away",
                Script::Latin
            ),
            Some(Lang::Eng)
        );
        assert_eq!(
            lang(
                "Ich habe heute keine Zeit, weil ich mit meiner Mutter in die Stadt fahren muss",
                Script::Latin
            ),
            Some(Lang::Deu)
        );
        assert_eq!(
            lang(
                "Быстрая коричневая лиса прыгает через ленивую собаку",
                Script::Cyrillic
            ),
            Some(Lang::Rus)
        );
        assert_eq!(lang("", Script::Latin), None);
        assert_eq!(lang(" ", Script::Latin), None);
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
