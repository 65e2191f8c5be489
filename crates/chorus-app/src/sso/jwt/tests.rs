//! Signature and claim checks with tokens signed here (ES256: ring can make P-256 keys); the
//! RS256 path is exercised against a real provider in `crates/chorus/tests/cli/oidc`.

use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};

use super::*;

struct Signer {
    pair: EcdsaKeyPair,
    kid: &'static str,
}

impl Signer {
    fn new(kid: &'static str) -> Signer {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        Signer { pair, kid }
    }

    fn jwk(&self) -> Jwk {
        let public = self.pair.public_key().as_ref();
        Jwk {
            kty: "EC".into(),
            kid: Some(self.kid.into()),
            use_: Some("sig".into()),
            n: None,
            e: None,
            crv: Some("P-256".into()),
            x: Some(URL_SAFE_NO_PAD.encode(&public[1..33])),
            y: Some(URL_SAFE_NO_PAD.encode(&public[33..65])),
        }
    }

    fn sign(&self, alg: &str, claims: &serde_json::Value) -> String {
        let header = serde_json::json!({ "alg": alg, "kid": self.kid, "typ": "JWT" });
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig = self
            .pair
            .sign(&SystemRandom::new(), input.as_bytes())
            .unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
    }
}

const NOW: i64 = 1_800_000_000;

fn claims() -> serde_json::Value {
    serde_json::json!({
        "iss": "https://idp.example", "sub": "u1", "aud": "chorus", "exp": NOW + 300,
        "iat": NOW - 5, "nonce": "n-123", "groups": ["social-fi-editors"],
    })
}

fn expected() -> Expected<'static> {
    Expected {
        issuer: "https://idp.example",
        client_id: "chorus",
        nonce: "n-123",
        now: NOW,
        leeway: 60,
    }
}

fn check(token: &str, keys: &Jwks) -> Result<(), TokenError> {
    let t = decode(token)?;
    let c = t.verify_signature(keys)?;
    check_claims(c, &expected())
}

#[test]
fn a_good_token_passes_and_its_claims_are_read() {
    let s = Signer::new("k1");
    let keys = Jwks {
        keys: vec![s.jwk()],
    };
    let token = s.sign("ES256", &claims());
    check(&token, &keys).unwrap();
    let t = decode(&token).unwrap();
    assert_eq!(t.claims.sub, "u1");
    assert_eq!(t.claims.other["groups"][0], "social-fi-editors");
}

#[test]
fn a_tampered_token_is_refused() {
    let s = Signer::new("k1");
    let keys = Jwks {
        keys: vec![s.jwk()],
    };
    let token = s.sign("ES256", &claims());
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut forged = claims();
    forged["groups"] = serde_json::json!(["chorus-admins"]);
    parts[1] = URL_SAFE_NO_PAD.encode(forged.to_string());
    assert_eq!(check(&parts.join("."), &keys), Err(TokenError::Signature));
}

#[test]
fn a_key_the_provider_does_not_publish_is_refused() {
    let s = Signer::new("k1");
    let other = Signer::new("k2");
    let keys = Jwks {
        keys: vec![s.jwk()],
    };
    let token = other.sign("ES256", &claims());
    assert_eq!(
        check(&token, &keys),
        Err(TokenError::UnknownKey(Some("k2".into())))
    );
    // The same kid with another key's signature: the signature fails.
    let impostor = Signer { kid: "k1", ..other };
    assert_eq!(
        check(&impostor.sign("ES256", &claims()), &keys),
        Err(TokenError::Signature)
    );
}

#[test]
fn none_and_symmetric_algorithms_are_refused() {
    let s = Signer::new("k1");
    let keys = Jwks {
        keys: vec![s.jwk()],
    };
    for alg in ["none", "HS256"] {
        let token = s.sign(alg, &claims());
        assert_eq!(check(&token, &keys), Err(TokenError::Algorithm(alg.into())));
    }
}

#[test]
fn each_wrong_claim_is_named() {
    let s = Signer::new("k1");
    let keys = Jwks {
        keys: vec![s.jwk()],
    };
    let with = |key: &str, value: serde_json::Value| {
        let mut c = claims();
        c[key] = value;
        check(&s.sign("ES256", &c), &keys)
    };
    assert_eq!(
        with("iss", "https://evil.example".into()),
        Err(TokenError::Issuer("https://evil.example".into()))
    );
    assert_eq!(
        with("aud", "someone-else".into()),
        Err(TokenError::Audience)
    );
    assert_eq!(
        with("aud", serde_json::json!(["chorus", "other"])),
        Err(TokenError::Audience),
        "several audiences need azp = this client"
    );
    assert_eq!(with("exp", (NOW - 61).into()), Err(TokenError::Expired));
    assert_eq!(with("exp", (NOW - 30).into()), Ok(()), "within the leeway");
    assert_eq!(
        with("iat", (NOW + 600).into()),
        Err(TokenError::NotYetValid)
    );
    assert_eq!(with("nonce", "n-other".into()), Err(TokenError::Nonce));
    let mut no_nonce = claims();
    no_nonce.as_object_mut().unwrap().remove("nonce");
    assert_eq!(
        check(&s.sign("ES256", &no_nonce), &keys),
        Err(TokenError::Nonce)
    );
}

#[test]
fn malformed_tokens_say_so() {
    let keys = Jwks::default();
    for bad in ["", "a.b", "a.b.c.d", "!!.e30.e30"] {
        assert!(
            matches!(check(bad, &keys), Err(TokenError::Malformed(_))),
            "{bad:?}"
        );
    }
}
