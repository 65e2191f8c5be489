//! VADER sentiment, a port of vaderSentiment 3.3.2 (`SentimentIntensityAnalyzer`) that returns
//! the same four numbers for every input, rounded as the reference rounds them.
//!
//! Speed comes from doing each piece of work once: the text is split on bytes, 8 at a time, in
//! the same pass that looks each token up once in a single table ([`lexicon::WordInfo`],
//! `tokens.rs`); a token whose lowercase form keeps a non-ASCII character is known to be in no
//! table without a lookup; the rules then compare small word ids instead of strings; work
//! whose result cannot matter (`isupper()` of such tokens when no word has a valence) is
//! skipped. Buffers live in a reusable [`Scratch`].

mod but;
mod lexicon;
mod py;
mod swar;
mod table;
mod tokens;

use lexicon::{
    AT, BUT, C_INCR, DOUBT, KIND, LEAST, Lexicon, N_SCALAR, NEGATED, NEVER, NO, NOR, OF, OR,
    Phrase, SO, THIS, UPPER, VERY, WITHOUT, WordId, WordInfo,
};
use table::Key;

/// The four VADER scores. `neg`, `neu` and `pos` are rounded to 3 decimals and `compound` to 4,
/// exactly like Python's `round()` in the reference (so `-0.0` can occur).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Scores {
    pub neg: f64,
    pub neu: f64,
    pub pos: f64,
    pub compound: f64,
}

/// The scores of a text whose sentiments are all 0.
const NEUTRAL: Scores = Scores {
    neg: 0.0,
    neu: 1.0,
    pos: 0.0,
    compound: 0.0,
};

/// The entry of a word in no table.
const EMPTY: WordInfo = WordInfo {
    valence: 0.0,
    booster: 0.0,
    id: 0,
    flags: 0,
};

/// Returned by `token` in place of [`UPPER`] when `isupper()` was not worked out.
const UPPER_DEFERRED: u8 = 0x80;

/// A token's own flags.
#[inline(always)]
fn flags(has_nt: bool, is_upper: bool) -> u8 {
    (if has_nt { NEGATED } else { 0 }) | if is_upper { UPPER } else { 0 }
}

/// One token after `_strip_punc_if_word`, with everything the rules ask about it: its table
/// entry plus the token's own flags ([`NEGATED`] also for "n't", [`UPPER`]).
type Tok = WordInfo;

impl Tok {
    /// The table entry `info` as a token with the token's own `flags` added. (The token
    /// functions return a reference and the flags, not a `Tok`: a `Tok` built field by field
    /// in memory and copied at once costs a store-forwarding stall per token.)
    #[inline(always)]
    fn token((info, flags): (&WordInfo, u8)) -> Self {
        WordInfo {
            flags: info.flags | flags,
            ..*info
        }
    }

    #[inline(always)]
    fn negated(&self) -> bool {
        self.negate()
    }

    #[inline(always)]
    fn is_upper(&self) -> bool {
        self.flags & UPPER != 0
    }
}

/// Reusable buffers for [`SentimentAnalyzer::polarity_scores_with`]. One per thread.
#[derive(Debug, Default)]
pub struct Scratch {
    text: String,
    /// The text, copied with padding (see `tokens.rs`).
    padded: Vec<u8>,
    lower: String,
    toks: Vec<Tok>,
    /// Spans of the tokens whose `isupper()` is worked out only if needed (see `token`).
    deferred: Vec<(usize, usize)>,
    sentiments: Vec<f64>,
}

impl Scratch {
    pub fn new() -> Self {
        Self::default()
    }
}

/// The VADER analyzer: lexicons parsed at build time, tables built once by [`Self::new`]
/// (about a millisecond). Cheap to share between threads (`&self` methods only).
#[derive(Debug)]
pub struct SentimentAnalyzer {
    lex: Lexicon,
}

impl Default for SentimentAnalyzer {
    fn default() -> Self {
        Self::new()
    }
}

impl SentimentAnalyzer {
    pub fn new() -> Self {
        Self {
            lex: Lexicon::build(),
        }
    }

    /// Scores `text` (allocates fresh buffers; use [`Self::polarity_scores_with`] in loops).
    pub fn polarity_scores(&self, text: &str) -> Scores {
        self.polarity_scores_with(text, &mut Scratch::new())
    }

