//! Password hashing with Argon2id (the OWASP-recommended parameters, the crate defaults).
//!
//! Hashes are PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$…`), so parameters can be raised later
//! without breaking existing hashes.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;

/// Hashing failed (only on absurd input such as a password longer than Argon2 accepts).
#[derive(Debug, thiserror::Error)]
#[error("could not hash the password: {0}")]
pub struct HashError(String);

/// Hashes `password` with a fresh random salt.
pub fn hash(password: &str) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| HashError(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Whether `password` matches the stored PHC `hash`. A malformed hash never matches.
pub fn verify(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Spends the same time as a real [`verify`], for logins with an unknown email, so response
/// times do not reveal which emails have accounts.
pub fn verify_dummy(password: &str) {
    let _ = verify(password, DUMMY);
}

/// A well-formed hash of a password nobody knows, with the default parameters.
const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Y5QhWAzQpY8bMnR4Vf6a0dQzFh2w1sK7nVf3o8kq0iE";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("wrong horse battery", &h));
        assert!(!verify("correct horse battery", "not a hash"));
        assert_ne!(h, hash("correct horse battery").unwrap(), "salts differ");
        assert!(
            PasswordHash::new(DUMMY).is_ok(),
            "the dummy must cost a real verification"
        );
        verify_dummy("anything");
    }
}
