//! Refits a model on a device's own normal data, so the shipped graph keeps its shape and only
//! its initialisers and the manifest's references change.
//!
//! PCA T²+Q: the whole fit, as `models/train_pca_t2q.py::fit` does it. Autoencoder: the weights
//! stay as shipped (trained offline); the input normalisation (`mean`, `inv_scale`) and the
//! error reference are refitted, as `models/train_conv_ae.py` does on each training chunk.

use crate::eigen::symmetric_eigen;
use crate::manifest::ModelKind;
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
    let (mean, scale) = fit_scaling(rows, scale_floor);
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

/// Per-feature mean and scale `sqrt(sd² + (scaleFloor·|mean|)²)` (1 when that is 0).
pub fn fit_scaling(rows: &[Vec<f64>], scale_floor: f64) -> (Vec<f64>, Vec<f64>) {
    let f = rows.first().map_or(0, Vec::len);
    let n = rows.len().max(1) as f64;
    let mean: Vec<f64> = (0..f)
        .map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / n)
        .collect();
    let scale = (0..f)
        .map(|j| {
            let var = rows.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f64>() / n;
            let s = (var + (scale_floor * mean[j].abs()).powi(2)).sqrt();
            if s == 0.0 { 1.0 } else { s }
        })
        .collect();
    (mean, scale)
}

/// `[F, 4F]` = diag(1/scale) [M | P | I | P] with M = B diag(t2_weight) Bᵀ and
/// P = I − B diag(keep) Bᵀ, row-major; the graph holds its halves as `left` and `right` (see
/// `models/train_pca_t2q.py::projection`).
pub fn projection(p: &PcaParams) -> Vec<f64> {
    let f = p.mean.len();
    let b = |i: usize, k: usize| p.basis[i * f + k];
    let (mut m, mut r) = (vec![0.0; f * f], vec![0.0; f * f]);
    for i in 0..f {
        for j in 0..f {
            let (mut mv, mut kv) = (0.0, 0.0);
            for k in 0..f {
                mv += b(i, k) * p.t2_weight[k] * b(j, k);
                kv += b(i, k) * p.keep[k] * b(j, k);
            }
            m[i * f + j] = mv;
            r[i * f + j] = f64::from(u8::from(i == j)) - kv;
        }
    }
    let mut out = vec![0.0; f * 4 * f];
    for i in 0..f {
        let row = &mut out[i * 4 * f..(i + 1) * 4 * f];
        for j in 0..f {
            row[j] = m[i * f + j];
            row[f + j] = r[i * f + j];
            row[2 * f + j] = f64::from(u8::from(i == j));
            row[3 * f + j] = r[i * f + j];
        }
        for v in row.iter_mut() {
            *v /= p.scale[i];
        }
    }
    out
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
    let values: Vec<(&str, Vec<f64>)> = match model.manifest().kind {
        ModelKind::PcaT2q => {
            let params = fit_pca(rows, settings.scale_floor, settings.variance_kept);
            let proj = projection(&params);
            let half = |from: usize| -> Vec<f64> {
                proj.chunks(4 * f)
                    .flat_map(|row| row[from..from + 2 * f].iter().copied())
                    .collect()
            };
            vec![
                ("mean", params.mean.clone()),
                ("left", half(0)),
                ("right", half(2 * f)),
            ]
        }
        ModelKind::ConvAe => {
            let (mean, scale) = fit_scaling(rows, settings.scale_floor);
            vec![
                ("mean", mean),
                ("inv_scale", scale.iter().map(|s| 1.0 / s).collect()),
            ]
        }
    };
    let proto = with_initialisers(model.proto(), &values)?;
    let mut manifest = model.manifest().clone();
    let refitted = Model::from_proto(manifest.clone(), proto)?;
    let windows: Vec<f32> = rows
        .windows(w)
        .flat_map(|win| win.iter().flatten().map(|&v| v as f32))
        .collect();
    // One by one: a batched call would build the batch plan into every device's model, which
    // then scores one window at a time.
    let scores = refitted.score_one_by_one(&windows)?;
    let column = |i: usize| -> f64 {
        let mut v: Vec<f64> = scores.iter().map(|s| s.raw()[i]).collect();
        quantile(&mut v, settings.ref_quantile).max(f64::MIN_POSITIVE)
    };
    match manifest.kind {
        ModelKind::PcaT2q => {
            manifest.t2_ref = column(0);
            manifest.q_ref = column(1);
        }
        ModelKind::ConvAe => manifest.error_ref = column(0),
    }
    refitted.with_manifest(manifest)
}

/// The `q` quantile of `values` with linear interpolation (numpy's default); 1 is the largest.
pub fn quantile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (values.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(values.len() - 1);
    values[lo] + (values[hi] - values[lo]) * (pos - lo as f64)
}

fn with_initialisers(
    proto: &ModelProto,
    values: &[(&str, Vec<f64>)],
) -> Result<ModelProto, ModelError> {
    let values: HashMap<&str, &[f64]> = values.iter().map(|(k, v)| (*k, v.as_slice())).collect();
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
        let mut names: Vec<&str> = values.keys().copied().collect();
        names.sort_unstable();
        return Err(ModelError::Graph(format!(
            "the graph has {found} of the initialisers {names:?} the refit sets; it is not the graph its manifest's kind describes"
        )));
    }
    Ok(proto)
}
