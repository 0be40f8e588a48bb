//! A model loaded from its folder (`model.json` + `model.onnx`) and run by tract.

use crate::graph_rewrite;
use crate::manifest::{Manifest, ModelKind};
use crate::score::WindowScore;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use tract_onnx::pb::ModelProto;
use tract_onnx::prelude::*;

/// The manifest's file name in a model folder.
pub const MANIFEST_FILE: &str = "model.json";
/// The graph's file name in a model folder.
pub const ONNX_FILE: &str = "model.onnx";

/// The model folders the repository ships under `<repo>/models/`, the default first.
pub const SHIPPED_MODELS: [&str; 2] = ["pca-t2q", "conv-ae"];

/// Every shipped model folder of the repository at `repo`.
pub fn shipped_model_dirs(repo: &std::path::Path) -> Vec<std::path::PathBuf> {
    SHIPPED_MODELS
        .iter()
        .map(|m| repo.join("models").join(m))
        .collect()
}
/// Windows per run of a model kind's batch plan, the fastest per window measured with tract
/// 0.23.9 on x86-64 (AVX2): the PCA graph gains up to 32 windows per run (220k windows/s against
/// 65k one by one). The Conv-AE graph gains nothing (about 18.9k windows/s one by one, 18.6k at
/// 4, and slower from 8 windows on, where tract builds the convolutions' im2col buffers in full
/// instead of lazily), so it runs window by window and has no batch plan.
///
/// The batch plan is compiled on the first call that runs a full (or at least a third full)
/// batch, never at load: the detector scores window by window (drift tracking) and refits
/// calibrate window by window, so a device model never holds one; only bulk callers (the
/// benchmark's batch rate, `skab-eval` without drift tracking) build it.
pub fn batch_size(kind: ModelKind) -> usize {
    match kind {
        ModelKind::PcaT2q => 32,
        ModelKind::ConvAe => 1,
    }
}

/// Why a model cannot be used. Each names its cause; none panics.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A file of the model is missing or unreadable.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// `model.json` is not valid.
    #[error("bad manifest {path}: {reason}")]
    Manifest {
        /// The file.
        path: PathBuf,
        /// The cause.
        reason: String,
    },
    /// `model.onnx` is not the file the manifest describes (corrupt or replaced).
    #[error("model.onnx checksum mismatch: manifest says {expected}, file is {actual}")]
    Checksum {
        /// From the manifest.
        expected: String,
        /// Of the file.
        actual: String,
    },
    /// The bytes are not an ONNX model.
    #[error("model.onnx is not a valid ONNX model: {0}")]
    Decode(String),
    /// The graph uses an operator tract does not implement.
    #[error("model.onnx uses an operator tract does not support: {0}")]
    UnsupportedOp(String),
    /// The graph cannot be analysed or optimised.
    #[error("model.onnx cannot be prepared: {0}")]
    Graph(String),
    /// The graph's input or outputs disagree with the manifest or the configured points.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// Inference failed.
    #[error("inference failed: {0}")]
    Run(String),
}

/// A runnable model.
///
/// Two plans of the same graph, each with every shape known when it is made (tract runs a plan
/// with a symbolic batch size several times slower): one for a single window (the detector's
/// usual call, one window per step and device), compiled at load, and, when [`batch_size`] is
/// above 1, one for that many windows, compiled on first use, which larger calls go through in
/// chunks (the last one padded). Each keeps one run state, reused from call to call, so a run
/// allocates only its input and outputs. Clones share the states (runs are serialised by a
/// mutex), the batch one too once built.
#[derive(Debug, Clone)]
pub struct Model {
    manifest: Arc<Manifest>,
    proto: Arc<ModelProto>,
    single: Arc<Mutex<TypedSimpleState>>,
    /// Built by [`Model::batch_state`]; the error text when it could not be.
    batch: Arc<OnceLock<Result<Mutex<TypedSimpleState>, String>>>,
    /// Applied to every raw value before the graph, if set.
    input_map: Option<Arc<InputMap>>,
}

