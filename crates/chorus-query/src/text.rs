//! Post text → tokens, exactly as `docs/query-language.md` §1 defines it: UAX #29 word
//! segmentation, one token per character in scripts without spaces, NFKC + lowercase, accent
//! folding, emoji tokens, hashtag/mention marks. Queries and posts use the same functions.
//!
//! All-ASCII text (the common case on the hot path) takes a byte-level fast path that
//! implements the same UAX #29 rules for ASCII; text of ASCII, basic Cyrillic, Latin-1 letters
//! and common quotes and dashes takes the same rules over character classes (the simple path);
//! anything else takes the general path. Property tests check both against the general path.
//! Output goes into a reusable [`Tokens`] buffer: no allocation per post once warm.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};
use unicode_segmentation::UnicodeSegmentation;

/// What a post token is, besides its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TokenKind {
    /// An ordinary word (letters and digits).
    Word,
    /// A word directly after `#`.
    Hashtag,
    /// A word directly after `@`.
    Mention,
    /// An emoji (sequence).
    Emoji,
}

#[derive(Debug, Clone, Copy)]
struct Tok {
    /// Range of the accent-folded form in `Tokens::folded`.
    f: (u32, u32),
    /// Range of the unfolded (lowercase only) form in `Tokens::exact`; `None` when identical.
    e: Option<(u32, u32)>,
    kind: TokenKind,
}

/// The tokens of one text, in order. Reuse one value across posts: [`tokenize`] clears it.
#[derive(Debug, Default, Clone)]
pub struct Tokens {
    /// Folded token text, followed by [`PAD`] NUL bytes. All-ASCII input is lowercased here
    /// whole, and its tokens are ranges of it (no per-token copy).
    folded: String,
    exact: String,
    toks: Vec<Tok>,
    tmp: String,
    /// Byte offset and word-break class of each character, for [`tokenize_simple`].
    classes: Vec<(u32, Cls)>,
}

impl Tokens {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forget the tokens, keep the capacity.
    pub fn clear(&mut self) {
        self.folded.clear();
        self.exact.clear();
        self.toks.clear();
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.toks.len()
    }

    /// True when there is no token.
    pub fn is_empty(&self) -> bool {
        self.toks.is_empty()
    }

    /// The normalized, accent-folded text of token `i` (panics if `i >= len()`).
    pub fn folded(&self, i: usize) -> &str {
        let (a, b) = self.toks[i].f;
        &self.folded[a as usize..b as usize]
    }

    /// The normalized text of token `i` without accent folding.
    pub fn exact(&self, i: usize) -> &str {
        match self.toks[i].e {
            Some((a, b)) => &self.exact[a as usize..b as usize],
            None => self.folded(i),
        }
    }

    /// The kind of token `i`.
    pub fn kind(&self, i: usize) -> TokenKind {
        self.toks[i].kind
    }

    /// The folded bytes from the start of token `i` on: at least [`PAD`] bytes, the token's
    /// own `len` bytes first (what follows is other text or padding).
    #[inline]
    pub(crate) fn folded_window(&self, i: usize) -> (&[u8], usize) {
        let (a, b) = self.toks[i].f;
        let bytes = self.folded.as_bytes();
        (
            bytes.get(a as usize..).unwrap_or_default(),
            (b - a) as usize,
        )
    }

