//! Benchmark of the shipped models: tract (the detector's path) against onnxruntime (PyPI,
//! through `tests/peers/ort_peer.py serve`) on the same file, the same input windows, the same
//! warm-up and one thread each, in interleaved rounds of the same run. Prints a table and one JSON
//! line. (The detector process's memory under gg-local: the `detector-rss` example.)
//!
//! Timed calls: tract `Model::run` (copy the window in, run the plan, copy the output out)
//! against onnxruntime's `session.run` from Python (numpy in, numpy out).
//!
//! `anomaly-bench [--model models/pca-t2q --model models/conv-ae] [--python .peers/bin/python]
//!  [--iters 20000] [--windows 1000] [--rounds 10]`

#![allow(clippy::print_stdout, reason = "a command-line report")]

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
        anomaly_detector::model::shipped_model_dirs(std::path::Path::new(REPO))
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
    print_report(args, &rows);
    Ok(())
}

fn print_report(args: &Args, rows: &[ModelBench]) {
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
    let bench = component_kit::process_stats::ProcessStats::current().ok();
    println!(
        "{}",
        serde_json::json!({
            "batch": args.windows,
            "rounds": args.rounds,
            "models": rows.iter().map(ModelBench::json).collect::<Vec<_>>(),
            "benchPeakRssKib": bench.map(|s| s.peak_rss_kib),
        })
    );
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}
