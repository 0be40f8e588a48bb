//! `model.json`: what the detector needs to know about a model besides its ONNX graph.
//!
//! Written by `models/train_pca_t2q.py` next to `model.onnx`; both are the artifacts of the
//! model's own Greengrass component.

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
    /// The largest window-mean T² seen on the training data (the score divides by it).
    pub t2_ref: f64,
    /// The largest window-mean Q seen on the training data.
    pub q_ref: f64,
    /// How the parameters were fitted; the detector refits with the same settings.
    pub fit: FitSettings,
    /// SHA-256 of `model.onnx`, lower-case hex; checked at load.
    pub onnx_sha256: String,
}

/// What the graph computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ModelKind {
    /// Windowed PCA T²+Q: outputs `t2` [N], `q` [N], `t2_contrib` [N, F], `q_contrib` [N, F].
    PcaT2q,
}

/// The fit's settings (see `models/train_pca_t2q.py`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FitSettings {
    /// Each feature's scale is at least this share of its mean's magnitude.
    pub scale_floor: f64,
    /// The kept principal axes explain more than this share of the variance.
    pub variance_kept: f64,
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
        for (key, v) in [
            ("threshold", self.threshold),
            ("t2Ref", self.t2_ref),
            ("qRef", self.q_ref),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!("{key} must be a positive number, got {v}"));
            }
        }
        Ok(())
    }
}