    /// Scores `text`, reusing `scratch`'s buffers. Any string is valid input; the cost is
    /// O(n log n) in its length.
    pub fn polarity_scores_with(&self, text: &str, scratch: &mut Scratch) -> Scores {
        let Scratch {
            text: buf,
            padded,
            lower,
            toks,
            deferred,
            sentiments,
        } = scratch;
        let text = self.replace_emojis(text, buf);
        let mut upper_count = self.tokens(text, padded, lower, toks, deferred);
        let n = toks.len();
        if n == 0 {
            return Scores::default();
        }
        if !toks.iter().any(|t| t.valence().is_some()) {
            // Every sentiment is 0, and so is their sum: no emphasis is added, and
            // `score_valence` yields this (the most common case outside English).
            return NEUTRAL;
        }
        // The count of ALL CAPS tokens only matters through a lexicon word's valence.
        for &(s, e) in deferred.iter() {
            upper_count += usize::from(py::is_upper(&text[s..e]));
        }
        let excl_quest = py::count_excl_quest(text);
        // allcap_differential: some, but not all, tokens are ALL CAPS.
        let is_cap_diff = upper_count > 0 && upper_count < n;

        sentiments.clear();
        for i in 0..n {
            let t = toks[i];
            let v = if t.booster().is_some() || (t.id == KIND && i + 1 < n && toks[i + 1].id == OF)
            {
                0.0
            } else if let Some(lexv) = t.valence() {
                self.valence(lexv, toks, i, is_cap_diff)
            } else {
                0.0
            };
            sentiments.push(v);
        }
        if let Some(bi) = toks.iter().position(|t| t.id == BUT) {
            but::but_check(sentiments, bi);
        }
        score_valence(sentiments, excl_quest)
    }

    /// The emoji pass of `polarity_scores`: each code point found in the emoji lexicon becomes
    /// its description, preceded by a space unless the previous character was a plain space.
    /// (Trailing `.strip()` is skipped: it changes neither tokens nor `!`/`?` counts.)
    fn replace_emojis<'a>(&self, text: &'a str, buf: &'a mut String) -> &'a str {
        let leads = &self.lex.emoji_leads;
        if leads.above_ascii && text.is_ascii() {
            return text;
        }
        let b = text.as_bytes();
        // `buf` holds `text[..last]` with the emoji replaced, once the first one is found
        let mut last = 0;
        let mut found = false;
        // whether the character before `text[last..]` (or a description) counts as a space
        let mut prev_space = true;
        let mut pos = 0;
        while let Some(p) = leads.find(&b[pos..]) {
            // a byte that starts a key's encoding is always a character boundary
            let at = pos + p;
            let Some(c) = text[at..].chars().next() else {
                break;
            };
            pos = at + c.len_utf8();
            let Some(desc) = self.lex.emoji(c) else {
                continue;
            };
            if !found {
                buf.clear();
                found = true;
            }
            if at > last {
                prev_space = b[at - 1] == b' ';
            }
            buf.push_str(&text[last..at]);
            if !prev_space {
                buf.push(' ');
            }
            buf.push_str(desc);
            prev_space = false;
            last = pos;
        }
        if !found {
            return text;
        }
        buf.push_str(&text[last..]);
        buf
    }

    /// Everything the rules need about the token `text[s..e]`. For a non-ASCII token, the
    /// pair tells whether it may hold an apostrophe and whether it may hold the last byte of
    /// [`py::KELVIN`] (`(true, true)` is always correct).
    #[inline]
    fn token(
        &self,
        text: &str,
        s: usize,
        e: usize,
        ascii: bool,
        lower: &mut String,
        (may_hold_apostrophe, may_hold_kelvin): (bool, bool),
    ) -> (&WordInfo, u8) {
        if ascii && e - s <= 8 && e > s {
            return self.short_ascii_token(text.as_bytes(), s, e);
        }
        let word = &text[s..e];
        let (info, is_upper, has_nt) = if ascii {
            let b = word.as_bytes();
            let (info, is_upper, apostrophe) = match Key::ascii_lower(text.as_bytes(), s, e) {
                Some((key, up, apostrophe)) => {
                    (self.lex.words.get(&key).unwrap_or(&EMPTY), up, apostrophe)
                }
                None => (&EMPTY, py::is_upper(word), b.contains(&b'\'')),
            };
            let has_nt = apostrophe
                && !info.negate()
                && b.windows(3).any(|w| w.eq_ignore_ascii_case(b"n't"));
            (info, is_upper, has_nt)
        } else if self.lex.ascii_reachable_only
            && (!may_hold_kelvin || !py::contains_kelvin(word.as_bytes()))
        {
            // The lowercase form keeps a non-ASCII character, and no table key with one is
            // reachable: a miss. Only ASCII letters lowercase to the bytes of "n't". A miss's
            // own ALL CAPS flag is never read (only a lexicon or booster word's is), so
            // `isupper()` waits until the count of ALL CAPS tokens is needed.
            let b = word.as_bytes();
            let has_nt =
                may_hold_apostrophe && b.windows(3).any(|w| w.eq_ignore_ascii_case(b"n't"));
            return (&EMPTY, flags(has_nt, false) | UPPER_DEFERRED);
        } else {
            py::lower_into(word, lower);
            let l = lower.as_bytes();
            let info = Key::new(l)
                .and_then(|k| self.lex.words.get(&k))
                .unwrap_or(&EMPTY);
            (
                info,
                py::is_upper(word),
                !info.negate() && l.windows(3).any(|w| w == b"n't"),
            )
        };
        (info, flags(has_nt, is_upper))
    }

