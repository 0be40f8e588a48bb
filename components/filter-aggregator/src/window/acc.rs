//! Running statistics of the numbers in one pane, mergeable into a window's statistics. Four
//! sizes, so that a point carries only what its window spec reports: nothing (count and state
//! durations only), one bound and the mean, the spread (min, max, mean), or everything (also
//! stddev, first, last).
//! The count of numbers is kept by the pane, and passed in. Floats are kept as [`F64`], 4-byte
//! aligned, so that a pane slot (16-bit counts, then these) has no padding.

use crate::rule::StatSet;
use edge_model::Stats;

/// An `f64` kept as two `u32` halves: 4-byte aligned.
#[derive(Clone, Copy, PartialEq)]
pub struct F64([u32; 2]);

impl F64 {
    fn new(x: f64) -> Self {
        let bits = x.to_bits();
        Self([bits as u32, (bits >> 32) as u32])
    }

    fn get(self) -> f64 {
        f64::from_bits(u64::from(self.0[0]) | (u64::from(self.0[1]) << 32))
    }
}

impl std::fmt::Debug for F64 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

/// Statistics of a run of numbers whose count is kept outside.
pub trait Accumulate: Clone + std::fmt::Debug {
    /// Nothing added yet.
    fn empty() -> Self;

    /// Adds `x`, timestamped `offset` ms after its pane's start, as number `n` (1 for the
    /// first). On equal timestamps the first arrival stays first and the last arrival
    /// becomes last.
    fn push(&mut self, n: u64, offset: u32, x: f64);

    /// Adds `other` (`theirs` numbers) to `self` (`mine` numbers, maybe none); `other` is a
    /// later pane than any merged before (panes are merged in time order).
    fn merge(&mut self, mine: u64, other: &Self, theirs: u64);

    /// Fills in the statistics of `wanted` it knows, for `n > 0` numbers.
    fn report(&self, n: u64, wanted: StatSet, stats: &mut Stats);

    /// Whether this accumulator reports everything `wanted` asks for among the numeric
    /// statistics.
    fn covers(wanted: StatSet) -> bool;
}

/// For windows reporting no statistic of the numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoNumbers;

impl Accumulate for NoNumbers {
    fn empty() -> Self {
        Self
    }

    fn push(&mut self, _: u64, _: u32, _: f64) {}

    fn merge(&mut self, _: u64, _: &Self, _: u64) {}

    fn report(&self, _: u64, _: StatSet, _: &mut Stats) {}

    fn covers(wanted: StatSet) -> bool {
        !wanted.intersects(Spread::STATS.with(Full::STATS))
    }
}

/// The mean and one bound: the largest value (`HIGH`) or the smallest, for windows that
/// report only one of them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound<const HIGH: bool> {
    bound: F64,
    mean: F64,
}

impl<const HIGH: bool> Bound<HIGH> {
    /// The bound it keeps, and the one it does not.
    const KEPT: StatSet = if HIGH { StatSet::MAX } else { StatSet::MIN };
    const NOT_KEPT: StatSet = if HIGH { StatSet::MIN } else { StatSet::MAX };

    /// The bound of `a` and `b` this accumulator keeps.
    fn pick(a: f64, b: f64) -> f64 {
        if HIGH { a.max(b) } else { a.min(b) }
    }
}

impl<const HIGH: bool> Accumulate for Bound<HIGH> {
    fn empty() -> Self {
        Self {
            bound: F64::new(if HIGH {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            }),
            mean: F64::new(0.0),
        }
    }

    fn push(&mut self, n: u64, _: u32, x: f64) {
        self.bound = F64::new(Self::pick(self.bound.get(), x));
        self.mean = mean_with(self.mean, n, x);
    }

    fn merge(&mut self, mine: u64, other: &Self, theirs: u64) {
        if theirs == 0 {
            return;
        }
        self.mean = merged_mean(self.mean, mine, other.mean, theirs);
        self.bound = F64::new(Self::pick(self.bound.get(), other.bound.get()));
    }

    fn report(&self, _: u64, wanted: StatSet, stats: &mut Stats) {
        let bound = wanted.contains(Self::KEPT).then_some(self.bound.get());
        if HIGH {
            stats.max = bound;
        } else {
            stats.min = bound;
        }
        stats.mean = wanted.contains(StatSet::MEAN).then_some(self.mean.get());
    }

    fn covers(wanted: StatSet) -> bool {
        !wanted.intersects(Full::STATS.with(Self::NOT_KEPT))
    }
}

/// The running mean after its `n`th value `x`.
fn mean_with(mean: F64, n: u64, x: f64) -> F64 {
    let mean = mean.get();
    F64::new(mean + (x - mean) / n as f64)
}

