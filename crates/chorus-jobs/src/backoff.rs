//! When to try again: exponential backoff with jitter, and the retry decision every job kind
//! makes from a network failure's [`ErrorKind`] alone.

use std::time::Duration;

use chorus_networks::ErrorKind;

/// The delay before attempt `attempt + 1`, after `attempt` failed attempts: 2 s doubling per
/// attempt up to 10 minutes, then a random point in the upper half of that (so retries from
/// many jobs spread out instead of arriving together).
pub fn delay(attempt: i64) -> Duration {
    let exp = attempt.clamp(1, 20) - 1;
    let base_ms = (2_000u64 << exp).min(600_000);
    let jitter = rand::random::<f64>() * 0.5 + 0.5;
    Duration::from_millis((base_ms as f64 * jitter) as u64)
}

/// After attempt `attempts` of `max_attempts` failed with `kind`: how long to wait before the
/// next, or `None` to give up (a permanent kind, or no attempts left). A wait the network asked
/// for is honoured; otherwise [`delay`].
pub fn retry_after(kind: ErrorKind, attempts: i64, max_attempts: i64) -> Option<Duration> {
    if !kind.is_retryable() || attempts >= max_attempts {
        return None;
    }
    Some(kind.retry_after().unwrap_or_else(|| delay(attempts)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_and_is_capped() {
        for _ in 0..100 {
            let d1 = delay(1).as_millis();
            assert!((1_000..=2_000).contains(&d1), "{d1}");
            let d3 = delay(3).as_millis();
            assert!((4_000..=8_000).contains(&d3), "{d3}");
            let d50 = delay(50).as_millis();
            assert!((300_000..=600_000).contains(&d50), "{d50}");
        }
    }

    #[test]
    fn retries_only_what_may_pass_and_only_while_attempts_remain() {
        let asked = Some(Duration::from_secs(42));
        let backoff =
            |d: Option<Duration>| d.is_some_and(|d| (1_000..=2_000).contains(&d.as_millis()));
        assert!(backoff(retry_after(ErrorKind::TRANSIENT, 1, 8)));
        assert_eq!(
            retry_after(ErrorKind::Transient { retry_after: asked }, 1, 8),
            asked
        );
        assert_eq!(
            retry_after(ErrorKind::RateLimited { retry_after: asked }, 7, 8),
            asked
        );
        assert!(backoff(retry_after(
            ErrorKind::RateLimited { retry_after: None },
            1,
            8
        )));
        assert_eq!(
            retry_after(ErrorKind::TRANSIENT, 8, 8),
            None,
            "out of attempts"
        );
        for permanent in [
            ErrorKind::Auth,
            ErrorKind::Rejected,
            ErrorKind::NotFound,
            ErrorKind::Invalid,
            ErrorKind::Refused,
        ] {
            assert_eq!(retry_after(permanent, 1, 8), None, "{permanent}");
        }
    }
}
