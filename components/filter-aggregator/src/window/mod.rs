//! Time windows of one point under one window spec: values go into hop-sized panes aligned to
//! the epoch; a window is the panes inside it, merged when it closes.
//!
//! A window `[s, s + length)` closes once the point's clock (the later of the newest reading's
//! timestamp and the gateway clock) reaches `s + length + grace`; readings that arrive before
//! that land in it even out of order. A reading for a window already closed is late. A window
//! is reported only if it holds at least one reading.

mod acc;
mod panes;
mod states;

pub use acc::{Acc, percentile_of_sorted};

use crate::rule::{StatSet, WindowSpec};
use edge_model::{Stats, TimeWindow};
use panes::Panes;
use states::Durations;
use std::num::NonZeroU64;
use std::sync::Arc;

/// The readings of one hop-sized slice of time.
#[derive(Debug, Clone)]
struct Pane {
    start: i64,
    /// Readings admitted, numbers or not (never zero: the niche keeps `Panes` one pane long).
    readings: NonZeroU64,
    acc: Acc,
}

/// State changes of the open panes, and the last one before them; only when the spec reports
/// state durations (boxed: points are many, state points few).
#[derive(Debug, Clone, Default)]
struct StateLog {
    /// (timestamp, state) in timestamp order.
    events: Vec<(i64, Arc<str>)>,
    /// The last event of the panes already dropped: the state a later window starts in.
    carry: Option<(i64, Arc<str>)>,
}

/// Whether a reading was taken into a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// It landed in at least one open window.
    Accepted,
    /// Every window it belongs to is already closed.
    Late,
}

/// The open windows of one point under one spec.
#[derive(Debug, Clone)]
pub struct WindowState {
    /// Panes in start order.
    panes: Panes<Pane>,
    /// Every window starting before this is closed; `i64::MIN` before the first close.
    next_start: i64,
    /// Newest reading timestamp seen.
    watermark: i64,
    states: Option<Box<StateLog>>,
}

impl Default for WindowState {
    fn default() -> Self {
        Self {
            panes: Panes::default(),
            next_start: i64::MIN,
            watermark: 0,
            states: None,
        }
    }
}

impl WindowState {
    /// Adds a reading at `t`: a number for the statistics, a state for state durations.
    /// `clock` is the gateway clock; a reading whose windows it (or a newer reading) has
    /// ended, grace included, is late even if those windows held nothing.
    pub fn push(
        &mut self,
        spec: &WindowSpec,
        clock: i64,
        t: i64,
        number: Option<f64>,
        state: Option<Arc<str>>,
    ) -> Admit {
        let pane_start = t.div_euclid(spec.hop_ms).saturating_mul(spec.hop_ms);
        // The window starting at the pane is the last one holding it: once that is closed,
        // all of them are.
        let last_end = pane_start.saturating_add(spec.length_ms);
        if pane_start < self.next_start
            || last_end.saturating_add(spec.grace_ms) <= clock.max(self.watermark)
        {
            return Admit::Late;
        }
        self.watermark = self.watermark.max(t);
        let panes = self.panes.as_slice();
        let at = panes.partition_point(|p| p.start < pane_start);
        if panes.get(at).is_none_or(|p| p.start != pane_start) {
            let keep_values = !spec.percentiles.is_empty();
            let mut acc = Acc::new(keep_values);
            if let Some(x) = number {
                acc.push(t, x);
            }
            self.panes.insert(
                at,
                Pane {
                    start: pane_start,
                    readings: NonZeroU64::MIN,
                    acc,
                },
            );
        } else if let Some(pane) = self.panes.as_mut_slice().get_mut(at) {
            pane.readings = pane.readings.saturating_add(1);
            if let Some(x) = number {
                pane.acc.push(t, x);
            }
        }
        if let Some(state) = state {
            let events = &mut self.states.get_or_insert_with(Box::default).events;
            if events.len() == events.capacity() {
                // Most windows see a state change or two: grow one at a time while small
                // (a first push would reserve four), then double.
                let more = if events.len() < 4 { 1 } else { events.len() };
                events.reserve_exact(more);
            }
            let i = events.partition_point(|(et, _)| *et <= t);
            events.insert(i, (t, state));
        }
        Admit::Accepted
    }

