//! Events per second over a sliding window.

use std::collections::VecDeque;

/// Window length, ms.
const WINDOW_MS: i64 = 5000;

/// Counts added at given times; [`Rate::per_second`] averages the last [`WINDOW_MS`].
#[derive(Debug, Clone, Default)]
pub struct Rate {
    samples: VecDeque<(i64, u64)>,
}

impl Rate {
    /// Records `n` events at `now_ms`.
    pub fn add(&mut self, now_ms: i64, n: u64) {
        self.samples.push_back((now_ms, n));
        self.trim(now_ms);
    }

    /// Events per second over the window ending at `now_ms`.
    pub fn per_second(&mut self, now_ms: i64) -> f64 {
        self.trim(now_ms);
        let total: u64 = self.samples.iter().map(|s| s.1).sum();
        total as f64 * 1000.0 / WINDOW_MS as f64
    }

    fn trim(&mut self, now_ms: i64) {
        while self
            .samples
            .front()
            .is_some_and(|(t, _)| *t <= now_ms - WINDOW_MS)
        {
            self.samples.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Rate;

    #[test]
    fn averages_over_the_window_and_forgets_old_samples() {
        let mut r = Rate::default();
        for i in 0..10 {
            r.add(i * 500, 21);
        }
        assert_eq!(r.per_second(4600), 42.0);
        assert_eq!(r.per_second(20_000), 0.0);
    }
}
