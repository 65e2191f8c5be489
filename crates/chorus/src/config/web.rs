//! The `[server]` keys of the web layer's defences: the reverse proxies whose client-address
//! header is believed (`trusted_proxies`, `client_address_header`), the token `/metrics` asks
//! for (`metrics_token`) and whether pages may show images from other sites
//! (`external_images`). Read raw by `RawServer`, checked here; errors name the key.

use std::collections::BTreeMap;

use chorus_web::{ProxySettingError, TrustedProxies};
use serde::Deserialize;

use super::{ConfigError, Secret, err};

/// A list given as a TOML array, or as one string of comma-separated items (what an
/// environment variable can hold).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum StringList {
    Many(Vec<String>),
    One(String),
}

impl StringList {
    fn items(self) -> Vec<String> {
        let items = match self {
            StringList::Many(v) => v,
            StringList::One(s) => s.split(',').map(str::to_owned).collect(),
        };
        items
            .into_iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    }
}

/// The header read from trusted proxies unless another is named.
pub(super) const DEFAULT_CLIENT_ADDRESS_HEADER: &str = "X-Forwarded-For";

/// `server.trusted_proxies` and `server.client_address_header`: `None` unless proxies are
/// named (then the header defaults to `X-Forwarded-For`); a header without proxies is an error,
/// since it would never be read.
pub(super) fn trusted_proxies(
    proxies: Option<StringList>,
    header: Option<String>,
    sources: &BTreeMap<String, String>,
) -> Result<Option<TrustedProxies>, ConfigError> {
    let proxies = proxies.map(StringList::items).unwrap_or_default();
    let header = header.filter(|h| !h.trim().is_empty());
    if proxies.is_empty() {
        return match header {
            Some(_) => Err(err(
                "server.client_address_header",
                "is only read from trusted proxies; set server.trusted_proxies too",
                sources,
            )),
            None => Ok(None),
        };
    }
    let header = header.as_deref().unwrap_or(DEFAULT_CLIENT_ADDRESS_HEADER);
    TrustedProxies::new(header, &proxies)
        .map(Some)
        .map_err(|e| match e {
            ProxySettingError::Header(m) => err("server.client_address_header", m, sources),
            ProxySettingError::Proxies(m) => err("server.trusted_proxies", m, sources),
        })
}

/// The shortest metrics token accepted.
const MIN_METRICS_TOKEN: usize = 16;

/// `server.metrics_token`: without one, `/metrics` is off.
pub(super) fn metrics_token(
    raw: Option<String>,
    sources: &BTreeMap<String, String>,
) -> Result<Option<Secret>, ConfigError> {
    let Some(token) = raw.filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(err(
            "server.metrics_token",
            "must be printable ASCII without spaces (e.g. from `openssl rand -hex 24`)",
            sources,
        ));
    }
    if token.len() < MIN_METRICS_TOKEN {
        return Err(err(
            "server.metrics_token",
            format!(
                "must be at least {MIN_METRICS_TOKEN} characters (e.g. from `openssl rand -hex 24`)"
            ),
            sources,
        ));
    }
    Ok(Some(Secret(token)))
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::super::{Config, ConfigError, Overrides};

    fn load(toml: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chorus.toml");
        std::fs::write(&path, toml).unwrap();
        let env = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
        Config::load(Some(&path), env, &Overrides::default())
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn trusted_proxies_from_the_file_or_the_environment() {
        let c = load("", &[]).unwrap();
        assert!(c.server.trusted_proxies.is_none(), "off unless configured");
        let c = load(
            "[server]\ntrusted_proxies = [\"10.0.0.1\", \"fd00::/8\"]\n",
            &[],
        )
        .unwrap();
        let t = c.server.trusted_proxies.unwrap();
        assert_eq!(t.header(), "x-forwarded-for");
        assert!(t.trusts(ip("10.0.0.1")) && t.trusts(ip("fd00::5")));
        assert!(!t.trusts(ip("10.0.0.2")));
        let c = load(
            "",
            &[
                ("CHORUS__SERVER__TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.1"),
                ("CHORUS__SERVER__CLIENT_ADDRESS_HEADER", "X-Real-IP"),
            ],
        )
        .unwrap();
        let t = c.server.trusted_proxies.unwrap();
        assert_eq!(t.header(), "x-real-ip");
        assert!(t.trusts(ip("10.9.9.9")) && t.trusts(ip("192.0.2.1")));
        assert!(!t.trusts(ip("192.0.2.2")));
    }

    #[test]
    fn bad_proxy_settings_name_their_key() {
        for (toml, env, key) in [
            (
                "[server]\ntrusted_proxies = [\"proxy.internal\"]\n",
                None,
                "server.trusted_proxies",
            ),
            (
                "[server]\ntrusted_proxies = \"10.0.0.0/40\"\n",
                None,
                "server.trusted_proxies",
            ),
            (
                "[server]\nclient_address_header = \"X-Real-IP\"\n",
                None,
                "server.client_address_header",
            ),
            (
                "[server]\ntrusted_proxies = [\"10.0.0.1\"]\nclient_address_header = \"Forwarded\"\n",
                None,
                "server.client_address_header",
            ),
            (
                "",
                Some(("CHORUS__SERVER__TRUSTED_PROXIES", "10.0.0.1,nope")),
                "server.trusted_proxies",
            ),
        ] {
            let env: Vec<_> = env.into_iter().collect();
            let e = load(toml, &env).unwrap_err();
            assert_eq!(e.key, key, "{toml} {env:?}: {e}");
        }
    }

    #[test]
    fn the_metrics_token_is_checked_and_never_printed() {
        assert!(load("", &[]).unwrap().server.metrics_token.is_none());
        let c = load(
            "",
            &[("CHORUS__SERVER__METRICS_TOKEN", "0123456789abcdef0123")],
        )
        .unwrap();
        let token = c.server.metrics_token.as_ref().unwrap();
        assert_eq!(token.0, "0123456789abcdef0123");
        assert!(!format!("{c:?}").contains("0123456789abcdef"));
        for bad in ["short", "has a space in it, long enough"] {
            let e = load(&format!("[server]\nmetrics_token = \"{bad}\"\n"), &[]).unwrap_err();
            assert_eq!(e.key, "server.metrics_token", "{bad}");
        }
    }

    #[test]
    fn external_images_are_off_by_default() {
        assert!(!load("", &[]).unwrap().server.external_images);
        assert!(
            load("", &[("CHORUS__SERVER__EXTERNAL_IMAGES", "true")])
                .unwrap()
                .server
                .external_images
        );
    }
}
