//! Leave-one-file-out cross-validation of the two settings a run could be tuned on, the scale
//! floor and the threshold: for each file, the pair is picked on the other files and the file is
//! scored with it; the held-out files' counts are pooled. The in-sample pick (on all files) is
//! reported next to it, so the optimism of choosing settings on the data scored shows as a number.

use crate::counts::Counts;

/// Scale floors tried (a share of each feature's mean).
pub const FLOORS: [f64; 4] = [0.0, 0.01, 0.02, 0.05];

/// Thresholds tried: 1.00 to 6.00 in steps of 0.25.
pub fn thresholds() -> Vec<f64> {
    (4..=24).map(|i| f64::from(i) * 0.25).collect()
}

/// The false alarm rate a pick must stay under (the target), percent.
pub const MAX_FAR: f64 = 15.0;

/// One file's test rows: each row's score and label.
#[derive(Debug, Default)]
pub struct Scored {
    pub scores: Vec<f64>,
    pub labels: Vec<bool>,
}

impl Scored {
    /// The counts at `threshold` (a row is an anomaly when its score is above it).
    pub fn counts(&self, threshold: f64) -> Counts {
        let mut c = Counts::default();
        for (&s, &l) in self.scores.iter().zip(&self.labels) {
            c.add(s > threshold, l);
        }
        c
    }
}

/// A (scale floor, threshold) pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Setting {
    pub floor: f64,
    pub threshold: f64,
}

/// Counts of every file under every setting.
pub struct Grid {
    settings: Vec<Setting>,
    /// `counts[file][setting]`.
    counts: Vec<Vec<Counts>>,
}

impl Grid {
    /// `scored[file][floor]`: each file scored after a refit with each of [`FLOORS`].
    pub fn new(scored: &[Vec<Scored>]) -> Self {
        let thresholds = thresholds();
        let settings: Vec<Setting> = FLOORS
            .iter()
            .flat_map(|&floor| {
                thresholds
                    .iter()
                    .map(move |&threshold| Setting { floor, threshold })
            })
            .collect();
        let counts = scored
            .iter()
            .map(|per_floor| {
                per_floor
                    .iter()
                    .flat_map(|s| thresholds.iter().map(|&t| s.counts(t)))
                    .collect()
            })
            .collect();
        Self { settings, counts }
    }

    /// The setting with the highest pooled F1 over `files` among those whose pooled FAR is at
    /// most [`MAX_FAR`] (the highest F1 overall when none is), and its pooled counts.
    pub fn pick(&self, files: &[usize]) -> (Setting, Counts) {
        let mut best: Option<((bool, f64), usize, Counts)> = None;
        for i in 0..self.settings.len() {
            let mut pooled = Counts::default();
            for &f in files {
                pooled.merge(self.counts[f][i]);
            }
            let key = (pooled.far() <= MAX_FAR, pooled.f1());
            if best.as_ref().is_none_or(|(k, _, _)| key > *k) {
                best = Some((key, i, pooled));
            }
        }
        let (_, i, pooled) = best.unwrap_or((Default::default(), 0, Counts::default()));
        (self.settings[i], pooled)
    }

    /// Each file scored with the setting picked on the others: the pooled counts and the picks.
    pub fn leave_one_out(&self) -> (Counts, Vec<Setting>) {
        let n = self.counts.len();
        let mut total = Counts::default();
        let mut picks = Vec::with_capacity(n);
        for held_out in 0..n {
            let others: Vec<usize> = (0..n).filter(|&f| f != held_out).collect();
            let (setting, _) = self.pick(&others);
            let i = self
                .settings
                .iter()
                .position(|s| *s == setting)
                .unwrap_or_default();
            total.merge(self.counts[held_out][i]);
            picks.push(setting);
        }
        (total, picks)
    }

    /// The pick on all files and its (in-sample) counts.
    pub fn in_sample(&self) -> (Setting, Counts) {
        let all: Vec<usize> = (0..self.counts.len()).collect();
        self.pick(&all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file whose anomalies score `hi` and normal rows `lo`, the same under every floor.
    fn file(lo: f64, hi: f64) -> Vec<Scored> {
        FLOORS
            .iter()
            .map(|_| Scored {
                scores: vec![lo, lo, hi, hi],
                labels: vec![false, false, true, true],
            })
            .collect()
    }

    #[test]
    fn a_held_out_file_is_scored_with_the_pick_of_the_others() {
        // Files 0 and 1 separate at any threshold in [1.25, 4); file 2's normal rows score 3.2,
        // so the threshold picked on the others (the first best: 1.25) flags them: the held-out
        // counts show the false alarms the in-sample pick (3.25) avoids.
        let grid = Grid::new(&[file(1.0, 4.0), file(1.2, 4.0), file(3.2, 4.0)]);
        let (in_sample, pooled) = grid.in_sample();
        assert!(in_sample.threshold >= 3.25, "{in_sample:?}");
        assert_eq!(pooled.fp, 0);
        let (cv, picks) = grid.leave_one_out();
        assert_eq!(picks.len(), 3);
        assert!(picks[2].threshold < 3.2, "{picks:?}");
        assert_eq!(cv.fp, 2, "file 2's normal rows are false alarms: {cv:?}");
        assert_eq!(cv.tp, 6);
    }

    #[test]
    fn a_pick_keeps_the_false_alarm_rate_under_the_target_when_it_can() {
        // Threshold 1.0 catches every anomaly but flags a third of the normal rows
        // (FAR 33 %); above 1.5 no false alarm and half the anomalies.
        let f = |_| Scored {
            scores: vec![1.1, 0.5, 0.5, 1.6, 1.2],
            labels: vec![false, false, false, true, true],
        };
        let grid = Grid::new(&[FLOORS.iter().map(f).collect()]);
        let (s, c) = grid.in_sample();
        assert!(c.far() <= MAX_FAR, "{s:?} {c:?}");
        assert!(s.threshold >= 1.25 && s.threshold < 1.6, "{s:?}");
    }
}