    /// Whether the point holds no open window.
    pub fn is_empty(&self) -> bool {
        self.panes.as_slice().is_empty()
    }

    /// Closes every window that ends `grace` before `clock` (or before the newest reading),
    /// handing each one that holds readings to `emit`.
    pub fn close(
        &mut self,
        spec: &WindowSpec,
        clock: i64,
        emit: &mut impl FnMut(TimeWindow, Stats),
    ) {
        let clock = clock.max(self.watermark);
        while let Some(first) = self.panes.as_slice().first() {
            // Windows before the first one holding the first pane hold nothing: skip them.
            let earliest = first.start.saturating_sub(spec.length_ms - spec.hop_ms);
            let start = self.next_start.max(earliest);
            let end = start.saturating_add(spec.length_ms);
            if end.saturating_add(spec.grace_ms) > clock {
                break;
            }
            if let Some(stats) = self.window_stats(spec, start, end)
                && let Ok(window) = TimeWindow::new(start, end)
            {
                emit(window, stats);
            }
            let next = start.saturating_add(spec.hop_ms);
            self.next_start = next;
            self.drop_panes_before(next);
            if next == start {
                break;
            }
        }
    }

    fn drop_panes_before(&mut self, start: i64) {
        let keep = self.panes.as_slice().partition_point(|p| p.start < start);
        self.panes.remove_front(keep, drop);
        // Panes are hop-aligned, so an event is in a dropped pane exactly when it is earlier.
        if let Some(log) = &mut self.states {
            let gone = log.events.partition_point(|(t, _)| *t < start);
            if gone > 0 {
                log.carry = log.events.drain(..gone).next_back();
            }
        }
    }

    /// The statistics of `[start, end)`, or `None` if it holds no reading.
    fn window_stats(&self, spec: &WindowSpec, start: i64, end: i64) -> Option<Stats> {
        let inside = |p: &&Pane| p.start >= start && p.start < end;
        let mut acc = Acc::new(!spec.percentiles.is_empty());
        let mut readings = 0;
        for pane in self.panes.as_slice().iter().filter(inside) {
            acc.merge(&pane.acc);
            readings += pane.readings.get();
        }
        if readings == 0 {
            return None;
        }
        let flag = |f: StatSet, v: Option<f64>| if spec.stats.contains(f) { v } else { None };
        let mut stats = Stats {
            count: readings,
            min: flag(StatSet::MIN, acc.min()),
            max: flag(StatSet::MAX, acc.max()),
            mean: flag(StatSet::MEAN, acc.mean()),
            stddev: flag(StatSet::STDDEV, acc.stddev()),
            first: flag(StatSet::FIRST, acc.first()),
            last: flag(StatSet::LAST, acc.last()),
            ..Stats::default()
        };
        for p in &spec.percentiles {
            if let Some(v) = acc.percentile(*p) {
                stats.percentiles.insert(format!("p{p}"), v);
            }
        }
        if spec.stats.contains(StatSet::STATES) {
            let log = self.states.as_deref();
            let events = log.map_or(&[][..], |l| l.events.as_slice());
            let first = events.partition_point(|(t, _)| *t < start);
            let before = first
                .checked_sub(1)
                .and_then(|i| events.get(i))
                .or(log.and_then(|l| l.carry.as_ref()));
            let mut durations = Durations::starting(start, before.map(|(_, s)| s.clone()));
            for (t, state) in events.iter().skip(first).take_while(|(t, _)| *t < end) {
                durations.change(*t, state);
            }
            stats.state_durations_ms = durations.finish(end);
        }
        Some(stats)
    }
}
