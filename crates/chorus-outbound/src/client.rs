//! The guarded client: a [`Builder`] for it, requests and the hop-by-hop redirect loop.
//!
//! Every hop goes through [`Client::check_target`] before anything is sent: the scheme, then an
//! IP-literal host against the policy (the HTTP client's resolver never sees literals), then,
//! when a proxy is configured (the proxy resolves names, not us), a lookup of the host name
//! against the policy. Names without a proxy are checked by the resolver inside the client, so
//! the checked address is the connected one. Redirects are followed here, never by reqwest: each
//! `Location` is checked like the first URL, credentials are dropped when the origin changes,
//! and a redirect that would change the method is refused instead of followed.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, COOKIE, LOCATION, PROXY_AUTHORIZATION, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode, Url};
use tokio::time::{Instant, timeout_at};

use crate::error::{Error, from_reqwest};
use crate::policy::Policy;
use crate::resolve::{GuardedResolver, lookup};
use crate::response::Response;

/// How long and how much.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// To open one connection (resolution included).
    pub connect_timeout: Duration,
    /// For the whole request: every redirect hop and reading the body.
    pub timeout: Duration,
    /// The largest body read.
    pub max_body_bytes: usize,
    /// Redirects followed before giving up.
    pub max_redirects: usize,
}

impl Default for Limits {
    /// 10 s to connect, 30 s in all, 5 MiB, 5 redirects.
    fn default() -> Self {
        Limits {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_body_bytes: 5 << 20,
            max_redirects: 5,
        }
    }
}

/// Builds a [`Client`]. Environment proxies (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`) are never
/// used; a proxy is used only when [`Builder::proxy`] names one.
#[derive(Debug, Clone)]
pub struct Builder {
    policy: Policy,
    limits: Limits,
    user_agent: String,
    proxy: Option<String>,
    pins: Vec<(String, SocketAddr)>,
}

impl Builder {
    pub fn new(policy: Policy) -> Builder {
        Builder {
            policy,
            limits: Limits::default(),
            user_agent: concat!("chorus/", env!("CARGO_PKG_VERSION")).to_owned(),
            proxy: None,
            pins: Vec::new(),
        }
    }

    #[must_use]
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Builder {
        self.user_agent = user_agent.into();
        self
    }

    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Builder {
        self.limits = limits;
        self
    }

    /// Sends every request through this `http://` or `https://` proxy. The policy still applies
    /// to each target host (looked up before the request; the proxy looks it up again, so a
    /// proxy that enforces its own egress rules is the stronger guard against DNS rebinding).
    /// The proxy itself is the operator's choice and is not checked.
    #[must_use]
    pub fn proxy(mut self, url: impl Into<String>) -> Builder {
        self.proxy = Some(url.into());
        self
    }

    /// Sends `name` (a host name, any case) to `addr`, a loopback address, and only on
    /// `addr`'s port: how tests reach the servers they start while the policy stays as strict
    /// as in production. Another port for the same name is refused, and the policy still
    /// applies to every other host, literal addresses included.
    #[cfg(feature = "testing")]
    #[must_use]
    pub fn pin_for_tests(mut self, name: &str, addr: SocketAddr) -> Builder {
        self.pins.push((name.to_ascii_lowercase(), addr));
        self
    }

    pub fn build(self) -> Result<Client, Error> {
        let build_err = |reason: String| Error::Build { reason };
        // reqwest is built with rustls and no default provider (one crypto backend: ring);
        // installing fails only when one is installed already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut proxy_host = None;
        let mut http = reqwest::Client::builder()
            .user_agent(self.user_agent)
            .connect_timeout(self.limits.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .no_proxy();
        if let Some(raw) = &self.proxy {
            let url = Url::parse(raw).map_err(|e| build_err(format!("proxy URL: {e}")))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(build_err(
                    "the proxy must be an http:// or https:// URL".into(),
                ));
            }
            let host = url.host_str().unwrap_or_default();
            if literal_ip(host).is_none() {
                proxy_host = Some(Arc::from(host));
            }
            let proxy =
                reqwest::Proxy::all(url).map_err(|e| build_err(format!("proxy URL: {e}")))?;
            http = http.proxy(proxy);
        }
        for (name, addr) in &self.pins {
            if literal_ip(name).is_some() || !addr.ip().is_loopback() {
                return Err(build_err(format!(
                    "pin {name}: a host name to a loopback address"
                )));
            }
            http = http.resolve_to_addrs(name, &[*addr]);
        }
        let http = http
            .dns_resolver(GuardedResolver {
                policy: self.policy,
                proxy_host,
            })
            .build()
            .map_err(|e| build_err(e.to_string()))?;
        Ok(Client {
            http,
            policy: self.policy,
            limits: self.limits,
            proxied: self.proxy.is_some(),
            pins: self
                .pins
                .into_iter()
                .map(|(name, addr)| (name, addr.port()))
                .collect(),
        })
    }
}

/// An HTTP client that only reaches what its [`Policy`] allows. Cheap to clone (one
/// connection pool).
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    policy: Policy,
    limits: Limits,
    proxied: bool,
    /// Names pinned for tests, with the one port each may use (empty outside tests).
    pins: Arc<[(String, u16)]>,
}

impl Client {
    /// A client with the default limits.
    pub fn new(policy: Policy) -> Result<Client, Error> {
        Builder::new(policy).build()
    }

    pub fn builder(policy: Policy) -> Builder {
        Builder::new(policy)
    }

