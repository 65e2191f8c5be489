//! ID tokens (OpenID Connect Core §2, §3.1.3.7): a compact JWS whose signature is checked
//! against the provider's published keys (JWKS), then whose claims are checked against what the
//! sign-in expects. Asymmetric algorithms only — RS256 (every provider's default), PS256 and
//! ES256 — so `none` and the HS256-with-a-public-key confusion cannot be played.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{self, UnparsedPublicKey};
use serde::Deserialize;

/// Why an ID token was refused; `Display` is for the log and the sign-in page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the ID token is malformed ({0})")]
    Malformed(&'static str),
    #[error("the ID token is signed with {0}, which Chorus does not accept (RS256, PS256, ES256)")]
    Algorithm(String),
    #[error("the ID token is signed with a key the provider does not publish (kid {0:?})")]
    UnknownKey(Option<String>),
    #[error("the ID token's signature is not valid")]
    Signature,
    #[error("the ID token comes from another issuer ({0})")]
    Issuer(String),
    #[error("the ID token is not meant for this client")]
    Audience,
    #[error("the ID token has expired")]
    Expired,
    #[error("the ID token is not valid yet (issued in the future)")]
    NotYetValid,
    #[error("the ID token does not belong to this sign-in (nonce differs)")]
    Nonce,
}

/// A JSON Web Key as published in a JWKS (RFC 7517); only the members Chorus reads.
#[derive(Debug, Clone, Deserialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default, rename = "use")]
    pub use_: Option<String>,
    #[serde(default)]
    pub n: Option<String>,
    #[serde(default)]
    pub e: Option<String>,
    #[serde(default)]
    pub crv: Option<String>,
    #[serde(default)]
    pub x: Option<String>,
    #[serde(default)]
    pub y: Option<String>,
}

/// A provider's key set (`jwks_uri`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

impl Jwks {
    /// The key `kid` names, or the only signing key of type `kty` when the token names none.
    fn find(&self, kid: Option<&str>, kty: &str) -> Option<&Jwk> {
        let signing = self
            .keys
            .iter()
            .filter(|k| k.kty == kty && k.use_.as_deref().unwrap_or("sig") == "sig");
        match kid {
            Some(kid) => signing.clone().find(|k| k.kid.as_deref() == Some(kid)),
            None => {
                let all: Vec<&Jwk> = signing.collect();
                (all.len() == 1).then(|| all[0])
            }
        }
    }
}

#[derive(Debug, Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

/// `aud` is one string or a list (Core §2).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn contains(&self, client: &str) -> bool {
        match self {
            Audience::One(a) => a == client,
            Audience::Many(list) => list.iter().any(|a| a == client),
        }
    }

    fn len(&self) -> usize {
        match self {
            Audience::One(_) => 1,
            Audience::Many(list) => list.len(),
        }
    }
}

/// The claims of an ID token Chorus reads; the rest stay in `other` (the groups claim among
/// them, under whatever name the provider uses).
#[derive(Debug, Clone, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub sub: String,
    pub aud: Audience,
    pub exp: i64,
    #[serde(default)]
    pub iat: Option<i64>,
    #[serde(default)]
    pub nbf: Option<i64>,
    #[serde(default)]
    pub nonce: Option<String>,
    #[serde(default)]
    pub azp: Option<String>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// A token split and decoded, its signature not yet checked.
pub struct Unverified {
    header: Header,
    signing_input: String,
    signature: Vec<u8>,
    pub claims: Claims,
}

/// Splits a compact JWS and decodes its header and claims.
pub fn decode(token: &str) -> Result<Unverified, TokenError> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed("not three dot-separated parts"));
    };
    let b64 = |part: &str, what: &'static str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| TokenError::Malformed(what))
    };
    let header: Header = serde_json::from_slice(&b64(h, "header is not base64url")?)
        .map_err(|_| TokenError::Malformed("header is not the expected JSON"))?;
    let claims: Claims = serde_json::from_slice(&b64(p, "payload is not base64url")?)
        .map_err(|_| TokenError::Malformed("claims lack iss, sub, aud or exp"))?;
    Ok(Unverified {
        header,
        signing_input: format!("{h}.{p}"),
        signature: b64(s, "signature is not base64url")?,
        claims,
    })
}

impl Unverified {
    /// The key id the token names (to decide whether the key set needs fetching again).
    pub fn kid(&self) -> Option<&str> {
        self.header.kid.as_deref()
    }

    /// Whether `keys` holds a key this token could be checked with.
    pub fn has_key_in(&self, keys: &Jwks) -> bool {
        kty_of(&self.header.alg).is_some_and(|kty| keys.find(self.kid(), kty).is_some())
    }

    /// Checks the signature with the key `keys` holds for it.
    pub fn verify_signature(&self, keys: &Jwks) -> Result<&Claims, TokenError> {
        let alg = self.header.alg.as_str();
        let kty = kty_of(alg).ok_or_else(|| TokenError::Algorithm(alg.to_owned()))?;
        let key = keys
            .find(self.kid(), kty)
            .ok_or_else(|| TokenError::UnknownKey(self.header.kid.clone()))?;
        let field = |v: &Option<String>| {
            v.as_deref()
                .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
                .ok_or(TokenError::UnknownKey(key.kid.clone()))
        };
        let msg = self.signing_input.as_bytes();
        let ok = match alg {
            "RS256" | "PS256" => {
                let params = if alg == "RS256" {
                    &signature::RSA_PKCS1_2048_8192_SHA256
                } else {
                    &signature::RSA_PSS_2048_8192_SHA256
                };
                signature::RsaPublicKeyComponents {
                    n: field(&key.n)?,
                    e: field(&key.e)?,
                }
                .verify(params, msg, &self.signature)
                .is_ok()
            }
            _ => {
                if key.crv.as_deref() != Some("P-256") {
                    return Err(TokenError::UnknownKey(key.kid.clone()));
                }
                let mut point = vec![4u8];
                point.extend(field(&key.x)?);
                point.extend(field(&key.y)?);
                UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                    .verify(msg, &self.signature)
                    .is_ok()
            }
        };
        if ok {
            Ok(&self.claims)
        } else {
            Err(TokenError::Signature)
        }
    }
}

fn kty_of(alg: &str) -> Option<&'static str> {
    match alg {
        "RS256" | "PS256" => Some("RSA"),
        "ES256" => Some("EC"),
        _ => None,
    }
}

/// What a sign-in expects of its ID token.
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    /// Seconds since the Unix epoch.
    pub now: i64,
    /// Clock difference tolerated between Chorus and the provider, in seconds.
    pub leeway: i64,
}

/// Checks the claims of a token whose signature was checked (Core §3.1.3.7).
pub fn check_claims(claims: &Claims, expected: &Expected<'_>) -> Result<(), TokenError> {
    if claims.iss != expected.issuer {
        return Err(TokenError::Issuer(claims.iss.clone()));
    }
    if !claims.aud.contains(expected.client_id) {
        return Err(TokenError::Audience);
    }
    if claims.aud.len() > 1 && claims.azp.as_deref() != Some(expected.client_id) {
        return Err(TokenError::Audience);
    }
    if claims.exp + expected.leeway <= expected.now {
        return Err(TokenError::Expired);
    }
    let not_before = claims.nbf.into_iter().chain(claims.iat).max();
    if not_before.is_some_and(|t| t > expected.now + expected.leeway) {
        return Err(TokenError::NotYetValid);
    }
    // The nonce is no secret (it travelled in the authorization URL): a plain comparison.
    if claims.nonce.as_deref() != Some(expected.nonce) {
        return Err(TokenError::Nonce);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
