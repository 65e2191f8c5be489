//! The token pass, 8 bytes at a time: `text.split()`, `_strip_punc_if_word` and the table
//! lookup of each token in one loop. The text is first copied into a buffer padded with
//! spaces, so every 8-byte load is in bounds and the scan needs no end test inside a token.
//! It yields exactly the tokens of the plain composition of `py::split_whitespace`,
//! `py::strip_punct_if_word` and `SentimentAnalyzer::token`; a unit test compares the two on
//! random text.

use super::{EMPTY, SentimentAnalyzer, Tok, UPPER, UPPER_DEFERRED, py, swar};

/// The last byte of [`py::KELVIN`]'s UTF-8.
const KELVIN_LAST: u8 = py::KELVIN_UTF8[2];

/// Spaces after the copied text: one 8-byte load from any position up to its end stays inside.
const PAD: usize = 8;

/// [`py::space_len`]; for all-ASCII text (`ASCII`), a range test.
#[inline(always)]
fn space_at<const ASCII: bool>(b: &[u8], i: usize) -> usize {
    if ASCII {
        usize::from(py::is_ascii_space(b[i]))
    } else {
        py::space_len(b, i)
    }
}

impl SentimentAnalyzer {
    /// Tokens of `text` into `toks`, using `padded` as the padded copy and `lower` for tokens
    /// that need a lowercase copy. The spans of tokens whose `isupper()` was not worked out
    /// go to `deferred` (see `token`; a span may keep its surrounding punctuation, which
    /// `isupper()` ignores). All three vectors are cleared first. Returns how many
    /// tokens are ALL CAPS (`isupper()`), not counting those in `deferred`.
    pub(super) fn tokens(
        &self,
        text: &str,
        padded: &mut Vec<u8>,
        lower: &mut String,
        toks: &mut Vec<Tok>,
        deferred: &mut Vec<(usize, usize)>,
    ) -> usize {
        toks.clear();
        deferred.clear();
        padded.clear();
        padded.extend_from_slice(text.as_bytes());
        padded.extend_from_slice(&[b' '; PAD]);
        if text.is_ascii() {
            self.tokens_in::<true>(text, padded, lower, toks, deferred)
        } else {
            self.tokens_in::<false>(text, padded, lower, toks, deferred)
        }
    }

    /// [`Self::tokens`] on the padded copy `b`. `ASCII`: the text is all ASCII, so only bytes
    /// below `0x21` can end a token and no token needs the non-ASCII hints.
    #[inline(always)]
    fn tokens_in<const ASCII: bool>(
        &self,
        text: &str,
        b: &[u8],
        lower: &mut String,
        toks: &mut Vec<Tok>,
        deferred: &mut Vec<(usize, usize)>,
    ) -> usize {
        let n = text.len();
        let mut upper = 0usize;
        let mut i = 0;
        while i < n {
            let space = space_at::<ASCII>(b, i);
            if space > 0 {
                i += space;
                continue;
            }
            let start = i;
            // to the next whitespace; the padding stops the scan at `n` at the latest
            // the token's bytes OR-ed together per lane, and lanes holding `'` or KELVIN's
            // last byte (`token` needs to know for non-ASCII tokens only)
            let (mut high, mut marks) = (0u64, 0u64);
            let end = loop {
                let x = swar::word_at(b, i);
                let (c, marked) = if ASCII {
                    (swar::below_21(x), 0)
                } else {
                    (
                        py::boundary_candidates(x),
                        swar::byte_eq(x, b'\'') | swar::byte_eq(x, KELVIN_LAST),
                    )
                };
                if c == 0 {
                    high |= x;
                    marks |= marked;
                    i += 8;
                    continue;
                }
                let k = c.trailing_zeros() / 8;
                let before = (1u64 << (8 * k)) - 1;
                high |= x & before;
                marks |= marked & before;
                i += k as usize;
                let space = space_at::<ASCII>(b, i);
                if space > 0 {
                    let end = i;
                    i += space; // the whitespace after the token (`i <= n + 2` stays in `b`)
                    break end;
                }
                high |= u64::from(b[i]);
                marks |= u64::from(b[i] == KELVIN_LAST);
                i += 1; // a control character or a non-space lead byte inside the token
            };
            let ascii = ASCII || high & swar::HIGH == 0;
            if !ascii && marks == 0 && self.lex.ascii_reachable_only {
                // What `token` finds for a non-ASCII token without `'` or KELVIN: a miss, not
                // negated, `isupper()` deferred. Stripping ASCII punctuation (caseless) would
                // not change `isupper()`, so the span stays unstripped.
                deferred.push((start, end));
                toks.push(Tok::token((&EMPTY, 0)));
                continue;
            }
            let (s, e) = py::strip_punct_if_word(text, start, end);
            let (info, flags) = if ascii && e > s && e - s <= 8 {
                self.short_ascii_token(b, s, e)
            } else {
                let hint = (marks != 0, marks != 0);
                self.token(text, s, e, ascii, lower, hint)
            };
            if flags & UPPER_DEFERRED != 0 {
                deferred.push((s, e));
            }
            upper += usize::from(flags & UPPER != 0);
            toks.push(Tok::token((info, flags & !UPPER_DEFERRED)));
        }
        upper
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Scratch, SentimentAnalyzer, UPPER_DEFERRED};

