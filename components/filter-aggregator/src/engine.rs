//! The rule engine: routes each reading to the first rule that selects its point, runs the
//! rule's stages, and keeps per-point state (last publication, open windows). Pure: no I/O and
//! no clock of its own; the caller passes the gateway time.

use crate::check::{self, event_time};
use crate::reduce::{self, Published};
use crate::rule::{Rule, StatSet, WindowSpec};
use crate::stats::RuleStats;
use crate::window::{Admit, WindowState};
use edge_model::{Aggregate, DeviceId, Quality, Reading, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// A reading refused by a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    /// The rule that refused it.
    pub rule: Arc<str>,
    /// Why.
    pub reason: String,
    /// The reading as received.
    pub reading: Reading,
}

/// What the engine produced; the caller drains it after each call.
#[derive(Debug, Default)]
pub struct Outputs {
    /// Readings for the filtered topic, in arrival order.
    pub filtered: Vec<Reading>,
    /// Closed windows, with their device.
    pub aggregates: Vec<(DeviceId, Aggregate)>,
    /// Readings for the dead-letter topic.
    pub rejected: Vec<Rejection>,
}

impl Outputs {
    /// Whether nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.filtered.is_empty() && self.aggregates.is_empty() && self.rejected.is_empty()
    }
}

/// What a configuration reload kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reload {
    /// Points whose rule is unchanged: their windows stay open.
    pub points_kept: usize,
    /// Points whose rule changed or went away: their state starts afresh.
    pub points_reset: usize,
}

/// One rule with its counters and prepared state names.
#[derive(Debug)]
struct RuleRuntime {
    rule: Rule,
    stats: RuleStats,
    /// Per window: value text → interned state name.
    states: Vec<Vec<(String, Arc<str>)>>,
    /// Gateway time the rule was loaded, for the idle warning.
    since_ms: i64,
    idle_warned: bool,
}

impl RuleRuntime {
    fn new(rule: Rule, now_ms: i64) -> Self {
        let states = rule
            .windows
            .iter()
            .map(|w| {
                w.states
                    .iter()
                    .map(|(text, name)| (text.clone(), Arc::from(name.as_str())))
                    .collect()
            })
            .collect();
        Self {
            rule,
            stats: RuleStats::default(),
            states,
            since_ms: now_ms,
            idle_warned: false,
        }
    }
}

/// State of one point.
#[derive(Debug)]
struct PointSlot {
    /// Index of the rule that handles it; `None` when no rule selects it.
    rule: Option<u32>,
    last: Option<Published>,
    /// Unit of the latest reading, for aggregates.
    unit: Option<Arc<str>>,
    windows: Box<[WindowState]>,
}

impl PointSlot {
    fn new(rule: Option<u32>, rules: &[RuleRuntime]) -> Self {
        let windows = rule
            .and_then(|i| rules.get(i as usize))
            .map_or(0, |r| r.rule.windows.len());
        Self {
            rule,
            last: None,
            unit: None,
            windows: (0..windows).map(|_| WindowState::default()).collect(),
        }
    }
}

/// The points of one device.
#[derive(Debug)]
struct DeviceSlots {
    id: DeviceId,
    points: HashMap<Box<str>, PointSlot>,
}

/// The rule engine.
#[derive(Debug)]
pub struct Engine {
    rules: Vec<RuleRuntime>,
    pass_unmatched: bool,
    unmatched: RuleStats,
    devices: HashMap<Box<str>, DeviceSlots>,
    /// Latest gateway time seen through [`Engine::tick`].
    clock: i64,
}

impl Engine {
    /// An engine running `rules` (in evaluation order), loaded at gateway time `now_ms`.
    pub fn new(rules: Vec<Rule>, pass_unmatched: bool, now_ms: i64) -> Self {
        Self {
            rules: rules
                .into_iter()
                .map(|r| RuleRuntime::new(r, now_ms))
                .collect(),
            pass_unmatched,
            unmatched: RuleStats::default(),
            devices: HashMap::new(),
            clock: i64::MIN,
        }
    }

