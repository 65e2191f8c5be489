//! Outbound webhooks, the pure half: which events there are, what a target address may be, the
//! signing secret and the signature, and how long a delivery waits before its next attempt.
//!
//! The contract a receiver relies on (README, "Webhooks"):
//!
//! - Each event has a stable id (`evt_` + 24 hex digits); a retry, or a second delivery after a
//!   crash, carries the same id and the same body, so a receiver drops duplicates by the id.
//! - `Chorus-Signature: t={unix seconds},v1={hex}` where `hex` is HMAC-SHA256, keyed with the
//!   endpoint's whole secret string (`whsec_…`, as UTF-8), over `"{t}.{body}"` — the scheme of
//!   Stripe's `Stripe-Signature`. Each attempt is signed afresh with its own `t`; receivers
//!   refuse a `t` more than [`REPLAY_WINDOW_SECS`] away from their clock.
//! - A delivery is tried up to [`MAX_ATTEMPTS`] times, waiting [`retry_delay`] between tries;
//!   after [`DISABLE_AFTER_FAILURES`] failed attempts in a row (no success between them, over
//!   all its deliveries) an endpoint is turned off until an admin turns it on again.
//!
//! [`verify`] is here for documentation and the tests of this module; the integration tests
//! check signatures with an independent implementation (Python's `hmac`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::validate::{FieldError, Invalid, quoted};

type HmacSha256 = Hmac<Sha256>;

/// How far a signature's timestamp may be from the receiver's clock, in seconds, before the
/// receiver should refuse it as a replay (what the README tells receivers to check).
pub const REPLAY_WINDOW_SECS: i64 = 300;

/// Attempts a delivery gets before it is failed for good.
pub const MAX_ATTEMPTS: i64 = 8;

/// Failed attempts in a row, with no success between, after which an endpoint is turned off.
pub const DISABLE_AFTER_FAILURES: i64 = 20;

/// How long the delivery log keeps finished deliveries, their attempts and their events (days);
/// a delivery still queued is kept whatever its age.
pub const LOG_RETENTION_DAYS: i64 = 30;

/// The longest a target address may be.
pub const MAX_URL_LEN: usize = 2000;

/// How long to wait after failed attempt `attempt` (1-based) before the next: 30 s, 2 min,
/// 10 min, 30 min, 1 h, 2 h, 4 h — about eight hours over [`MAX_ATTEMPTS`] attempts.
pub fn retry_delay(attempt: i64) -> std::time::Duration {
    const SECS: [u64; 7] = [30, 120, 600, 1800, 3600, 7200, 14400];
    let i = usize::try_from(attempt.max(1) - 1).unwrap_or(0);
    std::time::Duration::from_secs(SECS[i.min(SECS.len() - 1)])
}

/// What happened in Chorus, as a subscription names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    StorySubmitted,
    StoryApproved,
    StoryPublished,
    StoryFailed,
    ConversationAssigned,
    ConversationReplied,
    SpikeAlert,
    LeadConfirmed,
    WebinarRegistration,
    /// The "send test event" button; sent to one endpoint whatever it subscribes to.
    Test,
}

impl EventType {
    /// The types a subscription may name (every one but [`EventType::Test`]).
    pub const SUBSCRIBABLE: [EventType; 9] = [
        EventType::StorySubmitted,
        EventType::StoryApproved,
        EventType::StoryPublished,
        EventType::StoryFailed,
        EventType::ConversationAssigned,
        EventType::ConversationReplied,
        EventType::SpikeAlert,
        EventType::LeadConfirmed,
        EventType::WebinarRegistration,
    ];

    /// The name on the wire (`Chorus-Event-Type`, the body's `type`) and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::StorySubmitted => "story.submitted",
            EventType::StoryApproved => "story.approved",
            EventType::StoryPublished => "story.published",
            EventType::StoryFailed => "story.failed",
            EventType::ConversationAssigned => "conversation.assigned",
            EventType::ConversationReplied => "conversation.replied",
            EventType::SpikeAlert => "signals.spike",
            EventType::LeadConfirmed => "reach.lead_confirmed",
            EventType::WebinarRegistration => "reach.webinar_registration",
            EventType::Test => "webhook.test",
        }
    }

    /// What it means, for the admin page.
    pub fn label(self) -> &'static str {
        match self {
            EventType::StorySubmitted => "A story is submitted for review",
            EventType::StoryApproved => "A story is approved",
            EventType::StoryPublished => "A story is published",
            EventType::StoryFailed => "A story could not be published",
            EventType::ConversationAssigned => "A conversation is assigned",
            EventType::ConversationReplied => "A reply is posted to a conversation",
            EventType::SpikeAlert => "Listening volume spikes",
            EventType::LeadConfirmed => "A Reach lead confirms",
            EventType::WebinarRegistration => "Someone registers for a webinar",
            EventType::Test => "Test event",
        }
    }

    pub fn parse(s: &str) -> Option<EventType> {
        EventType::SUBSCRIBABLE
            .into_iter()
            .chain([EventType::Test])
            .find(|t| t.as_str() == s)
    }
}

/// The event types a subscription names, validated: at least one, each known, no duplicates
/// (in [`EventType::SUBSCRIBABLE`] order).
pub fn parse_event_types(raw: &[String]) -> Result<Vec<EventType>, FieldError> {
    let mut out = Vec::new();
    for s in raw.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        match EventType::parse(s) {
            Some(EventType::Test) | None => {
                return Err(
                    Invalid::new(format!("{} is not an event Chorus sends", quoted(s)))
                        .at("events"),
                );
            }
            Some(t) => out.push(t),
        }
    }
    out.sort();
    out.dedup();
    if out.is_empty() {
        return Err(Invalid::new("choose at least one event").at("events"));
    }
    Ok(out)
}

