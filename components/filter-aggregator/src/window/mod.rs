//! Time windows of one point under one window spec: values go into hop-sized panes aligned to
//! the epoch; a window is the panes inside it, merged when it closes.
//!
//! A window `[s, s + length)` closes once the point's clock (the later of the newest reading's
//! timestamp and the gateway clock) reaches `s + length + grace`; readings that arrive before
//! that land in it even out of order. A reading for a window already closed is late. A window
//! is reported only if it holds at least one reading.

mod acc;
mod states;

pub use acc::{Acc, percentile_of_sorted};

use crate::rule::{StatSet, WindowSpec};
use edge_model::{Stats, TimeWindow};
use states::Durations;
use std::sync::Arc;

/// State changes of one pane, boxed: one word per pane when unused, against three for a bare
/// Vec.
type StateEvents = Box<Vec<(i64, Arc<str>)>>;

/// The readings of one hop-sized slice of time.
#[derive(Debug, Clone)]
struct Pane {
    start: i64,
    /// Readings admitted, numbers or not.
    readings: u64,
    acc: Acc,
    /// (timestamp, state) in timestamp order; only when the spec reports state durations
    /// (boxed: points are many, state points few).
    events: Option<StateEvents>,
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
#[derive(Debug, Clone, Default)]
pub struct WindowState {
    /// Panes in start order.
    panes: Vec<Pane>,
    /// Every window starting before this is closed; `None` before the first close.
    next_start: Option<i64>,
    /// Newest reading timestamp seen.
    watermark: i64,
    /// The last state event of the panes already dropped: the state a later window starts in.
    carry: Option<Box<(i64, Arc<str>)>>,
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
        if self.next_start.is_some_and(|next| pane_start < next)
            || last_end.saturating_add(spec.grace_ms) <= clock.max(self.watermark)
        {
            return Admit::Late;
        }
        self.watermark = self.watermark.max(t);
        let at = self.panes.partition_point(|p| p.start < pane_start);
        if self.panes.get(at).is_none_or(|p| p.start != pane_start) {
            if self.panes.len() == self.panes.capacity() {
                // Most points hold one or two panes; grow one at a time to keep memory small.
                self.panes.reserve_exact(1);
            }
            let keep_values = !spec.percentiles.is_empty();
            self.panes.insert(
                at,
                Pane {
                    start: pane_start,
                    readings: 0,
                    acc: Acc::new(keep_values),
                    events: None,
                },
            );
        }
        let pane = &mut self.panes[at];
        pane.readings += 1;
        if let Some(x) = number {
            pane.acc.push(t, x);
        }
        if let Some(state) = state {
            let events = pane.events.get_or_insert_with(Box::default);
            let i = events.partition_point(|(et, _)| *et <= t);
            events.insert(i, (t, state));
        }
        Admit::Accepted
    }

    /// Whether the point holds no open window.
    pub fn is_empty(&self) -> bool {
        self.panes.is_empty()
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
        while let Some(first) = self.panes.first() {
            // Windows before the first one holding the first pane hold nothing: skip them.
            let earliest = first.start.saturating_sub(spec.length_ms - spec.hop_ms);
            let start = self.next_start.map_or(earliest, |next| next.max(earliest));
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
            self.next_start = Some(next);
            self.drop_panes_before(next);
            if next == start {
                break;
            }
        }
    }

    fn drop_panes_before(&mut self, start: i64) {
        let keep = self.panes.partition_point(|p| p.start < start);
        for pane in self.panes.drain(..keep) {
            if let Some(last) = pane.events.as_ref().and_then(|e| e.last()) {
                self.carry = Some(Box::new(last.clone()));
            }
        }
        if self.panes.is_empty() {
            self.panes = Vec::new();
        }
    }

    /// The statistics of `[start, end)`, or `None` if it holds no reading.
    fn window_stats(&self, spec: &WindowSpec, start: i64, end: i64) -> Option<Stats> {
        let inside = |p: &&Pane| p.start >= start && p.start < end;
        let mut acc = Acc::new(!spec.percentiles.is_empty());
        let mut readings = 0;
        for pane in self.panes.iter().filter(inside) {
            acc.merge(&pane.acc);
            readings += pane.readings;
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
            let before = self
                .panes
                .iter()
                .filter(|p| p.start < start)
                .filter_map(|p| p.events.as_ref().and_then(|e| e.last()))
                .next_back()
                .or(self.carry.as_deref());
            let mut durations = Durations::starting(start, before.map(|(_, s)| s.clone()));
            for pane in self.panes.iter().filter(inside) {
                for (t, state) in pane.events.iter().flat_map(|e| e.iter()) {
                    durations.change(*t, state);
                }
            }
            stats.state_durations_ms = durations.finish(end);
        }
        Some(stats)
    }
}
