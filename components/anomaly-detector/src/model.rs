//! A model loaded from its folder (`model.json` + `model.onnx`) and run by tract.

use crate::manifest::{Manifest, ModelKind};
use crate::score::WindowScore;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tract_onnx::pb::ModelProto;
use tract_onnx::prelude::*;

/// The manifest's file name in a model folder.
pub const MANIFEST_FILE: &str = "model.json";
/// The graph's file name in a model folder.
pub const ONNX_FILE: &str = "model.onnx";

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
#[derive(Debug, Clone)]
pub struct Model {
    manifest: Manifest,
    proto: Arc<ModelProto>,
    plan: Arc<TypedSimplePlan>,
}

impl Model {
    /// Loads and checks the model in `dir`.
    pub fn load(dir: &Path) -> Result<Self, ModelError> {
        let manifest_path = dir.join(MANIFEST_FILE);
        let text = read(&manifest_path)?;
        let manifest: Manifest =
            serde_json::from_slice(&text).map_err(|e| ModelError::Manifest {
                path: manifest_path.clone(),
                reason: e.to_string(),
            })?;
        manifest.check().map_err(|reason| ModelError::Manifest {
            path: manifest_path,
            reason,
        })?;
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
        let plan = compile(&proto, &manifest)?;
        Ok(Self {
            manifest,
            proto: Arc::new(proto),
            plan,
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
        let (w, f) = (self.window_steps(), self.features());
        if windows.is_empty() || !windows.len().is_multiple_of(w * f) {
            return Err(ModelError::Shape(format!(
                "{} values are not whole windows of {w} x {f}",
                windows.len()
            )));
        }
        let n = windows.len() / (w * f);
        let input = Tensor::from_shape(&[n, w, f], windows)
            .map_err(|e| ModelError::Run(format!("{e:#}")))?;
        let outputs = self
            .plan
            .run(tvec!(input.into()))
            .map_err(|e| ModelError::Run(format!("{e:#}")))?;
        match self.manifest.kind {
            ModelKind::PcaT2q => self.read_pca(&outputs, n),
        }
    }

    fn read_pca(&self, outputs: &[TValue], n: usize) -> Result<Vec<WindowScore>, ModelError> {
        let f = self.features();
        let t2 = slice(outputs, 0, n)?;
        let q = slice(outputs, 1, n)?;
        let t2c = slice(outputs, 2, n * f)?;
        let qc = slice(outputs, 3, n * f)?;
        Ok((0..n)
            .map(|i| {
                WindowScore::from_t2q(
                    t2[i],
                    q[i],
                    &t2c[i * f..(i + 1) * f],
                    &qc[i * f..(i + 1) * f],
                    &self.manifest,
                )
            })
            .collect())
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

fn compile(proto: &ModelProto, manifest: &Manifest) -> Result<Arc<TypedSimplePlan>, ModelError> {
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
    let typed = model.into_optimized().map_err(classify)?;
    check_io(&typed, manifest)?;
    typed
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
    let needed = match manifest.kind {
        ModelKind::PcaT2q => 4,
    };
    if outputs != needed {
        return Err(ModelError::Shape(format!(
            "the graph has {outputs} outputs, a {:?} model has {needed}",
            manifest.kind
        )));
    }
    Ok(())
}
