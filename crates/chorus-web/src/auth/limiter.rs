//! Login rate limiting: a brake on password guessing that never locks a person out because
//! someone else guessed wrong.
//!
//! Every attempt is counted **before** its password is checked, under one lock
//! ([`LoginLimiter::begin`]): fifty requests sent at once cannot all slip past a check that
//! reads the count before any of them has written it. An attempt whose password is right gives
//! its count back ([`LoginLimiter::succeeded`]); a wrong one keeps it. Three counts, in a fixed
//! window:
//!
//! - **per client address** (`per_address`, refused beyond): one address guessing across many
//!   accounts. The address is the connection's peer, or the one a configured trusted proxy
//!   reports (see `client`);
//! - **per email from one address** (`per_email_and_address`, refused beyond): one address
//!   guessing one account;
//! - **per email from every address**: many addresses guessing one account. This one does
//!   **not** refuse — refusing would let anyone lock anyone out by typing wrong passwords for
//!   their email (and behind a proxy that is not configured, everybody shares one address). It
//!   slows down instead: once an email has had `per_email_and_address` failures in the window
//!   from anywhere, each further check for it waits `slowdown` per failure beyond that, up to
//!   `max_slowdown`. The owner, from their own address, still gets in with the right password.
//!
//! Kept in memory: each web process limits on its own, which bounds the total to limit × the
//! number of web processes — acceptable for a brake on guessing, and it needs no shared state.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many failed logins are allowed per window, and how a guessed-at account slows down.
#[derive(Debug, Clone)]
pub struct LoginLimits {
    /// Failed attempts one client address may make, over all emails.
    pub per_address: u32,
    /// Failed attempts one client address may make for one email.
    pub per_email_and_address: u32,
    pub window: Duration,
    /// The wait added per failure beyond `per_email_and_address` for an email from all
    /// addresses together.
    pub slowdown: Duration,
    /// The longest such wait.
    pub max_slowdown: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            per_address: 20,
            per_email_and_address: 5,
            window: Duration::from_secs(15 * 60),
            slowdown: Duration::from_secs(1),
            max_slowdown: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Address(String),
    EmailAndAddress(String, String),
    Email(String),
}

/// Counts of attempts in their window: `(count, window start)`.
type Counts = HashMap<Key, (u32, Instant)>;

/// Entries kept before expired ones are swept.
const SWEEP_AT: usize = 100_000;

pub struct LoginLimiter {
    limits: LoginLimits,
    attempts: Mutex<Counts>,
}

/// An attempt counted by [`LoginLimiter::begin`]: check the password after `delay`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admitted {
    pub delay: Duration,
}

