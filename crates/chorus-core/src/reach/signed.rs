//! Signed download links: how a confirmed person gets a gated asset without a session.
//!
//! A link is `{offer}.{expires}.{signature}`: the offer's id, the expiry in Unix seconds and
//! HMAC-SHA256 over both (base64url, 43 characters) under a key derived from the installation's
//! secret key ([`LinkKey::derive`]: HMAC of a fixed label, so the download key is never the key
//! that seals network credentials). Verification checks the signature first, in constant time,
//! then the expiry: a changed offer or expiry is [`LinkError::Tampered`], an old link
//! [`LinkError::Expired`], and anything that is not three parts of the right shape
//! [`LinkError::Malformed`].
//!
//! The same key, with a different message prefix per use, also signs:
//! - withdrawal links (`{submission}.{signature}`, [`LinkKey::sign_withdrawal`]): every email
//!   Reach sends carries one, and it must keep working (withdrawing consent is never harder
//!   than giving it), so it does not expire;
//! - landing forms (`{issued}.{signature}` over the offer's slug, [`LinkKey::sign_form`]): a
//!   post must come from a form this server rendered in the last day (the public form has no
//!   session to carry a CSRF token; this is its protection against blind posts);
//! - and it derives each contact's preference-page token from their email's hash
//!   ([`LinkKey::prefs_token`]), so any email can carry the link although the database keeps
//!   only the token's SHA-256.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use sha2::Sha256;

use crate::ids::{OfferId, SubmissionId};
use crate::reach::token::OptInToken;

type HmacSha256 = Hmac<Sha256>;

/// How long a download link works unless `[reach] download_link_hours` says otherwise.
pub const DEFAULT_DOWNLOAD_HOURS: u32 = 7 * 24;

/// The label the download key is derived under (changing it invalidates every link).
const LABEL: &[u8] = b"chorus reach download link v1";

/// The key download links are signed with. Its `Debug` hides it.
#[derive(Clone)]
pub struct LinkKey([u8; 32]);

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKey([redacted])")
    }
}

impl LinkKey {
    /// The download key of an installation: HMAC-SHA256(installation key, label).
    pub fn derive(installation_key: &[u8; 32]) -> LinkKey {
        let mut mac = mac_with(installation_key);
        mac.update(LABEL);
        LinkKey(mac.finalize().into_bytes().into())
    }

    fn mac(&self, offer: OfferId, expires: i64) -> HmacSha256 {
        let mut mac = mac_with(&self.0);
        mac.update(format!("reach-download:{}:{expires}", offer.0).as_bytes());
        mac
    }

    /// A link to `offer`'s file that works until `expires` (rounded down to the second).
    pub fn sign(&self, offer: OfferId, expires: Timestamp) -> String {
        let expires = expires.as_second();
        let tag = self.mac(offer, expires).finalize().into_bytes();
        format!("{}.{expires}.{}", offer.0, URL_SAFE_NO_PAD.encode(tag))
    }

