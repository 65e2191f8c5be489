//! Language identification of short social posts, built on `whatlang` 0.18 (70 languages, no
//! model files, pure Rust): its script detection, its Han/kana handling, and its trigram
//! profiles, scored by [`trigram`] through an inverted index (whatlang's own detector takes
//! ~0.2 ms per tweet; this takes a few microseconds).
//!
//! What Chorus adds is the decision of when *not* to answer. The text is first cleaned of what
//! says nothing about its language (URLs, @mentions, #hashtags, `RT`, HTML entities, digits,
//! emoji), then:
//!
//! 1. no letters left → [`Unknown::NoLetters`];
//! 2. the script belongs to one language only (Hangul, kana, Greek, Thai, Georgian …) and at
//!    least [`Rules::min_letters_unique_script`] letters → that language, confidence 1;
//! 3. fewer than [`Rules::min_letters`] letters → [`Unknown::TooShort`];
//! 4. the trigram confidence (whatlang's formula) below [`Rules::min_confidence`] →
//!    [`Unknown::Ambiguous`];
//! 5. otherwise the language, as an ISO 639-1 code (ISO 639-3 where 639-1 has none), with
//!    that confidence.
//!
//! Unknown is reported as the BCP-47 tag `und` ("undetermined") by [`LangGuess::code`].

pub mod model;
pub mod names;
mod trigram;

use whatlang::{Detector, Lang, Script};

use model::LangModelScratch;
pub use model::{LangExample, LangModel, LangModelError};
pub use names::parse_language;
use trigram::{TrigramModel, TrigramScratch};

/// The default language model, trained by `chorus text train` and committed. Empty while
/// bootstrapping (the identifier then uses the trigram profiles alone).
static DEFAULT_MODEL: &[u8] = include_bytes!("../../models/language.bin");

/// Why no language was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unknown {
    /// Nothing but URLs, mentions, hashtags, digits, punctuation or emoji.
    NoLetters,
    /// Too few letters to tell.
    TooShort,
    /// The best two candidates are too close.
    Ambiguous,
}

impl Unknown {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoLetters => "no_letters",
            Self::TooShort => "too_short",
            Self::Ambiguous => "ambiguous",
        }
    }
}

/// The answer for one text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LangGuess {
    Known { code: &'static str, confidence: f64 },
    Unknown(Unknown),
}

impl LangGuess {
    /// ISO 639-1 code (639-3 where there is none), or `und` when unknown.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Known { code, .. } => code,
            Self::Unknown(_) => "und",
        }
    }

    /// Confidence in 0..=1; 0 when unknown.
    pub fn confidence(&self) -> f64 {
        match self {
            Self::Known { confidence, .. } => *confidence,
            Self::Unknown(_) => 0.0,
        }
    }
}

/// Thresholds of the "unknown" rule (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rules {
    /// Fewest letters for the trigram profiles (scripts the trained model does not cover).
    pub min_letters: usize,
    pub min_letters_unique_script: usize,
    /// Lowest confidence of the trigram profiles.
    pub min_confidence: f64,
    /// Fewest letters for the trained model.
    pub min_letters_model: usize,
    /// Lowest probability of the trained model's answer.
    pub min_probability: f64,
    /// Below this probability of the trained model, the trigram profiles are asked too, and
    /// answer when they name a language the model does not know with at least
    /// `min_confidence_unknown_to_model`.
    pub unsure_below: f64,
    pub min_confidence_unknown_to_model: f64,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            min_letters: 12,
            min_letters_unique_script: 3,
            min_confidence: 0.2,
            min_letters_model: 5,
            min_probability: 0.3,
            unsure_below: 0.6,
            min_confidence_unknown_to_model: 0.5,
        }
    }
}

/// Identifies languages; build once (about a millisecond), share freely.
#[derive(Debug)]
pub struct LanguageIdentifier {
    detector: Detector,
    model: TrigramModel,
    trained: Option<LangModel>,
    rules: Rules,
}

impl Default for LanguageIdentifier {
    fn default() -> Self {
        Self::new()
    }
}

/// Reusable buffers for [`LanguageIdentifier::identify_with`]. One per thread.
#[derive(Debug, Default)]
pub struct LangScratch {
    clean: String,
    trigrams: TrigramScratch,
    trained: LangModelScratch,
}

impl LangScratch {
    pub fn new() -> Self {
        Self::default()
    }
}

impl LanguageIdentifier {
    pub fn new() -> Self {
        Self::with_rules(Rules::default())
    }

    pub fn with_rules(rules: Rules) -> Self {
        Self::with_model(rules, LangModel::from_bytes(DEFAULT_MODEL).ok())
    }

    /// An identifier with the trained model `trained` (`None`: the trigram profiles alone, as
    /// before a model existed).
    pub fn with_model(rules: Rules, trained: Option<LangModel>) -> Self {
        Self {
            detector: Detector::new(),
            model: TrigramModel::build(),
            trained,
            rules,
        }
    }

    /// The trained model in use, if any.
    pub fn trained(&self) -> Option<&LangModel> {
        self.trained.as_ref()
    }

