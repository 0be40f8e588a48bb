//! Time windows of one point under one window spec: values go into hop-sized panes aligned to
//! the epoch; a window is the panes inside it, merged when it closes.
//!
//! A window `[s, s + length)` closes once the point's clock (the later of the newest reading's
//! timestamp and the gateway clock) reaches `s + length + grace`; readings that arrive before
//! that land in it even out of order. A reading for a window already closed is late. A window
//! is reported only if it holds at least one reading.

mod acc;
#[cfg(test)]
mod panes;
mod points;
mod ring;
mod spec_states;
mod state_names;
mod states;
mod store;

pub use acc::{Accumulate, Bound, Full, NoNumbers, Spread, percentile_of_sorted};
pub use spec_states::SpecStates;
pub use state_names::{MAX_STATES, OTHER, StateNames};

use crate::rule::{StatSet, WindowSpec};
use edge_model::{Stats, TimeWindow};
use ring::Ring;
use states::Durations;
use std::num::NonZeroU32;
use store::PaneStore;

/// The readings of one hop-sized slice of time.
#[derive(Debug, Clone)]
struct Pane<A> {
    start: i64,
    /// Readings admitted, numbers or not (never zero; saturates, at over 4 billion readings
    /// of one point in one hop).
    readings: NonZeroU32,
    /// How many of them were numbers.
    numbers: u32,
    acc: A,
}

/// What only some points keep, in the spec's side table (points are many, such points few):
/// the state changes of the open panes and the last one before them, when the spec reports
/// state durations; in a box, rarer still, the numbers of the open panes when it reports
/// percentiles, and the panes that do not fit the ring.
#[derive(Debug, Clone)]
struct Extras<A> {
    /// State changes in timestamp order; the first may be the last one before the open
    /// panes (the state a later window starts in).
    events: Vec<Event>,
    rare: Option<Box<Rare<A>>>,
}

/// See [`Extras`].
#[derive(Debug, Clone)]
struct Rare<A> {
    /// (timestamp, number) in arrival order.
    values: Vec<(i64, f64)>,
    /// Panes outside the ring, in start order.
    spill: Vec<Pane<A>>,
}

impl<A> Default for Extras<A> {
    fn default() -> Self {
        Self {
            events: Vec::new(),
            rare: None,
        }
    }
}

impl<A> Extras<A> {
    fn is_empty(&self) -> bool {
        self.events.is_empty() && self.rare.is_none()
    }

    fn rare_mut(&mut self) -> &mut Rare<A> {
        self.rare.get_or_insert_with(|| {
            Box::new(Rare {
                values: Vec::new(),
                spill: Vec::new(),
            })
        })
    }

    fn values(&self) -> &[(i64, f64)] {
        self.rare.as_deref().map_or(&[], |r| r.values.as_slice())
    }

    fn spill(&self) -> &[Pane<A>] {
        self.rare.as_deref().map_or(&[], |r| r.spill.as_slice())
    }

    /// Frees the second box once it holds nothing.
    fn tidy(&mut self) {
        if self
            .rare
            .as_deref()
            .is_some_and(|r| r.values.is_empty() && r.spill.is_empty())
        {
            self.rare = None;
        }
    }
}

/// One reading of a state point: its timestamp in the high 48 bits and its interned state in
/// the low 16, so 8 bytes where a timestamp and a name took 24 (state points read often keep
/// a dozen of these per open window). Timestamps are kept within ±2^47 ms (about 4,460 years
/// either side of 1970); one beyond is logged at that bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Event(i64);

impl Event {
    const T_MIN: i64 = -(1 << 47);
    const T_MAX: i64 = (1 << 47) - 1;

    fn new(t: i64, state: u16) -> Self {
        Self((t.clamp(Self::T_MIN, Self::T_MAX) << 16) | i64::from(state))
    }

    /// The timestamp (bounded as above).
    fn t(self) -> i64 {
        self.0 >> 16
    }

    fn state(self) -> u16 {
        (self.0 & 0xffff) as u16
    }
}

/// Whether a reading was taken into a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// It landed in at least one open window.
    Accepted,
    /// Every window it belongs to is already closed.
    Late,
}

/// The open windows of one point under one spec, 16 bytes (points are many): its clocks. The
/// ring of pane slots sits in the spec's arena (`ring`) and follows the newest reading; what
/// only some points keep ([`Extras`]) sits in the spec's side table (`points`).
#[derive(Debug, Clone)]
pub struct Head {
    /// Every window starting before this is closed; `i64::MIN` before the first close.
    next_start: i64,
    /// Newest reading timestamp seen (the ring ends at its pane).
    watermark: i64,
}

impl Default for Head {
    fn default() -> Self {
        Self {
            next_start: i64::MIN,
            watermark: 0,
        }
    }
}

/// A reading as windows see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Its timestamp.
    pub t: i64,
    /// Its value, if a number (for the statistics).
    pub number: Option<f64>,
    /// Its state id, if its window reports state durations.
    pub state: Option<u16>,
}