    /// Iterate `(folded, kind)` pairs.
    pub fn iter(&self) -> impl Iterator<Item = (&str, TokenKind)> + '_ {
        (0..self.len()).map(|i| (self.folded(i), self.kind(i)))
    }

    /// Push an already NFKC-normalized + lowercased piece; computes the folded form.
    fn push_normalized(&mut self, piece: &str, kind: TokenKind) {
        let a = self.folded.len();
        fold_accents(piece, &mut self.folded);
        if self.folded[a..] != *piece {
            // Folding can leave a format character before a mark (`\u{64d}\u{61c}\u{611}` folds
            // to `\u{61c}\u{611}`), which reading the word back leaves out: so does the token.
            let lead = lead_before_mark(&self.folded[a..]);
            self.folded.replace_range(a..a + lead, "");
        }
        let b = self.folded.len();
        if self.folded[a..b] == *piece {
            self.toks.push(Tok {
                f: (a as u32, b as u32),
                e: None,
                kind,
            });
        } else if !self.folded[a..b].chars().any(is_alnum_fast) {
            // Its only letters were marks that folding removes (a lone tatweel, `#` with a
            // fatha): no token, as if it were punctuation. A token of punctuation alone would
            // print as a query word that does not parse back to itself.
            self.folded.truncate(a);
        } else if piece.contains('\u{640}')
            && self.folded[a..b].split_word_bounds().nth(1).is_some()
        {
            // Tatweel is a letter to segmentation (the other marks folding removes are Extend
            // characters, which UAX #29 skips): without it a word can split (`ٹ·ـ` folds to
            // `ٹ·`, which is `ٹ` and `·`). The folded text is segmented again as any
            // normalized text is (`push_split`), so each token reads back as itself, also where
            // a piece starts with a mark after another character (`g:ـؑ` folds to `g:ؑ`, whose
            // piece `:ؑ` reads back as `ؑ`); its exact form is the folded one.
            let folded = self.folded.split_off(a);
            push_split(&folded, kind, &mut true, self);
        } else {
            let ea = self.exact.len();
            self.exact.push_str(piece);
            let eb = self.exact.len();
            self.toks.push(Tok {
                f: (a as u32, b as u32),
                e: Some((ea as u32, eb as u32)),
                kind,
            });
        }
    }

    fn push_emoji(&mut self, seg: &str) {
        let a = self.folded.len();
        for c in seg.chars() {
            if !is_emoji_modifier(c) {
                self.folded.push(c);
            }
        }
        let b = self.folded.len();
        if b > a {
            self.toks.push(Tok {
                f: (a as u32, b as u32),
                e: None,
                kind: TokenKind::Emoji,
            });
        }
    }
}

/// Appended after the folded text of the last token (see [`Tokens::folded_window`]).
const PADDING: &str = "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";
/// Bytes of [`PADDING`].
pub(crate) const PAD: usize = PADDING.len();

/// Split `text` into tokens (§1 of the spec), replacing the contents of `out`.
pub fn tokenize(text: &str, out: &mut Tokens) {
    out.clear();
    if text.is_ascii() {
        tokenize_ascii(text, out);
    } else if !tokenize_simple(text, out) {
        tokenize_unicode(text, out);
    }
    out.folded.push_str(PADDING);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cls {
    Letter,
    Digit,
    Under,
    MidLetter,
    MidNumLet,
    MidNum,
    Other,
}

const fn cls(b: u8) -> Cls {
    match b {
        b'a'..=b'z' | b'A'..=b'Z' => Cls::Letter,
        b'0'..=b'9' => Cls::Digit,
        b'_' => Cls::Under,
        b':' => Cls::MidLetter,
        b'.' | b'\'' => Cls::MidNumLet,
        b',' | b';' => Cls::MidNum,
        _ => Cls::Other,
    }
}

/// [`cls`] of every byte.
static CLASS: [Cls; 256] = {
    let mut t = [Cls::Other; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = cls(b as u8);
        b += 1;
    }
    t
};

/// Bytes of the ASCII word runs: letters, digits, underscore.
static WORD: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = matches!(cls(b as u8), Cls::Letter | Cls::Digit | Cls::Under);
        b += 1;
    }
    t
};

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The social kind of a token starting at byte `start`, from the two bytes before it.
fn social_kind(before: &[u8]) -> TokenKind {
    let n = before.len();
    if n == 0 {
        return TokenKind::Word;
    }
    let kind = match before[n - 1] {
        b'#' => TokenKind::Hashtag,
        b'@' => TokenKind::Mention,
        _ => return TokenKind::Word,
    };
    if n >= 2 && is_word_byte(before[n - 2]) {
        return TokenKind::Word;
    }
    kind
}

