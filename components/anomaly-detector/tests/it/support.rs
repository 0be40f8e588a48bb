//! Paths and data shared by the tests.

use serde_json::Value;
use std::path::PathBuf;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The recipe `recipes/{name}.yaml`.
pub fn recipe(name: &str) -> Value {
    let text = std::fs::read_to_string(repo().join(format!("recipes/{name}.yaml"))).unwrap();
    serde_saphyr::from_str(&text).unwrap()
}

/// The point ids the detector recipe's example device (the SKAB rig) maps `features` to.
pub fn recipe_points(features: &[String]) -> Vec<String> {
    let recipe = recipe("com.smartfactory.AnomalyDetector");
    let points =
        &recipe["ComponentConfiguration"]["DefaultConfiguration"]["devices"]["skab-rig"]["points"];
    features
        .iter()
        .map(|f| {
            let point = points[f].as_str();
            point.unwrap_or_else(|| panic!("the recipe maps no point to {f}"))
        })
        .map(str::to_owned)
        .collect()
}

/// The shipped model folder the detector's recipe depends on.
pub fn shipped_model() -> PathBuf {
    repo().join("models/pca-t2q")
}

/// Every shipped model folder.
pub fn shipped_models() -> Vec<PathBuf> {
    anomaly_detector::model::shipped_model_dirs(&repo())
}

/// Python with numpy, onnx and onnxruntime: `$PEERS_PYTHON`, else the repository's `.peers`.
pub fn python() -> PathBuf {
    let path = std::env::var_os("PEERS_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".peers/bin/python"));
    assert!(
        path.exists(),
        "{} missing: create the test venv (scripts/setup-test-env.sh) with numpy, onnx and onnxruntime",
        path.display()
    );
    path
}

/// The SKAB feature levels (means of the anomaly-free file, rounded).
pub const LEVELS: [f64; 8] = [0.027, 0.040, 1.0, 0.07, 70.0, 25.0, 230.0, 32.0];

/// Deterministic pseudo-random rows: correlated noise around [`LEVELS`].
pub fn synthetic_rows(n: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    (0..n)
        .map(|_| {
            let common = next();
            LEVELS
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    l * (1.0 + 0.01 * (next() + if i % 2 == 0 { common } else { -common }))
                })
                .collect()
        })
        .collect()
}

/// Every full window of `rows`, flattened, as f32.
pub fn windows_of(rows: &[Vec<f64>], w: usize) -> Vec<f32> {
    rows.windows(w)
        .flat_map(|win| win.iter().flatten().map(|&v| v as f32))
        .collect()
}

/// A folder under /tmp, removed on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// The folder.
    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A new empty folder under /tmp named after `prefix`, the process and a counter.
pub fn temp(prefix: &str) -> TempDir {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = PathBuf::from(format!("/tmp/{prefix}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

/// Copies the shipped model into `dir`.
pub fn copy_shipped(dir: &std::path::Path) {
    std::fs::create_dir_all(dir).unwrap();
    for f in ["model.onnx", "model.json"] {
        std::fs::copy(shipped_model().join(f), dir.join(f)).unwrap();
    }
}
