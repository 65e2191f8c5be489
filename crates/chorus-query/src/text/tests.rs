use proptest::prelude::*;

use super::*;

fn toks(s: &str) -> Vec<(String, TokenKind)> {
    let mut t = Tokens::new();
    tokenize(s, &mut t);
    t.iter().map(|(f, k)| (f.to_owned(), k)).collect()
}

fn words(s: &str) -> Vec<String> {
    toks(s).into_iter().map(|(w, _)| w).collect()
}

#[test]
fn table() {
    use TokenKind::*;
    let cases: &[(&str, &[(&str, TokenKind)])] = &[
        ("Hello, World!", &[("hello", Word), ("world", Word)]),
        (
            "@user12 Nice #Phone :)",
            &[("user12", Mention), ("nice", Word), ("phone", Hashtag)],
        ),
        (
            "don't e.g. 3.14 1,000 foo_bar e-mail",
            &[
                ("don't", Word),
                ("e.g", Word),
                ("3.14", Word),
                ("1,000", Word),
                ("foo_bar", Word),
                ("e", Word),
                ("mail", Word),
            ],
        ),
        (
            "C# and bob@example.com",
            &[
                ("c", Word),
                ("and", Word),
                ("bob", Word),
                ("example.com", Word),
            ],
        ),
        (
            "##x (#y) @@z",
            &[("x", Hashtag), ("y", Hashtag), ("z", Mention)],
        ),
        ("Café CRÈME", &[("cafe", Word), ("creme", Word)]),
        ("ＮＯＫＩＡ ﬁne", &[("nokia", Word), ("fine", Word)]),
        (
            "東京に行く",
            &[
                ("東", Word),
                ("京", Word),
                ("に", Word),
                ("行", Word),
                ("く", Word),
            ],
        ),
        (
            "#東京 タワー",
            &[
                ("東", Hashtag),
                ("京", Word),
                ("タ", Word),
                ("ワ", Word),
                ("ー", Word),
            ],
        ),
        ("Ещё МОСКВА", &[("еще", Word), ("москва", Word)]),
        ("ΟΔΟΣ", &[("οδοσ", Word)]),
        ("مُحَمَّد ＃الرياض", &[("محمد", Word), ("الرياض", Hashtag)]),
        (
            "I ❤️ it 👍🏽👍",
            &[
                ("i", Word),
                ("❤", Emoji),
                ("it", Word),
                ("👍", Emoji),
                ("👍", Emoji),
            ],
        ),
        ("ok👨‍👩‍👧", &[("ok", Word), ("👨‍👩‍👧", Emoji)]),
        ("...!!! ?", &[]),
        // Marks that folding removes do not make punctuation a token (found by fuzzing:
        // `#` + fatha was the token "#", which printed as a query word that parses to nothing).
        ("ـ #\u{64e}ل '\u{64e} \u{301}x", &[("ل", Word), ("x", Word)]),
        // Nor does a word of a script without spaces make its punctuation one (found by
        // fuzzing: `イ゠` gave the tokens イ and ゠, but `゠` alone is no token).
        ("イ゠ン", &[("イ", Word), ("ン", Word)]),
        // NFKC that changes how a segment splits splits it again (found by fuzzing: `⒈` was
        // the token "1.", which reads back as "1"); the first piece keeps the hashtag mark.
        (
            "p⒈p #⒉x",
            &[
                ("p", Word),
                ("1", Word),
                ("p", Word),
                ("2", Hashtag),
                ("x", Word),
            ],
        ),
        // A mark right after `#` joins its segment; the sign still makes a hashtag (found by
        // fuzzing: `#゠\u{1073}` gave a hashtag, its canonical form `#\u{1073}` a word).
        (
            "#\u{1073} @\u{1073} a \u{6e7}",
            &[
                ("\u{1073}", Hashtag),
                ("\u{1073}", Mention),
                ("a", Word),
                ("\u{6e7}", Word),
            ],
        ),
        // Text between such characters is segmented alone (found by fuzzing: `:nok` was a
        // token of `siၳ:nok`, and reads back as `nok`).
        (
            "si\u{1073}:nok.fi",
            &[("si", Word), ("\u{1073}", Word), ("nok.fi", Word)],
        ),
        // Folding a tatweel away can split a word (found by fuzzing: `ٹ·ـ` was the token `ٹ·`,
        // which reads back as `ٹ`).
        (
            "\u{679}\u{b7}\u{640} #\u{640}\u{628}\u{b7}\u{640}x",
            &[("\u{679}", Word), ("\u{628}\u{b7}x", Hashtag)],
        ),
        ("が ガ ｶﾞ", &[("が", Word), ("ガ", Word), ("ガ", Word)]),
        (
            "สวัสดี",
            &[
                ("ส", Word),
                ("ว", Word),
                ("ั", Word),
                ("ส", Word),
                ("ด", Word),
                ("ี", Word),
            ],
        ),
    ];
    for (input, want) in cases {
        let got = toks(input);
        let want: Vec<(String, TokenKind)> =
            want.iter().map(|(w, k)| ((*w).to_owned(), *k)).collect();
        assert_eq!(got, want, "input {input:?}");
    }
}

