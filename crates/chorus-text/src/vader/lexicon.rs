//! VADER's word knowledge, gathered into one hash table so that each token costs one lookup:
//! the sentiment lexicon, the booster/dampener words, the negation words and the handful of
//! words that the rules compare by name ("no", "but", "least", the special-case idioms …).
//!
//! The constants below are vaderSentiment 3.3.2's, including its `SPECIAL_CASES`
//! (`"beating heart": 3.5`, no `"broken heart"`). The lexicons themselves come from `data/`
//! through `build.rs`.

use std::collections::HashMap;

use foldhash::fast::FixedState;

use super::swar::ByteSet;
use super::table::WordTable;

mod data {
    include!(concat!(env!("OUT_DIR"), "/vader_data.rs"));
}

pub(crate) const B_INCR: f64 = 0.293;
pub(crate) const B_DECR: f64 = -0.293;
pub(crate) const C_INCR: f64 = 0.733;
pub(crate) const N_SCALAR: f64 = -0.74;

const NEGATE: &[&str] = &[
    "aint",
    "arent",
    "cannot",
    "cant",
    "couldnt",
    "darent",
    "didnt",
    "doesnt",
    "ain't",
    "aren't",
    "can't",
    "couldn't",
    "daren't",
    "didn't",
    "doesn't",
    "dont",
    "hadnt",
    "hasnt",
    "havent",
    "isnt",
    "mightnt",
    "mustnt",
    "neither",
    "don't",
    "hadn't",
    "hasn't",
    "haven't",
    "isn't",
    "mightn't",
    "mustn't",
    "neednt",
    "needn't",
    "never",
    "none",
    "nope",
    "nor",
    "not",
    "nothing",
    "nowhere",
    "oughtnt",
    "shant",
    "shouldnt",
    "uhuh",
    "wasnt",
    "werent",
    "oughtn't",
    "shan't",
    "shouldn't",
    "uh-uh",
    "wasn't",
    "weren't",
    "without",
    "wont",
    "wouldnt",
    "won't",
    "wouldn't",
    "rarely",
    "seldom",
    "despite",
];

const BOOSTERS: &[(&str, f64)] = &[
    ("absolutely", B_INCR),
    ("amazingly", B_INCR),
    ("awfully", B_INCR),
    ("completely", B_INCR),
    ("considerable", B_INCR),
    ("considerably", B_INCR),
    ("decidedly", B_INCR),
    ("deeply", B_INCR),
    ("effing", B_INCR),
    ("enormous", B_INCR),
    ("enormously", B_INCR),
    ("entirely", B_INCR),
    ("especially", B_INCR),
    ("exceptional", B_INCR),
    ("exceptionally", B_INCR),
    ("extreme", B_INCR),
    ("extremely", B_INCR),
    ("fabulously", B_INCR),
    ("flipping", B_INCR),
    ("flippin", B_INCR),
    ("frackin", B_INCR),
    ("fracking", B_INCR),
    ("fricking", B_INCR),
    ("frickin", B_INCR),
    ("frigging", B_INCR),
    ("friggin", B_INCR),
    ("fully", B_INCR),
    ("fuckin", B_INCR),
    ("fucking", B_INCR),
    ("fuggin", B_INCR),
    ("fugging", B_INCR),
    ("greatly", B_INCR),
    ("hella", B_INCR),
    ("highly", B_INCR),
    ("hugely", B_INCR),
    ("incredible", B_INCR),
    ("incredibly", B_INCR),
    ("intensely", B_INCR),
    ("major", B_INCR),
    ("majorly", B_INCR),
    ("more", B_INCR),
    ("most", B_INCR),
    ("particularly", B_INCR),
    ("purely", B_INCR),
    ("quite", B_INCR),
    ("really", B_INCR),
    ("remarkably", B_INCR),
    ("so", B_INCR),
    ("substantially", B_INCR),
    ("thoroughly", B_INCR),
    ("total", B_INCR),
    ("totally", B_INCR),
    ("tremendous", B_INCR),
    ("tremendously", B_INCR),
    ("uber", B_INCR),
    ("unbelievably", B_INCR),
    ("unusually", B_INCR),
    ("utter", B_INCR),
    ("utterly", B_INCR),
    ("very", B_INCR),
    ("almost", B_DECR),
    ("barely", B_DECR),
    ("hardly", B_DECR),
    ("just enough", B_DECR),
    ("kind of", B_DECR),
    ("kinda", B_DECR),
    ("kindof", B_DECR),
    ("kind-of", B_DECR),
    ("less", B_DECR),
    ("little", B_DECR),
    ("marginal", B_DECR),
    ("marginally", B_DECR),
    ("occasional", B_DECR),
    ("occasionally", B_DECR),
    ("partly", B_DECR),
    ("scarce", B_DECR),
    ("scarcely", B_DECR),
    ("slight", B_DECR),
    ("slightly", B_DECR),
    ("somewhat", B_DECR),
    ("sort of", B_DECR),
    ("sorta", B_DECR),
    ("sortof", B_DECR),
    ("sort-of", B_DECR),
];

