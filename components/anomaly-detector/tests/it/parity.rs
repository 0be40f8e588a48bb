//! tract against onnxruntime on the shipped model, and the Rust refit against the Python fit.

use crate::support::{LEVELS, python, repo, shipped_model, synthetic_rows, temp, windows_of};
use anomaly_detector::fit::refit;
use anomaly_detector::model::Model;
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

#[test]
fn tract_equals_onnxruntime_on_the_shipped_model() {
    let model = Model::load(&shipped_model()).unwrap();
    let (w, f) = (model.window_steps(), model.features());
    // Normal rows, then the same with a flow drop and a temperature rise (anomalous windows).
    let mut rows = synthetic_rows(200, 1);
    for row in rows.iter_mut().skip(120) {
        row[7] *= 0.7;
        row[4] += 5.0;
    }
    let windows = windows_of(&rows, w);
    let n = windows.len() / (w * f);
    let scores = model.score(&windows).unwrap();
    let ort = onnxruntime(&shipped_model().join("model.onnx"), &windows, n, w, f);
    let names: Vec<&str> = ort.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["t2", "q", "t2_contrib", "q_contrib"]);
    let mut worst: f64 = 0.0;
    for (i, s) in scores.iter().enumerate() {
        let (t2, q) = (f64::from(ort[0].1[i]), f64::from(ort[1].1[i]));
        assert!(
            close(s.t2, t2, TOL) && close(s.q, q, TOL),
            "window {i}: tract {} {} vs onnxruntime {t2} {q}",
            s.t2,
            s.q
        );
        worst = worst.max((s.t2 - t2).abs() / t2.abs().max(1.0));
    }
    assert_eq!(scores.len(), n);
    assert!(
        scores.iter().any(|s| s.score > model.manifest().threshold),
        "the test input holds anomalous windows"
    );
    assert!(worst <= TOL, "worst relative difference {worst}");
}

#[test]
fn tract_contributions_equal_onnxruntime() {
    let model = Model::load(&shipped_model()).unwrap();
    let (w, f) = (model.window_steps(), model.features());
    let rows = synthetic_rows(100, 2);
    let windows = windows_of(&rows, w);
    let n = windows.len() / (w * f);
    let ort = onnxruntime(&shipped_model().join("model.onnx"), &windows, n, w, f);
    let scores = model.score(&windows).unwrap();
    for (i, s) in scores.iter().enumerate() {
        let (t2, q) = (f64::from(ort[0].1[i]), f64::from(ort[1].1[i]));
        // Shares of the statistic that sets the score, from onnxruntime's raw contributions.
        let (total, parts) = if t2 / model.manifest().t2_ref >= q / model.manifest().q_ref {
            (t2, &ort[2].1)
        } else {
            (q, &ort[3].1)
        };
        for (j, c) in s.contributions.iter().enumerate() {
            let want = f64::from(parts[i * f + j]) / total;
            assert!(
                (c - want).abs() <= 1e-4,
                "window {i} feature {j}: {c} vs {want}"
            );
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
