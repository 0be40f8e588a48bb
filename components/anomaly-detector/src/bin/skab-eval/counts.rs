//! The SKAB outlier metrics over all test points.

/// Confusion counts.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub tp: u64,
    pub tn: u64,
    pub fp: u64,
    pub fn_: u64,
}

impl Counts {
    /// Adds one point.
    pub fn add(&mut self, predicted: bool, actual: bool) {
        match (predicted, actual) {
            (true, true) => self.tp += 1,
            (false, false) => self.tn += 1,
            (true, false) => self.fp += 1,
            (false, true) => self.fn_ += 1,
        }
    }

    /// Adds another file's counts.
    pub fn merge(&mut self, other: Counts) {
        self.tp += other.tp;
        self.tn += other.tn;
        self.fp += other.fp;
        self.fn_ += other.fn_;
    }

    /// Points counted.
    pub fn total(&self) -> u64 {
        self.tp + self.tn + self.fp + self.fn_
    }

    /// F1 = TP / (TP + (FN + FP) / 2) (SKAB's definition).
    pub fn f1(&self) -> f64 {
        ratio(
            self.tp as f64,
            self.tp as f64 + (self.fn_ + self.fp) as f64 / 2.0,
        )
    }

    /// False alarm rate FP / (FP + TN), percent.
    pub fn far(&self) -> f64 {
        100.0 * ratio(self.fp as f64, (self.fp + self.tn) as f64)
    }

    /// Missed alarm rate FN / (FN + TP), percent.
    pub fn mar(&self) -> f64 {
        100.0 * ratio(self.fn_ as f64, (self.fn_ + self.tp) as f64)
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}
