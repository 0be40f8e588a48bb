//! Memory of the real detector: the release `anomaly-detector` binary deployed under gg-local
//! (`gg_local::testing`: the repository's recipe, the shipped PCA model staged as the component
//! the recipe depends on, the measured model through `modelDir`), fed filtered readings for
//! several devices over IPC (baseline refit, then one scored window per step and device, with an
//! injected fault so alarms run too); VmRSS idle and after, and VmHWM, read from
//! `/proc/<pid>/status` of the detector process. Prints a table and one JSON line.
//!
//! `cargo build --release -p anomaly-detector -p gg-local` first (it runs the built binaries),
//! then `cargo run --release -p anomaly-detector --example detector-rss --
//!  [--model models/pca-t2q --model models/conv-ae] [--devices 10] [--steps 1200]
//!  [--step-gap-ms 0]`

#![allow(clippy::print_stdout, reason = "a command-line report")]

mod feed;

use anomaly_detector::model::{MANIFEST_FILE, Model, ONNX_FILE};
use clap::Parser;
use component_kit::process_stats::{self, ProcessStats};
use gg_local::testing::{Deployment, LocalRuntime, arch_suffix};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
const DETECTOR: &str = "com.smartfactory.AnomalyDetector";
const PCA_COMPONENT: &str = "com.smartfactory.model.PcaT2q";

#[derive(Debug, Parser)]
struct Args {
    /// Model folders (repeat); default: every shipped model.
    #[arg(long)]
    model: Vec<PathBuf>,
    /// Devices fed to the detector.
    #[arg(long, default_value_t = 10)]
    devices: usize,
    /// Steps fed per device (the first 400 are each device's baseline).
    #[arg(long, default_value_t = 1200)]
    steps: usize,
    /// Milliseconds between steps (one step: a row of every device); 0 feeds as fast as IPC
    /// goes, which measures the backlog of readings queued for the detector as well as its
    /// state. A gap that keeps it below its rate measures the state alone.
    #[arg(long, default_value_t = 0)]
    step_gap_ms: u64,
}

/// What one run measured.
#[derive(Debug)]
struct DetectorRss {
    model: String,
    /// VmRSS once the model is loaded and nothing was fed, KiB.
    idle_kib: u64,
    /// VmRSS after the load, KiB.
    after_kib: u64,
    /// VmHWM (peak RSS) over the whole run, KiB.
    peak_kib: u64,
    /// Anomaly events the detector published (scored windows).
    events: u64,
    /// Wall time from the first reading to the last event, s.
    seconds: f64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let models = if args.model.is_empty() {
        anomaly_detector::model::shipped_model_dirs(std::path::Path::new(REPO))
    } else {
        args.model.clone()
    };
    let mut rows = Vec::new();
    for dir in &models {
        match measure(dir, &args) {
            Ok(m) => rows.push(m),
            Err(e) => {
                eprintln!("detector-rss: {}: {e}", dir.display());
                return ExitCode::FAILURE;
            }
        }
    }
    print_report(&args, &rows);
    ExitCode::SUCCESS
}

/// Deploys the detector with the model in `model_dir`, feeds `devices` x `steps` and measures.
fn measure(model_dir: &Path, args: &Args) -> Result<DetectorRss, String> {
    let devices = args.devices;
    let detector = detector_bin()?;
    let model = Model::load(model_dir).map_err(|e| e.to_string())?;
    let points = recipe_points(&model.manifest().features)?;
    let shipped_pca = PathBuf::from(REPO).join("models/pca-t2q");
    // Only its version: the manifest, not the graph.
    let pca_version = anomaly_detector::model::read_manifest(&shipped_pca)
        .map_err(|e| format!("{}: {e}", shipped_pca.display()))?
        .version;
    let point_map: serde_json::Map<String, Value> = model
        .manifest()
        .features
        .iter()
        .zip(&points)
        .map(|(f, p)| (f.clone(), json!(p)))
        .collect();
    let device_map: serde_json::Map<String, Value> = (0..devices)
        .map(|d| (feed::device_name(d), json!({ "points": point_map })))
        .collect();
    let model_dir = model_dir
        .canonicalize()
        .map_err(|e| format!("{}: {e}", model_dir.display()))?;
    let merge = json!({
        "modelDir": model_dir.display().to_string(),
        "baselineSteps": "400",
        "metricsIntervalMs": "5000",
        "devices": device_map,
    });
    // The recipe's hard dependency is staged as shipped; the measured model runs from its folder.
    let runtime = Deployment::new()
        .component(DETECTOR, &detector, "anomaly-detector", merge)
        .files(
            PCA_COMPONENT,
            &pca_version,
            &[
                &shipped_pca.join(MANIFEST_FILE),
                &shipped_pca.join(ONNX_FILE),
            ],
        )
        .runtime("thingName", json!("bench-gateway"))
        .start();
    let pid = detector_pid(&runtime, Duration::from_secs(120))?;
    let idle_kib = ProcessStats::of(pid).map_err(|e| e.to_string())?.rss_kib;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let (events, seconds) = rt.block_on(feed::feed(
        runtime.root(),
        &model,
        &points,
        devices,
        args.steps,
        Duration::from_millis(args.step_gap_ms),
    ))?;
    let stats = ProcessStats::of(pid).map_err(|e| format!("the detector exited: {e}"))?;
    Ok(DetectorRss {
        model: model.manifest().name.clone(),
        idle_kib,
        after_kib: stats.rss_kib,
        peak_kib: stats.peak_rss_kib,
        events,
        seconds,
    })
}

