//! Who is on the other end of the connection, for the login limits: the peer's address, or —
//! only when the installation names its reverse proxies — the address the proxy reports.
//!
//! Behind a reverse proxy every connection comes from the proxy, so without this setting the
//! per-address limit keys on the proxy (everybody shares one count). With it, a request whose
//! peer is one of the trusted proxies is attributed to the address in the configured header
//! (`X-Forwarded-For` by default): read right to left, skipping addresses that are themselves
//! trusted proxies, the first other one is the client. Entries to the left of it were written
//! by whoever sent the request and are never believed. A request from any other peer is
//! attributed to the peer, whatever headers it carries; and without the setting the header is
//! never read at all.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::HeaderName;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};

use crate::state::AppState;

/// An address block: an address and how many leading bits must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpBlock {
    addr: IpAddr,
    prefix: u8,
}

impl IpBlock {
    /// `10.0.0.1`, `10.0.0.0/8`, `fd00::/8`, `::1`.
    pub fn parse(raw: &str) -> Result<IpBlock, String> {
        let raw = raw.trim();
        let (addr, prefix) = match raw.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (raw, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("{raw:?} is not an IP address or a block such as 10.0.0.0/8"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{raw:?}: the prefix length must be 0 to {max}"))?,
        };
        Ok(IpBlock { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (canonical(self.addr), ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                matches_prefix(&net.octets(), &ip.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                matches_prefix(&net.octets(), &ip.octets(), self.prefix)
            }
            _ => false,
        }
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`, what a dual-stack socket reports) as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn matches_prefix(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let full = usize::from(prefix / 8);
    let rest = prefix % 8;
    if a[..full] != b[..full] {
        return false;
    }
    rest == 0 || {
        let mask = 0xffu8 << (8 - rest);
        (a[full] & mask) == (b[full] & mask)
    }
}

/// What is wrong with a trusted-proxy setting, by the part to blame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProxySettingError {
    #[error("{0}")]
    Header(String),
    #[error("{0}")]
    Proxies(String),
}

/// The reverse proxies whose word about the client's address is believed, and the header they
/// write it in.
#[derive(Debug, Clone)]
pub struct TrustedProxies {
    header: HeaderName,
    proxies: Vec<IpBlock>,
}

impl TrustedProxies {
    /// The header's name (e.g. `X-Forwarded-For`) and at least one proxy address or block.
    pub fn new(header: &str, proxies: &[String]) -> Result<TrustedProxies, ProxySettingError> {
        use ProxySettingError::{Header, Proxies};
        let name = HeaderName::try_from(header.trim())
            .map_err(|_| Header(format!("{header:?} is not a header name")))?;
        if name == axum::http::header::FORWARDED {
            return Err(Header(
                "the Forwarded header (RFC 7239) is not read; use X-Forwarded-For or a header \
                 holding addresses only, such as X-Real-IP"
                    .into(),
            ));
        }
        if proxies.is_empty() {
            return Err(Proxies("name at least one proxy address".into()));
        }
        let proxies = proxies
            .iter()
            .map(|p| IpBlock::parse(p))
            .collect::<Result<_, _>>()
            .map_err(Proxies)?;
        Ok(TrustedProxies {
            header: name,
            proxies,
        })
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.proxies.iter().any(|p| p.contains(ip))
    }

    /// The header the client's address is read from (lowercase).
    pub fn header(&self) -> &str {
        self.header.as_str()
    }

    /// The client's address for a request from `peer` with `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let entries: Vec<&str> = headers
            .get_all(&self.header)
            .iter()
            .filter_map(|v: &HeaderValue| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for entry in entries.iter().rev() {
            let Some(ip) = parse_entry(entry) else {
                // Unreadable: nothing to its left can be placed; the last hop that was is it.
                return client;
            };
            client = canonical(ip);
            if !self.trusts(ip) {
                return client;
            }
        }
        client
    }
}

/// An address as proxies write it: bare, or with a port (`1.2.3.4:5678`, `[::1]:80`).
fn parse_entry(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// The client's address, for rate limiting ("unknown" when not served over TCP, as in tests
/// that call the router directly).
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(peer) = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
        else {
            return Ok(ClientAddr("unknown".to_owned()));
        };
        let ip = match &state.config.trusted_proxies {
            Some(t) => t.client(peer, &parts.headers),
            None => canonical(peer),
        };
        Ok(ClientAddr(ip.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn blocks() {
        let b = IpBlock::parse("10.0.0.0/8").unwrap();
        assert!(b.contains(ip("10.200.3.4")));
        assert!(b.contains(ip("::ffff:10.1.1.1")));
        assert!(!b.contains(ip("11.0.0.1")));
        let b = IpBlock::parse("192.168.1.0/25").unwrap();
        assert!(b.contains(ip("192.168.1.127")));
        assert!(!b.contains(ip("192.168.1.128")));
        assert!(IpBlock::parse("::1").unwrap().contains(ip("::1")));
        assert!(IpBlock::parse("fd00::/8").unwrap().contains(ip("fd12::1")));
        assert!(IpBlock::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        for bad in [
            "",
            "10.0.0.0/33",
            "10.0.0/8",
            "proxy.internal",
            "::/129",
            "1.2.3.4/x",
        ] {
            assert!(IpBlock::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_client_is_the_rightmost_untrusted_entry_from_a_trusted_peer_only() {
        let t = TrustedProxies::new(
            "X-Forwarded-For",
            &["10.0.0.1".into(), "172.16.0.0/12".into()],
        )
        .unwrap();
        let proxy = ip("10.0.0.1");
        for (values, want) in [
            (&[][..], "10.0.0.1"),
            (&["203.0.113.7"][..], "203.0.113.7"),
            (&["198.51.100.1, 203.0.113.7"][..], "203.0.113.7"),
            (
                &["198.51.100.1", "203.0.113.7, 172.16.5.5"][..],
                "203.0.113.7",
            ),
            (&["203.0.113.7:5123"][..], "203.0.113.7"),
            (&["[2001:db8::1]:443"][..], "2001:db8::1"),
            (&["172.16.0.2, 10.0.0.1"][..], "172.16.0.2"),
            (&["1.1.1.1, garbage"][..], "10.0.0.1"),
            (&["garbage, 203.0.113.7"][..], "203.0.113.7"),
        ] {
            assert_eq!(t.client(proxy, &headers(values)), ip(want), "{values:?}");
        }
        // Anyone else's header is ignored.
        assert_eq!(
            t.client(ip("203.0.113.9"), &headers(&["1.2.3.4"])),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn settings_are_checked() {
        use ProxySettingError::{Header, Proxies};
        let e = |h: &str, p: &[&str]| {
            let p: Vec<String> = p.iter().map(|s| (*s).to_owned()).collect();
            TrustedProxies::new(h, &p).unwrap_err()
        };
        assert!(matches!(e("X Forwarded", &["10.0.0.1"]), Header(_)));
        assert!(matches!(e("Forwarded", &["10.0.0.1"]), Header(_)));
        assert!(matches!(e("X-Real-IP", &[]), Proxies(_)));
        assert!(matches!(e("X-Real-IP", &["nope"]), Proxies(_)));
        assert!(TrustedProxies::new("x-real-ip", &["::1".into()]).is_ok());
    }
}
