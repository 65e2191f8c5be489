//! Language codes and names: every code the identifier can answer, with its English name and
//! its own name (endonym), and [`parse_language`], which reads either, so a filter can take
//! "Spanish", "español", "ES" or "spa".

/// `(ISO 639-1 code (639-3 where none), ISO 639-3, English name, endonyms…)`.
#[rustfmt::skip]
pub const LANGUAGES: &[(&str, &str, &str, &[&str])] = &[
    ("af", "afr", "Afrikaans", &["Afrikaans"]),
    ("ak", "aka", "Akan", &["Akan"]),
    ("am", "amh", "Amharic", &["አማርኛ"]),
    ("ar", "ara", "Arabic", &["العربية", "عربي"]),
    ("az", "aze", "Azerbaijani", &["azərbaycan", "azərbaycanca"]),
    ("be", "bel", "Belarusian", &["беларуская"]),
    ("bg", "bul", "Bulgarian", &["български"]),
    ("bn", "ben", "Bengali", &["বাংলা", "Bangla"]),
    ("ca", "cat", "Catalan", &["català"]),
    ("cs", "ces", "Czech", &["čeština", "česky"]),
    ("cy", "cym", "Welsh", &["Cymraeg"]),
    ("da", "dan", "Danish", &["dansk"]),
    ("de", "deu", "German", &["Deutsch"]),
    ("el", "ell", "Greek", &["ελληνικά"]),
    ("en", "eng", "English", &["English"]),
    ("eo", "epo", "Esperanto", &["Esperanto"]),
    ("es", "spa", "Spanish", &["español", "castellano"]),
    ("et", "est", "Estonian", &["eesti"]),
    ("fa", "fas", "Persian", &["فارسی", "Farsi"]),
    ("fi", "fin", "Finnish", &["suomi"]),
    ("fr", "fra", "French", &["français"]),
    ("gu", "guj", "Gujarati", &["ગુજરાતી"]),
    ("he", "heb", "Hebrew", &["עברית"]),
    ("hi", "hin", "Hindi", &["हिन्दी", "हिंदी"]),
    ("hr", "hrv", "Croatian", &["hrvatski"]),
    ("hu", "hun", "Hungarian", &["magyar"]),
    ("hy", "hye", "Armenian", &["հայերեն"]),
    ("id", "ind", "Indonesian", &["Bahasa Indonesia", "Indonesia"]),
    ("is", "isl", "Icelandic", &["íslenska"]),
    ("it", "ita", "Italian", &["italiano"]),
    ("ja", "jpn", "Japanese", &["日本語"]),
    ("jv", "jav", "Javanese", &["basa Jawa"]),
    ("ka", "kat", "Georgian", &["ქართული"]),
    ("km", "khm", "Khmer", &["ខ្មែរ"]),
    ("kn", "kan", "Kannada", &["ಕನ್ನಡ"]),
    ("ko", "kor", "Korean", &["한국어"]),
    ("ku", "kur", "Kurdish", &["Kurdî", "کوردی"]),
    ("la", "lat", "Latin", &["latine", "lingua latina"]),
    ("lt", "lit", "Lithuanian", &["lietuvių"]),
    ("lv", "lav", "Latvian", &["latviešu"]),
    ("mk", "mkd", "Macedonian", &["македонски"]),
    ("ml", "mal", "Malayalam", &["മലയാളം"]),
    ("mr", "mar", "Marathi", &["मराठी"]),
    ("ms", "msa", "Malay", &["Bahasa Melayu", "Melayu"]),
    ("my", "mya", "Burmese", &["မြန်မာ"]),
    ("nb", "nob", "Norwegian", &["norsk", "norsk bokmål", "Norwegian Bokmål"]),
    ("ne", "nep", "Nepali", &["नेपाली"]),
    ("nl", "nld", "Dutch", &["Nederlands", "Vlaams", "Flemish"]),
    ("or", "ori", "Odia", &["ଓଡ଼ିଆ", "Oriya"]),
    ("pa", "pan", "Punjabi", &["ਪੰਜਾਬੀ"]),
    ("pl", "pol", "Polish", &["polski"]),
    ("ps", "pus", "Pashto", &["پښتو", "Pushto"]),
    ("pt", "por", "Portuguese", &["português"]),
    ("ro", "ron", "Romanian", &["română"]),
    ("ru", "rus", "Russian", &["русский"]),
    ("si", "sin", "Sinhala", &["සිංහල"]),
    ("sk", "slk", "Slovak", &["slovenčina"]),
    ("sl", "slv", "Slovenian", &["slovenščina", "Slovene"]),
    ("sn", "sna", "Shona", &["chiShona"]),
    ("so", "som", "Somali", &["Soomaali"]),
    ("sq", "sqi", "Albanian", &["shqip"]),
    ("sr", "srp", "Serbian", &["српски", "srpski"]),
    ("sv", "swe", "Swedish", &["svenska"]),
    ("ta", "tam", "Tamil", &["தமிழ்"]),
    ("te", "tel", "Telugu", &["తెలుగు"]),
    ("th", "tha", "Thai", &["ไทย"]),
    ("tk", "tuk", "Turkmen", &["Türkmençe"]),
    ("tl", "tgl", "Tagalog", &["Filipino", "Wikang Tagalog"]),
    ("tr", "tur", "Turkish", &["Türkçe"]),
    ("uk", "ukr", "Ukrainian", &["українська"]),
    ("ur", "urd", "Urdu", &["اردو"]),
    ("uz", "uzb", "Uzbek", &["oʻzbekcha", "o'zbek", "ўзбекча"]),
    ("vi", "vie", "Vietnamese", &["Tiếng Việt"]),
    ("yi", "yid", "Yiddish", &["ייִדיש"]),
    ("zh", "zho", "Chinese", &["中文", "汉语", "漢語", "Mandarin"]),
    ("zu", "zul", "Zulu", &["isiZulu"]),
];

