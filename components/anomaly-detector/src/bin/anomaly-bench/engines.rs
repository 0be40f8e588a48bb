//! tract against onnxruntime on one model: load time, single-window latency and batch rate, in
//! interleaved rounds so both engines see the same machine load.

use crate::ort::OrtPeer;
use anomaly_detector::model::{Model, ONNX_FILE};
use std::path::Path;
use std::time::{Duration, Instant};

/// Untimed single-window runs per engine before timing.
pub const WARMUP: usize = 1000;
/// Time spent on batch calls per engine, seconds (split over the rounds).
const BATCH_SECS: f64 = 2.0;

/// The fixed settings.
#[derive(Debug)]
pub struct Setup<'a> {
    pub python: &'a Path,
    pub script: &'a Path,
    pub iters: usize,
    pub windows: usize,
    pub rounds: usize,
}

/// One engine's numbers.
#[derive(Debug, Default)]
pub struct Engine {
    pub single_median_us: f64,
    pub single_p99_us: f64,
    pub windows_per_sec: f64,
    pub load_ms: f64,
}

impl Engine {
    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "singleMedianUs": round(self.single_median_us),
            "singleP99Us": round(self.single_p99_us),
            "batchWindowsPerSec": self.windows_per_sec.round(),
            "loadMs": round(self.load_ms),
        })
    }
}

/// One model's row pair.
#[derive(Debug)]
pub struct ModelBench {
    pub model: String,
    pub version: String,
    pub ort_version: String,
    pub tract: Engine,
    pub ort: Engine,
    /// `Model::score` (run + per-window scores and contributions), median µs.
    pub tract_score_median_us: f64,
}

impl ModelBench {
    /// tract / onnxruntime single-window median latency.
    pub fn ratio(&self) -> f64 {
        self.tract.single_median_us / self.ort.single_median_us
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "model": self.model, "version": self.version, "onnxruntime": self.ort_version,
            "tract": self.tract.json(), "ort": self.ort.json(),
            "tractScoreMedianUs": round(self.tract_score_median_us),
            "singleRatio": round(self.ratio()),
        })
    }
}

/// Benchmarks the model in `dir`.
pub fn bench(setup: &Setup<'_>, dir: &Path) -> Result<ModelBench, String> {
    let mut loads = Vec::new();
    let mut model = None;
    for _ in 0..20 {
        let t = Instant::now();
        model = Some(Model::load(dir).map_err(|e| format!("{}: {e}", dir.display()))?);
        loads.push(t.elapsed());
    }
    let model = model.ok_or("no model")?;
    let (n, w, f) = (setup.windows, model.window_steps(), model.features());
    let input = synthetic(n * w * f);
    let mut peer = OrtPeer::start(
        setup.python,
        setup.script,
        &dir.join(ONNX_FILE),
        &input,
        (n, w, f),
    )?;
    let per = w * f;
    let window = |k: usize| &input[(k % n) * per..(k % n + 1) * per];
    let run = |k: usize| model.run(window(k)).map_err(|e| e.to_string());
    for k in 0..WARMUP {
        run(k)?;
    }
    // The batch plan is compiled on the first batched call: outside the timed runs.
    model.run(&input).map_err(|e| e.to_string())?;
    peer.single(0, WARMUP)?;
    let rounds = setup.rounds.max(1);
    let each = setup.iters.div_ceil(rounds);
    let (mut tract, mut ort, mut score) = (Vec::new(), Vec::new(), Vec::new());
    let (mut tract_batch, mut ort_batch) = ((0.0, 0.0), (0.0, 0.0));
    let slice = BATCH_SECS / rounds as f64;
    for r in 0..rounds {
        let start = r * each;
        for k in start..start + each {
            let t = Instant::now();
            run(k)?;
            tract.push(t.elapsed());
        }
        ort.extend(peer.single(start, each)?);
        // The detector's own call, for reference (not in the ratio: onnxruntime has no
        // equivalent of the scoring step).
        for k in start..start + each / 10 {
            let t = Instant::now();
            model.score(window(k)).map_err(|e| e.to_string())?;
            score.push(t.elapsed());
        }
        let t = Instant::now();
        let mut done = 0usize;
        while t.elapsed().as_secs_f64() < slice {
            model.run(&input).map_err(|e| e.to_string())?;
            done += n;
        }
        tract_batch.0 += done as f64;
        tract_batch.1 += t.elapsed().as_secs_f64();
        let (windows, secs) = peer.batch(slice)?;
        ort_batch.0 += windows;
        ort_batch.1 += secs;
    }
    loads.sort();
    Ok(ModelBench {
        model: model.manifest().name.clone(),
        version: model.manifest().version.clone(),
        ort_version: peer.version.clone(),
        tract: Engine {
            single_median_us: quantile(&mut tract, 0.5),
            single_p99_us: quantile(&mut tract, 0.99),
            windows_per_sec: tract_batch.0 / tract_batch.1,
            load_ms: loads[loads.len() / 2].as_secs_f64() * 1e3,
        },
        ort: Engine {
            single_median_us: quantile(&mut ort, 0.5),
            single_p99_us: quantile(&mut ort, 0.99),
            windows_per_sec: ort_batch.0 / ort_batch.1,
            load_ms: peer.load_ms,
        },
        tract_score_median_us: quantile(&mut score, 0.5),
    })
}

fn quantile(times: &mut [Duration], q: f64) -> f64 {
    if times.is_empty() {
        return f64::NAN;
    }
    times.sort_unstable();
    let ix = ((times.len() as f64 * q) as usize).min(times.len() - 1);
    times[ix].as_secs_f64() * 1e6
}

/// Deterministic pseudo-random values around SKAB-like levels.
fn synthetic(n: usize) -> Vec<f32> {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    (0..n)
        .map(|i| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let noise = (seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
            [0.027, 0.04, 1.0, 0.07, 70.0, 25.0, 230.0, 32.0][i % 8] * (1.0 + 0.05 * noise)
        })
        .collect()
}

fn round(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}
