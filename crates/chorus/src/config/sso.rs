//! `[sso]`: single sign-on with OpenID Connect. Each `[[sso.providers]]` is one identity
//! provider (Keycloak, Entra ID, Google, Okta, …) the login page offers a button for;
//! `password_sign_in = "break_glass"` then keeps passwords for the admins named in
//! `break_glass_admins` only. Which groups give which roles is not here but in Admin →
//! Sign-in (or `chorus sso rules`), where admins change it without a restart.

use std::collections::BTreeMap;

use chorus_app::sso::{ClientSecret, ProviderSettings, SsoSettings};
use chorus_core::sso::PasswordSignIn;
use serde::Deserialize;

use super::{ConfigError, err};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSso {
    password_sign_in: Option<String>,
    break_glass_admins: Option<Vec<String>>,
    #[serde(default)]
    providers: Vec<RawProvider>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProvider {
    id: Option<String>,
    display_name: Option<String>,
    issuer: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    client_secret_file: Option<std::path::PathBuf>,
    scopes: Option<Vec<String>>,
    groups_claim: Option<String>,
}

/// Validates `[sso]`; every error names the key (`sso.providers[1].issuer`).
pub(super) fn validate(
    raw: Option<RawSso>,
    sources: &BTreeMap<String, String>,
) -> Result<SsoSettings, ConfigError> {
    let Some(raw) = raw else {
        return Ok(SsoSettings::default());
    };
    let mut providers: Vec<ProviderSettings> = Vec::new();
    for (i, p) in raw.providers.into_iter().enumerate() {
        let key = |k: &str| format!("sso.providers[{i}].{k}");
        let required = |v: Option<String>, k: &str, hint: &str| {
            v.map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .ok_or_else(|| err(&key(k), format!("is missing; {hint}"), sources))
        };
        let id = required(
            p.id,
            "id",
            "a short name such as \"okta\" (it appears in the callback URL)",
        )?;
        if id.len() > 32
            || !id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(err(
                &key("id"),
                format!("{id:?}: use lowercase letters, digits and -, at most 32"),
                sources,
            ));
        }
        if providers.iter().any(|q| q.id == id) {
            return Err(err(
                &key("id"),
                format!("{id:?} names two providers"),
                sources,
            ));
        }
        let issuer = required(
            p.issuer,
            "issuer",
            "the provider's issuer URL, e.g. https://login.example.com/realms/staff",
        )?;
        check_issuer(&issuer).map_err(|m| err(&key("issuer"), m, sources))?;
        let client_id = required(
            p.client_id,
            "client_id",
            "the client id the provider gave Chorus",
        )?;
        let secret = match (p.client_secret, p.client_secret_file) {
            (Some(s), None) if !s.trim().is_empty() => s.trim().to_owned(),
            (None, Some(path)) => std::fs::read_to_string(&path)
                .map(|s| s.trim().to_owned())
                .map_err(|e| {
                    err(
                        &key("client_secret_file"),
                        format!("cannot read {}: {e}", path.display()),
                        sources,
                    )
                })?,
            (Some(_), Some(_)) => {
                return Err(err(
                    &key("client_secret"),
                    "set client_secret or client_secret_file, not both",
                    sources,
                ));
            }
            _ => {
                return Err(err(
                    &key("client_secret"),
                    "is missing; set client_secret, or client_secret_file to a file holding it",
                    sources,
                ));
            }
        };
        let scopes = p
            .scopes
            .unwrap_or_else(|| vec!["openid".into(), "email".into(), "profile".into()]);
        if let Some(bad) = scopes
            .iter()
            .find(|s| s.is_empty() || s.contains(char::is_whitespace))
        {
            return Err(err(
                &key("scopes"),
                format!("{bad:?} is not a scope name"),
                sources,
            ));
        }
        providers.push(ProviderSettings {
            display_name: p
                .display_name
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| id.clone()),
            id,
            issuer,
            client_id,
            client_secret: ClientSecret::new(secret),
            scopes,
            groups_claim: p.groups_claim.unwrap_or_else(|| "groups".into()),
        });
    }
    let password_sign_in = match raw.password_sign_in.as_deref().unwrap_or("everyone") {
        "everyone" => PasswordSignIn::Everyone,
        "break_glass" => {
            let admins = raw.break_glass_admins.unwrap_or_default();
            if admins.is_empty() {
                return Err(err(
                    "sso.break_glass_admins",
                    "is empty; name at least one admin's email, who can still sign in with a \
                     password when the identity provider is down",
                    sources,
                ));
            }
            if providers.is_empty() {
                return Err(err(
                    "sso.password_sign_in",
                    "is \"break_glass\" but no [[sso.providers]] is configured: nobody else \
                     could sign in",
                    sources,
                ));
            }
            PasswordSignIn::BreakGlass(admins)
        }
        other => {
            return Err(err(
                "sso.password_sign_in",
                format!("{other:?}: use \"everyone\" or \"break_glass\""),
                sources,
            ));
        }
    };
    Ok(SsoSettings {
        providers,
        password_sign_in,
    })
}

/// An issuer is an https URL without query or fragment (Core §2); plain http only on this
/// machine (a provider started for tests or development).
fn check_issuer(issuer: &str) -> Result<(), String> {
    let url = url::Url::parse(issuer).map_err(|e| format!("{issuer:?} is not a URL ({e})"))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{issuer:?}: an issuer has no query or fragment"));
    }
    let local = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match url.scheme() {
        "https" => Ok(()),
        "http" if local => Ok(()),
        _ => Err(format!(
            "{issuer:?}: an issuer must be an https URL (plain http only for localhost)"
        )),
    }
}