/// A per-feature affine map of the raw values, `x * gain + offset`, applied before the graph:
/// a device whose refit changes only the graph's input normalisation (the Conv-AE's `mean` and
/// `inv_scale`) runs the shipped graph's compiled plan behind its own map instead of compiling
/// a graph of its own (about 0.3 MiB per device).
#[derive(Debug, Clone, PartialEq)]
pub struct InputMap {
    gain: Vec<f64>,
    offset: Vec<f64>,
    /// The mean the graph then effectively centres its input on (for drift tracking).
    centre: Vec<f64>,
}

impl InputMap {
    /// The map under which a graph normalising `(x - graph_mean) * graph_inv_scale` computes
    /// `(x - mean) * inv_scale` instead; `None` if a graph scale is 0 or not finite (no such
    /// map exists).
    pub fn renormalising(
        graph_mean: &[f64],
        graph_inv_scale: &[f64],
        mean: &[f64],
        inv_scale: &[f64],
    ) -> Option<Self> {
        let n = graph_mean.len();
        if [graph_inv_scale.len(), mean.len(), inv_scale.len()] != [n, n, n] {
            return None;
        }
        let mut map = Self {
            gain: Vec::with_capacity(n),
            offset: Vec::with_capacity(n),
            centre: mean.to_vec(),
        };
        for i in 0..n {
            let g = inv_scale[i] / graph_inv_scale[i];
            if !g.is_finite() || graph_inv_scale[i] == 0.0 {
                return None;
            }
            // (x * g + graph_mean - mean * g - graph_mean) * graph_inv_scale
            //   = (x - mean) * inv_scale
            map.gain.push(g);
            map.offset.push(graph_mean[i] - mean[i] * g);
        }
        Some(map)
    }

    /// `values` (whole rows of the map's features) mapped.
    fn apply(&self, values: &[f32]) -> Vec<f32> {
        let per_feature = self.gain.iter().zip(&self.offset).cycle();
        values
            .iter()
            .zip(per_feature)
            .map(|(&x, (gain, offset))| (f64::from(x) * gain + offset) as f32)
            .collect()
    }
}

/// Reads and checks the manifest of the model in `dir`, without loading its graph.
pub fn read_manifest(dir: &Path) -> Result<Manifest, ModelError> {
    let manifest_path = dir.join(MANIFEST_FILE);
    let text = read(&manifest_path)?;
    let manifest: Manifest = serde_json::from_slice(&text).map_err(|e| ModelError::Manifest {
        path: manifest_path.clone(),
        reason: e.to_string(),
    })?;
    manifest.check().map_err(|reason| ModelError::Manifest {
        path: manifest_path,
        reason,
    })?;
    Ok(manifest)
}

impl Model {
    /// Loads and checks the model in `dir`.
    pub fn load(dir: &Path) -> Result<Self, ModelError> {
        let manifest = read_manifest(dir)?;
        let bytes = read(&dir.join(ONNX_FILE))?;
        let actual = sha256_hex(&bytes);
        if !actual.eq_ignore_ascii_case(&manifest.onnx_sha256) {
            return Err(ModelError::Checksum {
                expected: manifest.onnx_sha256.clone(),
                actual,
            });
        }
        Self::from_bytes(manifest, &bytes)
    }

    /// A model from its manifest and ONNX bytes (no checksum check).
    pub fn from_bytes(manifest: Manifest, bytes: &[u8]) -> Result<Self, ModelError> {
        let proto = tract_onnx::onnx()
            .proto_model_for_read(&mut &bytes[..])
            .map_err(|e| ModelError::Decode(format!("{e:#}")))?;
        Self::from_proto(manifest, proto)
    }

    /// A model from its manifest and decoded graph.
    pub fn from_proto(manifest: Manifest, proto: ModelProto) -> Result<Self, ModelError> {
        let single = spawn(&compile(&proto, &manifest, 1)?)?;
        Ok(Self {
            manifest: Arc::new(manifest),
            proto: Arc::new(proto),
            single: Arc::new(single),
            batch: Arc::new(OnceLock::new()),
            input_map: None,
        })
    }

