//! `model.json`: what the detector needs to know about a model besides its ONNX graph.
//!
//! Written by the training scripts in `models/` next to `model.onnx`; both are the artifacts of
//! the model's own Greengrass component.

use serde::{Deserialize, Serialize};

/// The model's description and calibration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// The model's name (`pca-t2q`).
    pub name: String,
    /// The model's version (`1.0.0`); with the name, it tags every anomaly event.
    pub version: String,
    /// How to read the graph's outputs.
    pub kind: ModelKind,
    /// The feature names, in the order of the input's last axis.
    pub features: Vec<String>,
    /// Steps per window (the input's second axis).
    pub window_steps: usize,
    /// The sampling period the model was trained at, milliseconds.
    pub step_ms: u64,
    /// A window is an anomaly when its score is above this.
    pub threshold: f64,
    /// PCA: the largest window-mean T² seen on the training data (the score divides by it).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub t2_ref: f64,
    /// PCA: the largest window-mean Q seen on the training data.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub q_ref: f64,
    /// Autoencoder: the reconstruction error the score divides by (the `fit.refQuantile`
    /// quantile of the training windows' errors).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub error_ref: f64,
    /// How the parameters were fitted; the detector refits with the same settings.
    pub fit: FitSettings,
    /// SHA-256 of `model.onnx`, lower-case hex; checked at load.
    pub onnx_sha256: String,
}

/// What the graph computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ModelKind {
    /// Windowed PCA T²+Q: one output `contrib` [N, 2F], each feature's window-mean part of T²,
    /// then of Q (T² and Q are their sums).
    PcaT2q,
    /// Autoencoder: one output `contrib` [N, F], each feature's window-mean squared
    /// reconstruction error of the normalised input (the error is their sum).
    ConvAe,
}

impl ModelKind {
    /// Values of the graph's one output per window, for `features` features.
    pub fn outputs_per_window(self, features: usize) -> usize {
        match self {
            Self::PcaT2q => 2 * features,
            Self::ConvAe => features,
        }
    }
}

/// The fit's settings (see the training scripts in `models/`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FitSettings {
    /// Each feature's scale is at least this share of its mean's magnitude.
    pub scale_floor: f64,
    /// PCA: the kept principal axes explain more than this share of the variance.
    #[serde(default)]
    pub variance_kept: f64,
    /// Which quantile of the fit windows' statistic becomes the reference the score divides
    /// by (1: the largest).
    #[serde(default = "one")]
    pub ref_quantile: f64,
    /// Per step, how far the tracked baseline mean moves towards a reading of a window scored
    /// normal (`drift.rs`); 0 (the default) keeps the fit's mean.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub drift_rate: f64,
    /// Windows scored at most this update the tracked baseline.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub drift_gate: f64,
}

fn one() -> f64 {
    1.0
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

impl Manifest {
    /// Checks the fields that cannot be checked by their types.
    pub fn check(&self) -> Result<(), String> {
        if self.features.is_empty() {
            return Err("features is empty".into());
        }
        if self.window_steps == 0 {
            return Err("windowSteps must be at least 1".into());
        }
        if self.step_ms == 0 {
            return Err("stepMs must be at least 1".into());
        }
        let refs: &[(&str, f64)] = match self.kind {
            ModelKind::PcaT2q => &[("t2Ref", self.t2_ref), ("qRef", self.q_ref)],
            ModelKind::ConvAe => &[("errorRef", self.error_ref)],
        };
        if !(self.fit.ref_quantile > 0.0 && self.fit.ref_quantile <= 1.0) {
            return Err(format!(
                "fit.refQuantile must be in (0, 1], got {}",
                self.fit.ref_quantile
            ));
        }
        if !(0.0..1.0).contains(&self.fit.drift_rate) {
            return Err(format!(
                "fit.driftRate must be in [0, 1), got {}",
                self.fit.drift_rate
            ));
        }
        for &(key, v) in [("threshold", self.threshold)].iter().chain(refs) {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!("{key} must be a positive number, got {v}"));
            }
        }
        Ok(())
    }
}
