//! Opt-in tokens: the secrets in the links Reach emails (confirm a submission, open the
//! preference page, withdraw consent).
//!
//! A token is 32 random bytes written as base64url without padding (43 characters). Only its
//! SHA-256 (lowercase hex) is stored, so the database never holds a working link; a request's
//! token is parsed strictly (exact length and alphabet) before it is hashed and looked up.
//! Confirmation tokens expire ([`DEFAULT_CONFIRM_HOURS`], configurable) and work once; the
//! store enforces both in the confirming transaction.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::validate::Invalid;

/// How long a confirmation link works unless `[reach] confirm_token_hours` says otherwise.
pub const DEFAULT_CONFIRM_HOURS: u32 = 72;

/// Characters of a token as written in a link.
pub const TOKEN_CHARS: usize = 43;

/// A token as it travels in a link. Its `Debug` hides it (it opens someone's consent).
#[derive(Clone, PartialEq, Eq)]
pub struct OptInToken(String);

impl std::fmt::Debug for OptInToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OptInToken([redacted])")
    }
}

impl OptInToken {
    /// A fresh token from the thread's cryptographically secure generator.
    pub fn generate() -> OptInToken {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        OptInToken::from_bytes(&bytes)
    }

    /// The token of `bytes` (tests and benchmarks that need a known one).
    pub fn from_bytes(bytes: &[u8; 32]) -> OptInToken {
        OptInToken(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Reads a token from a link: exactly [`TOKEN_CHARS`] base64url characters that decode to
    /// 32 bytes. Anything else is refused before any lookup.
    pub fn parse(raw: &str) -> Result<OptInToken, Invalid> {
        let bad = || Invalid::new("this link is not complete; open it from the email again");
        if raw.len() != TOKEN_CHARS
            || !raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(bad());
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
        if bytes.len() != 32 {
            return Err(bad());
        }
        Ok(OptInToken(raw.to_owned()))
    }

    /// The token as written in a link.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the database keeps: SHA-256 of the link text, lowercase hex.
    pub fn hash(&self) -> String {
        sha256_hex(self.0.as_bytes())
    }
}

/// SHA-256 of `bytes` as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_token_reads_back_and_hashes_to_hex() {
        let t = OptInToken::generate();
        assert_eq!(t.as_str().len(), TOKEN_CHARS);
        assert_eq!(OptInToken::parse(t.as_str()).unwrap(), t);
        let h = t.hash();
        assert_eq!(h.len(), 64);
        assert!(
            h.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_ne!(OptInToken::generate(), t, "two tokens are different");
        assert_eq!(format!("{t:?}"), "OptInToken([redacted])");
    }

    #[test]
    fn the_hash_is_sha256_of_the_link_text() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let t = OptInToken::from_bytes(&[0u8; 32]);
        assert_eq!(t.as_str(), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        assert_eq!(t.hash(), sha256_hex(t.as_str().as_bytes()));
    }

    #[test]
    fn malformed_tokens_are_refused() {
        let good = OptInToken::from_bytes(&[7u8; 32]);
        let s = good.as_str();
        for bad in [
            String::new(),
            s[..42].to_owned(),
            format!("{s}A"),
            format!("{}=", &s[..42]),
            format!("{}+", &s[..42]),
            format!("{}/", &s[..42]),
            format!("{}\n", &s[..42]),
            format!("{}é", &s[..41]),
            // 43 characters whose last one carries bits beyond 32 bytes.
            format!("{}B", &s[..42]),
        ] {
            assert!(OptInToken::parse(&bad).is_err(), "{bad:?}");
        }
    }
}