    /// The same compiled graph (plans and run states shared, as with a clone) behind `map`,
    /// which replaces any map this model had.
    pub fn with_input_map(&self, map: InputMap) -> Result<Self, ModelError> {
        if map.gain.len() != self.features() {
            return Err(ModelError::Shape(format!(
                "an input map of {} features for a model of {}",
                map.gain.len(),
                self.features()
            )));
        }
        Ok(Self {
            input_map: Some(Arc::new(map)),
            ..self.clone()
        })
    }

    /// The mean its input map centres on, if it has one (else the graph's own `mean`).
    pub fn mapped_centre(&self) -> Option<&[f64]> {
        self.input_map.as_deref().map(|m| m.centre.as_slice())
    }

    /// The mean the model centres its raw input on: its input map's, else the graph's `mean`
    /// initialiser (both model kinds centre their input on it).
    pub fn input_centre(&self) -> Result<Vec<f64>, ModelError> {
        match self.mapped_centre() {
            Some(centre) => Ok(centre.to_vec()),
            None => initialiser(&self.proto, "mean"),
        }
    }

    /// The same compiled graph (plans and run states shared, as with a clone) under `manifest`,
    /// which may change only what the graph does not read (name, threshold, references, fit
    /// settings): recompiling for those would cost a full tract compile for nothing.
    pub fn with_manifest(&self, manifest: Manifest) -> Result<Self, ModelError> {
        let old = &self.manifest;
        if manifest.kind != old.kind
            || manifest.features != old.features
            || manifest.window_steps != old.window_steps
        {
            return Err(ModelError::Shape(format!(
                "a new manifest for the compiled graph must keep its kind {:?}, {} features \
                 {:?} and {} window steps; it gives {:?}, {} features {:?}, {} window steps",
                old.kind,
                old.features.len(),
                old.features,
                old.window_steps,
                manifest.kind,
                manifest.features.len(),
                manifest.features,
                manifest.window_steps
            )));
        }
        Ok(Self {
            manifest: Arc::new(manifest),
            ..self.clone()
        })
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The decoded graph (for refitting).
    pub fn proto(&self) -> &ModelProto {
        &self.proto
    }

    /// Number of features per step.
    pub fn features(&self) -> usize {
        self.manifest.features.len()
    }

    /// Steps per window.
    pub fn window_steps(&self) -> usize {
        self.manifest.window_steps
    }

    /// Checks that the configured feature names are the model's, in its order.
    pub fn check_features(&self, configured: &[String]) -> Result<(), ModelError> {
        if configured != self.manifest.features.as_slice() {
            return Err(ModelError::Shape(format!(
                "the model {} {} takes {} features {:?}, the configuration gives {} {:?}",
                self.manifest.name,
                self.manifest.version,
                self.manifest.features.len(),
                self.manifest.features,
                configured.len(),
                configured
            )));
        }
        Ok(())
    }

    /// Scores `windows`: row-major [n, window_steps, features] raw values.
    pub fn score(&self, windows: &[f32]) -> Result<Vec<WindowScore>, ModelError> {
        Ok(self.scores_of(&self.run(windows)?))
    }

    /// Scores `windows` as [`Model::score`] does, but one window per run of the single-window
    /// plan, so the batch plan is not built: for a model that goes on to score one window at a
    /// time (a device's refit calibrates this way). On x86-64 the two plans give the same bits.
    pub fn score_one_by_one(&self, windows: &[f32]) -> Result<Vec<WindowScore>, ModelError> {
        Ok(self.scores_of(&self.run_in(windows, 1)?))
    }

    fn scores_of(&self, out: &[f32]) -> Vec<WindowScore> {
        let per = self.manifest.kind.outputs_per_window(self.features());
        out.chunks_exact(per)
            .map(|o| WindowScore::from_output(o, &self.manifest))
            .collect()
    }

    /// The graph's output for `windows` ([n, window_steps, features] raw values):
    /// `kind.outputs_per_window` values per window.
    pub fn run(&self, windows: &[f32]) -> Result<Vec<f32>, ModelError> {
        self.run_in(windows, batch_size(self.manifest.kind))
    }

    /// [`Model::run`] in runs of `batch` windows (1: the single-window plan only).
    fn run_in(&self, windows: &[f32], batch: usize) -> Result<Vec<f32>, ModelError> {
        let (w, f) = (self.window_steps(), self.features());
        if windows.is_empty() || !windows.len().is_multiple_of(w * f) {
            return Err(ModelError::Shape(format!(
                "{} values are not whole windows of {w} x {f}",
                windows.len()
            )));
        }
        let mapped;
        let windows = match &self.input_map {
            Some(map) => {
                mapped = map.apply(windows);
                mapped.as_slice()
            }
            None => windows,
        };
        let n = windows.len() / (w * f);
        let per = self.manifest.kind.outputs_per_window(f);
        if n == 1 {
            return self.run_plan(&self.single, windows, 1, per);
        }
        let mut out = Vec::with_capacity(n * per);
        if batch == 1 {
            for one in windows.chunks(w * f) {
                out.extend(self.run_plan(&self.single, one, 1, per)?);
            }
            return Ok(out);
        }
        for chunk in windows.chunks(batch * w * f) {
            let k = chunk.len() / (w * f);
            if k == batch {
                out.extend(self.run_plan(self.batch_state()?, chunk, batch, per)?);
            } else if k * 3 < batch {
                // A short tail goes window by window: cheaper than a padded batch run.
                for one in chunk.chunks(w * f) {
                    out.extend(self.run_plan(&self.single, one, 1, per)?);
                }
            } else {
                let mut padded = chunk.to_vec();
                padded.resize(batch * w * f, 0.0);
                let values = self.run_plan(self.batch_state()?, &padded, batch, per)?;
                out.extend_from_slice(&values[..k * per]);
            }
        }
        Ok(out)
    }

    /// The batch plan's run state ([`batch_size`] windows), compiled on the first call (by any
    /// clone).
    fn batch_state(&self) -> Result<&Mutex<TypedSimpleState>, ModelError> {
        self.batch
            .get_or_init(|| {
                let n = batch_size(self.manifest.kind);
                compile(&self.proto, &self.manifest, n)
                    .and_then(|plan| spawn(&plan))
                    .map_err(|e| format!("the {n}-window batch plan: {e}"))
            })
            .as_ref()
            .map_err(|e| ModelError::Graph(e.clone()))
    }

    fn run_plan(
        &self,
        state: &Mutex<TypedSimpleState>,
        windows: &[f32],
        n: usize,
        per: usize,
    ) -> Result<Vec<f32>, ModelError> {
        let input = Tensor::from_shape(&[n, self.window_steps(), self.features()], windows)
            .map_err(|e| ModelError::Run(format!("{e:#}")))?;
        let outputs = state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .run(tvec!(input.into()))
            .map_err(|e| ModelError::Run(format!("{e:#}")))?;
        Ok(slice(&outputs, 0, n * per)?.to_vec())
    }
}

/// SHA-256 of `bytes` in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn read(path: &Path) -> Result<Vec<u8>, ModelError> {
    std::fs::read(path).map_err(|source| ModelError::Io {
        path: path.to_owned(),
        source,
    })
}

