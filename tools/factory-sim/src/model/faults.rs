//! The faults acting on the line: scheduled ones and those injected at run time.

use std::time::Duration;

use crate::fault::{FaultKind, FaultSpec};

/// How long a fault takes to reach full severity once it starts, seconds.
fn onset_s(kind: FaultKind) -> f64 {
    match kind {
        FaultKind::ValveClosure => 4.0,
        FaultKind::Cavitation => 3.0,
        FaultKind::Imbalance => 2.0,
        FaultKind::SensorDrift | FaultKind::DeviceOffline => 0.0,
    }
}

/// Every fault known to the line, past, present and future.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    specs: Vec<FaultSpec>,
}

impl Faults {
    /// Starts with `schedule`.
    pub fn new(schedule: Vec<FaultSpec>) -> Self {
        Self { specs: schedule }
    }

    /// Adds a fault.
    pub fn add(&mut self, spec: FaultSpec) {
        self.specs.push(spec);
    }

    /// Ends every fault of `kind` (all kinds when `None`) that acts at `now`.
    pub fn clear(&mut self, kind: Option<FaultKind>, now: Duration) {
        for s in &mut self.specs {
            if kind.is_none_or(|k| k == s.kind) && s.active_at(now) {
                s.duration = Some(now.saturating_sub(s.start));
            }
        }
    }

    /// The effective severity of `kind` at `now`: the largest of its active faults, ramped in
    /// over the kind's onset time. 0 when none acts.
    pub fn severity(&self, kind: FaultKind, now: Duration) -> f64 {
        self.specs
            .iter()
            .filter(|s| s.kind == kind && s.active_at(now))
            .map(|s| {
                let since = (now - s.start).as_secs_f64();
                let onset = onset_s(kind);
                let ramp = if onset > 0.0 {
                    (since / onset).min(1.0)
                } else {
                    1.0
                };
                s.severity * ramp
            })
            .fold(0.0, f64::max)
    }

    /// How long `kind` has acted at `now` (longest of its active faults), seconds.
    pub fn active_for_s(&self, kind: FaultKind, now: Duration) -> f64 {
        self.specs
            .iter()
            .filter(|s| s.kind == kind && s.active_at(now))
            .map(|s| (now - s.start).as_secs_f64())
            .fold(0.0, f64::max)
    }

    /// The kinds acting at `now`.
    pub fn active(&self, now: Duration) -> Vec<FaultKind> {
        let mut kinds: Vec<FaultKind> = self
            .specs
            .iter()
            .filter(|s| s.active_at(now))
            .map(|s| s.kind)
            .collect();
        kinds.sort();
        kinds.dedup();
        kinds
    }

    /// Every fault, as scheduled or injected.
    pub fn specs(&self) -> &[FaultSpec] {
        &self.specs
    }
}
