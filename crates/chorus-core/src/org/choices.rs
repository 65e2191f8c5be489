//! What a market's form offers instead of free text: the countries of ISO 3166-1, the time
//! zones in use in each (both from the IANA tz database, copied into `data/tz/`), and the
//! locales marketing teams commonly write in.
//!
//! The contract: every country offered parses as a [`super::CountryCode`], every zone as a
//! [`super::TimeZoneName`] and every locale as a [`super::Locale`] (tests check all of them);
//! a market's current value that is not in a list is still offered by the form (it was valid
//! when saved), so editing a market never changes what it does not touch.

use std::sync::LazyLock;

const ISO3166: &str = include_str!("../../data/tz/iso3166.tab");
const ZONE1970: &str = include_str!("../../data/tz/zone1970.tab");

/// Countries as (code, name), by name.
pub fn countries() -> &'static [(&'static str, &'static str)] {
    static COUNTRIES: LazyLock<Vec<(&str, &str)>> = LazyLock::new(|| {
        let mut all: Vec<(&str, &str)> = rows(ISO3166)
            .filter_map(|cols| Some((*cols.first()?, *cols.get(1)?)))
            .collect();
        all.sort_by(|a, b| a.1.cmp(b.1));
        all
    });
    &COUNTRIES
}

/// The name of the country `code` (upper case), if it is one.
pub fn country_name(code: &str) -> Option<&'static str> {
    countries()
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, n)| *n)
}

/// Every zone in use since 1970, by name.
pub fn zones() -> &'static [&'static str] {
    static ZONES: LazyLock<Vec<&str>> = LazyLock::new(|| {
        let mut all: Vec<&str> = zone_rows().map(|(_, zone)| zone).collect();
        all.sort_unstable();
        all.dedup();
        all
    });
    &ZONES
}

/// The zones in use in the country `code` (upper case), by name; empty for an unknown code.
pub fn zones_of(code: &str) -> Vec<&'static str> {
    let mut found: Vec<&str> = zone_rows()
        .filter(|(countries, _)| countries.split(',').any(|c| c == code))
        .map(|(_, zone)| zone)
        .collect();
    found.sort_unstable();
    found
}

/// Locales offered for a market, as (BCP 47 tag, what people call it).
pub const LOCALES: [(&str, &str); 80] = [
    ("af-ZA", "Afrikaans (South Africa)"),
    ("am-ET", "Amharic (Ethiopia)"),
    ("ar-AE", "Arabic (United Arab Emirates)"),
    ("ar-EG", "Arabic (Egypt)"),
    ("ar-SA", "Arabic (Saudi Arabia)"),
    ("bg-BG", "Bulgarian (Bulgaria)"),
    ("bn-BD", "Bengali (Bangladesh)"),
    ("bn-IN", "Bengali (India)"),
    ("ca-ES", "Catalan (Spain)"),
    ("cs-CZ", "Czech (Czechia)"),
    ("da-DK", "Danish (Denmark)"),
    ("de-AT", "German (Austria)"),
    ("de-CH", "German (Switzerland)"),
    ("de-DE", "German (Germany)"),
    ("el-GR", "Greek (Greece)"),
    ("en-AU", "English (Australia)"),
    ("en-CA", "English (Canada)"),
    ("en-GB", "English (United Kingdom)"),
    ("en-IE", "English (Ireland)"),
    ("en-IN", "English (India)"),
    ("en-KE", "English (Kenya)"),
    ("en-NG", "English (Nigeria)"),
    ("en-NZ", "English (New Zealand)"),
    ("en-PH", "English (Philippines)"),
    ("en-SG", "English (Singapore)"),
    ("en-US", "English (United States)"),
    ("en-ZA", "English (South Africa)"),
    ("es-AR", "Spanish (Argentina)"),
    ("es-CL", "Spanish (Chile)"),
    ("es-CO", "Spanish (Colombia)"),
    ("es-ES", "Spanish (Spain)"),
    ("es-MX", "Spanish (Mexico)"),
    ("es-PE", "Spanish (Peru)"),
    ("es-US", "Spanish (United States)"),
    ("et-EE", "Estonian (Estonia)"),
    ("fa-IR", "Persian (Iran)"),
    ("fi-FI", "Finnish (Finland)"),
    ("fil-PH", "Filipino (Philippines)"),
    ("fr-BE", "French (Belgium)"),
    ("fr-CA", "French (Canada)"),
    ("fr-CH", "French (Switzerland)"),
    ("fr-FR", "French (France)"),
    ("ha-NG", "Hausa (Nigeria)"),
    ("he-IL", "Hebrew (Israel)"),
    ("hi-IN", "Hindi (India)"),
    ("hr-HR", "Croatian (Croatia)"),
    ("hu-HU", "Hungarian (Hungary)"),
    ("id-ID", "Indonesian (Indonesia)"),
    ("is-IS", "Icelandic (Iceland)"),
    ("it-IT", "Italian (Italy)"),
    ("ja-JP", "Japanese (Japan)"),
    ("ko-KR", "Korean (South Korea)"),
    ("lt-LT", "Lithuanian (Lithuania)"),
    ("lv-LV", "Latvian (Latvia)"),
    ("mr-IN", "Marathi (India)"),
    ("ms-MY", "Malay (Malaysia)"),
    ("nb-NO", "Norwegian Bokmål (Norway)"),
    ("nl-BE", "Dutch (Belgium)"),
    ("nl-NL", "Dutch (Netherlands)"),
    ("pl-PL", "Polish (Poland)"),
    ("pt-BR", "Portuguese (Brazil)"),
    ("pt-PT", "Portuguese (Portugal)"),
    ("ro-RO", "Romanian (Romania)"),
    ("ru-RU", "Russian (Russia)"),
    ("sk-SK", "Slovak (Slovakia)"),
    ("sl-SI", "Slovenian (Slovenia)"),
    ("sr-RS", "Serbian (Serbia)"),
    ("sv-FI", "Swedish (Finland)"),
    ("sv-SE", "Swedish (Sweden)"),
    ("sw-KE", "Swahili (Kenya)"),
    ("sw-TZ", "Swahili (Tanzania)"),
    ("ta-IN", "Tamil (India)"),
    ("te-IN", "Telugu (India)"),
    ("th-TH", "Thai (Thailand)"),
    ("tr-TR", "Turkish (Türkiye)"),
    ("uk-UA", "Ukrainian (Ukraine)"),
    ("ur-PK", "Urdu (Pakistan)"),
    ("vi-VN", "Vietnamese (Vietnam)"),
    ("zh-CN", "Chinese (China, simplified)"),
    ("zh-TW", "Chinese (Taiwan, traditional)"),
];