    pub fn rules(&self) -> Rules {
        self.rules
    }

    /// Identifies the language of `text` (fresh buffers; see [`Self::identify_with`]).
    pub fn identify(&self, text: &str) -> LangGuess {
        self.identify_with(text, &mut LangScratch::new())
    }

    /// Identifies the language of `text`, reusing `scratch`.
    pub fn identify_with(&self, text: &str, scratch: &mut LangScratch) -> LangGuess {
        let buf = &mut scratch.clean;
        let letters = clean(text, buf);
        if letters == 0 {
            return LangGuess::Unknown(Unknown::NoLetters);
        }
        if letters < self.rules.min_letters_unique_script {
            return LangGuess::Unknown(Unknown::TooShort);
        }
        // The cleaned text holds letters, apostrophes, hyphens and spaces: all-ASCII is Latin.
        let script = if buf.is_ascii() {
            Some(Script::Latin)
        } else {
            whatlang::detect_script(buf)
        };
        let Some(script) = script else {
            return LangGuess::Unknown(Unknown::NoLetters);
        };
        let langs = script.langs();
        if script == Script::Mandarin {
            // Han characters: whatlang tells Japanese (kana present) from Chinese.
            return match self.detector.detect(buf) {
                Some(info) => LangGuess::Known {
                    code: iso_code(info.lang()),
                    confidence: 1.0,
                },
                None => LangGuess::Unknown(Unknown::Ambiguous),
            };
        }
        if let [lang] = langs {
            return LangGuess::Known {
                code: iso_code(*lang),
                confidence: 1.0,
            };
        }
        if let Some(m) = self.trained.as_ref().filter(|m| m.covers(script)) {
            if letters < self.rules.min_letters_model {
                return LangGuess::Unknown(Unknown::TooShort);
            }
            let best = m.best(buf, script, &mut scratch.trained);
            let p = best.map_or(0.0, |b| f64::from(b.probability));
            // Unsure: a language the model was not trained on (Hungarian, Danish, Polish …)
            // may be why; the profiles know 70, and answer when they name one of those.
            if p < self.rules.unsure_below
                && letters >= self.rules.min_letters
                && let Some(o) = self.model.detect(buf, script, &mut scratch.trigrams)
                && o.confidence >= self.rules.min_confidence_unknown_to_model
                && !m.codes().contains(&iso_code(o.lang))
            {
                return LangGuess::Known {
                    code: iso_code(o.lang),
                    confidence: o.confidence,
                };
            }
            return match best {
                Some(b) if p >= self.rules.min_probability => LangGuess::Known {
                    code: b.code,
                    confidence: p,
                },
                _ => LangGuess::Unknown(Unknown::Ambiguous),
            };
        }
        if letters < self.rules.min_letters {
            return LangGuess::Unknown(Unknown::TooShort);
        }
        match self.model.detect(buf, script, &mut scratch.trigrams) {
            Some(o) if o.confidence >= self.rules.min_confidence => LangGuess::Known {
                code: iso_code(o.lang),
                confidence: o.confidence,
            },
            _ => LangGuess::Unknown(Unknown::Ambiguous),
        }
    }
}

/// The text as the trained model reads it (see [`clean`]) with its script, or `None` when it
/// has fewer than 3 letters or no script: what training examples are made of.
pub fn prepare(text: &str) -> Option<(String, Script)> {
    let mut buf = String::new();
    if clean(text, &mut buf) < 3 {
        return None;
    }
    let script = if buf.is_ascii() {
        Script::Latin
    } else {
        whatlang::detect_script(&buf)?
    };
    Some((buf, script))
}

/// Copies into `out` the words of `text` that can carry its language, separated by single
/// spaces, and returns how many letters they hold.
fn clean(text: &str, out: &mut String) -> usize {
    out.clear();
    let mut letters = 0;
    let mut need_space = false;
    for word in text.split(char::is_whitespace) {
        if word.is_empty() || skip_word(word) {
            continue;
        }
        need_space = need_space || !out.is_empty();
        let mut in_segment = false;
        for c in word.chars() {
            if is_letter(c) {
                if need_space {
                    out.push(' ');
                    need_space = false;
                }
                out.push(c);
                letters += 1;
                in_segment = true;
            } else if in_segment && matches!(c, '\'' | '’' | '-') {
                out.push(c);
            } else if in_segment {
                need_space = true;
                in_segment = false;
            }
        }
    }
    letters
}

/// `char::is_alphabetic`, with ASCII and the Russian alphabet answered without the Unicode
/// tables.
#[inline]
fn is_letter(c: char) -> bool {
    match c {
        'a'..='z' | 'A'..='Z' | 'а'..='я' | 'А'..='Я' | 'ё' | 'Ё' => true,
        '\0'..='\u{7F}' => false,
        _ => c.is_alphabetic(),
    }
}

fn skip_word(word: &str) -> bool {
    let b = word.as_bytes();
    matches!(b[0], b'@' | b'#')
        || word == "RT"
        || b.len() >= 4
            && (b[..4].eq_ignore_ascii_case(b"http") || b[..4].eq_ignore_ascii_case(b"www."))
        || (b[0] == b'&' && b.last() == Some(&b';'))
}

