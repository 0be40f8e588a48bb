//! Per-rule counters the engine keeps in plain integers; the component adds them to the kit's
//! metrics after each message (see `telemetry.rs`).

/// What one rule (or the unmatched readings) did so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RuleStats {
    /// Readings the rule selected.
    pub received: u64,
    /// Readings published on the filtered topic.
    pub published: u64,
    /// Readings held back by reduction (deadband, change-only, rate limit, bad quality).
    pub dropped: u64,
    /// Readings refused by validation or conversion (sent to the dead-letter topic).
    pub rejected: u64,
    /// Readings too late for every window they belong to.
    pub late: u64,
    /// Aggregates emitted.
    pub aggregates: u64,
}

impl RuleStats {
    /// The increase from `earlier` to `self`.
    pub fn since(&self, earlier: &Self) -> Self {
        Self {
            received: self.received.saturating_sub(earlier.received),
            published: self.published.saturating_sub(earlier.published),
            dropped: self.dropped.saturating_sub(earlier.dropped),
            rejected: self.rejected.saturating_sub(earlier.rejected),
            late: self.late.saturating_sub(earlier.late),
            aggregates: self.aggregates.saturating_sub(earlier.aggregates),
        }
    }

    /// Share of received readings not published, in percent (0 when none was received).
    pub fn reduction_percent(&self) -> f64 {
        if self.received == 0 {
            return 0.0;
        }
        100.0 * (1.0 - self.published as f64 / self.received as f64)
    }
}
