//! tract against onnxruntime on the shipped model, and the Rust refit against the Python fit.

use crate::support::{
    LEVELS, python, repo, shipped_model, shipped_models, synthetic_rows, temp, windows_of,
};
use anomaly_detector::fit::refit;
use anomaly_detector::model::Model;
use anomaly_detector::score::WindowScore;
use std::path::Path;
use std::process::Command;

/// Relative tolerance: |a - b| <= TOL * max(1, |b|).
const TOL: f64 = 1e-5;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

/// Runs the onnxruntime peer on `windows` and returns its outputs by name.
fn onnxruntime(
    model: &Path,
    windows: &[f32],
    n: usize,
    w: usize,
    f: usize,
) -> Vec<(String, Vec<f32>)> {
    let dir = temp("adort");
    let input = dir.path().join("input.f32");
    let bytes: Vec<u8> = windows.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(&input, bytes).unwrap();
    let out = Command::new(python())
        .arg(repo().join("components/anomaly-detector/tests/peers/ort_peer.py"))
        .arg("run")
        .arg(model)
        .arg(&input)
        .args([n.to_string(), w.to_string(), f.to_string()])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "onnxruntime peer: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let names: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
    names
        .into_iter()
        .map(|name| {
            let raw = std::fs::read(dir.path().join(format!("{name}.f32"))).unwrap();
            let values = raw
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            (name, values)
        })
        .collect()
}

/// Normal rows, then the same with a flow drop and a temperature rise (anomalous windows).
fn normal_then_fault() -> Vec<Vec<f64>> {
    let mut rows = synthetic_rows(200, 1);
    for row in rows.iter_mut().skip(120) {
        row[7] *= 0.7;
        row[4] += 5.0;
    }
    rows
}

/// tract's output equals onnxruntime's on every shipped model, value by value, in one batch
/// and window by window (the single-window plan), and the fault is seen.
#[test]
fn tract_equals_onnxruntime_on_the_shipped_models() {
    for dir in shipped_models() {
        let model = Model::load(&dir).unwrap();
        let (w, f) = (model.window_steps(), model.features());
        let windows = windows_of(&normal_then_fault(), w);
        let n = windows.len() / (w * f);
        let batch = model.run(&windows).unwrap();
        let ort = onnxruntime(&dir.join("model.onnx"), &windows, n, w, f);
        let names: Vec<&str> = ort.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["contrib"], "{}", dir.display());
        let want = &ort[0].1;
        assert_eq!(batch.len(), want.len());
        let per = want.len() / n;
        let mut worst: f64 = 0.0;
        for (i, (a, b)) in batch.iter().zip(want).enumerate() {
            let one = model
                .run(&windows[(i / per) * w * f..(i / per + 1) * w * f])
                .unwrap();
            for t in [f64::from(*a), f64::from(one[i % per])] {
                let b = f64::from(*b);
                assert!(
                    close(t, b, TOL),
                    "{}: value {i}: tract {t} vs onnxruntime {b}",
                    dir.display()
                );
                worst = worst.max((t - b).abs() / b.abs().max(1.0));
            }
        }
        let scores = model.score(&windows).unwrap();
        assert!(
            scores.iter().any(|s| s.score > model.manifest().threshold),
            "{}: the test input holds anomalous windows",
            dir.display()
        );
        println!("{}: worst relative difference {worst:e}", dir.display());
    }
}

#[test]
fn tract_contributions_equal_onnxruntime() {
    for dir in shipped_models() {
        let model = Model::load(&dir).unwrap();
        let (w, f) = (model.window_steps(), model.features());
        let windows = windows_of(&synthetic_rows(100, 2), w);
        let n = windows.len() / (w * f);
        let ort = onnxruntime(&dir.join("model.onnx"), &windows, n, w, f);
        let scores = model.score(&windows).unwrap();
        let per = ort[0].1.len() / n;
        for (i, s) in scores.iter().enumerate() {
            // Shares of the statistic that sets the score, from onnxruntime's raw output.
            let want =
                WindowScore::from_output(&ort[0].1[i * per..(i + 1) * per], model.manifest());
            assert!(
                close(s.score, want.score, 1e-4),
                "window {i}: {} vs {}",
                s.score,
                want.score
            );
            for (j, (c, o)) in s.contributions.iter().zip(&want.contributions).enumerate() {
                assert!(
                    (c - o).abs() <= 1e-4,
                    "{}: window {i} feature {j}: {c} vs {o}",
                    dir.display()
                );
            }
            assert!((s.contributions.iter().sum::<f64>() - 1.0).abs() < 1e-6);
        }
    }
}

#[test]
fn the_rust_refit_equals_the_python_training_fit() {
    let dir = temp("adfit");
    let train = dir.path().join("train/exp");
    std::fs::create_dir_all(&train).unwrap();
    let rows = synthetic_rows(600, 3);
    let names = Model::load(&shipped_model())
        .unwrap()
        .manifest()
        .features
        .clone();
    let mut csv = format!("datetime;{};anomaly\n", names.join(";"));
    for (i, r) in rows.iter().enumerate() {
        let cells: Vec<String> = r.iter().map(|v| format!("{v:.9}")).collect();
        csv.push_str(&format!("t{i};{};0\n", cells.join(";")));
    }
    std::fs::write(train.join("0.csv"), csv).unwrap();
    let out_dir = dir.path().join("model");
    // SageMaker script mode: the script reads its folders from the environment.
    let status = Command::new(python())
        .arg(repo().join("models/train_pca_t2q.py"))
        .env("SM_CHANNEL_TRAIN", dir.path().join("train"))
        .env("SM_MODEL_DIR", &out_dir)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "train: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let python_model = Model::load(&out_dir).unwrap();
    // Round the rows as the CSV did, then refit the shipped graph in Rust.
    let rounded: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|v| format!("{v:.9}").parse().unwrap())
                .collect()
        })
        .collect();
    let rust_model = refit(&Model::load(&shipped_model()).unwrap(), &rounded).unwrap();
    let (p, r) = (python_model.manifest(), rust_model.manifest());
    assert!(
        close(r.t2_ref, p.t2_ref, 1e-4),
        "t2Ref {} vs {}",
        r.t2_ref,
        p.t2_ref
    );
    assert!(
        close(r.q_ref, p.q_ref, 1e-4),
        "qRef {} vs {}",
        r.q_ref,
        p.q_ref
    );
    let mut test = synthetic_rows(120, 4);
    for row in test.iter_mut().skip(80) {
        row[2] *= 1.3;
    }
    let windows = windows_of(&test, r.window_steps);
    let (a, b) = (
        python_model.score(&windows).unwrap(),
        rust_model.score(&windows).unwrap(),
    );
    for (x, y) in a.iter().zip(&b) {
        assert!(
            close(y.score, x.score, 1e-3),
            "score {} (Rust fit) vs {} (Python fit)",
            y.score,
            x.score
        );
    }
    assert_eq!(LEVELS.len(), r.features.len());
}
