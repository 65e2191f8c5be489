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
/// Upper bound on the number of profiled languages per script (whatlang 0.18 has 51 in all,
/// 38 of them Latin).
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
    letters: LetterCounts,
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

/// Occurrences of each lowercased letter of one text: a counter per code point for ASCII,
/// Latin-1, Latin Extended-A and Cyrillic (where nearly every post's letters are), the rest
/// listed one by one. Counting first means each distinct letter's alphabet bit set is walked
/// once per text rather than once per occurrence.
#[derive(Debug)]
struct LetterCounts {
    counts: Vec<u32>,
    touched: Vec<u16>,
    others: Vec<char>,
}

/// Counter slots: U+0000–U+017F, then U+0400–U+04FF.
const LETTER_SLOTS: usize = 0x180 + 0x100;

impl Default for LetterCounts {
    fn default() -> Self {
        Self {
            counts: vec![0; LETTER_SLOTS],
            touched: Vec::new(),
            others: Vec::new(),
        }
    }
}

impl LetterCounts {
    fn slot(c: char) -> Option<usize> {
        match u32::from(c) {
            n @ 0..0x180 => Some(n as usize),
            n @ 0x400..0x500 => Some(0x180 + (n - 0x400) as usize),
            _ => None,
        }
    }

    fn char_of(slot: usize) -> char {
        let n = if slot < 0x180 {
            slot as u32
        } else {
            slot as u32 - 0x180 + 0x400
        };
        char::from_u32(n).unwrap_or(' ')
    }

    #[inline]
    fn add(&mut self, c: char) {
        match Self::slot(c) {
            Some(i) => {
                if self.counts[i] == 0 {
                    self.touched.push(i as u16);
                }
                self.counts[i] += 1;
            }
            None => self.others.push(c),
        }
    }

    /// Calls `f(letter, occurrences)` for each letter counted, and resets.
    fn drain(&mut self, mut f: impl FnMut(char, u32)) {
        for &i in &self.touched {
            let i = usize::from(i);
            f(Self::char_of(i), self.counts[i]);
            self.counts[i] = 0;
        }
        self.touched.clear();
        for &c in &self.others {
            f(c, 1);
        }
        self.others.clear();
    }
}

/// The profiles of one script's languages, indexed by trigram.
#[derive(Debug)]
struct ScriptModel {
    script: Script,
    /// The script's languages; `acc` and the alphabet bit sets are indexed like this.
    langs: Vec<Lang>,
    /// trigram → range in `postings`.
    index: TrigramIndex,
    /// (language index, rank in its profile).
    postings: Vec<(u16, u16)>,
    /// letter → bit set of the languages whose alphabet holds it.
    alphabet: HashMap<char, u64, FixedState>,
    /// Languages that have an alphabet (the others score 1, as whatlang's placeholder does).
    with_alphabet: u64,
}

/// trigram → `(start, len)` in the postings: open addressing with linear probing, at most half
/// full, keys stored inline (a lookup is one or two cache lines; most of a text's trigrams are
/// in no profile, and a miss stops at the first empty slot). No trigram packs to 0, the empty
/// key.
#[derive(Debug)]
struct TrigramIndex {
    slots: Vec<(u64, u32, u32)>,
    shift: u32,
}

impl TrigramIndex {
    fn with_capacity(n: usize) -> Self {
        let size = (2 * n).next_power_of_two().max(16);
        TrigramIndex {
            slots: vec![(0, 0, 0); size],
            shift: 64 - size.trailing_zeros(),
        }
    }

    #[inline]
    fn home(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    /// Inserts a key not yet present (the build inserts each trigram once).
    fn insert(&mut self, key: u64, start: u32, len: u32) {
        debug_assert_ne!(key, 0, "0 marks an empty slot");
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        while self.slots[i].0 != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = (key, start, len);
    }

    #[inline]
    fn get(&self, key: u64) -> Option<(u32, u32)> {
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let (k, start, len) = self.slots[i];
            if k == key {
                return Some((start, len));
            }
            if k == 0 {
                return None;
            }
            i = (i + 1) & mask;
        }
    }
}

/// One [`ScriptModel`] per script that several languages share: a text is scored against its
/// own script's profiles only, whose index is small enough to stay in cache.
#[derive(Debug)]
pub(crate) struct TrigramModel {
    scripts: Vec<ScriptModel>,
}

impl TrigramModel {
    pub(crate) fn build() -> Self {
        let scripts = [
            Script::Latin,
            Script::Cyrillic,
            Script::Arabic,
            Script::Devanagari,
            Script::Hebrew,
        ]
        .into_iter()
        .map(ScriptModel::build)
        .collect();
        Self { scripts }
    }

