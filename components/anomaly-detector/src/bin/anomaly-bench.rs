//! Benchmark of the shipped models: tract (the detector's path, `Model::score`) against
//! onnxruntime (PyPI, through `tests/peers/ort_peer.py`) on the same file, the same input and the
//! same batch size, in the same run. Prints a table and one JSON line.
//!
//! `anomaly-bench [--model models/pca-t2q --model models/conv-ae] [--python .peers/bin/python]
//!  [--iters 10000] [--windows 1000]`

#![allow(clippy::print_stdout, reason = "a command-line report")]

use anomaly_detector::model::{Model, ONNX_FILE};
use clap::Parser;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

#[derive(Debug, Parser)]
struct Args {
    /// Model folders (repeat); default: every shipped model.
    #[arg(long)]
    model: Vec<PathBuf>,
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
    let models = if args.model.is_empty() {
        ["pca-t2q", "conv-ae"]
            .iter()
            .map(|m| PathBuf::from(REPO).join("models").join(m))
            .collect()
    } else {
        args.model.clone()
    };
    let mut rows = Vec::new();
    for dir in &models {
        rows.push(bench(args, dir)?);
    }
    let rss = process_rss_kib();
    println!(
        "{} windows per batch call (both engines), {} single-window runs; onnxruntime {} (Python, 1 thread)",
        args.windows,
        args.iters,
        rows.first()
            .and_then(|r| r["ort"]["onnxruntime"].as_str())
            .unwrap_or("?")
    );
    println!(
        "| model | engine | single window median, µs | p99, µs | windows/s (batch {}) | load, ms |",
        args.windows
    );
    println!("|---|---|---|---|---|---|");
    for r in &rows {
        let (t, o) = (&r["tract"], &r["ort"]);
        let name = r["model"].as_str().unwrap_or("?");
        println!(
            "| {name} | tract 0.23.9 (Rust, the detector's path) | {:.1} | {:.1} | {:.0} | {:.2} |",
            num(t, "singleMedianUs"),
            num(t, "singleP99Us"),
            num(t, "batchWindowsPerSec"),
            num(t, "loadMs")
        );
        println!(
            "| {name} | onnxruntime (Python, 1 thread) | {:.1} | {:.1} | {:.0} | {:.2} |",
            num(o, "singleMedianUs"),
            num(o, "singleP99Us"),
            num(o, "batchWindowsPerSec"),
            num(o, "loadMs")
        );
    }
    for r in &rows {
        println!(
            "{}: tract / onnxruntime single-window latency ratio {:.2} (target <= 1.0); tract windows/s {:.0} (target >= 10000)",
            r["model"].as_str().unwrap_or("?"),
            num(r, "singleRatio"),
            num(&r["tract"], "batchWindowsPerSec")
        );
    }
    println!(
        "bench process RSS {:.1} MiB, peak {:.1} MiB (tract + all models + this run; target <= 40)",
        rss.0 as f64 / 1024.0,
        rss.1 as f64 / 1024.0
    );
    println!(
        "{}",
        serde_json::json!({
            "batch": args.windows,
            "models": rows,
            "rssKib": rss.0,
            "peakRssKib": rss.1,
        })
    );
    Ok(())
}

/// One model: load time, single-window latency and batched rate through tract, then the same
/// through onnxruntime.
fn bench(args: &Args, dir: &std::path::Path) -> Result<serde_json::Value, String> {
    let mut loads = Vec::new();
    let mut model = None;
    for _ in 0..20 {
        let t = Instant::now();
        model = Some(Model::load(dir).map_err(|e| format!("{}: {e}", dir.display()))?);
        loads.push(t.elapsed());
    }
    let model = model.ok_or("no model")?;
    let (w, f) = (model.window_steps(), model.features());
    let input = synthetic(args.windows * w * f);
    let per = w * f;
    let score = |k: usize| model.score(&input[k * per..(k + 1) * per]);
    for i in 0..1000 {
        score(i % args.windows).map_err(|e| e.to_string())?;
    }
    let mut single = Vec::with_capacity(args.iters);
    for i in 0..args.iters {
        let t = Instant::now();
        score(i % args.windows).map_err(|e| e.to_string())?;
        single.push(t.elapsed());
    }
    single.sort();
    model.score(&input).map_err(|e| e.to_string())?;
    let t = Instant::now();
    let mut rounds = 0usize;
    while t.elapsed() < Duration::from_secs(1) {
        model.score(&input).map_err(|e| e.to_string())?;
        rounds += 1;
    }
    let batch = (rounds * args.windows) as f64 / t.elapsed().as_secs_f64();
    let single_us = micros(single[single.len() / 2]);
    loads.sort();
    let ort = onnxruntime(args, dir, &input, w, f)?;
    let ratio = single_us / num(&ort, "singleMedianUs");
    Ok(serde_json::json!({
        "model": model.manifest().name, "version": model.manifest().version,
        "tract": {
            "singleMedianUs": round(single_us),
            "singleP99Us": round(micros(single[single.len() * 99 / 100])),
            "batchWindowsPerSec": batch.round(),
            "loadMs": round(loads[loads.len() / 2].as_secs_f64() * 1e3),
        },
        "ort": ort,
        "singleRatio": round(ratio),
    }))
}

fn num(v: &serde_json::Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or(f64::NAN)
}

fn onnxruntime(
    args: &Args,
    model: &std::path::Path,
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
        .arg(model.join(ONNX_FILE))
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
