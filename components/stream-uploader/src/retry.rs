//! Capped exponential retry delays with jitter, so a fleet of gateways coming back after an
//! outage does not hit the destination in lockstep.

use crate::validate::RetryPolicy;
use std::time::Duration;

/// Delays for one export: doubles on each failure up to the cap, resets on success.
#[derive(Debug, Clone)]
pub struct Backoff {
    policy: RetryPolicy,
    failures: u32,
}

impl Backoff {
    /// A backoff starting at `policy.initial`.
    pub fn new(policy: RetryPolicy) -> Self {
        Self {
            policy,
            failures: 0,
        }
    }

    /// The delay before the next attempt after one more failure: uniformly random in the
    /// upper half of `min(max, initial * 2^failures)`. A throttled call counts twice.
    pub fn next_delay(&mut self, throttled: bool) -> Duration {
        self.failures = self.failures.saturating_add(if throttled { 2 } else { 1 });
        let ceiling = self
            .policy
            .initial
            .saturating_mul(1u32 << self.failures.saturating_sub(1).min(20))
            .min(self.policy.max);
        let half = ceiling / 2;
        half + Duration::from_millis(fastrand::u64(0..=half.as_millis() as u64))
    }

    /// Back to the first delay (after a success).
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// Consecutive failures so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_and_reset() {
        let mut b = Backoff::new(RetryPolicy {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(1000),
        });
        let d: Vec<Duration> = (0..6).map(|_| b.next_delay(false)).collect();
        let bounds = [100, 200, 400, 800, 1000, 1000];
        for (delay, ceiling) in d.iter().zip(bounds) {
            assert!(
                *delay <= Duration::from_millis(ceiling),
                "{delay:?} > {ceiling}"
            );
            assert!(
                *delay >= Duration::from_millis(ceiling / 2),
                "{delay:?} < {ceiling}/2"
            );
        }
        b.reset();
        assert!(b.next_delay(false) <= Duration::from_millis(100));
        // A throttled failure counts twice: ceiling 400 ms after one plain failure.
        assert!(b.next_delay(true) >= Duration::from_millis(200));
    }
}
