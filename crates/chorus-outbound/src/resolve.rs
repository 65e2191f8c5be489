//! The resolver inside the client: it looks a name up, keeps the addresses the policy allows and
//! refuses when none is left. The HTTP client connects only to what it returns, so the address
//! checked is the address connected to (a second DNS answer cannot swap it).

use std::net::SocketAddr;
use std::sync::Arc;

use crate::error::Refusal;
use crate::policy::Policy;

/// Looks `host` up and keeps the allowed addresses; refuses when none is allowed.
pub(crate) async fn lookup(policy: Policy, host: &str) -> Result<Vec<SocketAddr>, Refusal> {
    let found: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
        .await
        .map_err(|_| Refusal::Unresolved {
            host: host.to_owned(),
        })?
        .collect();
    filter(policy, host, found)
}

/// The addresses of `found` that `policy` allows, in their order; refused (naming the first
/// refused address's class) when none is, unresolved when there were none to begin with.
pub(crate) fn filter(
    policy: Policy,
    host: &str,
    found: Vec<SocketAddr>,
) -> Result<Vec<SocketAddr>, Refusal> {
    let mut first_refused = None;
    let mut allowed = Vec::with_capacity(found.len());
    for addr in found {
        match policy.check(addr.ip()) {
            Ok(()) => allowed.push(addr),
            Err(class) => {
                tracing::info!(host, addr = %addr.ip(), ?class, "outbound address refused");
                first_refused.get_or_insert((class, addr.ip()));
            }
        }
    }
    if !allowed.is_empty() {
        return Ok(allowed);
    }
    Err(match first_refused {
        Some((class, addr)) => Refusal::Class {
            host: host.to_owned(),
            class,
            addr,
        },
        None => Refusal::Unresolved {
            host: host.to_owned(),
        },
    })
}

/// The policy as reqwest's resolver.
#[derive(Debug, Clone)]
pub(crate) struct GuardedResolver {
    pub policy: Policy,
    /// The configured proxy's host name: the operator chose it, so it is not filtered (it is
    /// often on the local network). Target hosts never reach this resolver when a proxy is set:
    /// the client checks them itself before each request.
    pub proxy_host: Option<Arc<str>>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let this = self.clone();
        Box::pin(async move {
            let host = name.as_str();
            let addrs = if this
                .proxy_host
                .as_deref()
                .is_some_and(|p| p.eq_ignore_ascii_case(host))
            {
                tokio::net::lookup_host((host, 0))
                    .await
                    .map_err(|_| Refusal::Unresolved {
                        host: host.to_owned(),
                    })?
                    .collect()
            } else {
                lookup(this.policy, host).await?
            };
            let it: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(it)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::AddressClass;

    fn addrs(ips: &[&str]) -> Vec<SocketAddr> {
        ips.iter()
            .map(|ip| SocketAddr::new(ip.parse().unwrap(), 0))
            .collect()
    }

    #[test]
    fn refused_addresses_are_filtered_out_and_none_left_is_a_refusal() {
        let strict = Policy::public_only();
        assert_eq!(
            filter(
                strict,
                "mixed.test",
                addrs(&["127.0.0.1", "1.1.1.1", "::1"])
            )
            .unwrap(),
            addrs(&["1.1.1.1"]),
            "only the public address is connected to"
        );
        match filter(strict, "inside.test", addrs(&["10.0.0.1", "::1"])) {
            Err(Refusal::Class { host, class, addr }) => {
                assert_eq!(host, "inside.test");
                assert_eq!(class, AddressClass::Private, "the first refused address");
                assert_eq!(addr.to_string(), "10.0.0.1");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            filter(strict, "empty.test", Vec::new()),
            Err(Refusal::Unresolved { .. })
        ));
        let local = Policy::local_networks();
        assert_eq!(
            filter(local, "both.test", addrs(&["0.0.0.0", "127.0.0.1"])).unwrap(),
            addrs(&["127.0.0.1"])
        );
    }

    #[tokio::test]
    async fn localhost_is_looked_up_and_refused() {
        let err = lookup(Policy::public_only(), "localhost")
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Refusal::Class {
                    class: AddressClass::Loopback,
                    ..
                }
            ),
            "{err:?}"
        );
        let ok = lookup(Policy::local_networks(), "localhost").await.unwrap();
        assert!(!ok.is_empty() && ok.iter().all(|a| a.ip().is_loopback()));
    }
}