    /// [`Self::token`] for an ASCII token of 1 to 8 bytes: one word holds the whole key, and
    /// case, apostrophe and lowercasing are a few operations on it.
    #[inline(always)]
    fn short_ascii_token(&self, b: &[u8], s: usize, e: usize) -> (&WordInfo, u8) {
        let len = e - s;
        let mut x = if s + 8 <= b.len() {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[s..s + 8]);
            u64::from_le_bytes(w)
        } else {
            b[s..e]
                .iter()
                .rev()
                .fold(0u64, |acc, &c| acc << 8 | u64::from(c))
        };
        if len < 8 {
            x &= (1u64 << (8 * len)) - 1;
        }
        let up = table::ascii_range_mask(x, b'A', b'Z');
        let key = x | (up >> 2);
        let info = self.lex.words.get_short(key, len).unwrap_or(&EMPTY);
        let is_upper = up != 0 && table::ascii_range_mask(x, b'a', b'z') == 0;
        let has_nt = !info.negate()
            && table::ascii_range_mask(x, b'\'', b'\'') != 0
            && (0..len.saturating_sub(2)).any(|j| (key >> (8 * j)) & 0xFF_FFFF == 0x74_276E);
        (info, flags(has_nt, is_upper))
    }

    /// `sentiment_valence` for a token in the lexicon.
    fn valence(&self, lexv: f64, toks: &[Tok], i: usize, is_cap_diff: bool) -> f64 {
        let n = toks.len();
        let id = |k: usize| toks[k].id;
        let mut valence = lexv;
        if id(i) == NO && i != n - 1 && toks[i + 1].valence().is_some() {
            valence = 0.0;
        }
        if (i > 0 && id(i - 1) == NO)
            || (i > 1 && id(i - 2) == NO)
            || (i > 2 && id(i - 3) == NO && matches!(id(i - 1), OR | NOR))
        {
            valence = lexv * N_SCALAR;
        }
        if toks[i].is_upper() && is_cap_diff {
            if valence > 0.0 {
                valence += C_INCR;
            } else {
                valence -= C_INCR;
            }
        }
        for start_i in 0..3 {
            if i > start_i && toks[i - (start_i + 1)].valence().is_none() {
                let mut s = scalar_inc_dec(&toks[i - (start_i + 1)], valence, is_cap_diff);
                if start_i == 1 && s != 0.0 {
                    s *= 0.95;
                }
                if start_i == 2 && s != 0.0 {
                    s *= 0.9;
                }
                valence += s;
                valence = negation_check(valence, toks, start_i, i);
                if start_i == 2 {
                    valence = self.special_idioms_check(valence, toks, i);
                }
            }
        }
        least_check(valence, toks, i)
    }

    /// `_special_idioms_check` (only reached with `i >= 3`).
    fn special_idioms_check(&self, mut valence: f64, toks: &[Tok], i: usize) -> f64 {
        let n = toks.len();
        // Every sequence looked up below is two or three adjacent tokens within i-3..=i+2, and
        // every phrase word has a non-zero id: without two adjacent non-zero ids, nothing
        // can match.
        let mut nonzero = 0u32;
        for (bit, t) in toks[i - 3..(i + 3).min(n)].iter().enumerate() {
            nonzero |= u32::from(t.id != 0) << bit;
        }
        if nonzero & (nonzero >> 1) == 0 {
            return valence;
        }
        let ids = |a: usize, b: usize| -> [WordId; 3] {
            let mut out = [0; 3];
            for (slot, t) in out.iter_mut().zip(&toks[a..b]) {
                *slot = t.id;
            }
            out
        };
        let in_table = |table: &[Phrase], seq: &[WordId]| {
            table.iter().find(|p| p.matches(seq)).map(|p| p.value)
        };
        let onezero = ids(i - 1, i + 1);
        let twoonezero = ids(i - 2, i + 1);
        let twoone = ids(i - 2, i);
        let threetwoone = ids(i - 3, i);
        let threetwo = ids(i - 3, i - 1);
        let sequences: [&[WordId]; 5] = [
            &onezero[..2],
            &twoonezero[..3],
            &twoone[..2],
            &threetwoone[..3],
            &threetwo[..2],
        ];
        for seq in sequences {
            if let Some(v) = in_table(&self.lex.special_cases, seq) {
                valence = v;
                break;
            }
        }
        if n - 1 > i
            && let Some(v) = in_table(&self.lex.special_cases, &ids(i, i + 2)[..2])
        {
            valence = v;
        }
        if n - 1 > i + 1
            && let Some(v) = in_table(&self.lex.special_cases, &ids(i, i + 3)[..3])
        {
            valence = v;
        }
        for seq in [&threetwoone[..3], &threetwo[..2], &twoone[..2]] {
            if let Some(v) = in_table(&self.lex.booster_ngrams, seq) {
                valence += v;
            }
        }
        valence
    }
}

