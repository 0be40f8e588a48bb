//! Benchmark of the shipped models: tract (the detector's path) against onnxruntime (PyPI,
//! through `tests/peers/ort_peer.py serve`) on the same file, the same input windows, the same
//! warm-up and one thread each, in interleaved rounds of the same run; then the memory of the
//! real detector process under gg-local. Prints a table and one JSON line.
//!
//! Timed calls: tract `Model::run` (copy the window in, run the plan, copy the output out)
//! against onnxruntime's `session.run` from Python (numpy in, numpy out).
//!
//! `anomaly-bench [--model models/pca-t2q --model models/conv-ae] [--python .peers/bin/python]
//!  [--iters 20000] [--windows 1000] [--rounds 10] [--devices 10] [--steps 1200] [--no-detector]`

#![allow(clippy::print_stdout, reason = "a command-line report")]

mod detector_rss;
mod engines;
mod ort;

use clap::Parser;
use engines::ModelBench;
use std::path::PathBuf;
use std::process::ExitCode;

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
const TRACT: &str = "tract-onnx 0.23.9 (Rust), `Model::run`";

#[derive(Debug, Parser)]
struct Args {
    /// Model folders (repeat); default: every shipped model.
    #[arg(long)]
    model: Vec<PathBuf>,
    /// Python with onnxruntime (the test-peer venv).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../.peers/bin/python"))]
    python: PathBuf,
    /// Single-window runs timed per engine (split over the rounds).
    #[arg(long, default_value_t = 20_000)]
    iters: usize,
    /// Windows in the input set (and per batch call).
    #[arg(long, default_value_t = 1000)]
    windows: usize,
    /// Interleaved rounds (tract, then onnxruntime, each round).
    #[arg(long, default_value_t = 10)]
    rounds: usize,
    /// Devices fed to the detector for the memory row.
    #[arg(long, default_value_t = 10)]
    devices: usize,
    /// Steps fed per device (the first 400 are each device's baseline).
    #[arg(long, default_value_t = 1200)]
    steps: usize,
    /// Skip the detector memory row (needs gg-local and the release detector binary).
    #[arg(long)]
    no_detector: bool,
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
    let script = PathBuf::from(REPO).join("components/anomaly-detector/tests/peers/ort_peer.py");
    let mut rows = Vec::new();
    for dir in &models {
        let setup = engines::Setup {
            python: &args.python,
            script: &script,
            iters: args.iters,
            windows: args.windows,
            rounds: args.rounds,
        };
        rows.push(engines::bench(&setup, dir)?);
    }
    let mut memory = Vec::new();
    if !args.no_detector {
        for dir in &models {
            memory.push(detector_memory(args, dir));
        }
    }
    print_report(args, &rows, &memory);
    Ok(())
}

fn detector_memory(args: &Args, dir: &std::path::Path) -> serde_json::Value {
    let name = dir
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    match detector_rss::measure(dir, &PathBuf::from(REPO), args.devices, args.steps) {
        Ok(m) => serde_json::json!({
            "model": name, "idleRssKib": m.idle_kib, "rssKib": m.after_kib,
            "peakRssKib": m.peak_kib, "devices": m.devices, "steps": m.steps,
            "events": m.events, "seconds": round(m.seconds),
        }),
        Err(e) => {
            eprintln!("anomaly-bench: detector memory with {name} not measured: {e}");
            serde_json::json!({"model": name, "error": e})
        }
    }
}

fn print_report(args: &Args, rows: &[ModelBench], memory: &[serde_json::Value]) {
    let ort_version = rows.first().map_or("?", |r| r.ort_version.as_str());
    println!(
        "same input, 1 thread each, {} warm-up runs each, {} single-window runs each in {} interleaved rounds; batch = {} windows per call",
        engines::WARMUP,
        args.iters,
        args.rounds,
        args.windows
    );
    println!(
        "| model | engine, timed call | single window median, µs | p99, µs | windows/s (batch {}) | load, ms |",
        args.windows
    );
    println!("|---|---|---|---|---|---|");
    for r in rows {
        for (engine, e) in [
            (TRACT.to_owned(), &r.tract),
            (
                format!("onnxruntime {ort_version} (Python), `session.run`"),
                &r.ort,
            ),
        ] {
            println!(
                "| {} | {engine} | {:.1} | {:.1} | {:.0} | {:.2} |",
                r.model, e.single_median_us, e.single_p99_us, e.windows_per_sec, e.load_ms
            );
        }
    }
    for r in rows {
        println!(
            "{}: single-window latency tract / onnxruntime {:.2} (target <= 1.0: {}); tract {:.0} windows/s (target >= 10000: {}); tract `Model::score` (run + scores) median {:.1} µs",
            r.model,
            r.ratio(),
            met(r.ratio() <= 1.0),
            r.tract.windows_per_sec,
            met(r.tract.windows_per_sec >= 10_000.0),
            r.tract_score_median_us
        );
    }
    for m in memory {
        if let Some(peak) = m["peakRssKib"].as_f64() {
            println!(
                "detector process with {} (release, under gg-local, {} devices x {} steps, {} anomaly events in {:.1} s): RSS idle {:.1} MiB, after load {:.1} MiB, peak {:.1} MiB (target <= 40 MB: {})",
                m["model"].as_str().unwrap_or("?"),
                m["devices"],
                m["steps"],
                m["events"],
                m["seconds"].as_f64().unwrap_or(f64::NAN),
                m["idleRssKib"].as_f64().unwrap_or(f64::NAN) / 1024.0,
                m["rssKib"].as_f64().unwrap_or(f64::NAN) / 1024.0,
                peak / 1024.0,
                met(peak * 1024.0 <= 40e6)
            );
        } else {
            println!(
                "detector process with {}: NOT MEASURED ({})",
                m["model"].as_str().unwrap_or("?"),
                m["error"].as_str().unwrap_or("?")
            );
        }
    }
    let bench = component_kit::process_stats::ProcessStats::current().ok();
    println!(
        "{}",
        serde_json::json!({
            "batch": args.windows,
            "rounds": args.rounds,
            "models": rows.iter().map(ModelBench::json).collect::<Vec<_>>(),
            "detector": memory,
            "benchPeakRssKib": bench.map(|s| s.peak_rss_kib),
        })
    );
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

fn round(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}