#[test]
fn exact_form_keeps_accents() {
    let mut t = Tokens::new();
    tokenize("Café cafe ÉTÉ", &mut t);
    assert_eq!((t.folded(0), t.exact(0)), ("cafe", "café"));
    assert_eq!((t.folded(1), t.exact(1)), ("cafe", "cafe"));
    assert_eq!((t.folded(2), t.exact(2)), ("ete", "été"));
}

#[test]
fn workload_style_text_equals_ascii_word_regex() {
    // The benchmark's reference tokenizes with [a-z0-9]+ on lowercased text.
    let text = "@user31 Deceased the #Regency of and blessings Chromatography overt x3 foo...";
    let re_like: Vec<String> = text
        .to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    assert_eq!(words(text), re_like);
}

fn unicode_path(s: &str) -> Vec<(String, TokenKind)> {
    let mut t = Tokens::new();
    tokenize_unicode(s, &mut t);
    t.iter().map(|(f, k)| (f.to_owned(), k)).collect()
}

#[test]
fn fast_character_classes_agree_with_unicode() {
    use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};
    for c in (0..0x3000).filter_map(char::from_u32) {
        let hex = u32::from(c);
        assert_eq!(is_alnum_fast(c), c.is_alphanumeric(), "U+{hex:04X}");
        if let Some(l) = basic_cyrillic_lower(c) {
            assert_eq!(Some(l), c.to_lowercase().next(), "U+{hex:04X}");
            assert_eq!(c.to_lowercase().count(), 1, "U+{hex:04X}");
            assert_eq!(
                unicode_normalization::char::canonical_combining_class(c),
                0,
                "U+{hex:04X}"
            );
            assert_eq!(
                is_nfkc_quick(std::iter::once(c)),
                IsNormalized::Yes,
                "U+{hex:04X}"
            );
        }
        if is_known_undecomposed(c) {
            assert!(c.nfd().eq(std::iter::once(c)), "U+{hex:04X}");
        }
    }
}

/// Every character the simple path accepts, in every position a rule looks at, tokenizes as on
/// the general path: between letters, between digits, after a hashtag mark, after an
/// underscore, and alone.
#[test]
fn every_simple_character_tokenizes_as_on_the_general_path() {
    let all = |t: &Tokens| {
        (0..t.len())
            .map(|i| (t.folded(i).to_owned(), t.exact(i).to_owned(), t.kind(i)))
            .collect::<Vec<_>>()
    };
    let mut checked = 0;
    for c in (0..0x3000).filter_map(char::from_u32) {
        if simple_class(c).is_none() {
            continue;
        }
        checked += 1;
        for text in [
            format!("a{c}b"),
            format!("1{c}2"),
            format!("#{c}x"),
            format!("_{c}"),
            format!("{c}"),
        ] {
            let mut fast = Tokens::new();
            assert!(tokenize_simple(&text, &mut fast), "{text:?}");
            let mut general = Tokens::new();
            tokenize_unicode(&text, &mut general);
            assert_eq!(
                all(&fast),
                all(&general),
                "{text:?} (U+{:04X})",
                u32::from(c)
            );
        }
    }
    // 128 ASCII + 96 basic Cyrillic + 62 Latin-1 letters + 10 quotes, dashes and spaces.
    assert_eq!(checked, 296);
}