fn slice(outputs: &[TValue], ix: usize, len: usize) -> Result<&[f32], ModelError> {
    let out = outputs
        .get(ix)
        .ok_or_else(|| ModelError::Shape(format!("the graph has no output {ix}")))?;
    let values = out
        .try_as_plain_ram()
        .and_then(|v| v.as_slice::<f32>())
        .map_err(|e| ModelError::Shape(format!("output {ix} is not f32: {e:#}")))?;
    if values.len() != len {
        return Err(ModelError::Shape(format!(
            "output {ix} has {} values, expected {len}",
            values.len()
        )));
    }
    Ok(values)
}

/// The values of the graph's float initialiser `name`.
pub(crate) fn initialiser(proto: &ModelProto, name: &str) -> Result<Vec<f64>, ModelError> {
    let init = proto
        .graph
        .as_ref()
        .ok_or_else(|| ModelError::Graph("the model has no graph".into()))?
        .initializer
        .iter()
        .find(|i| i.name == name)
        .ok_or_else(|| ModelError::Graph(format!("the graph has no `{name}` initialiser")))?;
    Ok(if init.float_data.is_empty() {
        init.raw_data
            .chunks_exact(4)
            .map(|b| f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])))
            .collect()
    } else {
        init.float_data.iter().map(|&v| f64::from(v)).collect()
    })
}

