//! Running statistics of the numbers in one pane, mergeable into a window's statistics.

/// Count, extremes, Welford mean and squared deviations, and the values at the earliest and
/// latest timestamps; the values themselves only when percentiles are asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Acc {
    count: u64,
    min: f64,
    max: f64,
    mean: f64,
    /// Sum of squared deviations from the mean.
    m2: f64,
    first: (i64, f64),
    last: (i64, f64),
    /// Boxed: most windows ask for no percentile, and points are many.
    #[expect(
        clippy::box_collection,
        reason = "one word per pane when unused, against three for a bare Vec"
    )]
    values: Option<Box<Vec<f64>>>,
}

impl Acc {
    /// An empty accumulator; `keep_values` keeps every value for percentiles.
    pub fn new(keep_values: bool) -> Self {
        Self {
            count: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            mean: 0.0,
            m2: 0.0,
            first: (i64::MAX, 0.0),
            last: (i64::MIN, 0.0),
            values: keep_values.then(Box::default),
        }
    }

    /// Adds `x`, timestamped `t`. On equal timestamps the first arrival stays first and the
    /// last arrival becomes last.
    pub fn push(&mut self, t: i64, x: f64) {
        self.count += 1;
        self.min = self.min.min(x);
        self.max = self.max.max(x);
        let delta = x - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (x - self.mean);
        if t < self.first.0 {
            self.first = (t, x);
        }
        if t >= self.last.0 {
            self.last = (t, x);
        }
        if let Some(values) = &mut self.values {
            values.push(x);
        }
    }

    /// Adds everything in `other`, which holds later-arriving values only where timestamps tie
    /// (panes are merged in time order, so ties across panes cannot happen).
    pub fn merge(&mut self, other: &Self) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = other.clone();
            return;
        }
        let n = (self.count + other.count) as f64;
        let delta = other.mean - self.mean;
        self.mean += delta * other.count as f64 / n;
        self.m2 += other.m2 + delta * delta * self.count as f64 * other.count as f64 / n;
        self.count += other.count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        if other.first.0 < self.first.0 {
            self.first = other.first;
        }
        if other.last.0 >= self.last.0 {
            self.last = other.last;
        }
        if let (Some(mine), Some(theirs)) = (&mut self.values, &other.values) {
            mine.extend_from_slice(theirs);
        }
    }

    /// How many values.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Smallest value, if any.
    pub fn min(&self) -> Option<f64> {
        (self.count > 0).then_some(self.min)
    }

    /// Largest value, if any.
    pub fn max(&self) -> Option<f64> {
        (self.count > 0).then_some(self.max)
    }

    /// Mean, if any value.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then_some(self.mean)
    }

    /// Population standard deviation, if any value.
    pub fn stddev(&self) -> Option<f64> {
        (self.count > 0).then(|| (self.m2 / self.count as f64).max(0.0).sqrt())
    }

    /// Value with the earliest timestamp.
    pub fn first(&self) -> Option<f64> {
        (self.count > 0).then_some(self.first.1)
    }

    /// Value with the latest timestamp.
    pub fn last(&self) -> Option<f64> {
        (self.count > 0).then_some(self.last.1)
    }

    /// The `p`-th percentile (0 < p ≤ 100), linear between closest ranks; `None` without values
    /// or when values are not kept. Sorts the kept values.
    pub fn percentile(&mut self, p: f64) -> Option<f64> {
        let values = self.values.as_mut()?;
        if values.is_empty() {
            return None;
        }
        values.sort_by(f64::total_cmp);
        Some(percentile_of_sorted(values, p))
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

    #[test]
    fn merging_equals_pushing_everything_into_one() {
        let xs = [3.0, -1.5, 7.25, 0.0, 2.0, 2.0, 9.5];
        let mut one = Acc::new(true);
        let (mut a, mut b) = (Acc::new(true), Acc::new(true));
        for (i, x) in xs.iter().enumerate() {
            one.push(i as i64, *x);
            if i < 3 {
                a.push(i as i64, *x)
            } else {
                b.push(i as i64, *x)
            }
        }
        a.merge(&b);
        assert_eq!(a.count(), one.count());
        assert!((a.mean().unwrap() - one.mean().unwrap()).abs() < 1e-12);
        assert!((a.stddev().unwrap() - one.stddev().unwrap()).abs() < 1e-12);
        assert_eq!((a.first(), a.last()), (Some(3.0), Some(9.5)));
        assert_eq!(a.percentile(50.0), Some(2.0));
    }

    #[test]
    fn percentiles_interpolate_between_ranks() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile_of_sorted(&v, 100.0), 4.0);
        assert_eq!(percentile_of_sorted(&v, 50.0), 2.5);
        assert!((percentile_of_sorted(&v, 10.0) - 1.3).abs() < 1e-12);
    }

    #[test]
    fn an_empty_accumulator_reports_nothing() {
        let mut acc = Acc::new(true);
        assert_eq!((acc.min(), acc.mean(), acc.stddev()), (None, None, None));
        assert_eq!(acc.percentile(50.0), None);
    }
}