/// The release `anomaly-detector` binary: `target/release/`, next to `examples/` where this
/// runs from.
fn detector_bin() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("no target/<profile> folder for this example")?;
    let detector = profile_dir.join("anomaly-detector");
    if !detector.exists() {
        return Err(format!(
            "{} is missing: cargo build --release -p anomaly-detector -p gg-local",
            detector.display()
        ));
    }
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if modified(&detector) < modified(&exe) {
        eprintln!(
            "note: {} is older than this example; rebuild it with cargo build --release -p anomaly-detector",
            detector.display()
        );
    }
    Ok(detector)
}

/// The point ids the recipe's example device (the SKAB rig) maps `features` to, in their order.
fn recipe_points(features: &[String]) -> Result<Vec<String>, String> {
    let path = PathBuf::from(REPO).join(format!("recipes/{DETECTOR}.yaml"));
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let recipe: Value = serde_saphyr::from_str(&text).map_err(|e| e.to_string())?;
    let points =
        &recipe["ComponentConfiguration"]["DefaultConfiguration"]["devices"]["skab-rig"]["points"];
    features
        .iter()
        .map(|f| {
            points[f]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("the recipe's skab-rig maps no point to {f}"))
        })
        .collect()
}

/// The detector's pid once its log says it scores windows (model loaded, subscribed).
fn detector_pid(runtime: &LocalRuntime, within: Duration) -> Result<u32, String> {
    let name = format!("anomaly-detector-{}", arch_suffix());
    let deadline = Instant::now() + within;
    loop {
        if runtime.log(DETECTOR).contains("Scoring windows")
            && let Some(pid) = pid_of(runtime.scratch(), &name)
        {
            return Ok(pid);
        }
        if Instant::now() > deadline {
            return Err(format!(
                "the detector did not start within {within:?}; its log:\n{}",
                runtime.log(DETECTOR)
            ));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The process running the binary `name` staged under `dir`.
fn pid_of(dir: &Path, name: &str) -> Option<u32> {
    let dir = dir.canonicalize().ok()?;
    process_stats::pid_running(|exe| {
        exe.starts_with(&dir) && exe.file_name() == Some(name.as_ref())
    })
}

fn print_report(args: &Args, rows: &[DetectorRss]) {
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!(
        "| detector process ({} devices x {} steps, {}, release, under gg-local) | scored windows | idle RSS, MiB | RSS after, MiB | peak (VmHWM), MiB | peak, MB | target <= 40 MB |",
        args.devices,
        args.steps,
        if args.step_gap_ms == 0 {
            "fed as fast as IPC goes".to_owned()
        } else {
            format!("a step every {} ms", args.step_gap_ms)
        }
    );
    println!("|---|---|---|---|---|---|---|");
    for r in rows {
        let peak_mb = r.peak_kib as f64 * 1024.0 / 1e6;
        println!(
            "| with {} | {} in {:.1} s | {:.1} | {:.1} | {:.1} | {peak_mb:.1} | {} |",
            r.model,
            r.events,
            r.seconds,
            mib(r.idle_kib),
            mib(r.after_kib),
            mib(r.peak_kib),
            if peak_mb <= 40.0 { "met" } else { "NOT met" }
        );
    }
    let json: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "model": r.model, "idleRssKib": r.idle_kib, "rssKib": r.after_kib,
                "peakRssKib": r.peak_kib, "devices": args.devices, "steps": args.steps, "stepGapMs": args.step_gap_ms,
                "events": r.events, "seconds": (r.seconds * 100.0).round() / 100.0,
            })
        })
        .collect();
    println!("{}", json!({ "detector": json }));
}