impl<A: Accumulate> Ring<'_, A> {
    /// Adds a reading: a number for the statistics, a state for state durations. `clock` is
    /// the gateway clock; a reading whose windows it (or a newer reading) has ended, grace
    /// included, is late even if those windows held nothing. The windows that the reading
    /// itself ends are closed (handed to `emit`) before it is added, which frees their
    /// panes first: a point's ring then needs no slot beyond the panes of its open windows.
    fn push(
        &mut self,
        spec: &WindowSpec,
        names: &StateNames,
        clock: i64,
        sample: Sample,
        emit: &mut impl FnMut(TimeWindow, Stats),
    ) -> Admit {
        let Sample { t, number, state } = sample;
        let pane_start = t.div_euclid(spec.hop_ms).saturating_mul(spec.hop_ms);
        // The window starting at the pane is the last one holding it: once that is closed,
        // all of them are.
        let last_end = pane_start.saturating_add(spec.length_ms);
        if pane_start < self.head.next_start
            || last_end.saturating_add(spec.grace_ms) <= clock.max(self.head.watermark)
        {
            return Admit::Late;
        }
        // The windows the reading ends (its timestamp counts as the point's clock) close
        // before the ring moves up to it, so their panes are gone by then. Such windows end
        // before the reading's pane starts (end + grace <= t), so they do not hold it.
        self.close(spec, names, clock.max(t), emit);
        self.advance(t);
        self.add(pane_start, t, number);
        if let Some(x) = number
            && !spec.percentiles.is_empty()
        {
            let values = &mut self.extras.rare_mut().values;
            values.push((t, x));
        }
        if let Some(state) = state {
            let events = &mut self.extras.events;
            if events.len() == events.capacity() {
                // A state point keeps its readings of an open window or so, and keeps that
                // capacity: grow one at a time while small (a first push would reserve
                // four), then by an eighth (at least two), not to double the peak.
                let more = if events.len() < 4 {
                    1
                } else {
                    (events.len() / 8).max(2)
                };
                events.reserve_exact(more);
            }
            let event = Event::new(t, state);
            let i = events.partition_point(|e| e.t() <= event.t());
            events.insert(i, event);
        }
        Admit::Accepted
    }

    /// Closes every window that ends `grace` before `clock` (or before the newest reading),
    /// handing each one that holds readings to `emit`.
    fn close(
        &mut self,
        spec: &WindowSpec,
        names: &StateNames,
        clock: i64,
        emit: &mut impl FnMut(TimeWindow, Stats),
    ) {
        let clock = clock.max(self.head.watermark);
        while let Some(first) = self.first_start() {
            // Windows before the first one holding the first pane hold nothing: skip them.
            let earliest = first.saturating_sub(spec.length_ms - spec.hop_ms);
            let start = self.head.next_start.max(earliest);
            let end = start.saturating_add(spec.length_ms);
            if end.saturating_add(spec.grace_ms) > clock {
                break;
            }
            if let Some(stats) = self.window_stats(spec, names, start, end)
                && let Ok(window) = TimeWindow::new(start, end)
            {
                emit(window, stats);
            }
            let next = start.saturating_add(spec.hop_ms);
            self.head.next_start = next;
            self.drop_panes_before(next);
            if next == start {
                break;
            }
        }
    }

    fn drop_panes_before(&mut self, start: i64) {
        self.drop_before(start);
        // Panes are hop-aligned, so an event is in a dropped pane exactly when it is earlier.
        {
            let log = &mut *self.extras;
            // The last event before `start` stays: the state a later window starts in.
            let gone = log.events.partition_point(|e| e.t() < start);
            if gone > 1 {
                log.events.drain(..gone - 1);
            }
            if let Some(rare) = &mut log.rare {
                rare.values.retain(|(t, _)| *t >= start);
            }
            log.tidy();
        }
    }

    /// The statistics of `[start, end)`, or `None` if it holds no reading.
    fn window_stats(
        &self,
        spec: &WindowSpec,
        names: &StateNames,
        start: i64,
        end: i64,
    ) -> Option<Stats> {
        let mut acc = A::empty();
        let (mut readings, mut numbers) = (0u64, 0u64);
        self.visit(start, end, |pane_readings, pane_numbers, pane_acc| {
            acc.merge(numbers, pane_acc, u64::from(pane_numbers));
            readings += u64::from(pane_readings);
            numbers += u64::from(pane_numbers);
        });
        if readings == 0 {
            return None;
        }
        let mut stats = Stats {
            count: readings,
            ..Stats::default()
        };
        if numbers > 0 {
            acc.report(numbers, spec.stats, &mut stats);
        }
        if !spec.percentiles.is_empty() {
            let mut values: Vec<f64> = self
                .extras
                .values()
                .iter()
                .filter(|(t, _)| *t >= start && *t < end)
                .map(|(_, x)| *x)
                .collect();
            if !values.is_empty() {
                values.sort_by(f64::total_cmp);
                for p in &spec.percentiles {
                    let v = percentile_of_sorted(&values, *p);
                    stats.percentiles.insert(format!("p{p}"), v);
                }
            }
        }
        if spec.stats.contains(StatSet::STATES) {
            let events = self.extras.events.as_slice();
            let first = events.partition_point(|e| e.t() < start);
            let before = first.checked_sub(1).and_then(|i| events.get(i));
            let mut durations = Durations::starting(start, before.map(|e| e.state()));
            for e in events.iter().skip(first).take_while(|e| e.t() < end) {
                durations.change(e.t(), e.state());
            }
            stats.state_durations_ms = durations.finish(end, names);
        }
        Some(stats)
    }
}
