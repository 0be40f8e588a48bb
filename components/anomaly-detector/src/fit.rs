//! Refits a model on a device's own normal data, so the shipped graph keeps its shape and only
//! its initialisers and the manifest's references change.
//!
//! PCA T²+Q: the whole fit, as `models/train_pca_t2q.py::fit` does it, compiled into a graph of
//! the device's own. Autoencoder: the weights stay as shipped (trained offline); the input
//! normalisation (`mean`, `inv_scale`) and the error reference are refitted, as
//! `models/train_conv_ae.py` does on each training chunk, and the normalisation becomes an
//! input map in front of the shipped graph's compiled plan, which every device then shares.

use crate::eigen::symmetric_eigen;
use crate::manifest::ModelKind;
use crate::model::{InputMap, Model, ModelError, initialiser};
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
    let refitted = match model.manifest().kind {
        ModelKind::PcaT2q => {
            let params = fit_pca(rows, settings.scale_floor, settings.variance_kept);
            let proj = projection(&params);
            let half = |from: usize| -> Vec<f64> {
                proj.chunks(4 * f)
                    .flat_map(|row| row[from..from + 2 * f].iter().copied())
                    .collect()
            };
            recompiled(
                model,
                &[
                    ("mean", params.mean.clone()),
                    ("left", half(0)),
                    ("right", half(2 * f)),
                ],
            )?
        }
        ModelKind::ConvAe => {
            let (mean, scale) = fit_scaling(rows, settings.scale_floor);
            let inv_scale: Vec<f64> = scale.iter().map(|s| 1.0 / s).collect();
            renormalised(model, &mean, &inv_scale)?
        }
    };
    let mut manifest = model.manifest().clone();
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

/// `model` with its graph's initialisers set to `values`, compiled anew.
fn recompiled(model: &Model, values: &[(&str, Vec<f64>)]) -> Result<Model, ModelError> {
    let proto = with_initialisers(model.proto(), values)?;
    Model::from_proto(model.manifest().clone(), proto)
}

/// `model` normalising its input with `mean` and `inv_scale`: its compiled graph behind an
/// input map (shared by every device refitted this way), or, when the graph's own scale admits
/// no map, a graph compiled with them.
fn renormalised(model: &Model, mean: &[f64], inv_scale: &[f64]) -> Result<Model, ModelError> {
    let graph_mean = initialiser(model.proto(), "mean")?;
    let graph_inv_scale = initialiser(model.proto(), "inv_scale")?;
    match InputMap::renormalising(&graph_mean, &graph_inv_scale, mean, inv_scale) {
        Some(map) => model.with_input_map(map),
        None => recompiled(
            model,
            &[("mean", mean.to_vec()), ("inv_scale", inv_scale.to_vec())],
        ),
    }
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::path::Path;

    fn shipped(name: &str) -> Model {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../models")
            .join(name);
        Model::load(&dir).expect("a shipped model loads")
    }

    /// `n` rows of `f` values, `value(feature, u)` of a uniform `u` in [0, 1) from an
    /// xorshift stream started at `seed`.
    pub(crate) fn noisy_rows(
        f: usize,
        n: usize,
        mut seed: u64,
        value: impl Fn(usize, f64) -> f64,
    ) -> Vec<Vec<f64>> {
        (0..n)
            .map(|_| {
                (0..f)
                    .map(|j| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        value(j, (seed >> 11) as f64 / (1u64 << 53) as f64)
                    })
                    .collect()
            })
            .collect()
    }

    /// Rows around a device's own levels, far from the shipped normalisation.
    fn device_rows(f: usize, n: usize) -> Vec<Vec<f64>> {
        noisy_rows(f, n, 0x9e37_79b9_7f4a_7c15, |j, u| {
            (j as f64 + 1.0) * 10.0 * (1.0 + 0.05 * (u - 0.5))
        })
    }

    #[test]
    fn a_conv_ae_refit_maps_the_input_and_scores_as_a_recompiled_graph() {
        let model = shipped("conv-ae");
        let (f, w) = (model.features(), model.window_steps());
        let rows = device_rows(f, 400);
        let refitted = refit(&model, &rows).expect("refit");
        let (mean, scale) = fit_scaling(&rows, model.manifest().fit.scale_floor);
        assert_eq!(refitted.mapped_centre(), Some(mean.as_slice()));
        let inv_scale: Vec<f64> = scale.iter().map(|s| 1.0 / s).collect();
        let compiled = recompiled(&model, &[("mean", mean.clone()), ("inv_scale", inv_scale)])
            .expect("recompiled");
        assert_eq!(compiled.mapped_centre(), None);
        // Windows of the baseline and a shifted one (a fault on every feature).
        let mut windows: Vec<f32> = rows[..w].iter().flatten().map(|&v| v as f32).collect();
        windows.extend(rows[w..2 * w].iter().flatten().map(|&v| (v * 1.3) as f32));
        let mapped = refitted.run(&windows).expect("mapped run");
        let direct = compiled.run(&windows).expect("recompiled run");
        assert_eq!(mapped.len(), direct.len());
        for (a, b) in mapped.iter().zip(&direct) {
            assert!(
                (a - b).abs() <= 1e-4 * b.abs().max(1.0),
                "mapped {a} against recompiled {b}"
            );
        }
        // The shifted window's error is far above the baseline's: the map does not flatten it.
        let error = |out: &[f32]| out.iter().map(|&v| f64::from(v)).sum::<f64>();
        assert!(
            error(&mapped[f..]) > 5.0 * error(&mapped[..f]),
            "{mapped:?}"
        );
    }
}
