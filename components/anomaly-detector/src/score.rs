//! One window's score, from the graph's outputs.

use crate::manifest::Manifest;

/// The score of one window.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowScore {
    /// Window mean of Hotelling's T² (in the principal subspace).
    pub t2: f64,
    /// Window mean of the squared residual Q (outside it).
    pub q: f64,
    /// `max(t2 / t2Ref, q / qRef)`: 1.0 is the worst window seen in training.
    pub score: f64,
    /// Each feature's share of the statistic that sets the score (T² or Q), in the model's
    /// feature order. The shares sum to 1; a T² share can be negative when a feature pulls
    /// the window back towards normal.
    pub contributions: Vec<f64>,
}

impl WindowScore {
    /// Combines T², Q and their per-feature parts with the manifest's references.
    pub fn from_t2q(t2: f32, q: f32, t2c: &[f32], qc: &[f32], manifest: &Manifest) -> Self {
        let (t2, q) = (f64::from(t2), f64::from(q));
        let (a, b) = (t2 / manifest.t2_ref, q / manifest.q_ref);
        let (total, parts) = if a >= b { (t2, t2c) } else { (q, qc) };
        let contributions = parts
            .iter()
            .map(|&c| {
                if total.abs() > f64::MIN_POSITIVE {
                    f64::from(c) / total
                } else {
                    0.0
                }
            })
            .collect();
        Self {
            t2,
            q,
            score: a.max(b),
            contributions,
        }
    }

    /// Whether the score is above `threshold`.
    pub fn is_anomaly(&self, threshold: f64) -> bool {
        self.score > threshold
    }
}