/// The mean of `mine` values averaging `a` and `theirs` averaging `b`.
fn merged_mean(a: F64, mine: u64, b: F64, theirs: u64) -> F64 {
    let n = (mine + theirs) as f64;
    let a = a.get();
    F64::new(a + (b.get() - a) * theirs as f64 / n)
}

/// Smallest, largest and mean value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    min: F64,
    max: F64,
    mean: F64,
}

impl Spread {
    const STATS: StatSet = StatSet::MIN.with(StatSet::MAX).with(StatSet::MEAN);
}

impl Accumulate for Spread {
    fn empty() -> Self {
        Self {
            min: F64::new(f64::INFINITY),
            max: F64::new(f64::NEG_INFINITY),
            mean: F64::new(0.0),
        }
    }

    fn push(&mut self, n: u64, _: u32, x: f64) {
        self.min = F64::new(self.min.get().min(x));
        self.max = F64::new(self.max.get().max(x));
        self.mean = mean_with(self.mean, n, x);
    }

    fn merge(&mut self, mine: u64, other: &Self, theirs: u64) {
        if theirs == 0 {
            return;
        }
        self.mean = merged_mean(self.mean, mine, other.mean, theirs);
        self.min = F64::new(self.min.get().min(other.min.get()));
        self.max = F64::new(self.max.get().max(other.max.get()));
    }

    fn report(&self, _: u64, wanted: StatSet, stats: &mut Stats) {
        let flag = |f: StatSet, v: F64| wanted.contains(f).then_some(v.get());
        stats.min = flag(StatSet::MIN, self.min);
        stats.max = flag(StatSet::MAX, self.max);
        stats.mean = flag(StatSet::MEAN, self.mean);
    }

    fn covers(wanted: StatSet) -> bool {
        !wanted.intersects(Full::STATS)
    }
}

/// The spread, the squared deviations (Welford) and the values at the earliest and latest
/// timestamps (as offsets in the pane: windows are at most a week, so they fit 32 bits).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Full {
    spread: Spread,
    /// Sum of squared deviations from the mean.
    m2: F64,
    first: (u32, F64),
    last: (u32, F64),
}

impl Full {
    /// What only this accumulator reports.
    const STATS: StatSet = StatSet::STDDEV.with(StatSet::FIRST).with(StatSet::LAST);
}

impl Accumulate for Full {
    fn empty() -> Self {
        Self {
            spread: Spread::empty(),
            m2: F64::new(0.0),
            first: (u32::MAX, F64::new(0.0)),
            last: (0, F64::new(0.0)),
        }
    }

    fn push(&mut self, n: u64, offset: u32, x: f64) {
        let delta = x - self.spread.mean.get();
        self.spread.push(n, offset, x);
        let m2 = self.m2.get() + delta * (x - self.spread.mean.get());
        self.m2 = F64::new(m2);
        if n == 1 || offset < self.first.0 {
            self.first = (offset, F64::new(x));
        }
        if n == 1 || offset >= self.last.0 {
            self.last = (offset, F64::new(x));
        }
    }

    fn merge(&mut self, mine: u64, other: &Self, theirs: u64) {
        if theirs == 0 {
            return;
        }
        let n = (mine + theirs) as f64;
        let delta = other.spread.mean.get() - self.spread.mean.get();
        let m2 = self.m2.get() + other.m2.get() + delta * delta * mine as f64 * theirs as f64 / n;
        self.m2 = F64::new(m2);
        self.spread.merge(mine, &other.spread, theirs);
        // `other` is a later pane: its first comes after ours, its last after ours.
        if mine == 0 {
            self.first = other.first;
        }
        self.last = other.last;
    }

    fn report(&self, n: u64, wanted: StatSet, stats: &mut Stats) {
        self.spread.report(n, wanted, stats);
        let flag = |f: StatSet, v: f64| wanted.contains(f).then_some(v);
        let variance = self.m2.get() / n as f64;
        stats.stddev = flag(StatSet::STDDEV, variance.max(0.0).sqrt());
        stats.first = flag(StatSet::FIRST, self.first.1.get());
        stats.last = flag(StatSet::LAST, self.last.1.get());
    }

    fn covers(_: StatSet) -> bool {
        true
    }
}

