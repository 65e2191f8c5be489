//! Hashed text features shared by the trained models ([`crate::model`], [`crate::lang::nb`]):
//! social-media tokens (URLs, @mentions, numbers and hashtags folded to placeholders, letters
//! lowercased, runs of a repeated letter cut to two), their word unigrams and bigrams, and
//! character n-grams inside words with boundary marks.
//!
//! Contract: the same text always gives the same hashes, on every platform and build (a fixed
//! multiply-rotate step per character; no seeded hasher), because the hashes index the weights of model files
//! committed to the repository. Changing a hash changes every model: bump the model format.

/// FNV-1a offset basis.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Mixes one more value into a running hash (FNV-1a over the value's 4 bytes).
#[inline]
pub(crate) fn mix(h: u64, v: u32) -> u64 {
    let mut h = h;
    for b in v.to_le_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// Final avalanche (SplitMix64's), so that the low bits used as a bucket index are well mixed.
#[inline]
pub(crate) fn finish(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One step of the feature hash: FxHash's (rotate, xor, multiply). Cheap; its low bits are
/// weak, so buckets are taken from the high bits by [`bucket`].
#[inline(always)]
const fn step(h: u64, v: u64) -> u64 {
    (h.rotate_left(5) ^ v).wrapping_mul(0x517c_c1b7_2722_0a95)
}

/// The bucket of feature hash `h` in a table of `2^dim_log2` (multiply-shift: the high bits).
#[inline(always)]
pub fn bucket(h: u64, dim_log2: u32) -> usize {
    (h.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - dim_log2)) as usize
}

/// Hash of a string feature under a namespace tag.
pub(crate) fn hash_str(tag: u32, s: &str) -> u64 {
    let mut h = mix(FNV_OFFSET, tag);
    for c in s.chars() {
        h = mix(h, u32::from(c));
    }
    finish(h)
}

/// Namespace tags: a word and a character n-gram of the same letters are different features.
const TAG_WORD: u32 = 0x5701;
const TAG_BIGRAM: u32 = 0x5702;
const TAG_CHAR: u32 = 0x5703;

/// What a word of the text is, for the features.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Letters (and digits inside a word); its characters are in the token buffer.
    Word,
    /// A single symbol, emoji or punctuation mark, in the token buffer.
    Symbol,
}

/// Reusable buffers for feature extraction.
#[derive(Debug, Default)]
pub struct FeatureScratch {
    /// The current token's characters (lowercased).
    token: Vec<char>,
    /// The token's characters with boundary marks, for character n-grams.
    marked: Vec<char>,
}

/// Which features to emit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureSet {
    pub words: bool,
    pub bigrams: bool,
    /// Character n-grams of lengths `char_min..=char_max` inside word tokens (0 = none).
    pub char_min: u8,
    pub char_max: u8,
    /// Words after a negation ("not", "n't", "no", "nunca", "nicht", …) up to the next
    /// punctuation mark also give a negated twin of their unigram.
    pub negation: bool,
}

/// Negation words of the trained languages (lowercased; "…n't" words are found by their end),
/// as word hashes.
static NEGATIONS: HashSet128 = HashSet128::new(&word_hashes([
    "not", "no", "never", "nothing", "nobody", "none", "cannot", "neither", "nor", "without",
    "dont", "doesnt", "didnt", "isnt", "wasnt", "cant", "wont", "aint", "nunca", "nada", "nadie",
    "ni", "sin", "jamás", "non", "pas", "jamais", "rien", "sans", "nicht", "kein", "keine", "nie",
    "niemals", "nichts", "ohne", "não", "nao", "nem", "mai", "senza", "niente", "لا", "لم", "لن",
    "ما", "ليس", "nahi", "nahin", "mat",
]));

/// The commonest English function words, as word hashes: a text holding one reads as English
/// (see [`Summary::english`]).
static ENGLISH: HashSet128 = HashSet128::new(&word_hashes([
    "the", "and", "you", "is", "to", "of", "in", "it", "my", "for", "this", "that", "with", "be",
    "are", "have", "just", "me", "was", "but", "at", "so", "not", "i", "i'm", "will", "what",
    "your", "we", "they", "on", "if", "can", "all",
]));