/// A run state of `plan`.
fn spawn(plan: &Arc<TypedSimplePlan>) -> Result<Mutex<TypedSimpleState>, ModelError> {
    plan.spawn()
        .map(Mutex::new)
        .map_err(|e| ModelError::Graph(format!("{e:#}")))
}

/// The plan for `n` windows per run.
fn compile(
    proto: &ModelProto,
    manifest: &Manifest,
    n: usize,
) -> Result<Arc<TypedSimplePlan>, ModelError> {
    let classify = |e: TractError| {
        let text = format!("{e:?}");
        if text.contains("Unimplemented") || text.contains("unimplemented") {
            ModelError::UnsupportedOp(first_unimplemented(&text))
        } else {
            ModelError::Graph(format!("{e:#}"))
        }
    };
    let model = tract_onnx::onnx()
        .model_for_proto_model(proto)
        .map_err(classify)?;
    let typed = model.clone().into_typed().map_err(classify)?;
    check_io(&typed, manifest)?;
    let model = match graph_rewrite::middle_axis_means_as_matmul(proto, &typed) {
        Some(faster) => tract_onnx::onnx()
            .model_for_proto_model(&faster)
            .map_err(classify)?,
        None => model,
    };
    let fact = InferenceFact::dt_shape(
        f32::datum_type(),
        tvec![n, manifest.window_steps, manifest.features.len()],
    );
    model
        .with_input_fact(0, fact)
        .and_then(|m| m.into_optimized())
        .map_err(classify)?
        .into_runnable()
        .map_err(|e| ModelError::Graph(format!("{e:#}")))
}

/// The operator named in tract's "Unimplemented(Op)" text, or the whole text.
fn first_unimplemented(text: &str) -> String {
    text.find("Unimplemented(")
        .and_then(|at| {
            let rest = &text[at + "Unimplemented(".len()..];
            rest.find(')').map(|end| rest[..end].to_owned())
        })
        .unwrap_or_else(|| text.to_owned())
}