    /// Best language of `script` for `text` (letters, apostrophes, hyphens and single spaces),
    /// with whatlang's confidence; `None` when the text has no trigram or the script has no
    /// profiles.
    pub(crate) fn detect(
        &self,
        text: &str,
        script: Script,
        s: &mut TrigramScratch,
    ) -> Option<TrigramOutcome> {
        self.scripts
            .iter()
            .find(|m| m.script == script)?
            .detect(text, s)
    }
}

impl ScriptModel {
    fn build(script: Script) -> Self {
        let mut langs = Vec::new();
        let mut lists: HashMap<u64, Vec<(u16, u16)>, FixedState> = HashMap::default();
        for &(name, code, profile) in data::PROFILES {
            if name != script_name(script) {
                continue;
            }
            let Some(lang) = Lang::from_code(code) else {
                continue;
            };
            if langs.len() == MAX_LANGS {
                break;
            }
            let li = langs.len() as u16;
            langs.push(lang);
            for (rank, &[a, b, c]) in profile.iter().enumerate() {
                lists
                    .entry(pack(a, b, c))
                    .or_default()
                    .push((li, rank as u16));
            }
        }
        let mut alphabet: HashMap<char, u64, FixedState> = HashMap::default();
        let mut with_alphabet = 0u64;
        for &(name, code, letters) in data::ALPHABETS {
            if name != script_name(script) {
                continue;
            }
            let Some(li) = langs.iter().position(|l| l.code() == code) else {
                continue;
            };
            with_alphabet |= 1 << li;
            for c in letters.chars() {
                *alphabet.entry(c).or_default() |= 1 << li;
            }
        }
        let mut index = TrigramIndex::with_capacity(lists.len());
        let mut postings = Vec::new();
        for (tri, list) in lists {
            index.insert(tri, postings.len() as u32, list.len() as u32);
            postings.extend(list);
        }
        Self {
            script,
            langs,
            index,
            postings,
            alphabet,
            with_alphabet,
        }
    }

    fn detect(&self, text: &str, s: &mut TrigramScratch) -> Option<TrigramOutcome> {
        let TrigramScratch {
            trigrams,
            counted,
            counter,
            letters: letter_counts,
        } = s;
        // One pass over the lowercased text: its trigrams, stop characters as spaces
        // (whatlang's `count`), and its letters for the alphabet score.
        trigrams.clear();
        let chars = text.chars().map(|c| {
            let c = lowercase(c);
            let t = to_trigram_char(c);
            if t != ' ' {
                letter_counts.add(c);
            }
            t
        });
        push_trigrams(chars, trigrams);
        // Letters outside each language's alphabet: most letters are in nearly every alphabet
        // of their script, so walking the languages that lack one is short.
        let mut letters = 0u32;
        let mut missing = [0u32; MAX_LANGS];
        letter_counts.drain(|c, n| {
            letters += n;
            let mut lacking = self.with_alphabet & !self.alphabet.get(&c).copied().unwrap_or(0);
            while lacking != 0 {
                missing[lacking.trailing_zeros() as usize % MAX_LANGS] += n;
                lacking &= lacking - 1;
            }
        });
        if trigrams.is_empty() {
            return None;
        }
        counter.count(trigrams, counted);
        let count = counted.len().min(TEXT_TRIGRAMS) as i64;
        ranks(counted);

        // Sum over shared trigrams of (|text rank - profile rank| - 300) per language; a
        // profile trigram missing from the text costs 300, so the distance is 300·300 + acc.
        let mut acc = [0i32; MAX_LANGS];
        for &(pos, tri) in counted.iter() {
            let pos = pos as i32;
            if let Some((start, len)) = self.index.get(tri) {
                for &(li, rank) in &self.postings[start as usize..(start + len) as usize] {
                    acc[usize::from(li) % MAX_LANGS] += (pos - i32::from(rank)).abs() - 300;
                }
            }
        }
        let alphabet_weight =
            (-(f64::from(letters) / 300.0) + 2.0 / 3.0).clamp(1.0 / 3.0, 2.0 / 3.0);

        let max = count * MAX_TRIGRAM_DISTANCE;
        let mut best: Option<(f64, usize)> = None;
        let mut second: Option<f64> = None;
        for li in 0..self.langs.len() {
            let mut dist = MAX_TOTAL_DISTANCE + i64::from(acc[li % MAX_LANGS]);
            if MAX_TRIGRAM_DISTANCE > count {
                dist -= (MAX_TRIGRAM_DISTANCE - count) * MAX_TRIGRAM_DISTANCE;
            }
            let dist = dist.clamp(0, MAX_TOTAL_DISTANCE);
            let trigram_score = (max - dist).max(0) as f64 / max as f64;
            let alphabet_score = if self.with_alphabet & (1 << li) == 0 || letters == 0 {
                1.0
            } else {
                let in_alphabet = letters - missing[li % MAX_LANGS];
                let raw = (2 * in_alphabet).saturating_sub(letters);
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
            lang: self.langs[li],
            confidence,
        })
    }
}