/// A set of up to 64 word hashes, built at compile time: open addressing over 128 slots by the
/// hash's top bits (0 marks an empty slot; no word hashes to 0 in practice, and a 0 would only
/// be a missed member).
struct HashSet128([u64; 128]);

impl HashSet128 {
    const fn new(hashes: &[u64]) -> Self {
        let mut slots = [0u64; 128];
        let mut i = 0;
        while i < hashes.len() {
            let mut at = Self::slot(hashes[i]);
            while slots[at] != 0 && slots[at] != hashes[i] {
                at = (at + 1) % 128;
            }
            slots[at] = hashes[i];
            i += 1;
        }
        Self(slots)
    }

    const fn slot(h: u64) -> usize {
        (h.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 57) as usize
    }

    #[inline]
    fn contains(&self, h: u64) -> bool {
        let mut at = Self::slot(h);
        loop {
            match self.0[at] {
                0 => return false,
                x if x == h => return true,
                _ => at = (at + 1) % 128,
            }
        }
    }
}

/// The hash [`hashed_features`] gives a word token, at compile time.
const fn word_hash(s: &str) -> u64 {
    let b = s.as_bytes();
    let mut h = TAG_WORD as u64;
    let mut i = 0;
    while i < b.len() {
        // UTF-8 decoding of the (valid) string.
        let (c, len) = match b[i] {
            x if x < 0x80 => (x as u32, 1),
            x if x < 0xE0 => (((x as u32) & 0x1F) << 6 | (b[i + 1] as u32 & 0x3F), 2),
            x if x < 0xF0 => (
                ((x as u32) & 0x0F) << 12
                    | (b[i + 1] as u32 & 0x3F) << 6
                    | (b[i + 2] as u32 & 0x3F),
                3,
            ),
            x => (
                ((x as u32) & 0x07) << 18
                    | (b[i + 1] as u32 & 0x3F) << 12
                    | (b[i + 2] as u32 & 0x3F) << 6
                    | (b[i + 3] as u32 & 0x3F),
                4,
            ),
        };
        h = step(h, c as u64);
        i += len;
    }
    h
}

const fn word_hashes<const N: usize>(words: [&str; N]) -> [u64; N] {
    let mut out = [0u64; N];
    let mut i = 0;
    while i < N {
        out[i] = word_hash(words[i]);
        i += 1;
    }
    out
}

/// What [`hashed_features`] saw besides the features.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Word tokens.
    pub words: usize,
    /// Word tokens that are common English function words.
    pub english: usize,
}

const TAG_NEGATED: u64 = 0x4e45_4741_5445_4421;