impl LoginLimiter {
    pub fn new(limits: LoginLimits) -> Self {
        Self {
            limits,
            attempts: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an attempt from `address` for `email` and admits it, or refuses it with the
    /// seconds to wait when the address, or the address for this email, has used up its
    /// attempts (a refused attempt is not counted). Atomic: the check and the count happen
    /// under one lock.
    pub fn begin(&self, address: &str, email: &str) -> Result<Admitted, u64> {
        let now = Instant::now();
        let mut map = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > SWEEP_AT {
            map.retain(|_, (_, start)| now.duration_since(*start) < self.limits.window);
        }
        let by_address = Key::Address(address.to_owned());
        let by_pair = Key::EmailAndAddress(email.to_owned(), address.to_owned());
        let by_email = Key::Email(email.to_owned());
        let wait = [
            (&by_address, self.limits.per_address),
            (&by_pair, self.limits.per_email_and_address),
        ]
        .into_iter()
        .filter_map(|(key, limit)| {
            let (count, start) = live(&map, key, now, self.limits.window)?;
            (count >= limit).then(|| {
                (self.limits.window - now.duration_since(start))
                    .as_secs()
                    .max(1)
            })
        })
        .max();
        if let Some(wait) = wait {
            return Err(wait);
        }
        let beyond = live(&map, &by_email, now, self.limits.window).map_or(0, |(count, _)| {
            count.saturating_sub(self.limits.per_email_and_address)
        });
        let delay = self
            .limits
            .slowdown
            .saturating_mul(beyond)
            .min(self.limits.max_slowdown);
        for key in [by_address, by_pair, by_email] {
            let entry = map.entry(key).or_insert((0, now));
            if now.duration_since(entry.1) >= self.limits.window {
                *entry = (0, now);
            }
            entry.0 = entry.0.saturating_add(1);
        }
        Ok(Admitted { delay })
    }

    /// The password was right: the attempt is given back to the address, and the email's
    /// failures (from this address and from all) are forgotten.
    pub fn succeeded(&self, address: &str, email: &str) {
        let mut map = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = map.get_mut(&Key::Address(address.to_owned())) {
            entry.0 = entry.0.saturating_sub(1);
        }
        map.remove(&Key::EmailAndAddress(email.to_owned(), address.to_owned()));
        map.remove(&Key::Email(email.to_owned()));
    }
}

/// The count under `key` if its window is still open.
fn live(map: &Counts, key: &Key, now: Instant, window: Duration) -> Option<(u32, Instant)> {
    let &(count, start) = map.get(key)?;
    (now.duration_since(start) < window).then_some((count, start))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(per_address: u32, per_pair: u32) -> LoginLimiter {
        LoginLimiter::new(LoginLimits {
            per_address,
            per_email_and_address: per_pair,
            window: Duration::from_secs(60),
            slowdown: Duration::from_secs(1),
            max_slowdown: Duration::from_secs(3),
        })
    }

    #[test]
    fn an_address_is_refused_after_its_limit_for_an_email_and_overall() {
        let l = limiter(3, 2);
        assert!(l.begin("1.1.1.1", "a@x.io").is_ok());
        assert!(l.begin("1.1.1.1", "a@x.io").is_ok());
        let wait = l.begin("1.1.1.1", "a@x.io").unwrap_err();
        assert!(wait > 0 && wait <= 60);
        // Another address is not refused for the same email.
        assert!(l.begin("2.2.2.2", "a@x.io").is_ok());
        assert!(l.begin("1.1.1.1", "b@x.io").is_ok());
        assert!(l.begin("1.1.1.1", "c@x.io").is_err(), "address limit");
    }

    #[test]
    fn an_email_guessed_from_many_addresses_slows_down_but_is_never_refused() {
        let l = limiter(100, 2);
        let mut delays = vec![];
        for i in 0..8 {
            delays.push(l.begin(&format!("10.0.0.{i}"), "a@x.io").unwrap().delay);
        }
        let secs: Vec<u64> = delays.iter().map(Duration::as_secs).collect();
        assert_eq!(secs, [0, 0, 0, 1, 2, 3, 3, 3]);
        // The owner from their own address: slowed, admitted, and a success resets the email.
        let owner = l.begin("192.0.2.1", "a@x.io").unwrap();
        assert_eq!(owner.delay, Duration::from_secs(3));
        l.succeeded("192.0.2.1", "a@x.io");
        assert_eq!(
            l.begin("192.0.2.1", "a@x.io").unwrap().delay,
            Duration::ZERO
        );
    }

    #[test]
    fn a_success_gives_the_attempt_back() {
        let l = limiter(2, 5);
        l.begin("1.1.1.1", "a@x.io").unwrap();
        l.succeeded("1.1.1.1", "a@x.io");
        l.begin("1.1.1.1", "b@x.io").unwrap();
        l.begin("1.1.1.1", "c@x.io").unwrap();
        assert!(l.begin("1.1.1.1", "d@x.io").is_err());
    }

    #[test]
    fn attempts_from_many_threads_are_counted_exactly() {
        let l = std::sync::Arc::new(limiter(1000, 5));
        let admitted: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..50)
                .map(|_| {
                    let l = l.clone();
                    s.spawn(move || l.begin("1.1.1.1", "a@x.io").is_ok())
                })
                .collect();
            handles
                .into_iter()
                .map(|h| usize::from(h.join().unwrap()))
                .sum()
        });
        assert_eq!(admitted, 5);
    }
}
