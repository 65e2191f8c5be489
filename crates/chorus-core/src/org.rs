//! The organization's shape: markets (with their locales and timezone) and their teams.

pub mod choices;

use serde::{Deserialize, Serialize};

use crate::ids::{MarketId, TeamId};
use crate::validate::{FieldError, Invalid, quoted, text};

/// A market's short code, e.g. `FI`, `BR`, `LATAM`: 2–8 ASCII uppercase letters or digits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MarketCode(String);

impl MarketCode {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let code = raw.trim().to_ascii_uppercase();
        let ok = (2..=8).contains(&code.len())
            && code
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if ok {
            Ok(Self(code))
        } else {
            Err(Invalid::new(format!(
                "{} is not a market code; use 2 to 8 letters or digits, e.g. FI or LATAM",
                quoted(raw)
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for MarketCode {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        Self::parse(&s)
    }
}

impl From<MarketCode> for String {
    fn from(c: MarketCode) -> String {
        c.0
    }
}

impl std::fmt::Display for MarketCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An ISO 3166-1 alpha-2 country code, e.g. `FI`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CountryCode(String);

impl CountryCode {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let code = raw.trim().to_ascii_uppercase();
        if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(code))
        } else {
            Err(Invalid::new(format!(
                "{} is not a country code; use the two-letter ISO 3166-1 code, e.g. FI or BR",
                quoted(raw)
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CountryCode {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        Self::parse(&s)
    }
}

impl From<CountryCode> for String {
    fn from(c: CountryCode) -> String {
        c.0
    }
}

/// A BCP 47 language tag as used on posts, e.g. `fi`, `pt-BR`, `zh-Hant-TW`, normalized to the
/// conventional case (language lowercase, script titlecase, region uppercase).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Locale(String);

impl Locale {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let bad = || {
            Invalid::new(format!(
                "{} is not a locale; use a BCP 47 tag such as en, fi-FI or pt-BR",
                quoted(raw)
            ))
        };
        let raw_trim = raw.trim();
        if raw_trim.is_empty() || raw_trim.len() > 35 {
            return Err(bad());
        }
        let mut out = Vec::new();
        for (i, part) in raw_trim.split(['-', '_']).enumerate() {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(bad());
            }
            let normalized = if i == 0 {
                if !(2..=3).contains(&part.len()) || !part.bytes().all(|b| b.is_ascii_alphabetic())
                {
                    return Err(bad());
                }
                part.to_ascii_lowercase()
            } else if part.len() == 4 && part.bytes().all(|b| b.is_ascii_alphabetic()) {
                let mut s = part.to_ascii_lowercase();
                s[..1].make_ascii_uppercase();
                s
            } else if (part.len() == 2 && part.bytes().all(|b| b.is_ascii_alphabetic()))
                || (part.len() == 3 && part.bytes().all(|b| b.is_ascii_digit()))
            {
                part.to_ascii_uppercase()
            } else if (4..=8).contains(&part.len()) {
                part.to_ascii_lowercase()
            } else {
                return Err(bad());
            };
            out.push(normalized);
        }
        Ok(Self(out.join("-")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The primary language subtag, e.g. `pt` for `pt-BR`.
    pub fn language(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }
}

impl TryFrom<String> for Locale {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        Self::parse(&s)
    }
}

impl From<Locale> for String {
    fn from(c: Locale) -> String {
        c.0
    }
}

impl std::fmt::Display for Locale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An IANA timezone name known to the bundled tz database, e.g. `Europe/Helsinki`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeZoneName(String);

impl TimeZoneName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let name = raw.trim();
        match jiff::tz::db().get(name) {
            Ok(tz) => Ok(Self(tz.iana_name().unwrap_or(name).to_owned())),
            Err(_) => Err(Invalid::new(format!(
                "{} is not an IANA timezone; use a name such as Europe/Helsinki or America/Sao_Paulo",
                quoted(raw)
            ))),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The zone itself, for converting times.
    pub fn zone(&self) -> jiff::tz::TimeZone {
        jiff::tz::db()
            .get(&self.0)
            .unwrap_or(jiff::tz::TimeZone::UTC)
    }
}

impl TryFrom<String> for TimeZoneName {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        Self::parse(&s)
    }
}

impl From<TimeZoneName> for String {
    fn from(c: TimeZoneName) -> String {
        c.0
    }
}

/// A market: a country or region the organization speaks to, with its own team and calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Market {
    pub id: MarketId,
    pub code: MarketCode,
    pub name: String,
    pub country: CountryCode,
    pub locales: Vec<Locale>,
    pub timezone: TimeZoneName,
}

/// The fields of a market to create or update, already validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketInput {
    pub code: MarketCode,
    pub name: String,
    pub country: CountryCode,
    pub locales: Vec<Locale>,
    pub timezone: TimeZoneName,
}

impl MarketInput {
    /// Validates raw market fields; the error names the first bad field.
    pub fn parse(
        code: &str,
        name: &str,
        country: &str,
        locales: &[String],
        timezone: &str,
    ) -> Result<Self, FieldError> {
        let code = MarketCode::parse(code).map_err(|e| e.at("code"))?;
        let name = text(name, 100).map_err(|e| e.at("name"))?;
        let country = CountryCode::parse(country).map_err(|e| e.at("country"))?;
        if locales.is_empty() {
            return Err(Invalid::new("give at least one locale, e.g. fi-FI").at("locales"));
        }
        let mut parsed = Vec::with_capacity(locales.len());
        for l in locales {
            let loc = Locale::parse(l).map_err(|e| e.at("locales"))?;
            if !parsed.contains(&loc) {
                parsed.push(loc);
            }
        }
        let timezone = TimeZoneName::parse(timezone).map_err(|e| e.at("timezone"))?;
        Ok(Self {
            code,
            name,
            country,
            locales: parsed,
            timezone,
        })
    }
}

/// A team inside a market, e.g. "Community care" in Brazil.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub id: TeamId,
    pub market_id: MarketId,
    pub name: String,
}

/// Validates a team name.
pub fn team_name(raw: &str) -> Result<String, Invalid> {
    text(raw, 80)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_normalize_case() {
        for (raw, want) in [
            ("fi", "fi"),
            ("fi-fi", "fi-FI"),
            ("pt_br", "pt-BR"),
            ("zh-hant-tw", "zh-Hant-TW"),
            ("es-419", "es-419"),
        ] {
            assert_eq!(Locale::parse(raw).unwrap().as_str(), want, "{raw}");
        }
        for bad in ["", "f", "english", "fi--FI", "fi-F!", "12-FI", "fi-x"] {
            assert!(Locale::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert_eq!(Locale::parse("pt-BR").unwrap().language(), "pt");
    }

    #[test]
    fn timezones_come_from_the_tz_database() {
        assert_eq!(
            TimeZoneName::parse("Europe/Helsinki").unwrap().as_str(),
            "Europe/Helsinki"
        );
        assert!(TimeZoneName::parse("America/Sao_Paulo").is_ok());
        let err = TimeZoneName::parse("Mars/Olympus").unwrap_err();
        assert!(err.message.contains("IANA"));
        assert!(TimeZoneName::parse("").is_err());
    }

    #[test]
    fn market_input_names_the_bad_field() {
        let ok = MarketInput::parse("fi", "Finland", "fi", &["fi-FI".into()], "Europe/Helsinki");
        assert_eq!(ok.unwrap().code.as_str(), "FI");
        let err =
            MarketInput::parse("FI", "Finland", "FI", &["fi-FI".into()], "Helsinki").unwrap_err();
        assert_eq!(err.field, "timezone");
        let err = MarketInput::parse("FI", "Finland", "FIN", &["fi".into()], "UTC").unwrap_err();
        assert_eq!(err.field, "country");
        let err = MarketInput::parse("FI", "Finland", "FI", &[], "UTC").unwrap_err();
        assert_eq!(err.field, "locales");
        let err = MarketInput::parse("F", "Finland", "FI", &["fi".into()], "UTC").unwrap_err();
        assert_eq!(err.field, "code");
    }
}
