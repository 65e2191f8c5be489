//! The SSRF guard: Chorus fetches URLs that users typed, so it must not be turned against the
//! network it runs in. Every address a host name resolves to is checked, the connection goes
//! only to checked addresses (a resolver inside the HTTP client, so a second DNS answer cannot
//! swap them), IP literals and every redirect hop are checked too. Loopback, private,
//! link-local, unique-local, carrier-grade NAT, multicast, unspecified and documentation
//! addresses are refused unless the installation allows private addresses.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// Why a URL may not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("only http and https URLs can be fetched, not {0}:")]
    Scheme(String),
    #[error("the URL has no host")]
    NoHost,
    #[error(
        "{host} resolves to {addr}, a private or local address; refused (set ingest.allow_private_addresses to allow)"
    )]
    Private { host: String, addr: IpAddr },
    #[error("{host} does not resolve: {message}")]
    Resolve { host: String, message: String },
}

/// Whether `ip` is somewhere a server-side fetch must not go by default.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private_v4(v4);
            }
            let seg = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (seg[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (seg[0] & 0xffc0) == 0xfec0 // site-local (deprecated) fec0::/10
                || (seg[0] == 0x2001 && seg[1] == 0x0db8) // documentation
                || (seg[0] == 0x0064 && seg[1] == 0xff9b) // NAT64 may reach IPv4 privates
                || v6 == Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 1)
                || (seg[0..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible (deprecated)
        }
    }
}

fn is_private_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || o[0] == 0 // "this network"
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // carrier-grade NAT 100.64/10
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking 198.18/15
        || o[0] >= 240 // reserved
}

/// The guard's setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Guard {
    /// Allow loopback and private addresses (local test servers, an intranet feed).
    pub allow_private: bool,
}

impl Guard {
    /// Checks a URL's scheme and, when its host is an IP literal, the address.
    pub fn check_url(&self, url: &url::Url) -> Result<(), Refused> {
        match url.scheme() {
            "http" | "https" => {}
            other => return Err(Refused::Scheme(other.to_owned())),
        }
        let host = url.host().ok_or(Refused::NoHost)?;
        let ip = match host {
            url::Host::Ipv4(v4) => IpAddr::V4(v4),
            url::Host::Ipv6(v6) => IpAddr::V6(v6),
            url::Host::Domain(_) => return Ok(()),
        };
        self.check_addr(&host.to_string(), ip)
    }

    pub fn check_addr(&self, host: &str, addr: IpAddr) -> Result<(), Refused> {
        if !self.allow_private && is_private(addr) {
            return Err(Refused::Private {
                host: host.to_owned(),
                addr,
            });
        }
        Ok(())
    }

    /// Resolves `host` and checks every address; all must be allowed.
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, Refused> {
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| Refused::Resolve {
                host: host.to_owned(),
                message: e.to_string(),
            })?
            .collect();
        if addrs.is_empty() {
            return Err(Refused::Resolve {
                host: host.to_owned(),
                message: "no addresses".into(),
            });
        }
        for a in &addrs {
            self.check_addr(host, a.ip())?;
        }
        Ok(addrs)
    }
}

/// The guard as the HTTP client's resolver: connections only ever go to checked addresses.
#[derive(Debug, Clone)]
pub(crate) struct GuardedResolver(pub Guard);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = self.0;
        Box::pin(async move {
            let addrs = guard
                .resolve(name.as_str(), 0)
                .await
                .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { Box::new(e) })?;
            let it: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(it)
        })
    }
}

/// A resolver handle for the client builder.
pub(crate) fn resolver(guard: Guard) -> Arc<GuardedResolver> {
    Arc::new(GuardedResolver(guard))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_local_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "127.5.5.5",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "198.18.0.1",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(is_private(ip), "{ip} must be refused");
        }
        for ip in [
            "93.184.215.14",
            "1.1.1.1",
            "172.32.0.1",
            "2606:4700::1111",
            "100.128.0.1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(!is_private(ip), "{ip} is public");
        }
    }

    #[test]
    fn urls_are_checked_by_scheme_and_literal_address() {
        let g = Guard::default();
        let url = |s: &str| url::Url::parse(s).unwrap();
        assert!(g.check_url(&url("https://example.com/feed")).is_ok());
        assert!(matches!(
            g.check_url(&url("file:///etc/passwd")),
            Err(Refused::Scheme(_))
        ));
        assert!(matches!(
            g.check_url(&url("http://127.0.0.1:8080/feed")),
            Err(Refused::Private { .. })
        ));
        assert!(matches!(
            g.check_url(&url("http://[::1]/feed")),
            Err(Refused::Private { .. })
        ));
        let open = Guard {
            allow_private: true,
        };
        assert!(open.check_url(&url("http://127.0.0.1:8080/feed")).is_ok());
    }

    #[tokio::test]
    async fn every_resolved_address_is_checked() {
        let err = Guard::default().resolve("localhost", 80).await.unwrap_err();
        assert!(matches!(err, Refused::Private { .. }), "{err}");
        let ok = Guard {
            allow_private: true,
        }
        .resolve("localhost", 80)
        .await
        .unwrap();
        assert!(ok.iter().all(|a| a.ip().is_loopback()));
    }
}
