//! Benchmark of the shipped model: tract (the detector's path) against onnxruntime (PyPI, through
//! `tests/peers/ort_peer.py`) on the same file and the same input, in the same run. Prints a
//! table and one JSON line.
//!
//! `anomaly-bench [--model models/pca-t2q] [--python .peers/bin/python] [--iters 10000]`

#![allow(clippy::print_stdout, reason = "a command-line report")]

use anomaly_detector::model::{Model, ONNX_FILE};
use clap::Parser;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

#[derive(Debug, Parser)]
struct Args {
    /// Model folder.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/pca-t2q"))]
    model: PathBuf,
    /// Python with onnxruntime (the test-peer venv).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../.peers/bin/python"))]
    python: PathBuf,
    /// Single-window runs timed.
    #[arg(long, default_value_t = 10_000)]
    iters: usize,
    /// Windows in the input set (and per batch call).
    #[arg(long, default_value_t = 1000)]
    windows: usize,
}

fn main() -> ExitCode {
    match run(&Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("anomaly-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    let mut loads = Vec::new();
    let mut model = None;
    for _ in 0..20 {
        let t = Instant::now();
        model = Some(Model::load(&args.model).map_err(|e| e.to_string())?);
        loads.push(t.elapsed());
    }
    let model = model.ok_or("no model")?;
    let (w, f) = (model.window_steps(), model.features());
    let input = synthetic(args.windows * w * f);
    let per = w * f;
    for i in 0..1000 {
        let k = i % args.windows;
        model
            .score(&input[k * per..(k + 1) * per])
            .map_err(|e| e.to_string())?;
    }
    let mut single = Vec::with_capacity(args.iters);
    for i in 0..args.iters {
        let k = i % args.windows;
        let t = Instant::now();
        model
            .score(&input[k * per..(k + 1) * per])
            .map_err(|e| e.to_string())?;
        single.push(t.elapsed());
    }
    single.sort();
    let t = Instant::now();
    let mut rounds = 0usize;
    while t.elapsed() < Duration::from_secs(1) {
        model.score(&input).map_err(|e| e.to_string())?;
        rounds += 1;
    }
    let tract_batch = (rounds * args.windows) as f64 / t.elapsed().as_secs_f64();
    let tract_single = micros(single[single.len() / 2]);
    let tract_p99 = micros(single[single.len() * 99 / 100]);
    let rss = process_rss_kib();

    let ort = onnxruntime(args, &input, w, f)?;
    let ort_single = ort["singleMedianUs"].as_f64().unwrap_or(f64::NAN);
    let ort_batch = ort["batchWindowsPerSec"].as_f64().unwrap_or(f64::NAN);
    let ratio = tract_single / ort_single;
    let load_ms = {
        loads.sort();
        loads[loads.len() / 2].as_secs_f64() * 1e3
    };
    let m = model.manifest();
    println!(
        "Model {} {} ({} steps x {} features), {} windows, {} single-window runs",
        m.name, m.version, w, f, args.windows, args.iters
    );
    println!(
        "| engine | single window median, µs | p99, µs | windows/s (batch {}) | load, ms |",
        args.windows
    );
    println!("|---|---|---|---|---|");
    println!(
        "| tract 0.23.9 (Rust, the detector's path) | {tract_single:.1} | {tract_p99:.1} | {tract_batch:.0} | {load_ms:.2} |"
    );
    println!(
        "| onnxruntime {} (Python, 1 thread) | {ort_single:.1} | {:.1} | {ort_batch:.0} | {:.2} |",
        ort["onnxruntime"].as_str().unwrap_or("?"),
        ort["singleP99Us"].as_f64().unwrap_or(f64::NAN),
        ort["loadMs"].as_f64().unwrap_or(f64::NAN)
    );
    println!(
        "tract / onnxruntime single-window latency ratio: {ratio:.2} (target <= 1.0); tract windows/s {tract_batch:.0} (target >= 10000)"
    );
    println!(
        "bench process peak RSS (tract + model + this run): {:.1} MiB (target <= 40)",
        rss.1 as f64 / 1024.0
    );
    println!(
        "{}",
        serde_json::json!({
            "model": m.name, "version": m.version,
            "tractSingleUs": round(tract_single), "tractP99Us": round(tract_p99),
            "tractWindowsPerSec": tract_batch.round(), "ortSingleUs": round(ort_single),
            "ortWindowsPerSec": ort_batch.round(), "singleRatio": round(ratio),
            "loadMs": round(load_ms), "rssKib": rss.0, "peakRssKib": rss.1,
        })
    );
    Ok(())
}

fn onnxruntime(
    args: &Args,
    input: &[f32],
    w: usize,
    f: usize,
) -> Result<serde_json::Value, String> {
    let dir = std::env::temp_dir().join(format!("anomaly-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let data = dir.join("input.f32");
    let bytes: Vec<u8> = input.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(&data, bytes).map_err(|e| e.to_string())?;
    let out = Command::new(&args.python)
        .arg(PathBuf::from(REPO).join("components/anomaly-detector/tests/peers/ort_peer.py"))
        .arg("bench")
        .arg(args.model.join(ONNX_FILE))
        .arg(&data)
        .args([
            args.windows.to_string(),
            w.to_string(),
            f.to_string(),
            args.iters.to_string(),
        ])
        .output()
        .map_err(|e| {
            format!(
                "{}: {e} (create the venv: scripts/setup-test-env.sh)",
                args.python.display()
            )
        })?;
    let _ignored = std::fs::remove_dir_all(&dir);
    if !out.status.success() {
        return Err(format!(
            "onnxruntime peer failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.trim()).map_err(|e| format!("onnxruntime peer output {text:?}: {e}"))
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

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn round(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// (VmRSS, VmHWM) of this process, KiB; zeros when /proc cannot be read.
fn process_rss_kib() -> (u64, u64) {
    component_kit::process_stats::ProcessStats::current()
        .map_or((0, 0), |s| (s.rss_kib, s.peak_rss_kib))
}