#[test]
fn cyrillic_fast_paths_match_the_general_path() {
    for text in [
        "Ёлка и ЙОГУРТ: всё ещё «тест» №5",
        "Привет, мир! Это тест.",
        "Ѐ Ѝ ѐ ѝ Ї ї Ў ў",
        "смешанный text с Latin и ёжиками",
        "и\u{306} комбинированный",
    ] {
        let mut fast = String::new();
        normalize_into(text, &mut fast);
        let general: String = text
            .nfkc()
            .flat_map(char::to_lowercase)
            .map(|l| if l == 'ς' { 'σ' } else { l })
            .collect();
        assert_eq!(fast, general, "{text}");
        let mut folded = String::new();
        fold_accents(&fast, &mut folded);
        let want: String = fast.nfd().filter(|&c| !is_foldable_mark(c)).nfc().collect();
        assert_eq!(folded, want, "{text}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The ASCII fast path is the general UAX #29 path, restricted to ASCII.
    #[test]
    fn ascii_fast_path_equals_unicode_path(s in "[a-cA-C0-2_ .,;:'#@!?\\-\t\n]{0,24}") {
        prop_assert_eq!(toks(&s), unicode_path(&s));
    }

    /// The simple path (ASCII, basic Cyrillic, Latin-1 letters, common quotes and dashes) is
    /// the general path restricted to those characters, exact forms included.
    #[test]
    fn simple_path_equals_unicode_path(
        s in "[a-bA-B0-1_ .,;:'#@\\-\tабйёЖЁЙüÜß«»…“”–—‘’\u{A0}]{0,24}"
    ) {
        let mut fast = Tokens::new();
        prop_assert!(tokenize_simple(&s, &mut fast));
        let mut general = Tokens::new();
        tokenize_unicode(&s, &mut general);
        let all = |t: &Tokens| {
            (0..t.len())
                .map(|i| (t.folded(i).to_owned(), t.exact(i).to_owned(), t.kind(i)))
                .collect::<Vec<_>>()
        };
        prop_assert_eq!(all(&fast), all(&general));
    }

    /// Whichever path `tokenize` picks, mixed text (simple characters next to the ones that
    /// send it to the general path) comes out as on the general path.
    #[test]
    fn tokenize_equals_unicode_path_on_mixed_text(
        s in "[a-bA-B0-1_ .,'#@\\-абЁüß«»’\u{A0}\u{AD}\u{B7}\u{202F}\u{301}é😀👍🏽日本]{0,24}"
    ) {
        prop_assert_eq!(toks(&s), unicode_path(&s));
    }

    /// `normalize_into`'s fast paths are NFKC then lowercase, final sigma as sigma.
    #[test]
    fn normalize_into_is_nfkc_lowercase(
        s in "[a-bA-B0-1 .абЁЙйѐЇüÜßΣσςİ\u{301}\u{FB01}①Ｈ]{0,16}"
    ) {
        let mut fast = String::new();
        normalize_into(&s, &mut fast);
        let general: String = s
            .nfkc()
            .flat_map(char::to_lowercase)
            .map(|l| if l == 'ς' { 'σ' } else { l })
            .collect();
        prop_assert_eq!(fast, general);
    }

    #[test]
    fn tokenize_never_panics(s in "\\PC{0,40}") {
        let mut t = Tokens::new();
        tokenize(&s, &mut t);
        for i in 0..t.len() {
            prop_assert!(!t.folded(i).is_empty());
        }
    }
}