/// `SPECIAL_CASES` exactly as in vaderSentiment 3.3.2.
const SPECIAL_CASES: &[(&str, f64)] = &[
    ("the shit", 3.0),
    ("the bomb", 3.0),
    ("bad ass", 1.5),
    ("badass", 1.5),
    ("bus stop", 0.0),
    ("yeah right", -2.0),
    ("kiss of death", -1.5),
    ("to die for", 3.0),
    ("beating heart", 3.5),
];

/// Identifier of a word that some rule compares by name; 0 for every other word.
pub(crate) type WordId = u16;
pub(crate) const NO: WordId = 1;
pub(crate) const NEVER: WordId = 2;
pub(crate) const SO: WordId = 3;
pub(crate) const THIS: WordId = 4;
pub(crate) const WITHOUT: WordId = 5;
pub(crate) const DOUBT: WordId = 6;
pub(crate) const LEAST: WordId = 7;
pub(crate) const AT: WordId = 8;
pub(crate) const VERY: WordId = 9;
pub(crate) const KIND: WordId = 10;
pub(crate) const OF: WordId = 11;
pub(crate) const OR: WordId = 12;
pub(crate) const NOR: WordId = 13;
pub(crate) const BUT: WordId = 14;
const RULE_WORDS: [&str; 14] = [
    "no", "never", "so", "this", "without", "doubt", "least", "at", "very", "kind", "of", "or",
    "nor", "but",
];

/// What VADER knows about one lowercased word, and, as a token of a text, what the rules ask
/// about it (24 bytes: the table entry is copied into the token list as is).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct WordInfo {
    /// Valence from the sentiment lexicon when `flags & HAS_VALENCE`.
    pub(crate) valence: f64,
    /// Scalar from `BOOSTER_DICT` when `flags & HAS_BOOSTER` (a single-word booster or
    /// dampener).
    pub(crate) booster: f64,
    pub(crate) id: WordId,
    pub(crate) flags: u8,
}

pub(crate) const HAS_VALENCE: u8 = 1;
pub(crate) const HAS_BOOSTER: u8 = 2;
/// In `NEGATE` (for a token: `negated([word])`, which also counts words containing "n't").
pub(crate) const NEGATED: u8 = 4;
/// A token that is ALL CAPS (`isupper()`); never set in the table.
pub(crate) const UPPER: u8 = 8;

impl WordInfo {
    #[inline(always)]
    pub(crate) fn valence(&self) -> Option<f64> {
        (self.flags & HAS_VALENCE != 0).then_some(self.valence)
    }

    #[inline(always)]
    pub(crate) fn booster(&self) -> Option<f64> {
        (self.flags & HAS_BOOSTER != 0).then_some(self.booster)
    }

    #[inline(always)]
    pub(crate) fn negate(&self) -> bool {
        self.flags & NEGATED != 0
    }

    fn set_valence(&mut self, v: f64) {
        self.valence = v;
        self.flags |= HAS_VALENCE;
    }

    fn set_booster(&mut self, v: f64) {
        self.booster = v;
        self.flags |= HAS_BOOSTER;
    }
}

/// A multi-word phrase (special-case idiom or booster n-gram) as a sequence of word ids.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Phrase {
    pub(crate) ids: [WordId; 3],
    pub(crate) len: usize,
    pub(crate) value: f64,
}

impl Phrase {
    #[inline]
    pub(crate) fn matches(&self, seq: &[WordId]) -> bool {
        seq.len() == self.len && seq == &self.ids[..self.len]
    }
}

pub(crate) type Map<K, V> = HashMap<K, V, FixedState>;

/// All tables, built once.
#[derive(Debug)]
pub(crate) struct Lexicon {
    pub(crate) words: WordTable,
    pub(crate) emoji: Map<char, &'static str>,
    /// One bit per 256-code-point page holding some emoji key: most non-ASCII characters skip
    /// the hash lookup.
    emoji_pages: [u64; 0x110000 / 256 / 64],
    /// The first bytes of the emoji keys' UTF-8: text with none of them needs no decoding.
    pub(crate) emoji_leads: ByteSet,
    /// Every key that some lowercased token can equal is ASCII (true of 3.3.2's tables: its
    /// two non-ASCII keys hold an uppercase `Þ`). Then a token whose lowercase form keeps a
    /// non-ASCII character (all but [`super::py::KELVIN`] do) needs no lookup.
    pub(crate) ascii_reachable_only: bool,
    pub(crate) special_cases: Vec<Phrase>,
    pub(crate) booster_ngrams: Vec<Phrase>,
}

