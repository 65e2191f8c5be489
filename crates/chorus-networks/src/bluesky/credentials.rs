//! Credentials at rest: sealed with ChaCha20-Poly1305 under a key from configuration.
//!
//! A sealed blob is `base64(version ‖ nonce ‖ ciphertext ‖ tag)` with a fresh random nonce per
//! seal and the account DID as associated data, so a blob copied onto another account's row
//! does not open. Secrets live in [`Secret`], whose `Debug` prints `[redacted]` and which has no
//! `Serialize`: it cannot end up in a log line or an API response by accident.

use std::fmt;

use base64::Engine as _;
use ring::aead::{self, Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};

const VERSION: u8 = 1;

/// A secret string (password, token). `Debug` and `Display` print `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The 32-byte key that seals credentials. `Debug` prints `[redacted]`.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl SecretKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        SecretKey(bytes)
    }

    /// Reads a key from its base64 form (standard alphabet, padding optional).
    pub fn from_base64(s: &str) -> Result<Self, CredentialError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(s.trim().trim_end_matches('='))
            .or_else(|_| {
                base64::engine::general_purpose::STANDARD_NO_PAD
                    .decode(s.trim().trim_end_matches('='))
            })
            .map_err(|_| CredentialError::Key("not base64"))?;
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| CredentialError::Key("must be exactly 32 bytes"))?;
        Ok(SecretKey(arr))
    }

    /// A fresh random key.
    pub fn generate() -> Result<Self, CredentialError> {
        let mut k = [0u8; 32];
        SystemRandom::new()
            .fill(&mut k)
            .map_err(|_| CredentialError::Random)?;
        Ok(SecretKey(k))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The base64 form [`SecretKey::from_base64`] reads (for writing a key file).
    pub fn to_base64(&self) -> Secret {
        Secret(base64::engine::general_purpose::STANDARD.encode(self.0))
    }

    fn aead(&self) -> Result<LessSafeKey, CredentialError> {
        UnboundKey::new(&CHACHA20_POLY1305, &self.0)
            .map(LessSafeKey::new)
            .map_err(|_| CredentialError::Key("rejected by the cipher"))
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey([redacted])")
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialError {
    #[error("secret key {0}: configure a base64-encoded 32-byte key")]
    Key(&'static str),
    #[error("the system random number generator failed")]
    Random,
    #[error(
        "sealed credentials are damaged or were sealed with another key or for another account"
    )]
    Open,
    #[error("sealed credentials have an unknown format (version {0})")]
    Version(u8),
}

/// A connected account as stored: where it lives, who it is, how to log in again.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredAccount {
    pub pds: String,
    pub did: String,
    pub handle: String,
    pub app_password: Secret,
    /// The latest refresh token, so a restart does not need a new login.
    pub refresh_jwt: Option<Secret>,
}

impl fmt::Debug for StoredAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredAccount")
            .field("pds", &self.pds)
            .field("did", &self.did)
            .field("handle", &self.handle)
            .field("app_password", &self.app_password)
            .field(
                "refresh_jwt",
                &self.refresh_jwt.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// The plaintext form, only ever held inside `seal`/`open`.
#[derive(Serialize, Deserialize)]
struct Plain {
    pds: String,
    did: String,
    handle: String,
    app_password: String,
    refresh_jwt: Option<String>,
}

/// A sealed account as it is written to disk or a database: the DID in clear (to find it),
/// everything else encrypted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedAccount {
    pub did: String,
    pub sealed: String,
}

