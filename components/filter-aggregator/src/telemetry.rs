//! Per-rule metrics: the engine's plain counters, added to the kit's registry after each
//! message as `received_total`, `sent_total`, `dropped_total`, `errors_total` (rejected) with
//! dimension `Rule`, plus `late_total`, `aggregates_total` and the gauge `reduction_percent`.

use crate::engine::Engine;
use crate::stats::RuleStats;
use component_kit::metrics::names;
use component_kit::{Counter, Gauge, Metrics, Unit};
use std::collections::HashMap;

/// Readings too late for every window they belong to.
pub const LATE_TOTAL: &str = "late_total";
/// Aggregates emitted.
pub const AGGREGATES_TOTAL: &str = "aggregates_total";
/// Share of received readings not published on the filtered topic.
pub const REDUCTION_PERCENT: &str = "reduction_percent";
/// Rule dimension value for readings no rule selects.
pub const UNMATCHED_RULE: &str = "(unmatched)";

/// The kit handles of one rule.
#[derive(Debug)]
struct RuleMetrics {
    received: Counter,
    sent: Counter,
    dropped: Counter,
    rejected: Counter,
    late: Counter,
    aggregates: Counter,
    reduction: Gauge,
    synced: RuleStats,
}

impl RuleMetrics {
    fn new(metrics: &Metrics, rule: &str) -> Self {
        let dims = [("Rule", rule)];
        Self {
            received: metrics.counter_with(names::RECEIVED_TOTAL, &dims),
            sent: metrics.counter_with(names::SENT_TOTAL, &dims),
            dropped: metrics.counter_with(names::DROPPED_TOTAL, &dims),
            rejected: metrics.counter_with(names::ERRORS_TOTAL, &dims),
            late: metrics.counter_with(LATE_TOTAL, &dims),
            aggregates: metrics.counter_with(AGGREGATES_TOTAL, &dims),
            reduction: metrics.gauge_with(REDUCTION_PERCENT, Unit::Percent, &dims),
            synced: RuleStats::default(),
        }
    }
}

/// Copies the engine's counters into the kit's registry.
#[derive(Debug)]
pub struct Telemetry {
    metrics: Metrics,
    rules: HashMap<String, RuleMetrics>,
}

impl Telemetry {
    /// Telemetry into `metrics`.
    pub fn new(metrics: Metrics) -> Self {
        Self {
            metrics,
            rules: HashMap::new(),
        }
    }

    /// Adds what the engine counted since the last sync.
    pub fn sync(&mut self, engine: &Engine) {
        for (rule, stats) in engine.stats() {
            let name = rule.map_or(UNMATCHED_RULE, |r| &**r);
            let handles = match self.rules.get_mut(name) {
                Some(h) => h,
                None => self
                    .rules
                    .entry(name.to_owned())
                    .or_insert_with(|| RuleMetrics::new(&self.metrics, name)),
            };
            let delta = stats.since(&handles.synced);
            handles.received.add(delta.received);
            handles.sent.add(delta.published);
            handles.dropped.add(delta.dropped);
            handles.rejected.add(delta.rejected);
            handles.late.add(delta.late);
            handles.aggregates.add(delta.aggregates);
            handles.reduction.set(stats.reduction_percent());
            handles.synced = *stats;
        }
    }
}
