//! Exponential backoff with jitter for retrying transient failures.

use std::time::Duration;

/// The delay before attempt `attempt + 1`, after `attempt` failed attempts: 2 s doubling per
/// attempt up to 10 minutes, then a random point in the upper half of that (so retries from
/// many jobs spread out instead of arriving together).
pub fn delay(attempt: i64) -> Duration {
    let exp = attempt.clamp(1, 20) - 1;
    let base_ms = (2_000u64 << exp).min(600_000);
    let jitter = rand::random::<f64>() * 0.5 + 0.5;
    Duration::from_millis((base_ms as f64 * jitter) as u64)
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
}
