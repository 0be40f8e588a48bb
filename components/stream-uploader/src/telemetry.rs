//! The uploader's metrics, per export: queue depth, oldest record age, sent, retried, dropped
//! by reason, bytes out. Looked up once; the loops only bump atomics.

use component_kit::metrics::names;
use component_kit::{Counter, Gauge, Metrics, Unit};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Records waiting in an export's queue.
pub const QUEUE_DEPTH_RECORDS: &str = "queue_depth_records";
/// Bytes waiting in an export's queue.
pub const QUEUE_DEPTH_BYTES: &str = "queue_depth_bytes";
/// Age of the oldest waiting record, ms.
pub const OLDEST_RECORD_AGE_MS: &str = "oldest_record_age_ms";
/// Records sent again after a failed attempt.
pub const RETRIED_TOTAL: &str = "retried_total";
/// Bytes sent (as queued: topic + payload).
pub const BYTES_OUT_TOTAL: &str = "bytes_out_total";
/// Batches sent.
pub const BATCHES_TOTAL: &str = "batches_total";

/// Why a record left the queue without being delivered (the `reason` dimension).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// Refused at append: the queue was full (`RejectNewData`).
    QueueFull,
    /// Deleted at append to make room (`OverwriteOldestData`).
    Overwritten,
    /// Refused at append: the disk was full.
    DiskFull,
    /// Refused at append: larger than the queue's cap.
    TooLarge,
    /// Deleted by the TTL.
    Expired,
    /// Older than the stale cutoff when its turn came.
    Stale,
    /// The destination refused it for good.
    Rejected,
    /// Its checksum failed: quarantined.
    Corrupt,
    /// No route or export took it.
    Unroutable,
    /// The queue failed to store it (I/O error).
    StoreError,
}

impl DropReason {
    /// The dimension value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::QueueFull => "queue_full",
            Self::Overwritten => "overwritten",
            Self::DiskFull => "disk_full",
            Self::TooLarge => "too_large",
            Self::Expired => "expired",
            Self::Stale => "stale",
            Self::Rejected => "rejected",
            Self::Corrupt => "corrupt",
            Self::Unroutable => "unroutable",
            Self::StoreError => "store_error",
        }
    }
}

/// Metric handles of one export.
#[derive(Debug, Clone)]
pub struct ExportMetrics {
    metrics: Metrics,
    export: Arc<str>,
    /// Records delivered.
    pub sent: Counter,
    /// Records retried.
    pub retried: Counter,
    /// Bytes delivered.
    pub bytes_out: Counter,
    /// Batches attempted.
    pub batches: Counter,
    /// Failed sends.
    pub errors: Counter,
    /// Queue depth, records.
    pub depth_records: Gauge,
    /// Queue depth, bytes.
    pub depth_bytes: Gauge,
    /// Oldest record age, ms.
    pub oldest_age_ms: Gauge,
    dropped: Arc<Mutex<HashMap<DropReason, Counter>>>,
}

impl ExportMetrics {
    /// Handles for `export`.
    pub fn new(metrics: &Metrics, export: &str) -> Self {
        let dims = [("export", export)];
        Self {
            metrics: metrics.clone(),
            export: Arc::from(export),
            sent: metrics.counter_with(names::SENT_TOTAL, &dims),
            retried: metrics.counter_with(RETRIED_TOTAL, &dims),
            bytes_out: metrics.counter_with(BYTES_OUT_TOTAL, &dims),
            batches: metrics.counter_with(BATCHES_TOTAL, &dims),
            errors: metrics.counter_with(names::ERRORS_TOTAL, &dims),
            depth_records: metrics.gauge_with(QUEUE_DEPTH_RECORDS, Unit::Count, &dims),
            depth_bytes: metrics.gauge_with(QUEUE_DEPTH_BYTES, Unit::Bytes, &dims),
            oldest_age_ms: metrics.gauge_with(OLDEST_RECORD_AGE_MS, Unit::Milliseconds, &dims),
            dropped: Arc::default(),
        }
    }

    /// Counts `n` records dropped for `reason`.
    pub fn dropped(&self, reason: DropReason, n: u64) {
        if n == 0 {
            return;
        }
        let counter = match self.dropped.lock() {
            Ok(mut map) => map
                .entry(reason)
                .or_insert_with(|| {
                    self.metrics.counter_with(
                        names::DROPPED_TOTAL,
                        &[("export", &self.export), ("reason", reason.as_str())],
                    )
                })
                .clone(),
            Err(_) => return,
        };
        counter.add(n);
    }
}
