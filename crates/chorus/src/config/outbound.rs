//! `[outbound]`: how Chorus reaches other servers (PDSes, the PLC directory, did:web hosts,
//! feeds). Every outbound request goes through `chorus-outbound`'s guard under these settings.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{ConfigError, Ingest, Secret, err};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOutbound {
    allow_private_addresses: Option<bool>,
    proxy: Option<String>,
}

/// How Chorus reaches other servers (PDSes, the PLC directory, did:web hosts, feeds): every
/// outbound request goes through `chorus-outbound`'s guard under these settings.
#[derive(Debug, Clone, Default)]
pub struct Outbound {
    /// Let every outbound request reach loopback, private, link-local and carrier-grade NAT
    /// addresses (off: only public addresses; `0.0.0.0` and reserved ranges stay refused).
    pub allow_private_addresses: bool,
    /// Send every outbound request through this `http://` or `https://` proxy (the policy still
    /// applies to each target). `Debug` hides it: it may carry credentials.
    pub proxy: Option<Secret>,
}

impl Outbound {
    /// The guard's settings for every client: the policy and the proxy.
    pub fn builder(&self) -> chorus_outbound::Builder {
        self.builder_allowing(self.allow_private_addresses)
    }

    /// Feed polling's settings: as [`Outbound::builder`], also allowing the local networks when
    /// `ingest.allow_private_addresses` (which opens feeds only) says so.
    pub fn feed_builder(&self, ingest: &Ingest) -> chorus_outbound::Builder {
        self.builder_allowing(self.allow_private_addresses || ingest.allow_private_addresses)
    }

    fn builder_allowing(&self, private: bool) -> chorus_outbound::Builder {
        let builder = chorus_outbound::Builder::new(
            chorus_outbound::Policy::allow_private_addresses(private),
        );
        match &self.proxy {
            Some(Secret(proxy)) => builder.proxy(proxy.clone()),
            None => builder,
        }
    }
}

/// Validates `[outbound]`: the proxy must be a plain http(s) URL of a proxy.
pub(super) fn validate(
    raw: RawOutbound,
    sources: &BTreeMap<String, String>,
) -> Result<Outbound, ConfigError> {
    let proxy = match raw.proxy.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(p) => {
            let bad = || {
                err(
                    "outbound.proxy",
                    "must be an http:// or https:// URL of a proxy, e.g. http://proxy.internal:3128",
                    sources,
                )
            };
            let url = chorus_outbound::Url::parse(p).map_err(|_| bad())?;
            if !matches!(url.scheme(), "http" | "https")
                || url.host_str().is_none_or(str::is_empty)
                || !matches!(url.path(), "" | "/")
                || url.query().is_some()
            {
                return Err(bad());
            }
            Some(Secret(p.to_owned()))
        }
    };
    Ok(Outbound {
        allow_private_addresses: raw.allow_private_addresses.unwrap_or(false),
        proxy,
    })
}