/// `scalar_inc_dec`.
#[inline]
fn scalar_inc_dec(word: &Tok, valence: f64, is_cap_diff: bool) -> f64 {
    let Some(mut scalar) = word.booster() else {
        return 0.0;
    };
    if valence < 0.0 {
        scalar = -scalar;
    }
    if word.is_upper() && is_cap_diff {
        if valence > 0.0 {
            scalar += C_INCR;
        } else {
            scalar -= C_INCR;
        }
    }
    scalar
}

/// `_negation_check`, with 3.3.2's operator precedence in the 3-word case: a "so"/"this" right
/// before the word multiplies by 1.25 even without a "never".
#[inline]
fn negation_check(valence: f64, toks: &[Tok], start_i: usize, i: usize) -> f64 {
    let id = |k: usize| toks[k].id;
    let so_this = |k: usize| matches!(id(k), SO | THIS);
    match start_i {
        0 => {
            if toks[i - 1].negated() {
                return valence * N_SCALAR;
            }
        }
        1 => {
            if id(i - 2) == NEVER && so_this(i - 1) {
                return valence * 1.25;
            } else if id(i - 2) == WITHOUT && id(i - 1) == DOUBT {
                return valence;
            } else if toks[i - 2].negated() {
                return valence * N_SCALAR;
            }
        }
        _ => {
            if (id(i - 3) == NEVER && so_this(i - 2)) || so_this(i - 1) {
                return valence * 1.25;
            } else if id(i - 3) == WITHOUT && (id(i - 2) == DOUBT || id(i - 1) == DOUBT) {
                return valence;
            } else if toks[i - 3].negated() {
                return valence * N_SCALAR;
            }
        }
    }
    valence
}

/// `_least_check`.
#[inline]
fn least_check(valence: f64, toks: &[Tok], i: usize) -> f64 {
    let least_before = i > 0 && toks[i - 1].valence().is_none() && toks[i - 1].id == LEAST;
    if i > 1 && least_before {
        if toks[i - 2].id != AT && toks[i - 2].id != VERY {
            return valence * N_SCALAR;
        }
    } else if least_before {
        return valence * N_SCALAR;
    }
    valence
}

/// `score_valence` (with `_punctuation_emphasis` and `_sift_sentiment_scores`) and the final
/// rounding. `sentiments` is non-empty; `(ep, qm)` counts the text's `!` and `?`.
fn score_valence(sentiments: &[f64], (ep, qm): (usize, usize)) -> Scores {
    // sum(sentiments), and the positive/negative/neutral tallies, each accumulated in list
    // order as the reference does
    if sentiments.iter().all(|&s| s == 0.0) {
        return NEUTRAL; // what the code below yields then
    }
    let (mut sum_s, mut pos_sum, mut neg_sum, mut neu_count) = (0.0f64, 0.0f64, 0.0f64, 0usize);
    for &s in sentiments {
        sum_s += s;
        if s > 0.0 {
            pos_sum += s + 1.0;
        }
        if s < 0.0 {
            neg_sum += s - 1.0;
        }
        if s == 0.0 {
            neu_count += 1;
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let ep_amp = ep.min(4) as f64 * 0.292;
    #[allow(clippy::cast_precision_loss)]
    let qm_amp = match qm {
        0 | 1 => 0.0,
        2 | 3 => qm as f64 * 0.18,
        _ => 0.96,
    };
    let amp = ep_amp + qm_amp;
    if sum_s > 0.0 {
        sum_s += amp;
    } else if sum_s < 0.0 {
        sum_s -= amp;
    }
    let compound = (sum_s / (sum_s * sum_s + 15.0).sqrt()).clamp(-1.0, 1.0);

    if pos_sum > neg_sum.abs() {
        pos_sum += amp;
    } else if pos_sum < neg_sum.abs() {
        neg_sum -= amp;
    }
    #[allow(clippy::cast_precision_loss)]
    let neu_f = neu_count as f64;
    let total = pos_sum + neg_sum.abs() + neu_f;
    Scores {
        neg: py::round_half_even((neg_sum / total).abs(), 3),
        neu: py::round_half_even((neu_f / total).abs(), 3),
        pos: py::round_half_even((pos_sum / total).abs(), 3),
        compound: py::round_half_even(compound, 4),
    }
}

#[cfg(test)]
mod tests;
