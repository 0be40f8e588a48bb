//! Scores SKAB-format CSVs with the shipped Rust inference path (tract) under SKAB's protocol:
//! per file, fit on the first `--fit-rows` rows (400), test on the rest; F1, FAR and MAR over all
//! test points. Prints a table next to the published leaderboard and ends with one JSON line.
//!
//! `skab-eval <data folder> [--model models/pca-t2q] [--fit-rows 400] [--no-refit]`

#![allow(clippy::print_stdout, reason = "a command-line report")]

mod counts;
mod csv;

use anomaly_detector::fit::refit;
use anomaly_detector::model::Model;
use clap::Parser;
use counts::Counts;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

/// Windows scored per tract call.
const BATCH: usize = 256;

#[derive(Debug, Parser)]
#[command(about = "SKAB outlier-detection evaluation of the shipped model through tract")]
struct Args {
    /// A folder holding SKAB-format CSVs in subfolders (`<data>/<experiment>/<n>.csv`).
    data: PathBuf,
    /// The model folder (`model.json` + `model.onnx`).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/pca-t2q"))]
    model: PathBuf,
    /// Rows at the start of each file used for fitting and calibration (SKAB: 400).
    #[arg(long, default_value_t = 400)]
    fit_rows: usize,
    /// Score with the shipped parameters instead of refitting on each file's first rows.
    #[arg(long)]
    no_refit: bool,
    /// Ablation only: refit with this scale floor instead of the model's.
    #[arg(long)]
    scale_floor: Option<f64>,
    /// Ablation only: use this threshold instead of the model's.
    #[arg(long)]
    threshold: Option<f64>,
}

fn main() -> ExitCode {
    match run(&Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("skab-eval: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    let mut shipped = Model::load(&args.model).map_err(|e| e.to_string())?;
    if args.scale_floor.is_some() || args.threshold.is_some() {
        let mut m = shipped.manifest().clone();
        m.fit.scale_floor = args.scale_floor.unwrap_or(m.fit.scale_floor);
        m.threshold = args.threshold.unwrap_or(m.threshold);
        shipped = Model::from_proto(m, shipped.proto().clone()).map_err(|e| e.to_string())?;
    }
    let features = shipped.manifest().features.clone();
    let w = shipped.window_steps();
    if args.fit_rows + 1 < w {
        return Err(format!(
            "--fit-rows must be at least {} (one window)",
            w - 1
        ));
    }
    let files = csv::files_in(&args.data).map_err(|e| format!("{}: {e}", args.data.display()))?;
    let mut by_experiment: BTreeMap<String, (usize, Counts)> = BTreeMap::new();
    let (mut total, mut used, mut skipped) = (Counts::default(), 0usize, 0usize);
    for path in &files {
        let Some(file) = csv::read(path, &features)? else {
            skipped += 1;
            continue;
        };
        if file.rows.len() <= args.fit_rows {
            skipped += 1;
            continue;
        }
        let model = if args.no_refit {
            shipped.clone()
        } else {
            refit(&shipped, &file.rows[..args.fit_rows])
                .map_err(|e| format!("{}: {e}", path.display()))?
        };
        let counts = score_file(&model, &file, args.fit_rows)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let experiment = path
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let entry = by_experiment.entry(experiment).or_default();
        entry.0 += 1;
        entry.1.merge(counts);
        total.merge(counts);
        used += 1;
    }
    if used == 0 {
        return Err(format!(
            "no labelled SKAB CSVs under {}",
            args.data.display()
        ));
    }
    print_table(args, &shipped, &by_experiment, total, used, skipped);
    println!(
        r#"{{"f1":{},"far":{},"mar":{},"files":{used},"rows":{}}}"#,
        round(total.f1(), 4),
        round(total.far(), 2),
        round(total.mar(), 2),
        total.total()
    );
    Ok(())
}

/// Scores the windows ending at each test row (causal: a row's verdict uses only its past).
fn score_file(model: &Model, file: &csv::Labelled, fit_rows: usize) -> Result<Counts, String> {
    let w = model.window_steps();
    let threshold = model.manifest().threshold;
    let ends: Vec<usize> = (fit_rows..file.rows.len()).collect();
    let mut counts = Counts::default();
    for chunk in ends.chunks(BATCH) {
        let windows: Vec<f32> = chunk
            .iter()
            .flat_map(|&t| file.rows[t + 1 - w..=t].iter().flatten().map(|&v| v as f32))
            .collect();
        let scores = model.score(&windows).map_err(|e| e.to_string())?;
        for (&t, s) in chunk.iter().zip(&scores) {
            counts.add(s.is_anomaly(threshold), file.labels[t]);
        }
    }
    Ok(counts)
}

fn print_table(
    args: &Args,
    model: &Model,
    by_experiment: &BTreeMap<String, (usize, Counts)>,
    total: Counts,
    used: usize,
    skipped: usize,
) {
    let m = model.manifest();
    println!(
        "SKAB outlier detection: {} (tract), model {} {}, {}-step windows, scale floor {}, threshold {}, {} on the first {} rows of each file",
        args.data.display(),
        m.name,
        m.version,
        m.window_steps,
        m.fit.scale_floor,
        m.threshold,
        if args.no_refit {
            "no refit (shipped parameters)"
        } else {
            "fit + calibration"
        },
        args.fit_rows
    );
    println!(
        "{used} labelled files scored, {skipped} skipped (no `anomaly` column or too short)\n"
    );
    println!("| experiment | files | test rows | F1 | FAR, % | MAR, % |");
    println!("|---|---|---|---|---|---|");
    for (name, (files, c)) in by_experiment {
        println!(
            "| {name} | {files} | {} | {:.2} | {:.2} | {:.2} |",
            c.total(),
            c.f1(),
            c.far(),
            c.mar()
        );
    }
    println!(
        "| **all ({})** | {used} | {} | **{:.2}** | **{:.2}** | **{:.2}** |\n",
        m.name,
        total.total(),
        total.f1(),
        total.far(),
        total.mar()
    );
    println!("Published SKAB leaderboard (all 34 files; not this run):");
    println!("| algorithm | F1 | FAR, % | MAR, % |");
    println!("|---|---|---|---|");
    for (name, f1, far, mar) in [
        ("Conv-AE", 0.78, 13.55, 28.02),
        ("MSET", 0.78, 39.73, 14.13),
        ("T-squared+Q (PCA-based)", 0.76, 26.62, 24.92),
        ("LSTM-AE", 0.74, 29.96, 25.92),
        ("T-squared", 0.66, 19.21, 42.6),
        ("Isolation forest", 0.29, 2.56, 82.89),
    ] {
        println!("| {name} | {f1:.2} | {far:.2} | {mar:.2} |");
    }
    println!(
        "TP={} TN={} FP={} FN={}\n",
        total.tp, total.tn, total.fp, total.fn_
    );
}

fn round(v: f64, digits: i32) -> f64 {
    let p = 10f64.powi(digits);
    (v * p).round() / p
}