/// UAX #29 restricted to ASCII: runs of `[A-Za-z0-9_]`, joined across one `:` `.` `'`
/// between letters and one `.` `'` `,` `;` between digits. The whole text is lowercased into
/// `out.folded` at once; tokens are ranges of it.
fn tokenize_ascii(text: &str, out: &mut Tokens) {
    out.folded.push_str(text);
    out.folded.make_ascii_lowercase();
    let s = text.as_bytes();
    let class = |i: usize| CLASS[usize::from(s[i])];
    let n = s.len();
    let mut i = 0;
    while i < n {
        if !WORD[usize::from(s[i])] {
            i += 1;
            continue;
        }
        let start = i;
        loop {
            while i < n && WORD[usize::from(s[i])] {
                i += 1;
            }
            // s[i - 1] is a word byte, s[i] (if any) is not: join across it?
            if i + 1 < n
                && matches!(
                    (class(i - 1), class(i), class(i + 1)),
                    (Cls::Letter, Cls::MidLetter | Cls::MidNumLet, Cls::Letter)
                        | (Cls::Digit, Cls::MidNum | Cls::MidNumLet, Cls::Digit)
                )
            {
                i += 1;
                continue;
            }
            break;
        }
        // a run of underscores alone is no token (joins need letters or digits)
        if s[start..i].iter().any(|&b| b != b'_') {
            out.toks.push(Tok {
                f: (start as u32, i as u32),
                e: None,
                kind: social_kind(&s[..start]),
            });
        }
    }
}

/// The word-break class of the characters [`tokenize_simple`] handles: ASCII, basic Cyrillic,
/// Latin-1 letters and the quotation marks, dashes and spaces common around them; `None` for
/// any other character. Left out on purpose, because UAX #29 gives them rules the simple path
/// does not implement: U+00AD soft hyphen (Format, ignored inside words), U+00B7 middle dot
/// (MidLetter), U+202F narrow no-break space (ExtendNumLet), and every combining mark
/// (Extend).
fn simple_class(c: char) -> Option<Cls> {
    Some(match c {
        '\0'..='\u{7F}' => CLASS[c as usize],
        '\u{400}'..='\u{45F}' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{FF}' => {
            Cls::Letter
        }
        '\u{2018}' | '\u{2019}' => Cls::MidNumLet,
        '\u{A0}' | '\u{AB}' | '\u{BB}' | '\u{2013}' | '\u{2014}' | '\u{201C}' | '\u{201D}'
        | '\u{2026}' => Cls::Other,
        _ => return None,
    })
}

/// UAX #29 for text made only of [`simple_class`] characters (most non-ASCII posts: Russian,
/// German, French …): the ASCII rules over character classes, each token then normalized and
/// folded like the general path's. Returns false, with `out` untouched, when the text holds any
/// other character; a property test checks it against the general path.
fn tokenize_simple(text: &str, out: &mut Tokens) -> bool {
    let mut classes = std::mem::take(&mut out.classes);
    classes.clear();
    for (i, c) in text.char_indices() {
        match simple_class(c) {
            Some(cls) => classes.push((i as u32, cls)),
            None => {
                out.classes = classes;
                return false;
            }
        }
    }
    let mut tmp = std::mem::take(&mut out.tmp);
    let is_word = |k: usize| matches!(classes[k].1, Cls::Letter | Cls::Digit | Cls::Under);
    let offset = |k: usize| classes.get(k).map_or(text.len(), |&(o, _)| o as usize);
    let n = classes.len();
    let mut k = 0;
    while k < n {
        if !is_word(k) {
            k += 1;
            continue;
        }
        let start = k;
        loop {
            while k < n && is_word(k) {
                k += 1;
            }
            if k + 1 < n
                && matches!(
                    (classes[k - 1].1, classes[k].1, classes[k + 1].1),
                    (Cls::Letter, Cls::MidLetter | Cls::MidNumLet, Cls::Letter)
                        | (Cls::Digit, Cls::MidNum | Cls::MidNumLet, Cls::Digit)
                )
            {
                k += 1;
                continue;
            }
            break;
        }
        let (a, b) = (offset(start), offset(k));
        let word = &text[a..b];
        if word.chars().any(is_alnum_fast) {
            tmp.clear();
            normalize_into(word, &mut tmp);
            push_pieces(&tmp, social_kind_unicode(&text[..a]), out);
        }
    }
    out.tmp = tmp;
    out.classes = classes;
    true
}