/// A webhook's target address: `https://` (or `http://`), a host, no user name or password,
/// no fragment, at most [`MAX_URL_LEN`] characters. Whether its host may be reached is the
/// outbound guard's to say, at creation and at every delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetUrl(String);

impl TargetUrl {
    pub fn parse(raw: &str) -> Result<TargetUrl, FieldError> {
        let s = raw.trim();
        let bad = |m: &str| Err(Invalid::new(m).at("url"));
        if s.is_empty() {
            return bad("enter the address to send events to");
        }
        if s.len() > MAX_URL_LEN {
            return bad("the address is too long");
        }
        if s.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return bad("the address may not contain spaces or control characters");
        }
        let lower = s.to_ascii_lowercase();
        let rest = match (
            lower.strip_prefix("https://"),
            lower.strip_prefix("http://"),
        ) {
            (Some(r), _) | (None, Some(r)) => r,
            _ => return bad("the address must start with https:// (or http://)"),
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        if authority.contains('@') {
            return bad("the address may not carry a user name or password");
        }
        if s.contains('#') {
            return bad("the address may not have a #fragment");
        }
        let host = authority
            .rsplit_once(':')
            .filter(|(h, p)| !h.ends_with(']') || p.chars().all(|c| c.is_ascii_digit()))
            .map_or(authority, |(h, _)| h);
        if host.is_empty() || host == "[]" {
            return bad("the address has no host");
        }
        Ok(TargetUrl(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The host as written (brackets of an IPv6 literal removed), for the guard's first check.
    pub fn host(&self) -> &str {
        let rest = self.0.split_once("://").map_or(self.0.as_str(), |(_, r)| r);
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        if let Some(v6) = authority.strip_prefix('[') {
            return v6.split(']').next().unwrap_or("");
        }
        authority.split(':').next().unwrap_or("")
    }
}

/// A webhook endpoint's name as admins see it: 1–80 characters, trimmed.
pub fn parse_name(raw: &str) -> Result<String, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(Invalid::new("give the webhook a name").at("name"));
    }
    if s.chars().count() > 80 || s.chars().any(char::is_control) {
        return Err(
            Invalid::new("use at most 80 characters, without control characters").at("name"),
        );
    }
    Ok(s.to_owned())
}

/// The label the webhook secrets are derived under.
const SECRET_LABEL: &[u8] = b"chorus webhook secret v1:";

/// An endpoint's signing secret: `whsec_` and 43 base64url characters, derived from the
/// installation key and the endpoint's random salt (so the database holds no secret; rotating
/// is a new salt). Its `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret(String);

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecret([redacted])")
    }
}

impl SigningSecret {
    /// HMAC-SHA256(installation key, label ‖ salt), base64url, after `whsec_`.
    pub fn derive(installation_key: &[u8; 32], salt: &str) -> SigningSecret {
        let mut mac = mac_with(installation_key);
        mac.update(SECRET_LABEL);
        mac.update(salt.as_bytes());
        SigningSecret(format!(
            "whsec_{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        ))
    }

    /// The secret as the receiver stores it (shown to admins only).
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// The `Chorus-Signature` value for `body` sent at `t` (Unix seconds).
    pub fn header(&self, t: i64, body: &[u8]) -> String {
        format!("t={t},v1={}", hex(&self.sign(t, body)))
    }

    fn sign(&self, t: i64, body: &[u8]) -> [u8; 32] {
        let mut mac = mac_with(self.0.as_bytes());
        mac.update(t.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.finalize().into_bytes().into()
    }
}

/// A new random salt for [`SigningSecret::derive`] (16 bytes, hex).
pub fn new_salt() -> String {
    hex(&rand::random::<[u8; 16]>())
}

/// A new event id: `evt_` and 24 random hex digits.
pub fn new_event_id() -> String {
    format!("evt_{}", hex(&rand::random::<[u8; 12]>()))
}

/// Why [`verify`] refused a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyError {
    Malformed,
    Mismatch,
    /// `t` is further than the window from `now`.
    OutsideWindow,
}

/// What a receiver does with `Chorus-Signature`: the timestamp within
/// [`REPLAY_WINDOW_SECS`] of `now` and one `v1` equal (in constant time) to the HMAC.
pub fn verify(
    secret: &SigningSecret,
    header: &str,
    body: &[u8],
    now: i64,
) -> Result<(), VerifyError> {
    let mut t = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => sigs.push(v),
            _ => {}
        }
    }
    let t = t.ok_or(VerifyError::Malformed)?;
    if sigs.is_empty() {
        return Err(VerifyError::Malformed);
    }
    if (now - t).abs() > REPLAY_WINDOW_SECS {
        return Err(VerifyError::OutsideWindow);
    }
    for sig in sigs {
        let Some(bytes) = unhex(sig) else { continue };
        let mut mac = mac_with(secret.0.as_bytes());
        mac.update(t.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        if mac.verify_slice(&bytes).is_ok() {
            return Ok(());
        }
    }
    Err(VerifyError::Mismatch)
}

/// HMAC-SHA256 keyed with `key`: a key longer than the block is hashed first, a shorter one
/// padded (RFC 2104), exactly as `Hmac::new_from_slice` does, without its never-taken error.
fn mac_with(key: &[u8]) -> HmacSha256 {
    let mut block = hmac::digest::Key::<HmacSha256>::default();
    if key.len() > block.len() {
        use sha2::Digest;
        let digest = Sha256::digest(key);
        block[..digest.len()].copy_from_slice(&digest);
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    <HmacSha256 as hmac::digest::KeyInit>::new(&block)
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests;
