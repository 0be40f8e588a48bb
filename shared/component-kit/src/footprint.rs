//! The component's own footprint among its metrics, so that an operator sees in CloudWatch
//! what each component costs the gateway: resident memory now and at its peak, CPU use, and
//! the IPC events dropped because the component did not take them in fast enough (data lost
//! before the component ever saw it). Refreshed just before each metrics publish.

use crate::metrics::{Counter, Gauge, Metrics, Unit};
use crate::process_stats::ProcessStats;
use std::time::Instant;

/// Resident set size, bytes (`VmRSS`).
pub const RESIDENT_BYTES: &str = "process_resident_bytes";
/// Peak resident set size since start, bytes (`VmHWM`).
pub const PEAK_RESIDENT_BYTES: &str = "process_peak_resident_bytes";
/// CPU time over wall time since the last refresh, percent of one core.
pub const CPU_PERCENT: &str = "process_cpu_percent";
/// Subscription events the IPC client dropped because the component's queue was full.
pub const IPC_EVENTS_DROPPED_TOTAL: &str = "ipc_events_dropped_total";

/// The footprint metrics of this process, in a registry.
#[derive(Debug)]
pub struct Footprint {
    resident: Gauge,
    peak: Gauge,
    cpu: Gauge,
    dropped: Counter,
    /// The IPC client's running drop count at the last refresh.
    dropped_seen: u64,
    /// CPU seconds and when, at the last refresh.
    last_cpu: Option<(f64, Instant)>,
}

impl Footprint {
    /// Registers the footprint metrics in `metrics`.
    pub fn new(metrics: &Metrics) -> Self {
        Self {
            resident: metrics.gauge(RESIDENT_BYTES, Unit::Bytes),
            peak: metrics.gauge(PEAK_RESIDENT_BYTES, Unit::Bytes),
            cpu: metrics.gauge(CPU_PERCENT, Unit::Percent),
            dropped: metrics.counter(IPC_EVENTS_DROPPED_TOTAL),
            dropped_seen: 0,
            // From now, so that the first publish already reports the CPU since start-up.
            last_cpu: ProcessStats::current()
                .ok()
                .map(|s| (s.cpu_seconds, Instant::now())),
        }
    }

    /// Reads this process's counters from `/proc` (left as they were where it cannot be
    /// read) and takes in the IPC client's running total of dropped events.
    pub fn refresh(&mut self, ipc_events_dropped: u64) {
        self.dropped
            .add(ipc_events_dropped.saturating_sub(self.dropped_seen));
        self.dropped_seen = self.dropped_seen.max(ipc_events_dropped);
        let Ok(stats) = ProcessStats::current() else {
            return;
        };
        self.resident.set(stats.rss_kib as f64 * 1024.0);
        self.peak.set(stats.peak_rss_kib as f64 * 1024.0);
        let now = Instant::now();
        if let Some((cpu, at)) = self.last_cpu {
            let wall = now.duration_since(at).as_secs_f64();
            if wall > 0.0 {
                self.cpu
                    .set((100.0 * (stats.cpu_seconds - cpu) / wall).max(0.0));
            }
        }
        self.last_cpu = Some((stats.cpu_seconds, now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(metrics: &Metrics, name: &str) -> Option<f64> {
        metrics
            .snapshot()
            .iter()
            .find(|s| s.name() == name)
            .map(|s| s.value())
    }

    #[test]
    fn reports_this_process_memory_and_only_new_ipc_drops() {
        let metrics = Metrics::new();
        let mut footprint = Footprint::new(&metrics);
        footprint.refresh(3);
        let resident = value(&metrics, RESIDENT_BYTES).unwrap_or_default();
        let peak = value(&metrics, PEAK_RESIDENT_BYTES).unwrap_or_default();
        assert!(resident > 100_000.0, "resident {resident}");
        assert!(peak >= resident, "peak {peak} below resident {resident}");
        assert_eq!(value(&metrics, IPC_EVENTS_DROPPED_TOTAL), Some(3.0));
        // The client's count is a running total: only its growth is added.
        footprint.refresh(5);
        footprint.refresh(5);
        assert_eq!(value(&metrics, IPC_EVENTS_DROPPED_TOTAL), Some(5.0));
        let cpu = value(&metrics, CPU_PERCENT).unwrap_or(-1.0);
        assert!(cpu >= 0.0, "cpu {cpu}");
    }
}
