//! The rule engine: routes each reading to the first rule that selects its point, runs the
//! rule's stages, and keeps per-point state (last publication, open windows). Pure: no I/O and
//! no clock of its own; the caller passes the gateway time.

use crate::arena::Arena;
use crate::check::{self, ConversionCache, event_time};
use crate::interner::Interner;
use crate::point_hash::NameMap;
use crate::point_index::PointIndex;
use crate::reduce::{self, Published, Texts};
use crate::rule::{Rule, StatSet, WindowSpec};
use crate::stats::RuleStats;
use crate::window::{Admit, Sample, SpecStates};
use edge_model::{Aggregate, DeviceId, Quality, Reading, Stats, TimeWindow, Value};
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
    /// Per window: value → state id in the window's table of names.
    states: Vec<Vec<StateKey>>,
    /// Per window: the open windows of the rule's points, by point ordinal.
    windows: Vec<SpecStates>,
    /// Conversions from the source units seen so far (a rule sees few).
    conversions: ConversionCache,
    /// Gateway time the rule was loaded, for the idle warning.
    since_ms: i64,
    idle_warned: bool,
}

impl RuleRuntime {
    fn new(rule: Rule, now_ms: i64) -> Self {
        let mut windows: Vec<SpecStates> = rule.windows.iter().map(SpecStates::for_spec).collect();
        // The mapped names come first in each table, so a reload that keeps the windows (and
        // their tables) of an unchanged rule finds the same ids.
        let states = rule
            .windows
            .iter()
            .zip(&mut windows)
            .map(|(w, table)| {
                w.states
                    .iter()
                    .map(|(text, name)| StateKey {
                        int: text.parse().ok(),
                        boolean: text.parse().ok(),
                        text: text.clone(),
                        id: table.state_id(name),
                    })
                    .collect()
            })
            .collect();
        Self {
            rule,
            stats: RuleStats::default(),
            states,
            windows,
            conversions: ConversionCache::default(),
            since_ms: now_ms,
            idle_warned: false,
        }
    }
}

/// Marks "none" in a slot's index fields (`Option` would take twice the room).
const NONE: u16 = u16::MAX;

/// At most this many rules (rule indices are `u16` in every point's slot).
pub const MAX_RULES: usize = NONE as usize;

/// Marks a point without windows in `PointSlot::ordinal`.
const NO_ORDINAL: u32 = u32::MAX;

/// Marks "no unit" in a slot's 11-bit unit index.
const NO_UNIT: u16 = (1 << 11) - 1;

/// At most this many distinct units are kept for aggregates; points with a unit beyond have
/// aggregates without one.
pub const MAX_UNITS: usize = NO_UNIT as usize;

/// The units seen, by the id a slot keeps.
type Units = Interner<MAX_UNITS>;

/// State of one point, 24 bytes: points are many. Its windows live with its rule, so points
/// without windows pay nothing for them.
#[derive(Debug)]
struct PointSlot {
    /// What was last published ([`Published::pack`]): timestamp and value bits here, kind
    /// and quality in the low 5 bits of `tag`.
    t: i64,
    bits: u64,
    /// The point's index in its rule's window states; `NO_ORDINAL` if the rule has none.
    ordinal: u32,
    /// Index of the rule that handles it; `NONE` when no rule selects it.
    rule: u16,
    /// The index in the engine's units of the latest reading's unit (for aggregates; or
    /// `NO_UNIT`) in the high 11 bits, the last publication's kind and quality in the low 5.
    tag: u16,
}

impl PointSlot {
    fn rule(&self) -> Option<u32> {
        (self.rule != NONE).then_some(u32::from(self.rule))
    }

    fn unit<'a>(&self, units: &'a Units) -> Option<&'a str> {
        units.text(self.tag >> 5)
    }

    fn set_unit(&mut self, unit: u16) {
        self.tag = (unit.min(NO_UNIT) << 5) | (self.tag & 0x1f);
    }

    fn last(&self) -> Published {
        Published::unpack(self.t, self.bits, (self.tag & 0x1f) as u8)
    }

    fn set_last(&mut self, last: Published) {
        let (t, bits, code) = last.pack();
        (self.t, self.bits) = (t, bits);
        self.tag = (self.tag & !0x1f) | u16::from(code & 0x1f);
    }
}

/// Per-point state in chunked arenas, indexed by point id (slots and index keys get one item
/// per point, so their indices are the same).
#[derive(Debug, Default)]
struct Points {
    index: PointIndex,
    slots: Arena<PointSlot>,
}

