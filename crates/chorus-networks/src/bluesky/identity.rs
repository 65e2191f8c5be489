//! Identities: parsing handles and DIDs, and resolving handle → DID → PDS.
//!
//! A handle resolves through an XRPC service's `com.atproto.identity.resolveHandle` (a PDS or
//! AppView the operator configured) or, failing that, `https://<handle>/.well-known/atproto-did`.
//! A DID resolves to its document through the PLC directory (`did:plc`) or the host's
//! `/.well-known/did.json` (`did:web`); the document names the PDS and the handle. The handle
//! claimed by a document is only trusted when it resolves back to the same DID.

use std::fmt;

use reqwest::Url;
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

/// Resolves handles and DIDs.
#[derive(Debug, Clone)]
pub struct Resolver {
    http: reqwest::Client,
    plc: Url,
    /// XRPC service answering `com.atproto.identity.resolveHandle`, tried before well-known.
    handle_service: Option<Xrpc>,
}

impl Resolver {
    /// `plc_url` is the PLC directory (`https://plc.directory` on the public network).
    pub fn new(
        http: reqwest::Client,
        plc_url: &str,
        handle_service: Option<Xrpc>,
    ) -> Result<Self, IdentityError> {
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
                reasons.push(e);
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
        let text = self.get_text(&url).await.map_err(doc_err)?;
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

    async fn get_text(&self, url: &str) -> Result<String, String> {
        let resp = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!("{url}: HTTP {}", resp.status()));
        }
        resp.text().await.map_err(|e| format!("{url}: {e}"))
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
}