/// `c.to_lowercase()`'s first char, with the ASCII and basic Cyrillic ranges (nearly every
/// letter of the posts seen) answered without the Unicode tables. Multi-char lowercase forms
/// (rare) keep their first char.
#[inline]
fn lowercase(c: char) -> char {
    match c {
        'A'..='Z' => c.to_ascii_lowercase(),
        '\0'..='\u{7F}' | '\u{430}'..='\u{45F}' => c,
        // А–Я → а–я, Ѐ–Џ → ѐ–џ.
        '\u{410}'..='\u{42F}' => char::from_u32(u32::from(c) + 0x20).unwrap_or(c),
        '\u{400}'..='\u{40F}' => char::from_u32(u32::from(c) + 0x50).unwrap_or(c),
        _ => c.to_lowercase().next().unwrap_or(c),
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
        let langs: usize = m.scripts.iter().map(|s| s.langs.len()).sum();
        let postings: usize = m.scripts.iter().map(|s| s.postings.len()).sum();
        assert_eq!(langs, 51);
        assert_eq!(postings, 51 * 300);
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
    fn fast_lowercase_agrees_with_unicode() {
        for c in (0..0x3000).filter_map(char::from_u32) {
            assert_eq!(
                lowercase(c),
                c.to_lowercase().next().unwrap_or(c),
                "U+{:04X}",
                u32::from(c)
            );
        }
    }

    #[test]
    fn letter_counts_reset_between_texts() {
        let mut l = LetterCounts::default();
        for c in "aaбЖ\u{1F600}".chars() {
            l.add(c);
        }
        let mut seen = Vec::new();
        l.drain(|c, n| seen.push((c, n)));
        seen.sort_unstable();
        assert_eq!(seen, [('a', 2), ('Ж', 1), ('б', 1), ('\u{1F600}', 1)]);
        l.drain(|c, n| panic!("{c} counted again ({n})"));
    }

    /// The scoring written the plain way: per language, every profile trigram looked up in a
    /// map of the text's ranks, every letter checked against the alphabet.
    fn reference_detect(text: &str, script: Script) -> Option<(Lang, f64)> {
        let mut trigrams = Vec::new();
        push_trigrams(
            text.chars().map(|c| to_trigram_char(lowercase(c))),
            &mut trigrams,
        );
        if trigrams.is_empty() {
            return None;
        }
        let mut counts: HashMap<u64, u32> = HashMap::new();
        for t in trigrams {
            *counts.entry(t).or_default() += 1;
        }
        assert!(
            counts.len() <= TEXT_TRIGRAMS,
            "reference covers short texts only"
        );
        let rank_of: HashMap<u64, i64> = counts
            .iter()
            .map(|(&t, &n)| {
                let higher = counts.values().filter(|&&m| m > n).count();
                let same = counts.values().filter(|&&m| m == n).count();
                (t, (higher + (same - 1) / 2) as i64)
            })
            .collect();
        let count = counts.len() as i64;
        let letters: Vec<char> = text
            .chars()
            .map(lowercase)
            .filter(|&c| to_trigram_char(c) != ' ')
            .collect();
        let weight = (-(letters.len() as f64 / 300.0) + 2.0 / 3.0).clamp(1.0 / 3.0, 2.0 / 3.0);
        let mut scores = Vec::new();
        for &(name, code, profile) in data::PROFILES {
            if name != script_name(script) {
                continue;
            }
            let Some(lang) = Lang::from_code(code) else {
                continue;
            };
            let mut dist: i64 = profile
                .iter()
                .enumerate()
                .map(|(rank, &[a, b, c])| {
                    rank_of
                        .get(&pack(a, b, c))
                        .map_or(MAX_TRIGRAM_DISTANCE, |&p| (p - rank as i64).abs())
                })
                .sum();
            if MAX_TRIGRAM_DISTANCE > count {
                dist -= (MAX_TRIGRAM_DISTANCE - count) * MAX_TRIGRAM_DISTANCE;
            }
            let dist = dist.clamp(0, MAX_TOTAL_DISTANCE);
            let max = count * MAX_TRIGRAM_DISTANCE;
            let trigram_score = (max - dist).max(0) as f64 / max as f64;
            let alphabet = data::ALPHABETS
                .iter()
                .find(|&&(n, c, _)| n == name && c == code)
                .map(|&(_, _, a)| a);
            let alphabet_score = match alphabet {
                Some(a) if !letters.is_empty() => {
                    let inside = letters.iter().filter(|&&c| a.contains(c)).count();
                    (2 * inside).saturating_sub(letters.len()) as f64 / letters.len() as f64
                }
                _ => 1.0,
            };
            scores.push((
                lang,
                alphabet_score * weight + trigram_score * (1.0 - weight),
            ));
        }
        let (best_i, &(lang, s1)) = scores.iter().enumerate().fold(
            None,
            |acc: Option<(usize, &(Lang, f64))>, (i, x)| match acc {
                Some((_, b)) if x.1 <= b.1 => acc,
                _ => Some((i, x)),
            },
        )?;
        let s2 = scores
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != best_i)
            .map(|(_, x)| x.1)
            .fold(None, |acc: Option<f64>, x| {
                Some(acc.map_or(x, |a| a.max(x)))
            });
        Some((
            lang,
            s2.map_or(1.0, |s2| confidence(s1, s2, count as usize)),
        ))
    }

    /// The indexed scorer gives the plain scorer's language and confidence, on sentences and
    /// on pseudo-random strings of each script's letters (words of 1–8 letters).
    #[test]
    fn indexed_scoring_equals_the_plain_scoring() {
        let m = TrigramModel::build();
        let mut s = TrigramScratch::default();
        let mut texts: Vec<(String, Script)> = [
            ("the quick brown fox jumps over the lazy dog", Script::Latin),
            ("Ich habe heute keine Zeit für die Stadt", Script::Latin),
            ("ça coûte très cher, n'est-ce pas", Script::Latin),
            ("Tämä puhelin on aivan loistava", Script::Latin),
            ("Быстрая коричневая лиса прыгает", Script::Cyrillic),
            ("Україна має незалежність", Script::Cyrillic),
            ("هذا الهاتف رائع جدا", Script::Arabic),
            ("यह फोन बहुत अच्छा है", Script::Devanagari),
            ("הטלפון הזה מצוין", Script::Hebrew),
            ("aaaa aaaa aaaa", Script::Latin),
            ("x", Script::Latin),
        ]
        .into_iter()
        .map(|(t, sc)| (t.to_owned(), sc))
        .collect();
        let alphabets: [(&str, Script); 3] = [
            (
                "abcdefghijklmnopqrstuvwxyzäöüßéèçñåøæłśżąęõšžı'-",
                Script::Latin,
            ),
            (
                "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґўђћџљњ",
                Script::Cyrillic,
            ),
            ("ابتثجحخدذرزسشصضطظعغفقكلمنهويپچژگ", Script::Arabic),
        ];
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for (letters, script) in alphabets {
            let letters: Vec<char> = letters.chars().collect();
            for _ in 0..150 {
                let mut t = String::new();
                for w in 0..1 + next(12) {
                    if w > 0 {
                        t.push(' ');
                    }
                    for _ in 0..1 + next(8) {
                        t.push(letters[next(letters.len())]);
                    }
                }
                texts.push((t, script));
            }
        }
        for (text, script) in &texts {
            let got = m
                .detect(text, *script, &mut s)
                .map(|o| (o.lang, o.confidence));
            let want = reference_detect(text, *script);
            match (got, want) {
                (Some((gl, gc)), Some((wl, wc))) => {
                    assert_eq!(gl, wl, "{text:?}");
                    assert!((gc - wc).abs() < 1e-12, "{text:?}: {gc} vs {wc}");
                }
                (g, w) => assert_eq!(g.is_none(), w.is_none(), "{text:?}"),
            }
        }
    }

    #[test]
    fn trigram_index_finds_what_a_map_holds() {
        let mut seed = 88_172_645_463_325_252u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for n in [0usize, 1, 5, 100, 3000] {
            let mut want: HashMap<u64, (u32, u32)> = HashMap::new();
            while want.len() < n {
                let key = next() >> 1 | 1;
                let v = (want.len() as u32, (key % 300) as u32);
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
                let k = next() >> 1 | 1;
                assert_eq!(index.get(k), want.get(&k).copied(), "n={n}");
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