/// A fresh slot for a point under `rule`, with new window states if the rule has windows.
fn new_slot(rules: &mut [RuleRuntime], rule: Option<u32>) -> PointSlot {
    let runtime = rule.and_then(|i| rules.get_mut(i as usize));
    let ordinal = runtime.map_or(NO_ORDINAL, |r| {
        r.windows
            .iter_mut()
            .map(SpecStates::add)
            .last()
            .unwrap_or(NO_ORDINAL)
    });
    let mut slot = PointSlot {
        t: 0,
        bits: 0,
        rule: rule_index(rule),
        tag: NO_UNIT << 5,
        ordinal,
    };
    slot.set_last(Published::default());
    slot
}

/// The rule engine.
#[derive(Debug)]
pub struct Engine {
    rules: Vec<RuleRuntime>,
    pass_unmatched: bool,
    unmatched: RuleStats,
    /// Device name → index in `device_ids`.
    devices: NameMap<u32>,
    device_ids: Vec<DeviceId>,
    points: Points,
    /// Latest gateway time seen through [`Engine::tick`].
    clock: i64,
    /// Units seen, shared by the points (few units, many points).
    units: Units,
    /// Last published text values.
    texts: Texts,
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
            devices: NameMap::default(),
            device_ids: Vec::new(),
            points: Points::default(),
            clock: i64::MIN,
            units: Units::default(),
            texts: Texts::default(),
        }
    }

    /// Handles one reading received at gateway time `now_ms`.
    pub fn ingest(&mut self, reading: Reading, now_ms: i64, out: &mut Outputs) {
        let device = reading.source().device();
        let device_index = match self.devices.get(device.as_str()) {
            Some(i) => *i,
            None => {
                let i = u32::try_from(self.device_ids.len()).unwrap_or(u32::MAX);
                self.devices.insert(Box::from(device.as_str()), i);
                self.device_ids.push(device.clone());
                i
            }
        };
        let point = reading.source().point();
        let id = match self.points.index.get(device_index, point) {
            Some(id) => id,
            None => {
                let rule = resolve(&self.rules, device.as_str(), point);
                let slot = new_slot(&mut self.rules, rule);
                self.points.slots.push(slot);
                self.points.index.insert(device_index, point)
            }
        };
        let Points { index, slots } = &mut self.points;
        let Some(slot) = slots.get_mut(id) else {
            return;
        };
        let Some(runtime) = slot.rule().and_then(|i| self.rules.get_mut(i as usize)) else {
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
        let conversions = &mut runtime.conversions;
        let checked =
            check::check(&rule.checks, reading, now_ms).and_then(|r| match &rule.convert {
                Some(c) => check::convert(c, r, conversions),
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
        if let Some(unit) = reading.unit()
            && slot.unit(&self.units) != Some(unit)
        {
            slot.set_unit(unit_id(&mut self.units, unit));
        }
        if slot.ordinal != NO_ORDINAL && reading.quality() != Quality::Bad {
            let number = reading.value().and_then(Value::as_f64);
            let unit = slot.unit(&self.units);
            let (_, point) = index.key(id);
            let device_id = &self.device_ids[device_index as usize];
            let windows = rule.windows.iter().zip(runtime.windows.iter_mut());
            for (i, (spec, states)) in windows.enumerate() {
                let state = if spec.stats.contains(StatSet::STATES) {
                    reading
                        .value()
                        .map(|v| state_of(&runtime.states[i], states, v))
                } else {
                    None
                };
                let mut emitter = Emitter::new(device_id, point, rule, spec, unit, out);
                let sample = Sample { t, number, state };
                let admit = states.push(slot.ordinal, spec, self.clock, sample, &mut |w, s| {
                    emitter.emit(w, s);
                });
                if admit == Some(Admit::Late) {
                    runtime.stats.late += 1;
                }
                runtime.stats.aggregates += emitter.emitted;
            }
        }
        let mut last = slot.last();
        let decision = reduce::decide(&rule.reduction, &mut last, &mut self.texts, &reading, t);
        slot.set_last(last);
        match decision {
            Ok(()) => {
                runtime.stats.published += 1;
                out.filtered.push(reading);
            }
            Err(_) => runtime.stats.dropped += 1,
        }
    }

    /// Advances the gateway clock to `now_ms` and closes every window it ends.
    pub fn tick(&mut self, now_ms: i64, out: &mut Outputs) {
        self.tick_points(now_ms, 0, usize::MAX, out);
    }

    /// Advances the gateway clock to `now_ms` and closes the windows it ends for at most
    /// `points` points, from point `from` on; returns the point to go on from, or `None` once
    /// every point was visited. At a window boundary every point closes a window in the same
    /// tick: done in slices, the aggregates (and their messages) of only one slice are held
    /// at a time.
    pub fn tick_points(
        &mut self,
        now_ms: i64,
        from: u32,
        points: usize,
        out: &mut Outputs,
    ) -> Option<u32> {
        self.clock = self.clock.max(now_ms);
        self.close_points(self.clock, from, points, out)
    }

    /// Closes every open window now, whatever its end (tests, tools).
    pub fn flush(&mut self, out: &mut Outputs) {
        self.close_points(i64::MAX, 0, usize::MAX, out);
    }

    /// Closes what `clock` ends for at most `points` points from `from` on; returns the next
    /// point, if any is left.
    fn close_points(
        &mut self,
        clock: i64,
        from: u32,
        points: usize,
        out: &mut Outputs,
    ) -> Option<u32> {
        let Points { index, slots } = &mut self.points;
        let end = u32::try_from(index.len()).unwrap_or(u32::MAX);
        let until = from
            .saturating_add(u32::try_from(points).unwrap_or(u32::MAX))
            .min(end);
        for id in from..until {
            let Some(slot) = slots.get(id) else {
                continue;
            };
            if slot.ordinal == NO_ORDINAL {
                continue;
            }
            let Some(runtime) = slot.rule().and_then(|i| self.rules.get_mut(i as usize)) else {
                continue;
            };
            let (device, point) = index.key(id);
            let device_id = &self.device_ids[device as usize];
            let unit = slot.unit(&self.units);
            for (spec, states) in runtime.rule.windows.iter().zip(runtime.windows.iter_mut()) {
                let mut emitter = Emitter::new(device_id, point, &runtime.rule, spec, unit, out);
                states.close(slot.ordinal, spec, clock, &mut |w, s| emitter.emit(w, s));
                runtime.stats.aggregates += emitter.emitted;
            }
        }
        (until < end).then_some(until)
    }

    /// Swaps in new rules. Points whose rule keeps its id and configuration keep their state
    /// and open windows; the others start afresh. Counters carry over by rule id.
    pub fn reload(&mut self, rules: Vec<Rule>, pass_unmatched: bool, now_ms: i64) -> Reload {
        let mut old = std::mem::take(&mut self.rules);
        // Per old rule: the new rule that took over its window states, if unchanged.
        let mut moved_to = vec![None; old.len()];
        self.rules = rules
            .into_iter()
            .enumerate()
            .map(|(n, rule)| {
                let mut runtime = RuleRuntime::new(rule, now_ms);
                let prev = old
                    .iter_mut()
                    .enumerate()
                    .find(|(_, o)| o.rule.id == runtime.rule.id);
                if let Some((o, prev)) = prev {
                    runtime.stats = prev.stats;
                    if prev.rule.source == runtime.rule.source {
                        runtime.since_ms = prev.since_ms;
                        runtime.idle_warned = prev.idle_warned;
                        runtime.windows = std::mem::take(&mut prev.windows);
                        moved_to[o] = Some(n);
                    }
                }
                runtime
            })
            .collect();
        self.pass_unmatched = pass_unmatched;
        let mut report = Reload::default();
        for id in 0..self.points.index.len() as u32 {
            let (device, point) = self.points.index.key(id);
            let device = self.device_ids[device as usize].as_str();
            let new = resolve(&self.rules, device, point);
            let Some(slot) = self.points.slots.get_mut(id) else {
                continue;
            };
            let same = match (slot.rule(), new) {
                (None, None) => true,
                (Some(o), Some(n)) => {
                    let (o, n) = (&old[o as usize].rule, &self.rules[n as usize].rule);
                    o.id == n.id && o.source == n.source
                }
                _ => false,
            };
            if same {
                slot.rule = rule_index(new);
                report.points_kept += 1;
                continue;
            }
            report.points_reset += 1;
            self.texts.release(&slot.last());
            // The point leaves an unchanged rule: its windows there are cleared (reloads are
            // rare: the ordinal stays unused). Those of a changed rule went with it.
            let kept = slot
                .rule()
                .and_then(|o| moved_to.get(o as usize).copied().flatten());
            if let Some(runtime) = kept.and_then(|n| self.rules.get_mut(n)) {
                let ordinal = slot.ordinal;
                runtime.windows.iter_mut().for_each(|w| w.reset(ordinal));
            }
            let fresh = new_slot(&mut self.rules, new);
            if let Some(slot) = self.points.slots.get_mut(id) {
                *slot = fresh;
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
        self.points.index.len()
    }
}

/// The index of `unit` among the units seen, adding it if new; `NO_UNIT` once [`MAX_UNITS`]
/// units are known (aggregates of a point with a unit beyond that carry none).
fn unit_id(units: &mut Units, unit: &str) -> u16 {
    units.id(unit).unwrap_or(NO_UNIT)
}

/// A rule index as a slot keeps it (validation keeps rules below [`MAX_RULES`]).
fn rule_index(rule: Option<u32>) -> u16 {
    rule.and_then(|i| u16::try_from(i).ok()).unwrap_or(NONE)
}

/// Index of the first rule that selects the point.
fn resolve(rules: &[RuleRuntime], device: &str, point: &str) -> Option<u32> {
    rules
        .iter()
        .take(MAX_RULES)
        .position(|r| r.rule.selects(device, point))
        .and_then(|i| u32::try_from(i).ok())
}

/// One entry of a window's `states` map, parsed once so that integer and boolean readings
/// match without formatting them.
#[derive(Debug)]
struct StateKey {
    text: String,
    int: Option<i64>,
    boolean: Option<bool>,
    id: u16,
}

/// The state id of a value: that of its mapped name, else that of its own text.
fn state_of(keys: &[StateKey], table: &mut SpecStates, value: &Value) -> u16 {
    let found = match value {
        Value::Int(i) => keys.iter().find(|k| k.int == Some(*i)),
        Value::Bool(b) => keys.iter().find(|k| k.boolean == Some(*b)),
        Value::Text(s) => keys.iter().find(|k| k.text == *s),
        Value::Float(_) => None,
    };
    if let Some(key) = found {
        return key.id;
    }
    // Text was looked up by its text above; other values may still match a key's text.
    let text = match value {
        Value::Text(s) => return table.state_id(s),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(x) => x.to_string(),
    };
    keys.iter()
        .find(|k| k.text == text)
        .map_or_else(|| table.state_id(&text), |k| k.id)
}

/// Turns the closed windows of one point under one window spec into aggregates.
struct Emitter<'a> {
    device: &'a DeviceId,
    point: &'a str,
    rule: &'a Rule,
    spec: &'a WindowSpec,
    unit: Option<&'a str>,
    out: &'a mut Outputs,
    /// How many it emitted.
    emitted: u64,
}

impl<'a> Emitter<'a> {
    /// An emitter of the windows of `point` of `device` under `spec` of `rule`, into `out`.
    fn new(
        device: &'a DeviceId,
        point: &'a str,
        rule: &'a Rule,
        spec: &'a WindowSpec,
        unit: Option<&'a str>,
        out: &'a mut Outputs,
    ) -> Self {
        Self {
            device,
            point,
            rule,
            spec,
            unit,
            out,
            emitted: 0,
        }
    }

    fn emit(&mut self, span: TimeWindow, stats: Stats) {
        let window = format!("{}.{}", self.rule.id, self.spec.id);
        let mut aggregate = Aggregate::new(self.point, window, span, stats);
        if let Some(unit) = self.unit {
            aggregate = aggregate.with_unit(unit);
        }
        self.out.aggregates.push((self.device.clone(), aggregate));
        self.emitted += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_slot_stays_at_24_bytes() {
        // One per point: the memory benchmark's budget rests on this size.
        assert_eq!(size_of::<PointSlot>(), 24);
    }

    #[test]
    fn a_slot_keeps_its_unit_and_last_publication_apart() {
        let mut slot = new_slot(&mut [], None);
        let mut units = Units::default();
        let names: Vec<String> = (0..MAX_UNITS).map(|i| format!("u{i}")).collect();
        names.iter().for_each(|u| _ = units.id(u));
        assert_eq!(slot.unit(&units), None);
        slot.set_unit(MAX_UNITS as u16 - 1);
        let mut last = Published::default();
        let mut texts = Texts::default();
        let reading = Reading::new(
            edge_model::Source::new(DeviceId::new("d").unwrap(), "p"),
            1.5,
            Quality::Uncertain,
            7,
        );
        let rule = crate::rule::Reduction::default();
        reduce::decide(&rule, &mut last, &mut texts, &reading, 7).unwrap();
        slot.set_last(last);
        assert_eq!(slot.last(), last);
        assert_eq!(slot.unit(&units), Some(names[MAX_UNITS - 1].as_str()));
        slot.set_unit(NO_UNIT);
        assert_eq!((slot.unit(&units), slot.last()), (None, last));
    }

    #[test]
    fn units_beyond_the_limit_are_left_out() {
        let mut units = Units::default();
        for i in 0..MAX_UNITS {
            assert_eq!(unit_id(&mut units, &format!("u{i}")), i as u16);
        }
        assert_eq!(unit_id(&mut units, "one more"), NO_UNIT);
        assert_eq!(unit_id(&mut units, "u3"), 3);
    }
}