/// The locales whose region is the country `code` (upper case), then the rest, each part in
/// the order of [`LOCALES`].
pub fn locales_for(code: &str) -> Vec<(&'static str, &'static str)> {
    let local = |tag: &str| tag.rsplit('-').next() == Some(code);
    let (mut first, rest): (Vec<_>, Vec<_>) = LOCALES.iter().partition(|(tag, _)| local(tag));
    first.extend(rest);
    first
}

/// The rows of a tz table, split on tabs, comments and blank lines left out.
fn rows(table: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    table
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').collect())
}

/// (countries, zone) of each row of `zone1970.tab`.
fn zone_rows() -> impl Iterator<Item = (&'static str, &'static str)> {
    rows(ZONE1970).filter_map(|cols| Some((*cols.first()?, *cols.get(2)?)))
}

#[cfg(test)]
mod tests {
    use super::super::{CountryCode, Locale, TimeZoneName};
    use super::*;

    #[test]
    fn every_choice_parses() {
        assert!(countries().len() > 240, "{}", countries().len());
        for (code, name) in countries() {
            CountryCode::parse(code).unwrap();
            assert!(!name.is_empty());
        }
        assert!(zones().len() > 300, "{}", zones().len());
        for zone in zones() {
            TimeZoneName::parse(zone).unwrap_or_else(|e| panic!("{zone}: {e:?}"));
        }
        for (tag, _) in LOCALES {
            Locale::parse(tag).unwrap_or_else(|e| panic!("{tag}: {e:?}"));
        }
        let mut tags: Vec<&str> = LOCALES.iter().map(|(t, _)| *t).collect();
        tags.sort_unstable();
        tags.dedup();
        assert_eq!(tags.len(), LOCALES.len(), "no locale twice");
    }

    #[test]
    fn countries_name_their_zones_and_locales() {
        assert_eq!(country_name("MX"), Some("Mexico"));
        assert_eq!(country_name("FI"), Some("Finland"));
        assert_eq!(country_name("XX"), None);
        assert_eq!(zones_of("FI"), ["Europe/Helsinki"]);
        let mx = zones_of("MX");
        assert!(
            mx.contains(&"America/Mexico_City") && mx.len() > 3,
            "{mx:?}"
        );
        assert!(zones_of("XX").is_empty());
        let fi = locales_for("FI");
        assert_eq!(
            &fi[..2],
            &[
                ("fi-FI", "Finnish (Finland)"),
                ("sv-FI", "Swedish (Finland)")
            ]
        );
        assert_eq!(fi.len(), LOCALES.len());
    }
}