fn tokenize_unicode(text: &str, out: &mut Tokens) {
    let mut tmp = std::mem::take(&mut out.tmp);
    for (off, seg) in text.split_word_bound_indices() {
        if seg.chars().any(is_alnum_fast) {
            let lead = lead_before_mark(seg);
            let (off, seg) = (off + lead, &seg[lead..]);
            let kind = social_kind_unicode(&text[..off]);
            tmp.clear();
            normalize_into(seg, &mut tmp);
            if lead == 0 && is_nfkc_quick(seg.chars()) == IsNormalized::Yes {
                push_pieces(&tmp, kind, out);
            } else {
                // NFKC can turn one segment into text that segments differently (`⒈` is
                // `1.`), and text that starts with a mark segments differently alone: split
                // again, so a token is always one segment of its own text and a query word
                // printed from it reads back as the same token.
                push_split(&tmp, kind, &mut true, out);
            }
        } else if seg.chars().next().is_some_and(is_emoji) {
            out.push_emoji(seg);
        }
    }
    out.tmp = tmp;
}

/// Combining marks join the segment of the character before them (UAX #29 WB4), even a space,
/// a `#` or a `.`: that character, and any format character after it (which UAX #29 skips
/// too), is not part of the token (`a ۧ` has the token `ۧ`, not ` ۧ`), and a `#`/`@` right
/// before the mark still marks what follows it. Returns how many bytes to leave out: those
/// before the first mark when the segment's first letter, digit or mark is a mark, else 0.
fn lead_before_mark(seg: &str) -> usize {
    match seg
        .char_indices()
        .find(|&(_, c)| is_alnum_fast(c) || is_combining_mark(c))
    {
        Some((i, c)) if i > 0 && is_combining_mark(c) => i,
        _ => 0,
    }
}

/// Segments normalized `text` on its own and pushes the tokens of each piece with a letter or
/// digit; the first token gets `kind`.
fn push_split(text: &str, kind: TokenKind, first: &mut bool, out: &mut Tokens) {
    for piece in text.split_word_bounds() {
        if !piece.chars().any(is_alnum_fast) {
            continue;
        }
        let k = if *first { kind } else { TokenKind::Word };
        let lead = lead_before_mark(piece);
        if lead > 0 {
            // What follows starts with a mark, which does not join anything before it: one
            // more split at most.
            push_split(&piece[lead..], k, first, out);
        } else {
            push_pieces(piece, k, out);
            *first = false;
        }
    }
}

/// Split a normalized word into tokens: characters of scripts without spaces stand alone.
fn push_pieces(word: &str, kind: TokenKind, out: &mut Tokens) {
    if !word.chars().any(is_unspaced) {
        if word.chars().any(is_alnum_fast) {
            out.push_normalized(word, kind);
        }
        return;
    }
    let mut run_start = 0;
    let mut first = true;
    for (i, c) in word.char_indices() {
        if is_unspaced(c) {
            // The text between two such characters is segmented on its own: inside the word
            // it was joined by what surrounded it (`ၳ:nok` is one segment), alone `:nok` is
            // not, and a token must read back as itself.
            push_split(&word[run_start..i], kind, &mut first, out);
            // A letter or digit stands alone; punctuation of those blocks (`゠`, `・`) is
            // dropped, as it is outside a word.
            if is_alnum_fast(c) {
                let one = &word[i..i + c.len_utf8()];
                out.push_normalized(one, if first { kind } else { TokenKind::Word });
                first = false;
            }
            run_start = i + c.len_utf8();
        }
    }
    push_split(&word[run_start..], kind, &mut first, out);
}

fn social_kind_unicode(before: &str) -> TokenKind {
    let mut it = before.chars().rev();
    let kind = match it.next() {
        Some('#' | '＃') => TokenKind::Hashtag,
        Some('@' | '＠') => TokenKind::Mention,
        _ => return TokenKind::Word,
    };
    match it.next() {
        Some(c) if c.is_alphanumeric() || c == '_' => TokenKind::Word,
        _ => kind,
    }
}

/// `char::is_alphanumeric`, with ASCII and the Russian alphabet answered without the Unicode
/// tables.
#[inline]
fn is_alnum_fast(c: char) -> bool {
    match c {
        'a'..='z' | 'A'..='Z' | '0'..='9' | 'а'..='я' | 'А'..='Я' | 'ё' | 'Ё' => true,
        '\0'..='\u{7F}' => false,
        _ => c.is_alphanumeric(),
    }
}

/// Basic Cyrillic (U+0400–U+045F): every character is NFKC on its own, is not a combining
/// mark (combining class 0), and lowercases to one character by a fixed offset (the tests check
/// all three for every character).
#[inline]
fn basic_cyrillic_lower(c: char) -> Option<char> {
    let n = u32::from(c);
    let lower = match n {
        0x410..=0x42F => n + 0x20,
        0x400..=0x40F => n + 0x50,
        0x430..=0x45F => n,
        _ => return None,
    };
    char::from_u32(lower)
}