/// Calls `emit` with the hash of every feature of `text`, in text order (a feature that occurs
/// twice is emitted twice).
pub fn hashed_features(
    text: &str,
    set: FeatureSet,
    scratch: &mut FeatureScratch,
    mut emit: impl FnMut(u64),
) -> Summary {
    let mut prev: u64 = u64::from(TAG_WORD);
    let mut words = 0;
    let mut english = 0;
    let mut negated = false;
    let mut on_token = |kind: Kind, tok: &[char], scratch_marked: &mut Vec<char>| {
        let mut h = u64::from(TAG_WORD);
        for &c in tok {
            h = step(h, u64::from(c));
        }
        if set.words {
            emit(h);
        }
        if kind == Kind::Word && tok.len() <= 4 && ENGLISH.contains(h) {
            english += 1;
        }
        if set.negation {
            if kind == Kind::Symbol {
                if matches!(tok, ['.' | ',' | '!' | '?' | ';' | ':']) {
                    negated = false;
                }
            } else if negated {
                emit(step(h, TAG_NEGATED));
            } else if is_negation(tok, h) {
                negated = true;
            }
        }
        if set.bigrams {
            emit(step(step(prev, u64::from(TAG_BIGRAM)), h));
        }
        prev = h;
        if kind == Kind::Word && set.char_max > 0 && !is_placeholder(tok) {
            scratch_marked.clear();
            scratch_marked.push('<');
            scratch_marked.extend_from_slice(tok);
            scratch_marked.push('>');
            char_ngrams(scratch_marked, set.char_min, set.char_max, &mut emit);
        }
    };
    let FeatureScratch { token, marked } = scratch;
    // ASCII whitespace only: a rarer Unicode space inside a word is a symbol token of its own,
    // which splits the word as well (and this splitter is several times faster).
    for word in text.split_ascii_whitespace() {
        if word.is_empty() {
            continue;
        }
        let b = word.as_bytes();
        if b.len() >= 4
            && (b[..4].eq_ignore_ascii_case(b"http") || b[..4].eq_ignore_ascii_case(b"www."))
        {
            token.clear();
            token.extend("<url>".chars());
            on_token(Kind::Symbol, token, marked);
            continue;
        }
        if b[0] == b'@' && b.len() > 1 {
            token.clear();
            token.extend("<user>".chars());
            on_token(Kind::Symbol, token, marked);
            continue;
        }
        if b[0] == b'&' && b.last() == Some(&b';') {
            // An HTML entity left by the source (`&amp;`).
            continue;
        }
        // Letters and digits form words; anything else is a symbol of its own (repeats of the
        // same symbol count once).
        token.clear();
        let mut last_symbol: Option<char> = None;
        let mut digits = 0usize;
        for c in word.chars() {
            let (alnum, numeric) = if c.is_ascii() {
                (c.is_ascii_alphanumeric(), c.is_ascii_digit())
            } else if matches!(c, 'а'..='я' | 'А'..='Я' | 'ё' | 'Ё') {
                (true, false)
            } else {
                let n = c.is_numeric();
                (n || c.is_alphabetic(), n)
            };
            if alnum || (matches!(c, '\'' | '’') && !token.is_empty()) {
                if numeric {
                    digits += 1;
                }
                if c.is_ascii() {
                    push_letter(token, c.to_ascii_lowercase());
                } else if let 'а'..='я' | 'ё' | '\u{0600}'..='\u{06FF}' = c {
                    // Russian lowercase and Arabic (no case): as they are.
                    push_letter(token, c);
                } else if let 'А'..='Я' = c {
                    // The Russian capitals (lowercase is 0x20 above; tested against Unicode).
                    push_letter(token, char::from_u32(u32::from(c) + 0x20).unwrap_or(c));
                } else {
                    for l in c.to_lowercase() {
                        push_letter(token, l);
                    }
                }
                last_symbol = None;
            } else {
                if !token.is_empty() {
                    words += 1;
                    flush_word(token, digits, marked, &mut on_token);
                    digits = 0;
                }
                if c == '#' || last_symbol == Some(c) || c.is_control() {
                    last_symbol = Some(c);
                    continue;
                }
                last_symbol = Some(c);
                token.clear();
                token.push(c);
                on_token(Kind::Symbol, token, marked);
                token.clear();
            }
        }
        if !token.is_empty() {
            words += 1;
            flush_word(token, digits, marked, &mut on_token);
        }
    }
    Summary { words, english }
}

/// Appends a lowercase letter, cutting elongation to at most two of the same in a row.
#[inline]
fn push_letter(token: &mut Vec<char>, l: char) {
    let n = token.len();
    if !(n >= 2 && token[n - 1] == l && token[n - 2] == l) {
        token.push(l);
    }
}

fn flush_word(
    token: &mut Vec<char>,
    digits: usize,
    marked: &mut Vec<char>,
    on_token: &mut impl FnMut(Kind, &[char], &mut Vec<char>),
) {
    while matches!(token.last(), Some('\'' | '’')) {
        token.pop();
    }
    if digits == token.len() {
        token.clear();
        token.extend("<num>".chars());
    }
    if !token.is_empty() {
        on_token(Kind::Word, token, marked);
    }
    token.clear();
}

fn is_negation(tok: &[char], h: u64) -> bool {
    let n = tok.len();
    (n > 3 && tok[n - 1] == 't' && matches!(tok[n - 2], '\'' | '’') && tok[n - 3] == 'n')
        || (n <= 7 && NEGATIONS.contains(h))
}

fn is_placeholder(tok: &[char]) -> bool {
    tok.first() == Some(&'<') && tok.last() == Some(&'>')
}