    fn tag(&self, message: &str) -> String {
        let mut mac = mac_with(&self.0);
        mac.update(message.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    fn check(&self, message: &str, tag: &str) -> Result<(), LinkError> {
        if tag.len() != 43 {
            return Err(LinkError::Malformed);
        }
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| LinkError::Malformed)?;
        let mut mac = mac_with(&self.0);
        mac.update(message.as_bytes());
        mac.verify_slice(&tag).map_err(|_| LinkError::Tampered)
    }

    /// The withdrawal link of the emails that follow `submission` (it does not expire).
    pub fn sign_withdrawal(&self, submission: SubmissionId) -> String {
        let id = submission.0;
        format!("{id}.{}", self.tag(&format!("reach-withdraw:{id}")))
    }

    /// The submission a withdrawal link names, if its signature holds.
    pub fn verify_withdrawal(&self, link: &str) -> Result<SubmissionId, LinkError> {
        let (id, tag) = link.split_once('.').ok_or(LinkError::Malformed)?;
        let id = digits(id).ok_or(LinkError::Malformed)?;
        self.check(&format!("reach-withdraw:{id}"), tag)?;
        Ok(SubmissionId(id))
    }

    /// The token a landing form for `slug` carries, issued at `issued`.
    pub fn sign_form(&self, slug: &str, issued: Timestamp) -> String {
        let at = issued.as_second();
        format!("{at}.{}", self.tag(&format!("reach-form:{slug}:{at}")))
    }

    /// Checks a landing form's token: signed for `slug`, issued at most `max_age` before `now`
    /// (and not in the future beyond a minute of clock skew).
    pub fn verify_form(
        &self,
        token: &str,
        slug: &str,
        now: Timestamp,
        max_age: std::time::Duration,
    ) -> Result<(), LinkError> {
        let (at, tag) = token.split_once('.').ok_or(LinkError::Malformed)?;
        let at = digits(at).ok_or(LinkError::Malformed)?;
        self.check(&format!("reach-form:{slug}:{at}"), tag)?;
        let age = now.as_second() - at;
        if age < -60 || age > max_age.as_secs() as i64 {
            let expired = at.saturating_add(max_age.as_secs() as i64);
            return Err(LinkError::Expired {
                at: Timestamp::from_second(expired).unwrap_or(Timestamp::UNIX_EPOCH),
            });
        }
        Ok(())
    }

    /// The preference-page token of the person whose email hashes to `email_sha256`: derived,
    /// so every email can carry it; the database keeps its [`OptInToken::hash`].
    pub fn prefs_token(&self, email_sha256: &str) -> OptInToken {
        let mut mac = mac_with(&self.0);
        mac.update(format!("reach-prefs:{email_sha256}").as_bytes());
        OptInToken::from_bytes(&mac.finalize().into_bytes().into())
    }

    /// The offer a link opens, if its signature holds and it has not expired at `now`.
    pub fn verify(&self, link: &str, now: Timestamp) -> Result<OfferId, LinkError> {
        let mut parts = link.split('.');
        let (Some(offer), Some(expires), Some(tag), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(LinkError::Malformed);
        };
        let digits =
            |s: &str| !s.is_empty() && s.len() <= 18 && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(offer) || !digits(expires) || tag.len() != 43 {
            return Err(LinkError::Malformed);
        }
        let (Ok(offer), Ok(expires)) = (offer.parse::<i64>(), expires.parse::<i64>()) else {
            return Err(LinkError::Malformed);
        };
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| LinkError::Malformed)?;
        self.mac(OfferId(offer), expires)
            .verify_slice(&tag)
            .map_err(|_| LinkError::Tampered)?;
        if now.as_second() >= expires {
            let at = Timestamp::from_second(expires).unwrap_or(Timestamp::UNIX_EPOCH);
            return Err(LinkError::Expired { at });
        }
        Ok(OfferId(offer))
    }
}

/// A positive id of at most 18 digits.
fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// HMAC-SHA256 keyed with a 32-byte key. HMAC pads a short key with zeros to its block, so the
/// key is written into a zeroed block directly (no fallible constructor, no panic path).
fn mac_with(key: &[u8; 32]) -> HmacSha256 {
    let mut block = hmac::digest::Key::<HmacSha256>::default();
    block[..32].copy_from_slice(key);
    <HmacSha256 as hmac::digest::KeyInit>::new(&block)
}

