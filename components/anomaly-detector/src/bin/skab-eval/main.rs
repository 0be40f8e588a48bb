//! Scores SKAB-format CSVs with the shipped Rust inference path (tract) under SKAB's protocol:
//! per file, fit on the first `--fit-rows` rows (400), test on the rest; F1, FAR and MAR over all
//! test points. Prints a table next to the published leaderboard and ends with one JSON line.
//!
//! `skab-eval <data folder> [--model models/pca-t2q] [--fit-rows 400] [--no-refit] [--cv]`
//!
//! `--cv` adds a leave-one-file-out cross-validation of the scale floor and the threshold
//! (`cv.rs`) and ends with its numbers instead.

#![allow(clippy::print_stdout, reason = "a command-line report")]

mod counts;
mod csv;
mod cv;

use anomaly_detector::drift::Tracker;
use anomaly_detector::fit::refit;
use anomaly_detector::model::Model;
use clap::Parser;
use counts::Counts;
use cv::{Grid, Scored, Setting};
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
    /// Also cross-validate the scale floor and the threshold, leaving one file out at a time;
    /// the closing JSON line then holds the cross-validated numbers.
    #[arg(long, conflicts_with_all = ["no_refit", "scale_floor", "threshold"])]
    cv: bool,
    /// Also cut each file without an `anomaly` column (SKAB's anomaly-free run) into slices of
    /// this many rows, fit each slice on its first rows and report the false alarm rate on the
    /// rest (all normal): a check of false alarms on normal data outside the labelled files.
    #[arg(long)]
    normal_slices: Option<usize>,
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
        shipped = shipped.with_manifest(m).map_err(|e| e.to_string())?;
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
    let mut cv_scored: Vec<Vec<Scored>> = Vec::new();
    let mut normal = Counts::default();
    for path in &files {
        let file = csv::read(path, &features)?;
        if !file.labelled {
            if let Some(rows) = args.normal_slices {
                normal.merge(
                    score_normal_slices(&shipped, args, &file, rows)
                        .map_err(|e| format!("{}: {e}", path.display()))?,
                );
            }
            skipped += 1;
            continue;
        }
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
        let in_file = |e: String| format!("{}: {e}", path.display());
        let counts = score_file(&model, &file, args.fit_rows)
            .map_err(in_file)?
            .counts(model.manifest().threshold);
        if args.cv {
            cv_scored.push(score_floors(&shipped, &file, args.fit_rows).map_err(in_file)?);
        }
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
    if args.normal_slices.is_some() {
        println!(
            "Unlabelled (normal) files in {}-row slices, each fitted on its first {} rows: {} test rows, FAR {:.2} % ({} false alarms)\n",
            args.normal_slices.unwrap_or_default(),
            args.fit_rows,
            normal.total(),
            normal.far(),
            normal.fp
        );
    }
    if args.cv {
        let cv = cross_validate(&shipped, &cv_scored, total);
        println!(
            r#"{{"f1":{},"far":{},"mar":{},"files":{used},"rows":{},"protocol":"leave-one-file-out"}}"#,
            round(cv.f1(), 4),
            round(cv.far(), 2),
            round(cv.mar(), 2),
            cv.total()
        );
        return Ok(());
    }
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
fn score_file(model: &Model, file: &csv::Labelled, fit_rows: usize) -> Result<Scored, String> {
    let w = model.window_steps();
    let ends: Vec<usize> = (fit_rows..file.rows.len()).collect();
    let mut scored = Scored::default();
    // The detector's path: windows in order, the baseline drift tracked from normal windows.
    let mut tracker = Tracker::new(model.clone()).map_err(|e| e.to_string())?;
    for chunk in ends.chunks(BATCH) {
        let windows: Vec<f32> = chunk
            .iter()
            .flat_map(|&t| file.rows[t + 1 - w..=t].iter().flatten().map(|&v| v as f32))
            .collect();
        let scores = tracker.score(&windows, 1).map_err(|e| e.to_string())?;
        for (&t, s) in chunk.iter().zip(&scores) {
            scored.scores.push(s.score);
            scored.labels.push(file.labels[t]);
        }
    }
    Ok(scored)
}

/// The false alarms on an all-normal file cut into `slice_rows`-row slices, each scored as one
/// SKAB file (fit on its first rows, test on the rest, with the model's threshold).
fn score_normal_slices(
    shipped: &Model,
    args: &Args,
    file: &csv::Labelled,
    slice_rows: usize,
) -> Result<Counts, String> {
    if slice_rows <= args.fit_rows {
        return Err(format!(
            "--normal-slices must be larger than --fit-rows ({})",
            args.fit_rows
        ));
    }
    let mut counts = Counts::default();
    for start in (0..file.rows.len().saturating_sub(slice_rows - 1)).step_by(slice_rows) {
        let slice = csv::Labelled {
            rows: file.rows[start..start + slice_rows].to_vec(),
            labels: file.labels[start..start + slice_rows].to_vec(),
            labelled: false,
        };
        let model = if args.no_refit {
            shipped.clone()
        } else {
            refit(shipped, &slice.rows[..args.fit_rows]).map_err(|e| e.to_string())?
        };
        counts.merge(score_file(&model, &slice, args.fit_rows)?.counts(model.manifest().threshold));
    }
    Ok(counts)
}

/// The file scored after a refit on its first rows with each of [`cv::FLOORS`].
fn score_floors(
    shipped: &Model,
    file: &csv::Labelled,
    fit_rows: usize,
) -> Result<Vec<Scored>, String> {
    cv::FLOORS
        .iter()
        .map(|&floor| {
            let mut m = shipped.manifest().clone();
            m.fit.scale_floor = floor;
            let with_floor = shipped.with_manifest(m).map_err(|e| e.to_string())?;
            let model = refit(&with_floor, &file.rows[..fit_rows]).map_err(|e| e.to_string())?;
            score_file(&model, file, fit_rows)
        })
        .collect()
}

/// Prints the shipped settings, the in-sample pick and the leave-one-file-out numbers; returns
/// the cross-validated counts.
fn cross_validate(shipped: &Model, scored: &[Vec<Scored>], as_shipped: Counts) -> Counts {
    let grid = Grid::new(scored);
    let (pick, in_sample) = grid.in_sample();
    let (cv, picks) = grid.leave_one_out();
    let t = cv::thresholds();
    let m = shipped.manifest();
    println!(
        "Leave-one-file-out cross-validation over {} files: the scale floor (one of {:?}) and the threshold ({} to {} in steps of 0.25) are picked on the other files (highest pooled F1 with FAR <= {} %), the held-out file is scored with them; counts pooled over the held-out files.\n",
        scored.len(),
        cv::FLOORS,
        t[0],
        t[t.len() - 1],
        cv::MAX_FAR
    );
    println!("| run | F1 | FAR, % | MAR, % |");
    println!("|---|---|---|---|");
    let row = |name: String, c: Counts| {
        println!(
            "| {name} | {:.3} | {:.2} | {:.2} |",
            c.f1(),
            c.far(),
            c.mar()
        );
    };
    row(
        format!(
            "shipped settings (floor {}, threshold {})",
            m.fit.scale_floor, m.threshold
        ),
        as_shipped,
    );
    row(
        format!(
            "in-sample: picked on all files (floor {}, threshold {})",
            pick.floor, pick.threshold
        ),
        in_sample,
    );
    row("**cross-validated (leave one file out)**".into(), cv);
    let mut tally: Vec<(Setting, usize)> = Vec::new();
    for p in picks {
        match tally.iter_mut().find(|(s, _)| *s == p) {
            Some((_, n)) => *n += 1,
            None => tally.push((p, 1)),
        }
    }
    let tally: Vec<String> = tally
        .iter()
        .map(|(s, n)| format!("floor {} threshold {}: {n}", s.floor, s.threshold))
        .collect();
    println!("\nPicks per held-out file: {}\n", tally.join(", "));
    cv
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
