//! Refits a PCA T²+Q model on a device's own normal data: the same algorithm as
//! `models/train_pca_t2q.py::fit`, so the shipped graph keeps its shape and only its
//! initialisers and the manifest's references change.

use crate::eigen::symmetric_eigen;
use crate::model::{Model, ModelError};
use std::collections::HashMap;
use tract_onnx::pb::ModelProto;

/// The fitted parameters, in the graph's initialiser layout.
#[derive(Debug, Clone, PartialEq)]
pub struct PcaParams {
    /// Per-feature mean.
    pub mean: Vec<f64>,
    /// Per-feature scale: `sqrt(sd² + (scaleFloor·|mean|)²)`, 1 when that is 0.
    pub scale: Vec<f64>,
    /// Principal axes as columns, largest variance first, row-major [F, F].
    pub basis: Vec<f64>,
    /// `1/λ` for kept axes, 0 for the rest.
    pub t2_weight: Vec<f64>,
    /// 1 for kept axes, 0 for the rest.
    pub keep: Vec<f64>,
    /// Number of kept axes.
    pub axes_kept: usize,
}

/// Fits the parameters on `rows` (each `features` long).
pub fn fit_pca(rows: &[Vec<f64>], scale_floor: f64, variance_kept: f64) -> PcaParams {
    let f = rows.first().map_or(0, Vec::len);
    let n = rows.len().max(1) as f64;
    let mean: Vec<f64> = (0..f)
        .map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / n)
        .collect();
    let scale: Vec<f64> = (0..f)
        .map(|j| {
            let var = rows.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f64>() / n;
            let s = (var + (scale_floor * mean[j].abs()).powi(2)).sqrt();
            if s == 0.0 { 1.0 } else { s }
        })
        .collect();
    let z: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| (0..f).map(|j| (r[j] - mean[j]) / scale[j]).collect())
        .collect();
    let zmean: Vec<f64> = (0..f)
        .map(|j| z.iter().map(|r| r[j]).sum::<f64>() / n)
        .collect();
    let mut cov = vec![0.0; f * f];
    for i in 0..f {
        for j in i..f {
            let c = z
                .iter()
                .map(|r| (r[i] - zmean[i]) * (r[j] - zmean[j]))
                .sum::<f64>()
                / (n - 1.0).max(1.0);
            cov[i * f + j] = c;
            cov[j * f + i] = c;
        }
    }
    let (values, basis) = symmetric_eigen(&cov, f);
    let values: Vec<f64> = values.into_iter().map(|v| v.max(0.0)).collect();
    let total = values.iter().sum::<f64>().max(1e-30);
    let mut cumulative = 0.0;
    let below = values
        .iter()
        .take_while(|&&v| {
            cumulative += v;
            cumulative / total <= variance_kept
        })
        .count();
    let axes_kept = (below + 1).min(f);
    let t2_weight = (0..f)
        .map(|k| {
            if k < axes_kept {
                1.0 / values[k].max(1e-12)
            } else {
                0.0
            }
        })
        .collect();
    let keep = (0..f)
        .map(|k| if k < axes_kept { 1.0 } else { 0.0 })
        .collect();
    PcaParams {
        mean,
        scale,
        basis,
        t2_weight,
        keep,
        axes_kept,
    }
}

/// `model` with its parameters refitted on `rows` and its references recalibrated on the
/// same rows' full windows. Needs at least one full window more than the feature count.
pub fn refit(model: &Model, rows: &[Vec<f64>]) -> Result<Model, ModelError> {
    let f = model.features();
    let w = model.window_steps();
    if rows.len() < w.max(f + 1) || rows.iter().any(|r| r.len() != f) {
        return Err(ModelError::Shape(format!(
            "refit needs at least {} rows of {f} values, got {}",
            w.max(f + 1),
            rows.len()
        )));
    }
    let settings = model.manifest().fit;
    let params = fit_pca(rows, settings.scale_floor, settings.variance_kept);
    let proto = with_params(model.proto(), &params, f)?;
    let mut manifest = model.manifest().clone();
    let refitted = Model::from_proto(manifest.clone(), proto.clone())?;
    let windows: Vec<f32> = rows
        .windows(w)
        .flat_map(|win| win.iter().flatten().map(|&v| v as f32))
        .collect();
    let scores = refitted.score(&windows)?;
    manifest.t2_ref = scores
        .iter()
        .map(|s| s.t2)
        .fold(f64::MIN_POSITIVE, f64::max);
    manifest.q_ref = scores.iter().map(|s| s.q).fold(f64::MIN_POSITIVE, f64::max);
    Model::from_proto(manifest, proto)
}

fn with_params(proto: &ModelProto, p: &PcaParams, f: usize) -> Result<ModelProto, ModelError> {
    let transposed: Vec<f64> = (0..f * f).map(|i| p.basis[(i % f) * f + i / f]).collect();
    let values: HashMap<&str, &[f64]> = HashMap::from([
        ("mean", p.mean.as_slice()),
        ("scale", p.scale.as_slice()),
        ("basis", p.basis.as_slice()),
        ("basis_t", transposed.as_slice()),
        ("t2_weight", p.t2_weight.as_slice()),
        ("keep", p.keep.as_slice()),
    ]);
    let mut proto = proto.clone();
    let graph = proto
        .graph
        .as_mut()
        .ok_or_else(|| ModelError::Graph("the model has no graph".into()))?;
    let mut found = 0;
    for init in &mut graph.initializer {
        if let Some(v) = values.get(init.name.as_str()) {
            let expected: i64 = init.dims.iter().product();
            if usize::try_from(expected).ok() != Some(v.len()) {
                return Err(ModelError::Shape(format!(
                    "initialiser {} has {expected} values, the fit gives {}",
                    init.name,
                    v.len()
                )));
            }
            init.float_data = v.iter().map(|&x| x as f32).collect();
            init.raw_data.clear();
            found += 1;
        }
    }
    if found != values.len() {
        return Err(ModelError::Graph(format!(
            "the graph has {found} of the {} PCA initialisers; it is not a pca-t2q graph",
            values.len()
        )));
    }
    Ok(proto)
}