fn check_io(model: &TypedModel, manifest: &Manifest) -> Result<(), ModelError> {
    let fact = model
        .input_fact(0)
        .map_err(|e| ModelError::Shape(format!("the graph has no input: {e:#}")))?;
    let dims: Vec<Option<usize>> = fact
        .shape
        .iter()
        .map(|d| d.as_i64().and_then(|v| usize::try_from(v).ok()))
        .collect();
    let want = [manifest.window_steps, manifest.features.len()];
    if dims.len() != 3 || dims[1] != Some(want[0]) || dims[2] != Some(want[1]) {
        return Err(ModelError::Shape(format!(
            "the graph's input is {:?}, the manifest says [N, {}, {}] ({} steps x {} features)",
            fact.shape, want[0], want[1], want[0], want[1]
        )));
    }
    let outputs = model.output_outlets().map(<[_]>::len).unwrap_or(0);
    if outputs != 1 {
        return Err(ModelError::Shape(format!(
            "the graph has {outputs} outputs, a {:?} model has one",
            manifest.kind
        )));
    }
    let per = manifest.kind.outputs_per_window(manifest.features.len());
    let out = model
        .output_fact(0)
        .map_err(|e| ModelError::Shape(format!("the graph's output: {e:#}")))?;
    let last = out.shape.iter().last().and_then(|d| d.as_i64());
    if out.shape.len() != 2 || last != i64::try_from(per).ok() {
        return Err(ModelError::Shape(format!(
            "the graph's output is {:?}, a {:?} model over {} features gives [N, {per}]",
            out.shape,
            manifest.kind,
            manifest.features.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_input_map_renormalises_and_refuses_a_zero_graph_scale() {
        // Graph: (x - 1) * 0.5. Wanted: (x - 2) * 4, so x maps to x * 8 - 15.
        let map = InputMap::renormalising(&[1.0], &[0.5], &[2.0], &[4.0]).expect("a map");
        let graph = |x: f32| (f64::from(x) - 1.0) * 0.5;
        for x in [-3.0f32, 0.0, 2.0, 2.25, 100.0] {
            let mapped = map.apply(&[x])[0];
            assert!(
                (graph(mapped) - (f64::from(x) - 2.0) * 4.0).abs() < 1e-4,
                "x {x}"
            );
        }
        assert_eq!(map.centre, vec![2.0]);
        assert!(InputMap::renormalising(&[1.0], &[0.0], &[2.0], &[1.0]).is_none());
        assert!(InputMap::renormalising(&[1.0], &[1.0], &[2.0, 3.0], &[1.0, 1.0]).is_none());
    }

    fn shipped() -> Model {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/pca-t2q");
        Model::load(&dir).expect("the shipped PCA model loads")
    }

    #[test]
    fn with_manifest_swaps_only_the_manifest() {
        let model = shipped();
        let mut manifest = model.manifest().clone();
        manifest.threshold *= 2.0;
        manifest.t2_ref *= 4.0;
        let swapped = model.with_manifest(manifest.clone()).expect("same graph");
        assert_eq!(swapped.manifest(), &manifest);
        let windows = vec![0.5_f32; model.window_steps() * model.features() * 3];
        assert_eq!(
            swapped.run(&windows).expect("run"),
            model.run(&windows).expect("run")
        );
    }

    #[test]
    fn the_batch_plan_is_built_only_by_a_batched_call() {
        let model = shipped();
        let len = model.window_steps() * model.features();
        let built = |m: &Model| m.batch.get().is_some();
        // A short call (under a third of a batch) goes window by window, as the detector's do.
        model.run(&vec![0.5_f32; len * 5]).expect("run");
        assert!(!built(&model));
        let rows =
            crate::fit::tests::noisy_rows(model.features(), 200, 0x2545_f491_4f6c_dd1d, |j, u| {
                j as f64 + u
            });
        let device = crate::fit::refit(&model, &rows).expect("refit");
        assert!(
            !built(&device),
            "the refit's calibration built a batch plan"
        );
        let windows: Vec<f32> = rows
            .windows(model.window_steps())
            .take(batch_size(model.manifest().kind))
            .flat_map(|w| w.iter().flatten().map(|&v| v as f32))
            .collect();
        let batched = model.run(&windows).expect("run");
        assert!(built(&model));
        let swapped = model.with_manifest(model.manifest().clone()).expect("same");
        assert!(built(&swapped), "clones share the built plan");
        // What a refit's calibration computes one by one is what the batch plan gives.
        assert_eq!(model.run_in(&windows, 1).expect("run"), batched);
    }

    #[test]
    fn with_manifest_refuses_a_different_input_or_kind() {
        let model = shipped();
        let changes: [fn(&mut Manifest); 3] = [
            |m| drop(m.features.pop()),
            |m| m.window_steps += 1,
            |m| m.kind = ModelKind::ConvAe,
        ];
        for change in changes {
            let mut manifest = model.manifest().clone();
            change(&mut manifest);
            let err = model.with_manifest(manifest).expect_err("refused");
            assert!(matches!(err, ModelError::Shape(_)), "{err}");
        }
    }
}
