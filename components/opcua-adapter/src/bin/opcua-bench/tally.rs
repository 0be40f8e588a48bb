//! The measuring consumer: reads the batches the adapter publishes, on its own thread (whose
//! CPU time the benchmark subtracts), and counts the latency of every reading in per-ms
//! buckets. It shares the adapter's process, so it keeps its own memory small: no list of
//! every latency, no copy of the point names.

use edge_model::ReadingBatch;
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock};
use std::time::Instant;
use tokio::sync::mpsc;

/// What the consumer saw while measuring.
#[derive(Debug, Default)]
pub struct Tally {
    pub readings: u64,
    pub messages: u64,
    pub max_bytes: usize,
    /// Server change (source timestamp) → arrival here, ms.
    pub latency: Histogram,
    /// Adapter receive (gateway timestamp) → arrival here, ms.
    pub inside: Histogram,
}

/// Counts per millisecond.
#[derive(Debug, Default)]
pub struct Histogram {
    counts: BTreeMap<i64, u64>,
    total: u64,
}

impl Histogram {
    pub fn add(&mut self, ms: i64) {
        *self.counts.entry(ms).or_default() += 1;
        self.total += 1;
    }

    /// The `p` quantile (0 when empty).
    pub fn quantile(&self, p: f64) -> i64 {
        let rank = ((self.total.saturating_sub(1)) as f64 * p).round() as u64;
        let mut seen = 0;
        for (&ms, &n) in &self.counts {
            seen += n;
            if seen > rank {
                return ms;
            }
        }
        0
    }

    pub fn max(&self) -> i64 {
        self.counts.keys().next_back().copied().unwrap_or(0)
    }
}

/// Consumes batches until the channel closes. Once `items` distinct points have reported it
/// sends the path of its own `/proc/.../stat` on `ready`; latency counts once `measure_from` holds.
pub fn consume(
    mut rx: mpsc::UnboundedReceiver<(String, serde_json::Value)>,
    items: usize,
    ready: std::sync::mpsc::Sender<String>,
    measure_from: Arc<OnceLock<Instant>>,
) -> Tally {
    let mut tally = Tally::default();
    let mut points: HashSet<u64> = HashSet::new();
    let mut announced = false;
    let own_stat = std::fs::read_link("/proc/thread-self")
        .map(|p| format!("/proc/{}/stat", p.display()))
        .unwrap_or_default();
    while let Some((topic, body)) = rx.blocking_recv() {
        if !topic.starts_with("factory/raw/") {
            continue;
        }
        let now = edge_model::time::now_ms() as i64;
        let Ok(batch) = serde_json::from_value::<ReadingBatch>(body) else {
            continue;
        };
        let measuring = measure_from.get().is_some_and(|t| Instant::now() >= *t);
        if measuring {
            tally.messages += 1;
            tally.max_bytes = tally
                .max_bytes
                .max(serde_json::to_vec(&batch).map(|b| b.len()).unwrap_or(0));
        }
        for r in batch.readings() {
            if !announced {
                let mut h = DefaultHasher::new();
                (r.source().device().as_str(), r.source().point()).hash(&mut h);
                points.insert(h.finish());
                if points.len() >= items {
                    announced = true;
                    points = HashSet::new();
                    let _ = ready.send(own_stat.clone());
                }
            }
            if measuring {
                tally.readings += 1;
                if let Some(t) = r.device_time_ms() {
                    tally.latency.add(now - t);
                }
                tally.inside.add(now - r.gateway_time_ms());
            }
        }
    }
    tally
}