/// Why a download link was refused, in words for the person holding it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("this download link is not complete; open it from the email again")]
    Malformed,
    #[error("this download link has been changed and does not work; open it from the email again")]
    Tampered,
    #[error("this download link expired at {at}; get a fresh one from your preference page")]
    Expired { at: Timestamp },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    #[test]
    fn a_link_opens_its_offer_until_it_expires() {
        let key = LinkKey::derive(&[1u8; 32]);
        let link = key.sign(OfferId(12), at(2_000_000_000));
        assert!(link.starts_with("12.2000000000."), "{link}");
        assert_eq!(key.verify(&link, at(1_999_999_999)), Ok(OfferId(12)));
        assert_eq!(
            key.verify(&link, at(2_000_000_000)),
            Err(LinkError::Expired {
                at: at(2_000_000_000)
            })
        );
    }

    #[test]
    fn a_changed_link_or_another_key_is_tampered() {
        let key = LinkKey::derive(&[1u8; 32]);
        let link = key.sign(OfferId(12), at(2_000_000_000));
        let now = at(1_900_000_000);
        let tag = link.rsplit('.').next().unwrap();
        for bad in [
            link.replacen("12.", "13.", 1),
            link.replace(".2000000000.", ".2000000001."),
            format!("12.2000000000.{}", flip(tag)),
        ] {
            assert_eq!(key.verify(&bad, now), Err(LinkError::Tampered), "{bad}");
        }
        let other = LinkKey::derive(&[2u8; 32]);
        assert_eq!(other.verify(&link, now), Err(LinkError::Tampered));
        // Extending an expired link's expiry does not help either.
        let old = key.sign(OfferId(12), at(1_000));
        let extended = old.replace(".1000.", ".9999999999.");
        assert_eq!(key.verify(&extended, now), Err(LinkError::Tampered));
    }

    #[test]
    fn malformed_links_are_refused_before_any_check() {
        let key = LinkKey::derive(&[1u8; 32]);
        let link = key.sign(OfferId(12), at(2_000_000_000));
        for bad in [
            "",
            "12",
            "12.2000000000",
            "a.2000000000.x",
            "-12.2000000000.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            &format!("{link}.extra"),
            &link[..link.len() - 1],
            &format!("{}+", &link[..link.len() - 1]),
        ] {
            assert_eq!(key.verify(bad, at(0)), Err(LinkError::Malformed), "{bad}");
        }
    }

    #[test]
    fn the_download_key_is_not_the_installation_key() {
        let key = LinkKey::derive(&[9u8; 32]);
        assert_ne!(key.0, [9u8; 32]);
        assert_eq!(format!("{key:?}"), "LinkKey([redacted])");
    }

    #[test]
    fn withdrawal_links_name_their_submission_and_never_expire() {
        let key = LinkKey::derive(&[1u8; 32]);
        let link = key.sign_withdrawal(SubmissionId(77));
        assert!(link.starts_with("77."), "{link}");
        assert_eq!(key.verify_withdrawal(&link), Ok(SubmissionId(77)));
        assert_eq!(
            key.verify_withdrawal(&link.replacen("77.", "78.", 1)),
            Err(LinkError::Tampered)
        );
        // A download link's signature does not open a withdrawal, nor the other way round.
        let download = key.sign(OfferId(77), at(2_000_000_000));
        let tag = download.rsplit('.').next().unwrap();
        assert_eq!(
            key.verify_withdrawal(&format!("77.{tag}")),
            Err(LinkError::Tampered)
        );
        for bad in ["", "77", "x.abc", "77.short"] {
            assert_eq!(
                key.verify_withdrawal(bad),
                Err(LinkError::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn form_tokens_hold_for_their_slug_for_a_day() {
        let key = LinkKey::derive(&[1u8; 32]);
        let day = std::time::Duration::from_secs(86_400);
        let token = key.sign_form("guide", at(1_000_000));
        assert_eq!(
            key.verify_form(&token, "guide", at(1_000_000 + 3_600), day),
            Ok(())
        );
        assert_eq!(
            key.verify_form(&token, "other", at(1_000_000), day),
            Err(LinkError::Tampered)
        );
        assert!(matches!(
            key.verify_form(&token, "guide", at(1_000_000 + 86_401), day),
            Err(LinkError::Expired { .. })
        ));
        assert!(matches!(
            key.verify_form(&token, "guide", at(1_000_000 - 3_600), day),
            Err(LinkError::Expired { .. })
        ));
        assert_eq!(
            key.verify_form("nonsense", "guide", at(0), day),
            Err(LinkError::Malformed)
        );
    }

    #[test]
    fn prefs_tokens_are_stable_per_person_and_key() {
        let key = LinkKey::derive(&[1u8; 32]);
        let a = key.prefs_token("aa");
        assert_eq!(a, key.prefs_token("aa"));
        assert_ne!(a, key.prefs_token("ab"));
        assert_ne!(a, LinkKey::derive(&[2u8; 32]).prefs_token("aa"));
        assert_eq!(OptInToken::parse(a.as_str()).unwrap(), a);
    }

    #[test]
    fn the_padded_key_is_standard_hmac() {
        let key = [0xabu8; 32];
        let mut ours = mac_with(&key);
        let mut standard = <HmacSha256 as Mac>::new_from_slice(&key).unwrap();
        ours.update(b"message");
        standard.update(b"message");
        assert_eq!(
            ours.finalize().into_bytes(),
            standard.finalize().into_bytes()
        );
    }

    fn flip(tag: &str) -> String {
        let mut b = tag.as_bytes().to_vec();
        b[0] = if b[0] == b'A' { b'B' } else { b'A' };
        String::from_utf8(b).unwrap()
    }
}