    /// Token ids, flags and values of both passes on random text, and the deferred spans.
    #[test]
    fn token_pass_equals_plain_pass() {
        let analyzer = SentimentAnalyzer::new();
        let pieces = [
            "good",
            "GOOD",
            "Bad",
            "not",
            "isn't",
            "DON'T",
            "n't",
            "kind",
            "of",
            "but",
            "no",
            "never",
            "so",
            "very",
            "least",
            "at",
            ":)",
            ":-)",
            "(:",
            "!!",
            "?",
            "!?",
            "#ab",
            "#abc",
            "'good'",
            "extremely",
            "EXTREMELY",
            "abcdefghijklmnopq",
            " ",
            "  ",
            "\t",
            "\x1c",
            "\x01",
            "\x0e",
            ",",
            ".",
            "@user",
            "lol",
            "x",
            "Z",
            "uh-uh",
            "half-assed",
            "é",
            "ÉNORME",
            "naïve",
            "\u{212A}ill",
            "İ",
            "Σ",
            "क",
            "مرحبا",
            "\u{a0}",
            "\u{3000}",
            "\u{2028}",
            "\u{85}",
            "\u{2019}",
            "\u{1680}",
            "ᚠ",
            "ｇｏｏｄ",
            "don\u{2019}t",
            "can't",
            "😀",
        ];
        let mut seed = 11u64;
        let mut scratch = Scratch::new();
        let mut plain = Vec::new();
        let mut plain_deferred = Vec::new();
        for _ in 0..40_000 {
            let mut text = String::new();
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            for _ in 0..((seed >> 40) % 17) {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                text.push_str(pieces[(seed >> 33) as usize % pieces.len()]);
                if seed >> 62 != 0 {
                    text.push(' ');
                }
            }
            let upper = analyzer.tokens(
                &text,
                &mut scratch.padded,
                &mut scratch.lower,
                &mut scratch.toks,
                &mut scratch.deferred,
            );
            plain.clear();
            plain_deferred.clear();
            super::py::split_whitespace(&text, |s, e, ascii| {
                let (s, e) = super::py::strip_punct_if_word(&text, s, e);
                let (info, flags) =
                    analyzer.token(&text, s, e, ascii, &mut scratch.lower, (true, true));
                if flags & UPPER_DEFERRED != 0 {
                    plain_deferred.push((s, e));
                }
                plain.push(super::Tok::token((info, flags & !UPPER_DEFERRED)));
            });
            let key = |t: &super::Tok| {
                (
                    t.id,
                    t.flags,
                    t.valence().map(f64::to_bits),
                    t.booster().map(f64::to_bits),
                )
            };
            let a: Vec<_> = scratch.toks.iter().map(key).collect();
            let g: Vec<_> = plain.iter().map(key).collect();
            assert_eq!(a, g, "{text:?}");
            let upper_of = |spans: &[(usize, usize)]| -> Vec<bool> {
                spans
                    .iter()
                    .map(|&(s, e)| super::py::is_upper(&text[s..e]))
                    .collect()
            };
            assert_eq!(
                upper_of(&scratch.deferred),
                upper_of(&plain_deferred),
                "{text:?}"
            );
            assert_eq!(
                upper,
                plain.iter().filter(|t| t.is_upper()).count(),
                "{text:?}"
            );
        }
    }
}