/// The `p`-th percentile of sorted `values` (non-empty), linear between closest ranks (the
/// common "type 7" definition: rank `(n - 1) · p / 100`).
pub fn percentile_of_sorted(values: &[f64], p: f64) -> f64 {
    let rank = (values.len() - 1) as f64 * p / 100.0;
    let low = rank.floor() as usize;
    let high = rank.ceil() as usize;
    let low_value = values[low.min(values.len() - 1)];
    let high_value = values[high.min(values.len() - 1)];
    low_value + (high_value - low_value) * (rank - low as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> StatSet {
        Full::STATS.with(Spread::STATS)
    }

    fn pushed<A: Accumulate>(xs: &[(u32, f64)]) -> (A, u64) {
        let mut acc = A::empty();
        for (n, (t, x)) in xs.iter().enumerate() {
            acc.push(n as u64 + 1, *t, *x);
        }
        (acc, xs.len() as u64)
    }

    #[test]
    fn merging_equals_pushing_everything_into_one() {
        let xs = [
            (0, 3.0),
            (1, -1.5),
            (2, 7.25),
            (3, 0.0),
            (4, 2.0),
            (5, 2.0),
            (6, 9.5),
        ];
        let (one, n) = pushed::<Full>(&xs);
        let (mut a, na) = pushed::<Full>(&xs[..3]);
        let (b, nb) = pushed::<Full>(&xs[3..]);
        a.merge(na, &b, nb);
        let (mut merged, mut whole) = (Stats::default(), Stats::default());
        a.report(na + nb, all(), &mut merged);
        one.report(n, all(), &mut whole);
        assert!((merged.mean.unwrap() - whole.mean.unwrap()).abs() < 1e-12);
        assert!((merged.stddev.unwrap() - whole.stddev.unwrap()).abs() < 1e-12);
        assert_eq!((merged.min, merged.max), (Some(-1.5), Some(9.5)));
        assert_eq!((merged.first, merged.last), (Some(3.0), Some(9.5)));
    }

    #[test]
    fn the_spread_agrees_with_the_full_accumulator_on_what_it_reports() {
        let xs = [(5, 1.0), (1, 4.0), (3, -2.0), (9, 8.5)];
        let (mut full, _) = pushed::<Full>(&xs[..1]);
        let (later, _) = pushed::<Full>(&xs[1..]);
        let mut first_last = Stats::default();
        later.report(3, all(), &mut first_last);
        // Within a pane, by offset.
        assert_eq!((first_last.first, first_last.last), (Some(4.0), Some(8.5)));
        let (mut spread, _) = pushed::<Spread>(&xs[..1]);
        let (full_rest, n) = pushed::<Full>(&xs[1..]);
        let (spread_rest, _) = pushed::<Spread>(&xs[1..]);
        full.merge(1, &full_rest, n);
        spread.merge(1, &spread_rest, n);
        let (mut a, mut b) = (Stats::default(), Stats::default());
        full.report(4, all(), &mut a);
        spread.report(4, all(), &mut b);
        assert_eq!((a.min, a.max, a.mean), (b.min, b.max, b.mean));
        assert_eq!((b.stddev, b.first, b.last), (None, None, None));
        assert!(size_of::<Spread>() < size_of::<Full>());
    }

    #[test]
    fn one_bound_agrees_with_the_spread_on_it_and_the_mean() {
        let xs = [(5, 1.0), (1, 4.0), (3, -2.0), (9, 8.5), (2, 0.5)];
        let (mut spread, _) = pushed::<Spread>(&xs[..2]);
        let (mut high, _) = pushed::<Bound<true>>(&xs[..2]);
        let (mut low, _) = pushed::<Bound<false>>(&xs[..2]);
        spread.merge(2, &pushed::<Spread>(&xs[2..]).0, 3);
        high.merge(2, &pushed::<Bound<true>>(&xs[2..]).0, 3);
        low.merge(2, &pushed::<Bound<false>>(&xs[2..]).0, 3);
        let (mut a, mut h, mut l) = (Stats::default(), Stats::default(), Stats::default());
        spread.report(5, all(), &mut a);
        high.report(5, all(), &mut h);
        low.report(5, all(), &mut l);
        assert_eq!((h.max, h.mean, h.min), (a.max, a.mean, None));
        assert_eq!((l.min, l.mean, l.max), (a.min, a.mean, None));
        assert!(size_of::<Bound<true>>() < size_of::<Spread>());
    }

    #[test]
    fn each_accumulator_covers_only_what_it_keeps() {
        assert!(Bound::<true>::covers(StatSet::MAX.with(StatSet::MEAN)));
        assert!(!Bound::<true>::covers(StatSet::MIN));
        assert!(Bound::<false>::covers(StatSet::MIN));
        assert!(!Bound::<false>::covers(StatSet::MAX.with(StatSet::MIN)));
        assert!(!Bound::<false>::covers(StatSet::STDDEV));
        assert!(NoNumbers::covers(StatSet::STATES));
        assert!(!NoNumbers::covers(StatSet::MAX));
        assert!(Spread::covers(StatSet::MAX.with(StatSet::MEAN)));
        assert!(!Spread::covers(StatSet::MEAN.with(StatSet::LAST)));
        assert!(Full::covers(all()));
    }

    #[test]
    fn percentiles_interpolate_between_ranks() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile_of_sorted(&v, 100.0), 4.0);
        assert_eq!(percentile_of_sorted(&v, 50.0), 2.5);
        assert!((percentile_of_sorted(&v, 10.0) - 1.3).abs() < 1e-12);
    }
}
