//! Scoring for the scripts shared by several languages (Latin, Cyrillic, Arabic, Devanagari,
//! Hebrew) with whatlang 0.18's data and its "combined" method: an out-of-place distance over
//! each language's 300 most frequent trigrams, an alphabet score (share of the letters that
//! belong to the language's alphabet; Latin and Cyrillic only), weighted by text length, and
//! whatlang's confidence formula. Computed through inverted indexes, so that the cost follows
//! the text's trigrams and letters, not languages × 300 lookups.

use std::collections::HashMap;

use foldhash::fast::FixedState;
use whatlang::{Lang, Script};

mod tables;

use tables::{CharCodes, Counter, LetterCounts, TrigramIndex, posting, unposting};

mod data {
    include!(concat!(env!("OUT_DIR"), "/lang_profiles.rs"));
}

const MAX_TRIGRAM_DISTANCE: i64 = 300;
const MAX_TOTAL_DISTANCE: i64 = MAX_TRIGRAM_DISTANCE * MAX_TRIGRAM_DISTANCE;
/// Text trigrams considered, most frequent first (whatlang's TEXT_TRIGRAMS_SIZE).
const TEXT_TRIGRAMS: usize = 600;
/// Upper bound on the number of profiled languages per script (whatlang 0.18 has 51 in all,
/// 37 of them Latin).
const MAX_LANGS: usize = 64;

/// A trigram as three code points in 63 bits (what the text side counts and ranks).
#[inline]
fn pack(a: char, b: char, c: char) -> u64 {
    (u64::from(a) << 42) | (u64::from(b) << 21) | u64::from(c)
}

/// A trigram as three [`CharCodes`] (each at least 1, so never 0): the index's key.
#[inline]
fn compact(a: u8, b: u8, c: u8) -> u32 {
    (u32::from(a) << 16) | (u32::from(b) << 8) | u32::from(c)
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

/// The profiles of one script's languages, indexed by trigram.
#[derive(Debug)]
struct ScriptModel {
    script: Script,
    /// The script's languages; `acc` and the alphabet bit sets are indexed like this.
    langs: Vec<Lang>,
    /// Codes of the characters the profiles use (a trigram of coded characters is a `u32`).
    codes: CharCodes,
    /// Compact trigram → range in `postings`.
    index: TrigramIndex,
    /// [`posting`]s: (language index, rank in its profile).
    postings: Vec<u16>,
    /// Codes of the letters the alphabets hold, and per code the bit set of the languages whose
    /// alphabet holds it (`letter_sets[0]`, for any other letter, is empty).
    letters: CharCodes,
    letter_sets: [u64; 256],
    /// Languages that have an alphabet (the others score 1, as whatlang's placeholder does).
    with_alphabet: u64,
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
        let mut codes = CharCodes::default();
        let mut lists: HashMap<u32, Vec<u16>, FixedState> = HashMap::default();
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
            let li = langs.len();
            langs.push(lang);
            for (rank, &[a, b, c]) in profile.iter().enumerate() {
                // Every script's profiles use well under 255 characters (Latin: 94).
                let (Some(a), Some(b), Some(c)) =
                    (codes.assign(a), codes.assign(b), codes.assign(c))
                else {
                    continue;
                };
                lists
                    .entry(compact(a, b, c))
                    .or_default()
                    .push(posting(li, rank));
            }
        }
        let mut letters = CharCodes::default();
        let mut letter_sets = [0u64; 256];
        let mut with_alphabet = 0u64;
        for &(name, code, alphabet) in data::ALPHABETS {
            if name != script_name(script) {
                continue;
            }
            let Some(li) = langs.iter().position(|l| l.code() == code) else {
                continue;
            };
            with_alphabet |= 1 << li;
            for c in alphabet.chars() {
                // Latin's alphabets hold 172 letters in all.
                if let Some(code) = letters.assign(c) {
                    letter_sets[usize::from(code)] |= 1 << li;
                }
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
            codes,
            index,
            postings,
            letters,
            letter_sets,
            with_alphabet,
        }
    }

    /// The compact key of a packed trigram, or 0 when one of its characters is in no profile.
    #[inline]
    fn compact_key(&self, tri: u64) -> u32 {
        let code = |shift: u32| self.codes.get(((tri >> shift) & 0x1F_FFFF) as u32);
        match (code(42), code(21), code(0)) {
            (0, _, _) | (_, 0, _) | (_, _, 0) => 0,
            (a, b, c) => compact(a, b, c),
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
                letter_counts.add(self.letters.get(u32::from(c)));
            }
            t
        });
        push_trigrams(chars, trigrams);
        // Letters outside each language's alphabet: most letters are in nearly every alphabet
        // of their script, so walking the languages that lack one is short.
        let mut letters = 0u32;
        let mut missing = [0u32; MAX_LANGS];
        letter_counts.drain(|code, n| {
            letters += n;
            let mut lacking = self.with_alphabet & !self.letter_sets[usize::from(code)];
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
            let key = self.compact_key(tri);
            if key == 0 {
                continue;
            }
            if let Some((start, len)) = self.index.get(key) {
                for &p in &self.postings[start as usize..(start + len) as usize] {
                    let (li, rank) = unposting(p);
                    acc[li % MAX_LANGS] += (pos - rank).abs() - 300;
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
}