/// The `'static` form of a known code (the first column of [`LANGUAGES`]).
pub fn static_code(code: &str) -> Option<&'static str> {
    LANGUAGES.iter().find(|l| l.0 == code).map(|l| l.0)
}

/// English name of a known code.
pub fn english_name(code: &str) -> Option<&'static str> {
    LANGUAGES.iter().find(|l| l.0 == code).map(|l| l.2)
}

/// The code of a language given by code (ISO 639-1 or 639-3, any case, a region subtag such as
/// `pt-BR` ignored), English name or own name (any case; accents optional: "espanol" reads as
/// "español"). `None` when nothing matches; `und` is not a language.
pub fn parse_language(input: &str) -> Option<&'static str> {
    let s = input.trim();
    if s.is_empty() {
        return None;
    }
    let lower = s.to_lowercase();
    let code = lower.split(['-', '_']).next().unwrap_or(&lower);
    if let Some(l) = LANGUAGES.iter().find(|l| l.0 == code || l.1 == code) {
        return Some(l.0);
    }
    let key = fold(&lower);
    LANGUAGES
        .iter()
        .find(|l| {
            fold(&l.2.to_lowercase()) == key || l.3.iter().any(|n| fold(&n.to_lowercase()) == key)
        })
        .map(|l| l.0)
}

/// Lowercase text with the accents of Latin letters removed and spaces collapsed.
fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.split_whitespace().collect::<Vec<_>>().join(" ").chars() {
        out.push(match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'ə' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ç' | 'č' => 'c',
            'ñ' => 'n',
            'š' => 's',
            'ž' => 'z',
            'ʻ' | '’' => '\'',
            c => c,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_names_and_endonyms() {
        assert_eq!(parse_language("es"), Some("es"));
        assert_eq!(parse_language(" ES "), Some("es"));
        assert_eq!(parse_language("spa"), Some("es"));
        assert_eq!(parse_language("pt-BR"), Some("pt"));
        assert_eq!(parse_language("Spanish"), Some("es"));
        assert_eq!(parse_language("español"), Some("es"));
        assert_eq!(parse_language("Espanol"), Some("es"));
        assert_eq!(parse_language("suomi"), Some("fi"));
        assert_eq!(parse_language("Deutsch"), Some("de"));
        assert_eq!(parse_language("العربية"), Some("ar"));
        assert_eq!(parse_language("русский"), Some("ru"));
        assert_eq!(parse_language("Farsi"), Some("fa"));
        assert_eq!(parse_language("norsk  bokmål"), Some("nb"));
    }

    #[test]
    fn unknown_is_none() {
        assert_eq!(parse_language(""), None);
        assert_eq!(parse_language("und"), None);
        assert_eq!(parse_language("Klingon"), None);
        assert_eq!(parse_language("e"), None);
    }

    #[test]
    fn every_identifier_code_has_a_name() {
        for &lang in whatlang::Lang::all() {
            let code = super::super::iso_code(lang);
            assert!(static_code(code).is_some(), "{code}");
        }
        let mut codes: Vec<&str> = LANGUAGES.iter().map(|l| l.0).collect();
        codes.dedup();
        assert_eq!(codes.len(), LANGUAGES.len(), "sorted, no duplicates");
    }
}
