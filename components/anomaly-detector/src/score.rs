//! One window's score, from the graph's output.

use crate::manifest::{Manifest, ModelKind};

/// The statistic a model computes for a window, before the manifest's reference divides it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Statistic {
    /// PCA: window means of Hotelling's T² (in the principal subspace) and of the squared
    /// residual Q (outside it).
    T2q {
        /// Window-mean T².
        t2: f64,
        /// Window-mean Q.
        q: f64,
    },
    /// Autoencoder: window-mean squared reconstruction error, summed over the features.
    Reconstruction {
        /// The error.
        error: f64,
    },
}

/// The score of one window.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowScore {
    /// The raw statistic.
    pub statistic: Statistic,
    /// PCA: `max(t2 / t2Ref, q / qRef)`; autoencoder: `error / errorRef`. 1.0 is the reference
    /// window of the fit data.
    pub score: f64,
    /// Each feature's share of the statistic that sets the score, in the model's feature order.
    /// The shares sum to 1; a T² share can be negative when a feature pulls the window back
    /// towards normal.
    pub contributions: Vec<f64>,
}

impl WindowScore {
    /// The score of one window from its slice of the graph's output (`kind.outputs_per_window`
    /// values).
    pub fn from_output(out: &[f32], manifest: &Manifest) -> Self {
        let f = manifest.features.len();
        match manifest.kind {
            ModelKind::PcaT2q => {
                let (t2c, qc) = out.split_at(f);
                let (t2, q) = (sum(t2c), sum(qc));
                let (a, b) = (t2 / manifest.t2_ref, q / manifest.q_ref);
                let (total, parts) = if a >= b { (t2, t2c) } else { (q, qc) };
                Self {
                    statistic: Statistic::T2q { t2, q },
                    score: a.max(b),
                    contributions: shares(parts, total),
                }
            }
            ModelKind::ConvAe => {
                let error = sum(out);
                Self {
                    statistic: Statistic::Reconstruction { error },
                    score: error / manifest.error_ref,
                    contributions: shares(out, error),
                }
            }
        }
    }

    /// The statistics compared with the references: [T², Q] or [error].
    pub fn raw(&self) -> Vec<f64> {
        match self.statistic {
            Statistic::T2q { t2, q } => vec![t2, q],
            Statistic::Reconstruction { error } => vec![error],
        }
    }

    /// Whether the score is above `threshold`.
    pub fn is_anomaly(&self, threshold: f64) -> bool {
        self.score > threshold
    }
}

fn sum(values: &[f32]) -> f64 {
    values.iter().map(|&v| f64::from(v)).sum()
}

fn shares(parts: &[f32], total: f64) -> Vec<f64> {
    parts
        .iter()
        .map(|&c| {
            if total.abs() > f64::MIN_POSITIVE {
                f64::from(c) / total
            } else {
                0.0
            }
        })
        .collect()
}
