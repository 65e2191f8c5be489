//! Login rate limiting: a fixed window of attempts per client address and per email, so neither
//! one address guessing many passwords nor many addresses guessing one account get far.
//!
//! Kept in memory: each web process limits on its own, which bounds the total to limit × the
//! number of web processes — acceptable for a brake on guessing, and it needs no shared state.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many failed logins are allowed per window.
#[derive(Debug, Clone)]
pub struct LoginLimits {
    pub per_address: u32,
    pub per_email: u32,
    pub window: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            per_address: 20,
            per_email: 5,
            window: Duration::from_secs(15 * 60),
        }
    }
}

pub struct LoginLimiter {
    limits: LoginLimits,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginLimiter {
    pub fn new(limits: LoginLimits) -> Self {
        Self {
            limits,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds to wait)` when the address or the email has used up its attempts.
    pub fn check(&self, address: &str, email: &str) -> Result<(), u64> {
        let now = Instant::now();
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let blocked = |key: &str, limit: u32| -> Option<u64> {
            let (count, start) = map.get(key)?;
            let elapsed = now.duration_since(*start);
            (elapsed < self.limits.window && *count >= limit)
                .then(|| (self.limits.window - elapsed).as_secs().max(1))
        };
        match blocked(&format!("ip:{address}"), self.limits.per_address)
            .or_else(|| blocked(&format!("email:{email}"), self.limits.per_email))
        {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    /// Counts a failed attempt.
    pub fn failed(&self, address: &str, email: &str) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, (_, start)| now.duration_since(*start) < self.limits.window);
        }
        for key in [format!("ip:{address}"), format!("email:{email}")] {
            let entry = map.entry(key).or_insert((0, now));
            if now.duration_since(entry.1) >= self.limits.window {
                *entry = (0, now);
            }
            entry.0 += 1;
        }
    }

    /// Forgets the email's failures after a successful login.
    pub fn succeeded(&self, email: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("email:{email}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_per_email_and_per_address() {
        let l = LoginLimiter::new(LoginLimits {
            per_address: 3,
            per_email: 2,
            window: Duration::from_secs(60),
        });
        assert!(l.check("1.1.1.1", "a@x.io").is_ok());
        l.failed("1.1.1.1", "a@x.io");
        l.failed("2.2.2.2", "a@x.io");
        let wait = l.check("3.3.3.3", "a@x.io").unwrap_err();
        assert!(wait > 0 && wait <= 60);
        assert!(l.check("3.3.3.3", "b@x.io").is_ok());
        l.failed("1.1.1.1", "b@x.io");
        l.failed("1.1.1.1", "c@x.io");
        assert!(l.check("1.1.1.1", "d@x.io").is_err(), "address limit");
        l.succeeded("a@x.io");
        assert!(l.check("3.3.3.3", "a@x.io").is_ok());
    }
}