impl Lexicon {
    /// The emoji lexicon's description of `c`, if any.
    #[inline]
    pub(crate) fn emoji(&self, c: char) -> Option<&'static str> {
        let page = c as usize >> 8;
        if self.emoji_pages[page / 64] & (1 << (page % 64)) == 0 {
            return None;
        }
        self.emoji.get(&c).copied()
    }

    pub(crate) fn build() -> Self {
        let mut words: Map<Box<str>, WordInfo> = Map::default();
        for &(word, valence) in data::LEXICON {
            words.entry(word.into()).or_default().set_valence(valence);
        }
        for &word in NEGATE {
            words.entry(word.into()).or_default().flags |= NEGATED;
        }
        let mut next_id = 1;
        let mut id_of = |words: &mut Map<Box<str>, WordInfo>, w: &str| -> WordId {
            let info = words.entry(w.into()).or_default();
            if info.id == 0 {
                info.id = next_id;
                next_id += 1;
            }
            info.id
        };
        for w in RULE_WORDS {
            id_of(&mut words, w);
        }
        let mut phrases = |words: &mut Map<Box<str>, WordInfo>, table: &[(&str, f64)]| {
            let mut out = Vec::new();
            for &(key, value) in table {
                let parts: Vec<&str> = key.split(' ').collect();
                if parts.len() == 1 {
                    continue; // single words are handled through WordInfo
                }
                let mut ids = [0; 3];
                for (slot, part) in ids.iter_mut().zip(&parts) {
                    *slot = id_of(words, part);
                }
                out.push(Phrase {
                    ids,
                    len: parts.len().min(3),
                    value,
                });
            }
            out
        };
        let special_cases = phrases(&mut words, SPECIAL_CASES);
        let booster_ngrams = phrases(&mut words, BOOSTERS);
        for &(word, value) in BOOSTERS {
            if !word.contains(' ') {
                words.entry(word.into()).or_default().set_booster(value);
            }
        }
        let emoji: Map<char, &'static str> = data::EMOJI.iter().copied().collect();
        let mut emoji_pages = [0u64; 0x110000 / 256 / 64];
        let mut leads = Vec::new();
        for &c in emoji.keys() {
            leads.push(c.encode_utf8(&mut [0; 4]).as_bytes()[0]);
            let page = c as usize >> 8;
            emoji_pages[page / 64] |= 1 << (page % 64);
        }
        let mut lowered = String::new();
        let ascii_reachable_only = words.keys().all(|k| {
            super::py::lower_into(k, &mut lowered);
            k.is_ascii() || *lowered != **k
        });
        let emoji_leads = ByteSet::new(&leads);
        let words = WordTable::build(words.iter().map(|(k, v)| (&**k, *v)));
        Self {
            words,
            emoji,
            emoji_pages,
            emoji_leads,
            ascii_reachable_only,
            special_cases,
            booster_ngrams,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::table::Key;
    use super::*;

    fn get(lex: &Lexicon, w: &str) -> WordInfo {
        lex.words
            .get(&Key::new(w.as_bytes()).unwrap())
            .copied()
            .unwrap_or_default()
    }

    #[test]
    fn rule_word_ids_are_the_constants() {
        let lex = Lexicon::build();
        for (k, w) in RULE_WORDS.iter().enumerate() {
            assert_eq!(get(&lex, w).id as usize, k + 1, "{w}");
        }
        assert_eq!(get(&lex, "but").id, BUT);
    }

    #[test]
    fn lexicon_loaded_like_python() {
        // 7,520 lines, 7,506 distinct keys (later lines win, as in a Python dict).
        assert_eq!(data::LEXICON.len(), 7520);
        let lex = Lexicon::build();
        let distinct: std::collections::HashSet<&str> = data::LEXICON.iter().map(|e| e.0).collect();
        assert_eq!(distinct.len(), 7506);
        for w in distinct {
            assert!(get(&lex, w).valence().is_some(), "{w}");
        }
        assert_eq!(get(&lex, "good").valence(), Some(1.9));
        assert_eq!(get(&lex, ":-)").valence(), Some(1.3));
        // A later line wins, as in a Python dict.
        let last: std::collections::HashMap<&str, f64> = data::LEXICON.iter().copied().collect();
        for (w, v) in last {
            assert_eq!(get(&lex, w).valence(), Some(v), "{w}");
        }
        assert!(lex.ascii_reachable_only);
        // 1,212 of the 3,570 emoji keys are one code point; only those can ever match.
        assert_eq!(lex.emoji.len(), 1212);
        assert_eq!(lex.emoji('😁'), Some("beaming face with smiling eyes"));
        for (&c, &d) in &lex.emoji {
            assert_eq!(lex.emoji(c), Some(d));
        }
        assert_eq!(lex.emoji('ب'), None);
        assert_eq!(lex.special_cases.len(), 8);
        assert_eq!(lex.booster_ngrams.len(), 3);
    }
}
