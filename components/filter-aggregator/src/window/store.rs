//! Where the panes of one window state live: a ring of fixed slots in the spec's arena
//! (`ring`), or a sorted vector (`panes`, the reference the ring is tested against).

use super::{Accumulate, Pane};

/// The panes of one point under one spec, by start.
pub(super) trait PaneStore<A: Accumulate> {
    /// Start of the earliest pane, if any.
    fn first_start(&self) -> Option<i64>;

    /// Adds a reading at `t` (a number or not) to the pane starting at `start` (hop-aligned),
    /// opening it if needed.
    fn add(&mut self, start: i64, t: i64, number: Option<f64>);

    /// Hands `visit` the (readings, numbers, statistics) of every pane starting in
    /// `[from, to)`, in start order.
    fn visit(&self, from: i64, to: i64, visit: impl FnMut(u32, u32, &A));

    /// Drops every pane starting before `start`.
    fn drop_before(&mut self, start: i64);
}

/// Milliseconds from a pane's start to `t` in it (windows are at most a week long).
pub(super) fn offset(start: i64, t: i64) -> u32 {
    u32::try_from(t.saturating_sub(start)).unwrap_or(u32::MAX)
}

impl<A: Accumulate> Pane<A> {
    /// A pane holding one reading.
    pub(super) fn new(start: i64, t: i64, number: Option<f64>) -> Self {
        let mut pane = Self::holding(start, 1, 0, A::empty());
        pane.count_number(t, number);
        pane
    }

    /// A pane with this tally (`readings` > 0).
    pub(super) fn holding(start: i64, readings: u32, numbers: u32, acc: A) -> Self {
        Self {
            start,
            readings: std::num::NonZeroU32::new(readings).unwrap_or(std::num::NonZeroU32::MIN),
            numbers,
            acc,
        }
    }

    /// Adds a reading.
    pub(super) fn add(&mut self, t: i64, number: Option<f64>) {
        // Saturates at over 4 billion readings of one point in one hop.
        self.readings = self.readings.saturating_add(1);
        self.count_number(t, number);
    }

    /// Adds the reading at `t` to the statistics if it is a number (`numbers` counts them).
    fn count_number(&mut self, t: i64, number: Option<f64>) {
        if let Some(x) = number {
            self.numbers = self.numbers.saturating_add(1);
            let n = u64::from(self.numbers);
            self.acc.push(n, offset(self.start, t), x);
        }
    }
}

/// Panes in a sorted vector (or one inline).
#[cfg(test)]
impl<A: Accumulate> PaneStore<A> for super::panes::Panes<Pane<A>> {
    fn first_start(&self) -> Option<i64> {
        self.as_slice().first().map(|p| p.start)
    }

    fn add(&mut self, start: i64, t: i64, number: Option<f64>) {
        let at = self.as_slice().partition_point(|p| p.start < start);
        match self.as_mut_slice().get_mut(at) {
            Some(pane) if pane.start == start => pane.add(t, number),
            _ => self.insert(at, Pane::new(start, t, number)),
        }
    }

    fn visit(&self, from: i64, to: i64, mut visit: impl FnMut(u32, u32, &A)) {
        for p in self.as_slice() {
            if p.start >= from && p.start < to {
                visit(p.readings.get(), p.numbers, &p.acc);
            }
        }
    }

    fn drop_before(&mut self, start: i64) {
        let gone = self.as_slice().partition_point(|p| p.start < start);
        self.remove_front(gone, drop);
    }
}
