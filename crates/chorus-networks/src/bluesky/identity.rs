//! Identities: parsing handles and DIDs, and resolving handle → DID → PDS.
//!
//! A handle resolves through an XRPC service's `com.atproto.identity.resolveHandle` (a PDS or
//! AppView the operator configured) or, failing that, `https://<handle>/.well-known/atproto-did`.
//! A DID resolves to its document through the PLC directory (`did:plc`) or the host's
//! `/.well-known/did.json` (`did:web`); the document names the PDS and the handle. The handle
//! claimed by a document is only trusted when it resolves back to the same DID.
//!
//! Handles and `did:web` hosts come from remote input (a firehose event, a DID document), so
//! the [`Resolver`] fetches through a guarded client of its own ([`IDENTITY_LIMITS`]: small
//! answers, a short deadline) under the installation's outbound policy: a handle or DID that
//! points at loopback or a private network is refused like any other address.

use std::fmt;
use std::time::Duration;

use chorus_outbound::{Builder, Client, Limits, Url};
use serde::Deserialize;

use super::xrpc::{Xrpc, XrpcError};

/// A syntactically valid DID (`did:plc:…`, `did:web:…`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Did(String);

/// A syntactically valid handle, lowercased (`alice.bsky.social`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Handle(String);

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    #[error("`{0}` is not a DID (expected did:plc:… or did:web:…)")]
    BadDid(String),
    #[error("`{0}` is not a valid handle (expected something like alice.bsky.social)")]
    BadHandle(String),
    #[error("handle {handle} did not resolve: {reason}")]
    HandleNotFound { handle: String, reason: String },
    #[error("DID document for {did}: {reason}")]
    Document { did: String, reason: String },
    #[error("{did} names no PDS (#atproto_pds service) in its DID document")]
    NoPds { did: String },
    /// The outbound guard refused the address of the DID's document (a `did:web` host on
    /// loopback or a private network): nothing was sent there.
    #[error("DID document for {did}: {source}")]
    Refused {
        did: String,
        #[source]
        source: chorus_outbound::Error,
    },
    /// The resolver's HTTP client could not be built (a bad proxy setting).
    #[error("identity resolver: {0}")]
    Client(#[source] chorus_outbound::Error),
    #[error(transparent)]
    Xrpc(#[from] XrpcError),
}

impl Did {
    pub fn parse(s: &str) -> Result<Self, IdentityError> {
        let bad = || IdentityError::BadDid(s.to_owned());
        let rest = s.strip_prefix("did:").ok_or_else(bad)?;
        let (method, id) = rest.split_once(':').ok_or_else(bad)?;
        let method_ok = !method.is_empty() && method.bytes().all(|b| b.is_ascii_lowercase());
        let id_ok = !id.is_empty()
            && !id.ends_with(':')
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".:_-%".contains(&b));
        if method_ok && id_ok && s.len() <= 2048 {
            Ok(Did(s.to_owned()))
        } else {
            Err(bad())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Handle {
    pub fn parse(s: &str) -> Result<Self, IdentityError> {
        let s = s.trim().trim_start_matches('@').to_ascii_lowercase();
        let labels: Vec<&str> = s.split('.').collect();
        let label_ok = |l: &&str| {
            (1..=63).contains(&l.len())
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        let tld_ok = labels
            .last()
            .is_some_and(|t| t.bytes().next().is_some_and(|b| b.is_ascii_alphabetic()));
        if labels.len() >= 2 && s.len() <= 253 && labels.iter().all(label_ok) && tld_ok {
            Ok(Handle(s))
        } else {
            Err(IdentityError::BadHandle(s))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! string_newtype {
    ($t:ident) => {
        impl TryFrom<String> for $t {
            type Error = IdentityError;
            fn try_from(s: String) -> Result<Self, IdentityError> {
                $t::parse(&s)
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
string_newtype!(Did);
string_newtype!(Handle);

/// What an identity resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub did: Did,
    /// The handle, when the DID document claims one that resolves back to the DID.
    pub handle: Option<Handle>,
    pub pds: Url,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DidDocument {
    id: String,
    #[serde(default)]
    also_known_as: Vec<String>,
    #[serde(default)]
    service: Vec<Service>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Service {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    service_endpoint: serde_json::Value,
}

/// The limits of identity lookups (`.well-known/atproto-did`, DID documents, the PLC
/// directory): 5 s to connect, 10 s in all, answers up to 64 KiB, 3 redirects. A DID document
/// is a few kilobytes; a handle's DID a line.
pub const IDENTITY_LIMITS: Limits = Limits {
    connect_timeout: Duration::from_secs(5),
    timeout: Duration::from_secs(10),
    max_body_bytes: 64 << 10,
    max_redirects: 3,
};

/// Resolves handles and DIDs.
#[derive(Debug, Clone)]
pub struct Resolver {
    http: Client,
    plc: Url,
    /// XRPC service answering `com.atproto.identity.resolveHandle`, tried before well-known.
    handle_service: Option<Xrpc>,
}

impl Resolver {
    /// `plc_url` is the PLC directory (`https://plc.directory` on the public network);
    /// `outbound` the installation's outbound settings, from which the resolver builds its own
    /// client with [`IDENTITY_LIMITS`].
    pub fn new(
        outbound: &Builder,
        plc_url: &str,
        handle_service: Option<Xrpc>,
    ) -> Result<Self, IdentityError> {
        let http = outbound
            .clone()
            .limits(IDENTITY_LIMITS)
            .build()
            .map_err(IdentityError::Client)?;
        let plc = Url::parse(plc_url).map_err(|e| IdentityError::Document {
            did: String::new(),
            reason: format!("PLC URL {plc_url}: {e}"),
        })?;
        Ok(Resolver {
            http,
            plc,
            handle_service,
        })
    }

    pub async fn resolve_handle(&self, handle: &Handle) -> Result<Did, IdentityError> {
        let mut reasons = Vec::new();
        if let Some(svc) = &self.handle_service {
            #[derive(Deserialize)]
            struct Out {
                did: String,
            }
            match svc
                .query::<Out>(
                    "com.atproto.identity.resolveHandle",
                    &[("handle", handle.as_str())],
                    None,
                )
                .await
            {
                Ok(out) => return Did::parse(&out.did),
                Err(e) => reasons.push(e.to_string()),
            }
        }
        let url = format!("https://{}/.well-known/atproto-did", handle.as_str());
        match self.get_text(&url).await {
            Ok(text) => Did::parse(text.trim()),
            Err(e) => {
                reasons.push(e.to_string());
                Err(IdentityError::HandleNotFound {
                    handle: handle.to_string(),
                    reason: reasons.join("; "),
                })
            }
        }
    }

    /// Fetches and reads `did`'s document: PDS endpoint and claimed handle (unverified).
    pub async fn resolve_did(&self, did: &Did) -> Result<(Url, Option<Handle>), IdentityError> {
        let doc_err = |reason: String| IdentityError::Document {
            did: did.to_string(),
            reason,
        };
        let url = if let Some(id) = did.as_str().strip_prefix("did:plc:") {
            self.plc
                .join(&format!("/did:plc:{id}"))
                .map_err(|e| doc_err(e.to_string()))?
                .to_string()
        } else if let Some(host) = did.as_str().strip_prefix("did:web:") {
            if host.contains(':') {
                return Err(doc_err("did:web with a path is not supported".into()));
            }
            let host = host.replace("%3A", ":").replace("%3a", ":");
            let scheme = if host == "localhost" || host.starts_with("localhost:") {
                "http"
            } else {
                "https"
            };
            format!("{scheme}://{host}/.well-known/did.json")
        } else {
            return Err(doc_err("only did:plc and did:web are supported".into()));
        };
        let text = self.get_text(&url).await.map_err(|e| {
            if e.is_refused() {
                IdentityError::Refused {
                    did: did.to_string(),
                    source: e,
                }
            } else {
                doc_err(e.to_string())
            }
        })?;
        let doc: DidDocument =
            serde_json::from_str(&text).map_err(|e| doc_err(format!("not a DID document: {e}")))?;
        if doc.id != did.as_str() {
            return Err(doc_err(format!("document is for {}", doc.id)));
        }
        let pds = doc
            .service
            .iter()
            .find(|s| s.id.ends_with("#atproto_pds") && s.kind == "AtprotoPersonalDataServer")
            .and_then(|s| s.service_endpoint.as_str())
            .and_then(|u| Url::parse(u).ok())
            .ok_or_else(|| IdentityError::NoPds {
                did: did.to_string(),
            })?;
        let handle = doc
            .also_known_as
            .iter()
            .find_map(|a| a.strip_prefix("at://"))
            .and_then(|h| Handle::parse(h).ok());
        Ok((pds, handle))
    }

    /// Resolves a handle or a DID to its DID, verified handle and PDS.
    pub async fn resolve(&self, identifier: &str) -> Result<Identity, IdentityError> {
        let (did, asked_handle) = if identifier.starts_with("did:") {
            (Did::parse(identifier)?, None)
        } else {
            let handle = Handle::parse(identifier)?;
            (self.resolve_handle(&handle).await?, Some(handle))
        };
        let (pds, claimed) = self.resolve_did(&did).await?;
        let handle = match (claimed, asked_handle) {
            // Resolved from this handle and the document claims it: bidirectionally verified.
            (Some(c), Some(a)) if c == a => Some(c),
            (Some(_), Some(a)) => {
                return Err(IdentityError::HandleNotFound {
                    handle: a.to_string(),
                    reason: format!("{did}'s document does not claim it"),
                });
            }
            (Some(c), None) => match self.resolve_handle(&c).await {
                Ok(back) if back == did => Some(c),
                _ => None,
            },
            (None, _) => None,
        };
        Ok(Identity { did, handle, pds })
    }

    /// The body of a successful GET of `url`, within [`IDENTITY_LIMITS`]. Errors name the host
    /// and what went wrong, never the body.
    async fn get_text(&self, url: &str) -> Result<String, chorus_outbound::Error> {
        self.http
            .get(url)
            .send()
            .await?
            .error_for_status()?
            .text()
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dids_and_handles() {
        for ok in [
            "did:plc:u4renkhc25wdjpvnkcblkyq6",
            "did:web:localhost%3A2583",
        ] {
            assert_eq!(Did::parse(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "",
            "did:",
            "did:plc:",
            "plc:abc",
            "did:PLC:abc",
            "did:plc:a b",
            "did:plc:x:",
        ] {
            assert!(Did::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Handle::parse("@Alice.Test").unwrap().as_str(), "alice.test");
        for bad in ["alice", "-a.test", "a..test", "a.1test", "a_b.test", ""] {
            assert!(Handle::parse(bad).is_err(), "{bad}");
        }
    }

    /// The resolver's own client: a `did:web` host on loopback is refused before anything is
    /// sent (and the failure's kind is permanent), and a PLC answer over 64 KiB is not read.
    #[tokio::test]
    async fn lookups_are_guarded_and_small() {
        use crate::error::{ErrorKind, NetworkError};
        use chorus_outbound::Policy;
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = hits.clone();
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut buf = vec![0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let body = format!("{{\"id\":\"{}\"}}", "x".repeat(100 << 10));
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n";
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(body.as_bytes()).await;
            }
        });
        let strict = Builder::new(Policy::public_only()).pin_for_tests("plc.test", addr);
        let resolver =
            Resolver::new(&strict, &format!("http://plc.test:{}", addr.port()), None).unwrap();

        let did = Did::parse(&format!("did:web:127.0.0.1%3A{}", addr.port())).unwrap();
        let err = resolver.resolve_did(&did).await.unwrap_err();
        assert!(matches!(err, IdentityError::Refused { .. }), "{err:?}");
        let kind = crate::bluesky::BlueskyError::Identity(err).kind();
        assert_eq!(kind, ErrorKind::Refused);
        assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 0);

        let did = Did::parse("did:plc:u4renkhc25wdjpvnkcblkyq6").unwrap();
        let err = resolver.resolve_did(&did).await.unwrap_err();
        match &err {
            IdentityError::Document { reason, .. } => {
                assert!(reason.contains("more than 65536 bytes"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
