//! Per-export queue limits: what happens when the queue is full, and how long records live.

use std::time::Duration;

/// What an append does when the export's queue is at its cap (Stream Manager's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FullPolicy {
    /// Refuse the new record (counted as dropped, reason `queue_full`).
    #[default]
    RejectNewData,
    /// Delete the oldest records until the new one fits (dropped, reason `overwritten`).
    OverwriteOldestData,
}

/// Limits of one export's queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuePolicy {
    /// Cap on the bytes held (topic + payload per record).
    pub max_bytes: u64,
    /// Cap on the records held.
    pub max_records: u64,
    /// What to do at the cap.
    pub on_full: FullPolicy,
    /// Records older than this are deleted (dropped, reason `expired`); `None` keeps them.
    pub ttl: Option<Duration>,
}

impl Default for QueuePolicy {
    fn default() -> Self {
        Self {
            max_bytes: 256 << 20,
            max_records: u64::MAX,
            on_full: FullPolicy::RejectNewData,
            ttl: None,
        }
    }
}

/// Which end of the queue is sent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DrainOrder {
    /// Oldest first (FIFO).
    #[default]
    OldestFirst,
    /// Newest first (latest values reach the cloud first after an outage).
    NewestFirst,
}
