//! The shared upload budget (bytes per second over all exports). When exports wait for it,
//! the one with the best priority (lowest number) is served first.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Priorities are 1..=10.
const PRIORITIES: usize = 11;
/// Longest single sleep while waiting, so a better-priority arrival is noticed soon.
const POLL: Duration = Duration::from_millis(20);

#[derive(Debug)]
struct State {
    tokens: f64,
    refilled: Instant,
    waiting: [u32; PRIORITIES],
}

/// A token bucket holding at most one second of budget.
#[derive(Debug)]
pub struct Bandwidth {
    rate: f64,
    state: Mutex<State>,
}

impl Bandwidth {
    /// A budget of `bytes_per_sec`.
    pub fn new(bytes_per_sec: u64) -> Self {
        Self {
            rate: bytes_per_sec as f64,
            state: Mutex::new(State {
                tokens: bytes_per_sec as f64,
                refilled: Instant::now(),
                waiting: [0; PRIORITIES],
            }),
        }
    }

    /// Waits until `bytes` may be sent by an export of `priority`. A batch larger than the
    /// bucket goes out once the bucket is full and leaves it in debt.
    pub async fn acquire(&self, bytes: u64, priority: u8) {
        let p = usize::from(priority).min(PRIORITIES - 1);
        let mut registered = false;
        loop {
            let wait = {
                let Ok(mut s) = self.state.lock() else { return };
                let now = Instant::now();
                s.tokens = (s.tokens + now.duration_since(s.refilled).as_secs_f64() * self.rate)
                    .min(self.rate);
                s.refilled = now;
                let better_waiting = s.waiting[..p].iter().any(|n| *n > 0);
                let need = (bytes as f64).min(self.rate);
                if !better_waiting && s.tokens >= need {
                    s.tokens -= bytes as f64;
                    if registered {
                        s.waiting[p] -= 1;
                    }
                    return;
                }
                if !registered {
                    s.waiting[p] += 1;
                    registered = true;
                }
                let missing = (need - s.tokens).max(0.0);
                Duration::from_secs_f64(missing / self.rate).clamp(Duration::from_millis(1), POLL)
            };
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn sending_is_held_to_the_rate() {
        let bw = Bandwidth::new(100_000);
        let start = Instant::now();
        // The bucket starts full (100 kB), then 200 kB more take about 2 s.
        for _ in 0..30 {
            bw.acquire(10_000, 5).await;
        }
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(1800), "{took:?}");
        assert!(took < Duration::from_millis(3500), "{took:?}");
    }

    #[tokio::test]
    async fn a_better_priority_is_served_first() {
        let bw = Arc::new(Bandwidth::new(10_000));
        bw.acquire(10_000, 5).await; // empty the bucket
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for (delay_ms, priority) in [(0u64, 9u8), (5, 1)] {
            let (bw, order) = (bw.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                bw.acquire(5_000, priority).await;
                if let Ok(mut o) = order.lock() {
                    o.push(priority);
                }
            }));
        }
        for t in tasks {
            let _ = t.await;
        }
        let order = order.lock().map(|o| o.clone()).unwrap_or_default();
        assert_eq!(order, vec![1, 9]);
    }
}