/// NFKC, then per-character lowercase, with final sigma folded to sigma. Appends to `out`.
pub fn normalize_into(s: &str, out: &mut String) {
    if s.is_ascii() {
        for b in s.bytes() {
            out.push(b.to_ascii_lowercase() as char);
        }
        return;
    }
    // ASCII and basic Cyrillic only (most non-ASCII posts seen): already NFKC, lowercase by
    // offset. Anything else starts over on the general path.
    let start = out.len();
    let simple = s.chars().all(|c| match c {
        '\0'..='\u{7F}' => {
            out.push(c.to_ascii_lowercase());
            true
        }
        _ => basic_cyrillic_lower(c).map(|l| out.push(l)).is_some(),
    });
    if simple {
        return;
    }
    out.truncate(start);
    let lower = |c: char| {
        for l in c.to_lowercase() {
            out.push(if l == 'ς' { 'σ' } else { l });
        }
    };
    // Most text is NFKC already (the quick check answers without decomposing): lowercase only.
    if is_nfkc_quick(s.chars()) == IsNormalized::Yes {
        s.chars().for_each(lower);
    } else {
        s.nfkc().for_each(lower);
    }
}

/// True for the combining marks accent folding removes (§1.5).
fn is_foldable_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}')
}

/// Append the accent-folded form of normalized text `s` to `out`.
pub fn fold_accents(s: &str, out: &mut String) {
    if s.chars().all(is_known_undecomposed) {
        out.push_str(s);
        return;
    }
    if !s.nfd().any(is_foldable_mark) {
        out.push_str(s);
        return;
    }
    out.extend(s.nfd().filter(|&c| !is_foldable_mark(c)).nfc());
}

/// ASCII and the lowercase Russian letters other than й and ё: characters that NFD leaves as
/// they are (so accent folding cannot change them). A cheap subset, checked by the tests.
#[inline]
fn is_known_undecomposed(c: char) -> bool {
    matches!(c, '\0'..='\u{7F}' | 'а'..='и' | 'к'..='я')
}

/// Characters of the scripts written without spaces between words (§1.2).
pub fn is_unspaced(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF // Thai, Lao
        | 0x1000..=0x109F | 0xA9E0..=0xA9FF | 0xAA60..=0xAA7F // Myanmar
        | 0x1780..=0x17FF | 0x19E0..=0x19FF // Khmer
        | 0x2E80..=0x2FDF // CJK radicals
        | 0x3005 | 0x3007 | 0x3021..=0x3029 | 0x3038..=0x303B // Han marks and numerals
        | 0x3040..=0x30FF | 0x31F0..=0x31FF // Hiragana, Katakana
        | 0x32D0..=0x32FE | 0x3300..=0x3357 // circled and squared Katakana
        | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF // Han
        | 0xFF66..=0xFF9F // half-width Katakana
        | 0x20000..=0x3FFFF // Han supplements
    )
}

/// Extended_Pictographic (approximated by its blocks) and regional indicators (§1.4).
pub fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x00A9 | 0x00AE | 0x203C | 0x2049 | 0x2122 | 0x2139
        | 0x2194..=0x2199 | 0x21A9..=0x21AA | 0x231A..=0x231B | 0x2328 | 0x23CF
        | 0x23E9..=0x23F3 | 0x23F8..=0x23FA | 0x24C2 | 0x25AA..=0x25AB | 0x25B6 | 0x25C0
        | 0x25FB..=0x25FE | 0x2600..=0x27BF | 0x2934..=0x2935 | 0x2B05..=0x2B07
        | 0x2B1B..=0x2B1C | 0x2B50 | 0x2B55 | 0x3030 | 0x303D | 0x3297 | 0x3299
        | 0x1F000..=0x1FAFF | 0x1FC00..=0x1FFFD
    )
}

/// Variation selectors and skin-tone modifiers, removed from emoji tokens.
fn is_emoji_modifier(c: char) -> bool {
    matches!(c as u32, 0xFE0E | 0xFE0F | 0x1F3FB..=0x1F3FF)
}

#[cfg(test)]
mod tests;