/// ISO 639-1 where it exists, else whatlang's ISO 639-3 code.
#[rustfmt::skip]
pub fn iso_code(lang: Lang) -> &'static str {
    use Lang::*;
    match lang {
        Epo => "eo", Eng => "en", Rus => "ru", Cmn => "zh", Spa => "es", Por => "pt", Ita => "it",
        Ben => "bn", Fra => "fr", Deu => "de", Ukr => "uk", Kat => "ka", Ara => "ar", Hin => "hi",
        Jpn => "ja", Heb => "he", Yid => "yi", Pol => "pl", Amh => "am", Jav => "jv", Kor => "ko",
        Nob => "nb", Dan => "da", Swe => "sv", Fin => "fi", Tur => "tr", Nld => "nl", Hun => "hu",
        Ces => "cs", Ell => "el", Bul => "bg", Bel => "be", Mar => "mr", Kan => "kn", Ron => "ro",
        Slv => "sl", Hrv => "hr", Srp => "sr", Mkd => "mk", Lit => "lt", Lav => "lv", Est => "et",
        Tam => "ta", Vie => "vi", Urd => "ur", Tha => "th", Guj => "gu", Uzb => "uz", Pan => "pa",
        Aze => "az", Ind => "id", Tel => "te", Pes => "fa", Mal => "ml", Ori => "or", Mya => "my",
        Nep => "ne", Sin => "si", Khm => "km", Tuk => "tk", Aka => "ak", Zul => "zu", Sna => "sn",
        Afr => "af", Lat => "la", Slk => "sk", Cat => "ca", Tgl => "tl", Hye => "hy", Cym => "cy",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> &'static str {
        LanguageIdentifier::new().identify(text).code()
    }

    #[test]
    fn clear_text_is_identified() {
        assert_eq!(
            code("The quick brown fox jumps over the lazy dog and runs away"),
            "en"
        );
        assert_eq!(
            code("Ich habe heute keine Zeit, weil ich mit meiner Mutter in die Stadt fahren muss"),
            "de"
        );
        assert_eq!(
            code("Быстрая коричневая лиса прыгает через ленивую собаку"),
            "ru"
        );
        assert_eq!(
            code("La rápida zorra marrón salta sobre el perro perezoso"),
            "es"
        );
    }

    #[test]
    fn fast_letter_test_agrees_with_unicode() {
        for c in (0..0x3000).filter_map(char::from_u32) {
            assert_eq!(is_letter(c), c.is_alphabetic(), "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn unique_scripts_need_few_letters() {
        assert_eq!(code("안녕하세요"), "ko");
        assert_eq!(code("ありがとう"), "ja");
        assert_eq!(code("καλημέρα"), "el");
    }

    #[test]
    fn short_or_empty_text_is_unknown() {
        let id = LanguageIdentifier::new();
        assert_eq!(id.identify(""), LangGuess::Unknown(Unknown::NoLetters));
        assert_eq!(
            id.identify("😁 123 !!! http://t.co/x @user #tag"),
            LangGuess::Unknown(Unknown::NoLetters)
        );
        assert_eq!(id.identify("okay"), LangGuess::Unknown(Unknown::TooShort));
        assert_eq!(id.identify("ok").code(), "und");
        assert_eq!(id.identify("ok").confidence(), 0.0);
    }

    #[test]
    fn short_brand_posts_are_identified() {
        // Short posts the trigram profiles alone got wrong or left `und` (issue 21).
        assert_eq!(code("My Samsung Galaxy battery is amazing"), "en");
        assert_eq!(code("ok thanks"), "en");
        assert_eq!(code("please fix this, I rely on these earbuds"), "en");
        assert_eq!(code("La batería de mi Samsung es increíble"), "es");
        assert_eq!(code("Mein Akku ist schon wieder leer"), "de");
        assert_eq!(code("Adoro il mio nuovo telefono"), "it");
    }

    #[test]
    fn languages_the_model_does_not_know_come_from_the_profiles() {
        let id = LanguageIdentifier::new();
        let model = id.trained().unwrap();
        assert!(!model.codes().contains(&"hu"));
        assert_eq!(
            code("Köszönöm szépen a segítséget, nagyon kedves vagy"),
            "hu"
        );
    }

    #[test]
    fn without_a_model_the_profiles_answer() {
        let id = LanguageIdentifier::with_model(Rules::default(), None);
        assert!(id.trained().is_none());
        assert_eq!(
            id.identify("ok thanks"),
            LangGuess::Unknown(Unknown::TooShort)
        );
        assert!(
            LanguageIdentifier::new().trained().is_some(),
            "the committed model loads"
        );
    }

    #[test]
    fn urls_mentions_and_hashtags_are_ignored() {
        let mut buf = String::new();
        let n = clean(
            "RT @user: Good morning, world! http://t.co/abc #blessed 2017 &amp; 😁",
            &mut buf,
        );
        assert_eq!(buf, "Good morning world");
        assert_eq!(n, 16);
    }
}
