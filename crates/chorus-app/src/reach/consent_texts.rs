//! Consent texts per market, locale and version: listed for those who see the market's offers,
//! written by those who manage Reach there (`Action::ManageReach`). Writing never changes an
//! existing version: the store writes the next one, with the SHA-256 of the exact words.

use chorus_core::org::{Locale, Market};
use chorus_core::permission::allows;
use chorus_core::reach::consent::{LegalBasis, MAX_BODY_CHARS};
use chorus_core::validate::{quoted, text};

use chorus_core::{Action, Scope};

use super::offers::{managed_market, visible_markets};
use super::{ConsentText, NewConsentText};
use crate::{App, Caller, Error, Result};

/// A market's consent texts as the page lists them.
#[derive(Debug, Clone)]
pub struct MarketTexts {
    pub market: Market,
    /// Every version, by locale and newest version first.
    pub texts: Vec<ConsentText>,
    pub can_manage: bool,
}

/// The consent texts of every market whose offers the caller sees, by market name.
pub async fn list(app: &App, caller: &Caller) -> Result<Vec<MarketTexts>> {
    let markets = app.store.markets().await?;
    let visible = visible_markets(caller, &markets);
    let texts = app.store.consent_texts(visible.as_deref()).await?;
    Ok(markets
        .into_iter()
        .filter(|m| visible.as_ref().is_none_or(|v| v.contains(&m.id)))
        .map(|m| MarketTexts {
            texts: texts.iter().filter(|t| t.market == m.id).cloned().collect(),
            can_manage: allows(&caller.actor, Action::ManageReach, Scope::Market(m.id)),
            market: m,
        })
        .collect())
}

/// A new consent text as typed.
#[derive(Debug, Clone, Default)]
pub struct RawConsentText {
    /// A market code or id.
    pub market: String,
    pub locale: String,
    pub body: String,
    /// consent | contract | legitimate_interest
    pub legal_basis: String,
    pub privacy_url: String,
}

/// Writes the next version of a market's consent text in a locale.
pub async fn create(app: &App, caller: &Caller, raw: &RawConsentText) -> Result<ConsentText> {
    let market = managed_market(app, caller, &raw.market).await?;
    let locale = Locale::parse(&raw.locale).map_err(|e| Error::invalid("locale", e.message))?;
    let body = text(&raw.body, MAX_BODY_CHARS).map_err(|e| Error::invalid("body", e.message))?;
    let legal_basis = LegalBasis::parse(&raw.legal_basis)
        .map_err(|e| Error::invalid("legal_basis", e.message))?;
    let privacy_url = privacy_url(&raw.privacy_url)?;
    Ok(app
        .store
        .create_consent_text(
            &caller.author(),
            &NewConsentText {
                market: market.id,
                locale: locale.to_string(),
                body,
                legal_basis,
                privacy_url,
            },
        )
        .await?)
}

/// An absolute http(s) address without spaces or quotes, at most 500 characters.
fn privacy_url(raw: &str) -> Result<String> {
    let url = raw.trim();
    let bad = || {
        Error::invalid(
            "privacy_url",
            format!("{} is not a web address; use https://…", quoted(raw)),
        )
    };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(bad)?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty()
        || url.len() > 500
        || url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>' | '\''))
    {
        return Err(bad());
    }
    Ok(url.to_owned())
}

#[cfg(test)]
mod tests {
    use super::privacy_url;

    #[test]
    fn privacy_links_are_web_addresses() {
        assert_eq!(
            privacy_url(" https://example.com/privacy ").unwrap(),
            "https://example.com/privacy"
        );
        for bad in [
            "javascript:alert(1)",
            "example.com",
            "https://",
            "https://a b",
            "https://x\"y",
        ] {
            assert_eq!(
                privacy_url(bad).unwrap_err().field(),
                Some("privacy_url"),
                "{bad}"
            );
        }
    }
}