    /// Handles one reading received at gateway time `now_ms`.
    pub fn ingest(&mut self, reading: Reading, now_ms: i64, out: &mut Outputs) {
        let device = reading.source().device();
        let slots = match self.devices.get_mut(device.as_str()) {
            Some(slots) => slots,
            None => self
                .devices
                .entry(Box::from(device.as_str()))
                .or_insert_with(|| DeviceSlots {
                    id: device.clone(),
                    points: HashMap::new(),
                }),
        };
        let point = reading.source().point();
        let slot = match slots.points.get_mut(point) {
            Some(slot) => slot,
            None => {
                let rule = resolve(&self.rules, device.as_str(), point);
                slots
                    .points
                    .entry(Box::from(point))
                    .or_insert_with(|| PointSlot::new(rule, &self.rules))
            }
        };
        let Some(runtime) = slot.rule.and_then(|i| self.rules.get_mut(i as usize)) else {
            self.unmatched.received += 1;
            if self.pass_unmatched {
                self.unmatched.published += 1;
                out.filtered.push(reading);
            } else {
                self.unmatched.dropped += 1;
            }
            return;
        };
        runtime.stats.received += 1;
        let rule = &runtime.rule;
        let checked =
            check::check(&rule.checks, reading, now_ms).and_then(|r| match &rule.convert {
                Some(c) => check::convert(c, r),
                None => Ok(r),
            });
        let reading = match checked {
            Ok(r) => r,
            Err(refusal) => {
                let (reason, reading) = *refusal;
                runtime.stats.rejected += 1;
                out.rejected.push(Rejection {
                    rule: rule.id.clone(),
                    reason,
                    reading,
                });
                return;
            }
        };
        let t = event_time(&reading);
        let point = reading.source().point();
        if let Some(unit) = reading.unit()
            && slot.unit.as_deref() != Some(unit)
        {
            slot.unit = Some(Arc::from(unit));
        }
        if !slot.windows.is_empty() && reading.quality() != Quality::Bad {
            let number = reading.value().and_then(Value::as_f64);
            for (i, (spec, window)) in rule.windows.iter().zip(slot.windows.iter_mut()).enumerate()
            {
                let state = if spec.stats.contains(StatSet::STATES) {
                    reading.value().map(|v| state_of(&runtime.states[i], v))
                } else {
                    None
                };
                if window.push(spec, self.clock, t, number, state) == Admit::Late {
                    runtime.stats.late += 1;
                }
                let emitted = close_window(
                    spec,
                    window,
                    self.clock,
                    &slots.id,
                    point,
                    rule,
                    slot.unit.as_deref(),
                    out,
                );
                runtime.stats.aggregates += emitted;
            }
        }
        match reduce::decide(&rule.reduction, &mut slot.last, &reading, t) {
            Ok(()) => {
                runtime.stats.published += 1;
                out.filtered.push(reading);
            }
            Err(_) => runtime.stats.dropped += 1,
        }
    }

    /// Advances the gateway clock to `now_ms` and closes every window it ends.
    pub fn tick(&mut self, now_ms: i64, out: &mut Outputs) {
        self.clock = self.clock.max(now_ms);
        self.close_all(self.clock, out);
    }

    /// Closes every open window now, whatever its end (tests, tools).
    pub fn flush(&mut self, out: &mut Outputs) {
        self.close_all(i64::MAX, out);
    }

    fn close_all(&mut self, clock: i64, out: &mut Outputs) {
        for slots in self.devices.values_mut() {
            for (point, slot) in &mut slots.points {
                let Some(runtime) = slot.rule.and_then(|i| self.rules.get_mut(i as usize)) else {
                    continue;
                };
                for (spec, window) in runtime.rule.windows.iter().zip(slot.windows.iter_mut()) {
                    runtime.stats.aggregates += close_window(
                        spec,
                        window,
                        clock,
                        &slots.id,
                        point,
                        &runtime.rule,
                        slot.unit.as_deref(),
                        out,
                    );
                }
            }
        }
    }

