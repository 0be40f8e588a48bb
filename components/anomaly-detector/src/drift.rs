//! Slow baseline adaptation (adaptive-mean PCA, as in process monitoring): a normal process
//! drifts away from the mean of its fit rows (SKAB's anomaly-free run: the residual Q of a
//! 400-row fit grows with the time since the fit), so the detector follows the mean with an
//! exponentially weighted average of the readings, updated only from windows scored normal
//! (score at most `fit.driftGate`), and centres every window on it before the model. An anomaly
//! scored above the gate never moves the baseline. The model's graph is unchanged: the window
//! is shifted by the drift before it enters the graph's `Sub mean`.
//!
//! The detector and `skab-eval` both score through [`Tracker`], so the evaluation measures this
//! code path.

use crate::model::{Model, ModelError};
use crate::score::WindowScore;

/// A model plus the drift of its baseline.
#[derive(Debug, Clone)]
pub struct Tracker {
    model: Model,
    /// The mean the model centres its input on (its input map's, or the graph's `mean`).
    fit_mean: Vec<f64>,
    /// How far the tracked mean has moved from `fit_mean`.
    drift: Vec<f64>,
    rate: f64,
    gate: f64,
}

impl Tracker {
    /// A tracker with no drift yet; the rate and gate are `model`'s `fit.driftRate` and
    /// `fit.driftGate` (rate 0: no adaptation).
    pub fn new(model: Model) -> Result<Self, ModelError> {
        let f = model.features();
        let rate = model.manifest().fit.drift_rate;
        let fit_mean = if rate > 0.0 {
            graph_mean(&model)?
        } else {
            vec![0.0; f]
        };
        Ok(Self {
            gate: model.manifest().fit.drift_gate,
            model,
            fit_mean,
            drift: vec![0.0; f],
            rate,
        })
    }

    /// The model scoring the windows.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// How far the tracked mean has moved from the fit's, per feature.
    pub fn drift(&self) -> &[f64] {
        &self.drift
    }

    /// Scores `windows` (whole windows, oldest step first) one after the other; after each
    /// window scored at most the gate, its newest `new_steps` rows update the tracked mean.
    pub fn score(
        &mut self,
        windows: &[f32],
        new_steps: usize,
    ) -> Result<Vec<WindowScore>, ModelError> {
        if self.rate <= 0.0 {
            return self.model.score(windows);
        }
        let f = self.model.features();
        let len = f * self.model.window_steps();
        if len == 0 || !windows.len().is_multiple_of(len) {
            return Err(ModelError::Shape(format!(
                "{} values are not whole windows of {len}",
                windows.len()
            )));
        }
        let mut out = Vec::with_capacity(windows.len() / len);
        let mut shifted = vec![0f32; len];
        for window in windows.chunks(len) {
            for (i, (s, &v)) in shifted.iter_mut().zip(window).enumerate() {
                *s = (f64::from(v) - self.drift[i % f]) as f32;
            }
            let score = self
                .model
                .score(&shifted)?
                .pop()
                .ok_or_else(|| ModelError::Graph("the model scored no window".into()))?;
            if score.score <= self.gate {
                let newest = new_steps.clamp(1, self.model.window_steps());
                for row in window[len - newest * f..].chunks(f) {
                    for (j, &v) in row.iter().enumerate() {
                        let offset = f64::from(v) - self.fit_mean[j];
                        self.drift[j] += self.rate * (offset - self.drift[j]);
                    }
                }
            }
            out.push(score);
        }
        Ok(out)
    }
}

/// The mean the model centres its input on ([`Model::input_centre`]), checked against its
/// features.
fn graph_mean(model: &Model) -> Result<Vec<f64>, ModelError> {
    let values = model
        .input_centre()
        .map_err(|e| ModelError::Graph(format!("fit.driftRate needs the graph's `mean`: {e}")))?;
    if values.len() != model.features() {
        return Err(ModelError::Shape(format!(
            "the `mean` initialiser has {} values for {} features",
            values.len(),
            model.features()
        )));
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn shipped() -> Model {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/pca-t2q");
        Model::load(&dir).expect("the shipped PCA model loads")
    }

    /// `count` identical windows of the fit mean with `shift` added to feature 0.
    fn windows(model: &Model, shift: f64, count: usize) -> Vec<f32> {
        let mean = graph_mean(model).expect("mean");
        let mut row: Vec<f32> = mean.iter().map(|&v| v as f32).collect();
        row[0] = (mean[0] + shift) as f32;
        let w = model.window_steps();
        std::iter::repeat_n(row, w * count).flatten().collect()
    }

    /// The shift of feature 0 whose constant window scores `target` (the score is quadratic
    /// in the shift).
    fn shift_scoring(model: &Model, target: f64) -> f64 {
        let unit = model.score(&windows(model, 1.0, 1)).expect("score")[0].score;
        (target / unit).sqrt()
    }

    #[test]
    fn a_slow_shift_scored_normal_becomes_the_baseline() {
        let model = shipped();
        assert!(
            model.manifest().fit.drift_rate > 0.0,
            "the shipped model adapts"
        );
        let shift = shift_scoring(&model, 1.5);
        let mut tracker = Tracker::new(model.clone()).expect("tracker");
        let scores = tracker
            .score(&windows(&model, shift, 2000), 1)
            .expect("score");
        let (first, last) = (scores[0].score, scores[scores.len() - 1].score);
        assert!((first - 1.5).abs() < 1e-3, "first window {first}");
        // 2000 steps at rate 1/400: the tracked mean is within e^-5 of the shift.
        assert!(
            last < 0.01,
            "the shift is the new baseline: last window {last}"
        );
        let moved = tracker.drift()[0];
        assert!(
            (moved / shift - 1.0).abs() < 0.01,
            "drift {moved} of {shift}"
        );
        assert!(tracker.drift()[1..].iter().all(|&d| d.abs() < 1e-6));
    }

    #[test]
    fn windows_scored_above_the_gate_leave_the_baseline_alone() {
        let model = shipped();
        let gate = model.manifest().fit.drift_gate;
        let shift = shift_scoring(&model, 4.0 * gate);
        let mut tracker = Tracker::new(model.clone()).expect("tracker");
        let scores = tracker
            .score(&windows(&model, shift, 500), 1)
            .expect("score");
        assert!(scores.iter().all(|s| s.score > gate));
        assert!(tracker.drift().iter().all(|&d| d == 0.0));
    }

    #[test]
    fn rate_zero_scores_as_the_model_does() {
        let model = shipped();
        let mut manifest = model.manifest().clone();
        manifest.fit.drift_rate = 0.0;
        let fixed = Model::from_proto(manifest, model.proto().clone()).expect("model");
        let shift = shift_scoring(&fixed, 1.5);
        let x = windows(&fixed, shift, 50);
        let mut tracker = Tracker::new(fixed.clone()).expect("tracker");
        assert_eq!(
            tracker.score(&x, 1).expect("score"),
            fixed.score(&x).expect("score")
        );
    }

    #[test]
    fn a_window_batch_that_is_not_whole_windows_is_refused() {
        let model = shipped();
        let mut tracker = Tracker::new(model.clone()).expect("tracker");
        let mut x = windows(&model, 0.0, 2);
        x.pop();
        let err = tracker.score(&x, 1).expect_err("refused");
        assert!(err.to_string().contains("not whole windows"), "{err}");
    }
}
