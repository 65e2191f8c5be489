//! Consent texts: the exact words a person agrees to, and the hash that proves which words.
//!
//! The digest is SHA-256 over the text's UTF-8 bytes exactly as shown (no trimming, no
//! normalization), in lowercase hex. The form shows the stored body; the ledger stores the body
//! and this digest with every event, so anyone can recompute it from the ledger alone.

use sha2::{Digest, Sha256};

use crate::validate::Invalid;

/// The longest consent text accepted (characters).
pub const MAX_BODY_CHARS: usize = 4_000;

/// SHA-256 of `body` as shown, lowercase hex.
pub fn digest(body: &str) -> String {
    hex(&Sha256::digest(body.as_bytes()))
}

/// SHA-256 of a normalized email address (trimmed, lowercased), lowercase hex: the key the
/// consent ledger files a person under, which stays after their email is erased.
pub fn email_digest(email: &str) -> String {
    hex(&Sha256::digest(email.trim().to_lowercase().as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The legal basis a consent text states (GDPR Art. 6(1)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LegalBasis {
    /// (a) the person consented.
    Consent,
    /// (b) needed for a contract with them (e.g. a paid event).
    Contract,
    /// (f) a legitimate interest.
    LegitimateInterest,
}

impl LegalBasis {
    pub const ALL: [LegalBasis; 3] = [
        LegalBasis::Consent,
        LegalBasis::Contract,
        LegalBasis::LegitimateInterest,
    ];

    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            LegalBasis::Consent => "consent",
            LegalBasis::Contract => "contract",
            LegalBasis::LegitimateInterest => "legitimate_interest",
        }
    }

    /// For people: "Consent (GDPR Art. 6(1)(a))".
    pub fn label(self) -> &'static str {
        match self {
            LegalBasis::Consent => "Consent (GDPR Art. 6(1)(a))",
            LegalBasis::Contract => "Contract (GDPR Art. 6(1)(b))",
            LegalBasis::LegitimateInterest => "Legitimate interest (GDPR Art. 6(1)(f))",
        }
    }

    /// Reads the stored word (or the form's value).
    pub fn parse(value: &str) -> Result<LegalBasis, Invalid> {
        LegalBasis::ALL
            .into_iter()
            .find(|b| b.as_str() == value.trim())
            .ok_or_else(|| Invalid::new("choose consent, contract or legitimate_interest"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_sha256_of_the_exact_text() {
        // Known answer: sha256("abc").
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // Nothing is normalized: a trailing space is another text.
        assert_ne!(digest("I agree"), digest("I agree "));
        assert_eq!(
            email_digest(" Ann@Example.COM "),
            email_digest("ann@example.com")
        );
    }

    #[test]
    fn legal_basis_reads_back_and_names_the_field() {
        for b in LegalBasis::ALL {
            assert_eq!(LegalBasis::parse(b.as_str()), Ok(b));
        }
        assert!(LegalBasis::parse("nope").is_err());
    }
}