    /// Swaps in new rules. Points whose rule keeps its id and configuration keep their state
    /// and open windows; the others start afresh. Counters carry over by rule id.
    pub fn reload(&mut self, rules: Vec<Rule>, pass_unmatched: bool, now_ms: i64) -> Reload {
        let old = std::mem::take(&mut self.rules);
        self.rules = rules
            .into_iter()
            .map(|rule| {
                let mut runtime = RuleRuntime::new(rule, now_ms);
                if let Some(prev) = old.iter().find(|o| o.rule.id == runtime.rule.id) {
                    runtime.stats = prev.stats;
                    if prev.rule.source == runtime.rule.source {
                        runtime.since_ms = prev.since_ms;
                        runtime.idle_warned = prev.idle_warned;
                    }
                }
                runtime
            })
            .collect();
        self.pass_unmatched = pass_unmatched;
        let mut report = Reload::default();
        for slots in self.devices.values_mut() {
            for (point, slot) in &mut slots.points {
                let new = resolve(&self.rules, slots.id.as_str(), point);
                let same = match (slot.rule, new) {
                    (None, None) => true,
                    (Some(o), Some(n)) => {
                        let (o, n) = (&old[o as usize].rule, &self.rules[n as usize].rule);
                        o.id == n.id && o.source == n.source
                    }
                    _ => false,
                };
                if same {
                    slot.rule = new;
                    report.points_kept += 1;
                } else {
                    *slot = PointSlot::new(new, &self.rules);
                    report.points_reset += 1;
                }
            }
        }
        report
    }

    /// Counters per rule id, then those of unmatched readings under `None`.
    pub fn stats(&self) -> impl Iterator<Item = (Option<&Arc<str>>, &RuleStats)> {
        self.rules
            .iter()
            .map(|r| (Some(&r.rule.id), &r.stats))
            .chain(std::iter::once((None, &self.unmatched)))
    }

    /// Rules that selected no reading in the `after_ms` since they were loaded; each is named
    /// once.
    pub fn newly_idle_rules(&mut self, now_ms: i64, after_ms: i64) -> Vec<Arc<str>> {
        let mut idle = Vec::new();
        for r in &mut self.rules {
            if !r.idle_warned
                && r.stats.received == 0
                && now_ms.saturating_sub(r.since_ms) >= after_ms
            {
                r.idle_warned = true;
                idle.push(r.rule.id.clone());
            }
        }
        idle
    }

    /// How many points the engine holds state for.
    pub fn point_count(&self) -> usize {
        self.devices.values().map(|d| d.points.len()).sum()
    }
}

/// Index of the first rule that selects the point.
fn resolve(rules: &[RuleRuntime], device: &str, point: &str) -> Option<u32> {
    rules
        .iter()
        .position(|r| r.rule.selects(device, point))
        .and_then(|i| u32::try_from(i).ok())
}

/// The state name of a value: its mapped name, else its own text.
fn state_of(names: &[(String, Arc<str>)], value: &Value) -> Arc<str> {
    let text = match value {
        Value::Text(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(x) => x.to_string(),
    };
    names
        .iter()
        .find(|(t, _)| *t == text)
        .map_or_else(|| Arc::from(text.as_str()), |(_, name)| name.clone())
}

/// Closes what `clock` ends in one window state; returns how many aggregates it emitted.
#[expect(
    clippy::too_many_arguments,
    reason = "the parts of one point's context, borrowed apart"
)]
fn close_window(
    spec: &WindowSpec,
    window: &mut WindowState,
    clock: i64,
    device: &DeviceId,
    point: &str,
    rule: &Rule,
    unit: Option<&str>,
    out: &mut Outputs,
) -> u64 {
    if window.is_empty() {
        return 0;
    }
    let mut emitted = 0;
    window.close(spec, clock, &mut |span, stats| {
        let mut aggregate = Aggregate::new(point, format!("{}.{}", rule.id, spec.id), span, stats);
        if let Some(unit) = unit {
            aggregate = aggregate.with_unit(unit);
        }
        out.aggregates.push((device.clone(), aggregate));
        emitted += 1;
    });
    emitted
}