/// Character n-grams of lengths `min..=max` of `chars` (which carry boundary marks).
#[inline]
fn char_ngrams(chars: &[char], min: u8, max: u8, emit: &mut impl FnMut(u64)) {
    let (min, max) = (usize::from(min.max(1)), usize::from(max));
    for i in 0..chars.len() {
        let mut h = u64::from(TAG_CHAR);
        for n in 1..=max.min(chars.len() - i) {
            h = step(h, u64::from(chars[i + n - 1]));
            // A lone boundary mark says nothing.
            if n >= min && !(n == 1 && matches!(chars[i], '<' | '>')) {
                emit(h);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str, set: FeatureSet) -> Vec<u64> {
        let mut out = Vec::new();
        hashed_features(text, set, &mut FeatureScratch::default(), |h| out.push(h));
        out
    }

    const WORDS: FeatureSet = FeatureSet {
        words: true,
        bigrams: false,
        char_min: 0,
        char_max: 0,
        negation: false,
    };

    #[test]
    fn placeholders_case_and_elongation() {
        assert_eq!(
            all("@bob Sooooo GOOD http://x.co 2017", WORDS),
            all("@alice soo good www.y.org 99", WORDS)
        );
        assert_ne!(all("good", WORDS), all("bad", WORDS));
    }

    #[test]
    fn symbols_are_tokens_and_repeats_count_once() {
        assert_eq!(all("great!!!", WORDS), all("great !", WORDS));
        assert_eq!(all("#happy", WORDS), all("happy", WORDS));
        assert_eq!(all("😁😁", WORDS).len(), 1);
    }

    #[test]
    fn hashes_are_stable() {
        // The committed models depend on these values: a change here needs new models.
        assert_eq!(hash_str(TAG_WORD, "good"), 17_713_130_637_270_779_524);
        assert_eq!(all("good", WORDS), [word_hash("good")]);
        assert_eq!(word_hash("não"), {
            let mut h = u64::from(TAG_WORD);
            for c in "não".chars() {
                h = step(h, u64::from(c));
            }
            h
        });
        assert_eq!(bucket(u64::MAX, 17), 50_065);
        assert_eq!(bucket(word_hash("good"), 17), 128_481);
    }

    #[test]
    fn negation_and_english_words() {
        let set = FeatureSet {
            negation: true,
            ..WORDS
        };
        let mut sc = FeatureScratch::default();
        let n = |t: &str| {
            let mut v = 0;
            hashed_features(t, set, &mut FeatureScratch::default(), |_| v += 1);
            v
        };
        // "not" negates "good" (one twin feature); the comma ends the scope.
        assert_eq!(n("not good"), 3);
        assert_eq!(n("didn't like it"), 5);
        assert_eq!(n("não gosto"), 3);
        assert_eq!(n("no, good"), 3);
        let s = hashed_features("I think THE cat is here", WORDS, &mut sc, |_| {});
        assert_eq!(
            s,
            Summary {
                words: 6,
                english: 3
            }
        );
        let s = hashed_features("el gato está aquí", WORDS, &mut sc, |_| {});
        assert_eq!(s.english, 0);
    }

    #[test]
    fn fast_paths_agree_with_unicode() {
        for c in 'А'..='Я' {
            assert_eq!(
                c.to_lowercase().collect::<Vec<_>>(),
                [char::from_u32(u32::from(c) + 0x20).unwrap()]
            );
        }
        for c in ['ё', 'Ё', 'а', 'я', 'Ж'] {
            assert!(c.is_alphabetic() && !c.is_numeric());
        }
        for c in ('а'..='я').chain(['ё']).chain('\u{0600}'..='\u{06FF}') {
            assert_eq!(c.to_lowercase().collect::<Vec<_>>(), [c]);
        }
    }

    #[test]
    fn char_ngrams_count() {
        let set = FeatureSet {
            words: false,
            bigrams: false,
            char_min: 1,
            char_max: 3,
            negation: false,
        };
        // "<ab>": 1-grams a, b (marks skipped); 2-grams <a ab b>; 3-grams <ab ab>.
        assert_eq!(all("ab", set).len(), 2 + 3 + 2);
    }
}