impl StoredAccount {
    pub fn seal(&self, key: &SecretKey) -> Result<SealedAccount, CredentialError> {
        let plain = Plain {
            pds: self.pds.clone(),
            did: self.did.clone(),
            handle: self.handle.clone(),
            app_password: self.app_password.expose().to_owned(),
            refresh_jwt: self.refresh_jwt.as_ref().map(|s| s.expose().to_owned()),
        };
        let mut data = serde_json::to_vec(&plain).map_err(|_| CredentialError::Open)?;
        let mut nonce = [0u8; aead::NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| CredentialError::Random)?;
        key.aead()?
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(self.did.as_bytes()),
                &mut data,
            )
            .map_err(|_| CredentialError::Open)?;
        let mut out = Vec::with_capacity(1 + nonce.len() + data.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&data);
        Ok(SealedAccount {
            did: self.did.clone(),
            sealed: base64::engine::general_purpose::STANDARD.encode(out),
        })
    }

    pub fn open(sealed: &SealedAccount, key: &SecretKey) -> Result<Self, CredentialError> {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(&sealed.sealed)
            .map_err(|_| CredentialError::Open)?;
        let (&version, rest) = raw.split_first().ok_or(CredentialError::Open)?;
        if version != VERSION {
            return Err(CredentialError::Version(version));
        }
        if rest.len() < aead::NONCE_LEN + CHACHA20_POLY1305.tag_len() {
            return Err(CredentialError::Open);
        }
        let (nonce, ct) = rest.split_at(aead::NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CredentialError::Open)?;
        let mut buf = ct.to_vec();
        let plain = key
            .aead()?
            .open_in_place(nonce, Aad::from(sealed.did.as_bytes()), &mut buf)
            .map_err(|_| CredentialError::Open)?;
        let p: Plain = serde_json::from_slice(plain).map_err(|_| CredentialError::Open)?;
        if p.did != sealed.did {
            return Err(CredentialError::Open);
        }
        Ok(StoredAccount {
            pds: p.pds,
            did: p.did,
            handle: p.handle,
            app_password: Secret(p.app_password),
            refresh_jwt: p.refresh_jwt.map(Secret),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> StoredAccount {
        StoredAccount {
            pds: "http://localhost:2583".into(),
            did: "did:plc:abc".into(),
            handle: "alice.test".into(),
            app_password: Secret::new("hunter2-app-pass"),
            refresh_jwt: Some(Secret::new("eyJrefresh")),
        }
    }

    #[test]
    fn seals_and_opens_and_never_shows_the_secret() {
        let key = SecretKey::generate().unwrap();
        let a = account();
        let sealed = a.seal(&key).unwrap();
        assert!(!sealed.sealed.contains("hunter2"));
        let json = serde_json::to_string(&sealed).unwrap();
        assert!(!json.contains("hunter2") && !json.contains("eyJrefresh"));
        assert_eq!(StoredAccount::open(&sealed, &key).unwrap(), a);
        let debug = format!("{a:?} {key:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("eyJrefresh"),
            "{debug}"
        );
        assert!(debug.contains("[redacted]"));
        // two seals of the same account differ (fresh nonce)
        assert_ne!(a.seal(&key).unwrap().sealed, sealed.sealed);
    }

    #[test]
    fn refuses_wrong_key_other_account_and_tampering() {
        let key = SecretKey::generate().unwrap();
        let sealed = account().seal(&key).unwrap();
        let other = SecretKey::generate().unwrap();
        assert!(matches!(
            StoredAccount::open(&sealed, &other),
            Err(CredentialError::Open)
        ));
        let moved = SealedAccount {
            did: "did:plc:evil".into(),
            ..sealed.clone()
        };
        assert!(matches!(
            StoredAccount::open(&moved, &key),
            Err(CredentialError::Open)
        ));
        let mut raw = base64::engine::general_purpose::STANDARD
            .decode(&sealed.sealed)
            .unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        let tampered = SealedAccount {
            sealed: base64::engine::general_purpose::STANDARD.encode(raw),
            ..sealed
        };
        assert!(matches!(
            StoredAccount::open(&tampered, &key),
            Err(CredentialError::Open)
        ));
    }

    #[test]
    fn key_from_base64() {
        let k =
            SecretKey::from_base64(&base64::engine::general_purpose::STANDARD.encode([7u8; 32]))
                .unwrap();
        assert_eq!(k.as_bytes(), &[7u8; 32]);
        assert!(SecretKey::from_base64("AAAA").is_err());
        assert!(SecretKey::from_base64("not base64!").is_err());
    }
}