    pub fn policy(&self) -> Policy {
        self.policy
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    pub fn get(&self, url: &str) -> RequestBuilder {
        self.request(Method::GET, url)
    }

    pub fn post(&self, url: &str) -> RequestBuilder {
        self.request(Method::POST, url)
    }

    pub fn request(&self, method: Method, url: &str) -> RequestBuilder {
        let inner = Url::parse(url)
            .map_err(|e| Error::BadUrl {
                reason: e.to_string(),
            })
            .and_then(|u| {
                check_scheme(&u)?;
                Ok(self.http.request(method, u))
            });
        RequestBuilder {
            client: self.clone(),
            inner,
            timeout: None,
        }
    }

    /// Checks one hop's URL before it is requested; returns its host for messages.
    async fn check_target(&self, url: &Url) -> Result<String, Error> {
        check_scheme(url)?;
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or(Error::NoHost)?;
        let port = url.port_or_known_default().unwrap_or(0);
        if let Some((_, allowed)) = self.pins.iter().find(|(n, _)| n.eq_ignore_ascii_case(host)) {
            return if port == *allowed {
                Ok(host.to_owned())
            } else {
                Err(Error::PortRefused {
                    host: host.to_owned(),
                    port,
                    allowed: *allowed,
                })
            };
        }
        if let Some(ip) = literal_ip(host) {
            self.policy.check(ip).map_err(|class| {
                tracing::info!(host, ?class, "outbound address refused");
                Error::Refused {
                    host: host.to_owned(),
                    class,
                    addr: ip,
                }
            })?;
        } else if self.proxied {
            lookup(self.policy, host).await?;
        }
        Ok(host.to_owned())
    }
}

fn check_scheme(url: &Url) -> Result<(), Error> {
    if matches!(url.scheme(), "http" | "https") {
        Ok(())
    } else {
        Err(Error::Scheme {
            scheme: url.scheme().to_owned(),
        })
    }
}

/// The IP address of a URL host that is a literal (`127.0.0.1`, `[::1]`).
fn literal_ip(host: &str) -> Option<IpAddr> {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse().ok()
}

/// A request being put together; nothing is sent before [`RequestBuilder::send`].
#[derive(Debug)]
pub struct RequestBuilder {
    client: Client,
    inner: Result<reqwest::RequestBuilder, Error>,
    timeout: Option<Duration>,
}

impl RequestBuilder {
    /// Adds a header; an invalid name or value fails at [`RequestBuilder::send`].
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> RequestBuilder {
        self.inner = self.inner.map(|r| r.header(name, value));
        self
    }

    /// `Authorization: Bearer <token>` (dropped if a redirect leaves the origin).
    #[must_use]
    pub fn bearer_auth(mut self, token: &str) -> RequestBuilder {
        self.inner = self.inner.map(|r| r.bearer_auth(token));
        self
    }

    /// The request body (kept, so a 307 or 308 can send it again).
    #[must_use]
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> RequestBuilder {
        let body: Vec<u8> = body.into();
        self.inner = self.inner.map(|r| r.body(body));
        self
    }

    /// Replaces the client's total timeout for this request.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> RequestBuilder {
        self.timeout = Some(timeout);
        self
    }

    /// Sends the request, following allowed redirects, within the total timeout.
    pub async fn send(self) -> Result<Response, Error> {
        let RequestBuilder {
            client,
            inner,
            timeout,
        } = self;
        let mut req = inner?.build().map_err(|e| Error::Request {
            reason: e.to_string(),
        })?;
        let after = timeout.unwrap_or(client.limits.timeout);
        let deadline = Instant::now() + after;
        let timed_out = |url: &Url| Error::TimedOut {
            host: url.host_str().unwrap_or_default().to_owned(),
            after,
        };
        let mut redirects = 0;
        loop {
            let host = timeout_at(deadline, client.check_target(req.url()))
                .await
                .map_err(|_| timed_out(req.url()))??;
            let attempt = req.try_clone().ok_or_else(|| Error::Request {
                reason: "the body cannot be sent twice".into(),
            })?;
            let resp = timeout_at(deadline, client.http.execute(attempt))
                .await
                .map_err(|_| timed_out(req.url()))?
                .map_err(|e| from_reqwest(e, &host, after))?;
            let status = resp.status();
            if !is_redirect(status) || !resp.headers().contains_key(LOCATION) {
                return Ok(Response::new(
                    resp,
                    host,
                    deadline,
                    after,
                    client.limits.max_body_bytes,
                ));
            }
            let next = resp
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| req.url().join(l).ok())
                .ok_or_else(|| Error::BadRedirect { host: host.clone() })?;
            if redirects >= client.limits.max_redirects {
                return Err(Error::TooManyRedirects {
                    max: client.limits.max_redirects,
                });
            }
            redirects += 1;
            let method = req.method();
            let keeps_method = *method == Method::GET
                || *method == Method::HEAD
                || status == StatusCode::TEMPORARY_REDIRECT
                || status == StatusCode::PERMANENT_REDIRECT;
            if !keeps_method {
                return Err(Error::RedirectChangesMethod {
                    host,
                    method: method.to_string(),
                    status: status.as_u16(),
                });
            }
            if next.origin() != req.url().origin() {
                let headers = req.headers_mut();
                for name in [AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION, WWW_AUTHENTICATE] {
                    headers.remove(name);
                }
            }
            tracing::debug!(from = %host, to = next.host_str().unwrap_or_default(), status = status.as_u16(), "following a redirect");
            *req.url_mut() = next;
        }
    }
}

fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}
