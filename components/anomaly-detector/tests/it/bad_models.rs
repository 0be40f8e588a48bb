//! Corrupt, missing, unsupported and mismatched models: a clear error naming the cause, and the
//! previous model keeps running.

use crate::support::{copy_shipped, repo, shipped_model, temp};
use anomaly_detector::alarm::Alarm;
use anomaly_detector::config::{AnomalyDetectorConfig, validate};
use anomaly_detector::detector::Detector;
use anomaly_detector::model::{Model, ModelError, sha256_hex};
use anomaly_detector::service::{Choice, choose};
use edge_model::DeviceId;
use serde_json::json;
use std::collections::HashMap;

fn config(
    model_dir: &std::path::Path,
    features: &[&str],
) -> anomaly_detector::config::AnomalyDetector {
    let points: serde_json::Map<_, _> = features
        .iter()
        .map(|f| ((*f).to_owned(), json!(f.to_lowercase().replace(' ', "-"))))
        .collect();
    let c: AnomalyDetectorConfig = serde_json::from_value(json!({
        "modelDir": model_dir.to_string_lossy(),
        "devices": {"pump-1": {"points": points}},
    }))
    .unwrap();
    validate(c).unwrap()
}

fn skab_features() -> Vec<String> {
    Model::load(&shipped_model())
        .unwrap()
        .manifest()
        .features
        .clone()
}

#[test]
fn a_missing_model_names_the_missing_file() {
    let dir = temp("adnomodel");
    let err = Model::load(dir.path()).unwrap_err();
    assert!(matches!(err, ModelError::Io { .. }), "{err}");
    assert!(err.to_string().contains("model.json"), "{err}");
}

#[test]
fn a_corrupted_onnx_file_fails_its_checksum() {
    let dir = temp("adcorrupt");
    copy_shipped(dir.path());
    let onnx = dir.path().join("model.onnx");
    let mut bytes = std::fs::read(&onnx).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&onnx, &bytes).unwrap();
    let err = Model::load(dir.path()).unwrap_err();
    assert!(matches!(err, ModelError::Checksum { .. }), "{err}");
    assert!(err.to_string().contains("checksum mismatch"), "{err}");
}

#[test]
fn bytes_that_are_not_onnx_are_refused_as_such() {
    let dir = temp("adgarbage");
    copy_shipped(dir.path());
    let garbage = b"this is not a protobuf \xff\xff\xff\xff".to_vec();
    std::fs::write(dir.path().join("model.onnx"), &garbage).unwrap();
    let manifest = dir.path().join("model.json");
    let mut m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    m["onnxSha256"] = json!(sha256_hex(&garbage));
    std::fs::write(&manifest, m.to_string()).unwrap();
    let err = Model::load(dir.path()).unwrap_err();
    assert!(matches!(err, ModelError::Decode(_)), "{err}");
}

#[test]
fn an_operator_tract_does_not_implement_is_named() {
    let fixture = repo().join("components/anomaly-detector/tests/fixtures/unsupported-op");
    let err = Model::load(&fixture).unwrap_err();
    assert!(matches!(err, ModelError::UnsupportedOp(_)), "{err}");
    assert!(err.to_string().contains("TreeEnsembleRegressor"), "{err}");
}

#[test]
fn a_manifest_that_disagrees_with_the_graph_is_a_shape_error() {
    let dir = temp("adshape");
    copy_shipped(dir.path());
    let manifest = dir.path().join("model.json");
    let mut m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    m["windowSteps"] = json!(30);
    std::fs::write(&manifest, m.to_string()).unwrap();
    let err = Model::load(dir.path()).unwrap_err();
    assert!(matches!(err, ModelError::Shape(_)), "{err}");
    assert!(err.to_string().contains("30 steps"), "{err}");
}

#[test]
fn configured_points_that_differ_from_the_model_features_are_refused() {
    let model = Model::load(&shipped_model()).unwrap();
    let c = config(&shipped_model(), &["Current", "Pressure"]);
    let err = Detector::new(model, &c, HashMap::new()).unwrap_err();
    assert!(matches!(err, ModelError::Shape(_)), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("pump-1") && text.contains("Volume Flow RateRMS"),
        "{text}"
    );
}

#[test]
fn a_bad_new_model_keeps_the_previous_model_running() {
    let work = temp("adwork");
    let bad = temp("adbad");
    copy_shipped(bad.path());
    std::fs::write(bad.path().join("model.onnx"), b"truncated").unwrap();
    let features = skab_features();
    let names: Vec<&str> = features.iter().map(String::as_str).collect();
    let previous = Model::load(&shipped_model()).unwrap();
    match choose(
        &config(bad.path(), &names),
        work.path(),
        Some(previous),
        HashMap::new(),
    ) {
        Choice::Run { detector, problem } => {
            let problem = problem.unwrap();
            assert!(problem.contains("checksum mismatch"), "{problem}");
            assert!(
                problem.contains("still running the previous model pca-t2q"),
                "{problem}"
            );
            assert_eq!(detector.model().manifest().name, "pca-t2q");
        }
        other => panic!("expected the previous model to run, got {other:?}"),
    }
}

#[test]
fn after_a_restart_the_saved_copy_of_the_last_good_model_runs() {
    let work = temp("adwork2");
    let features = skab_features();
    let names: Vec<&str> = features.iter().map(String::as_str).collect();
    // A good load saves a copy in the work folder.
    let good = choose(
        &config(&shipped_model(), &names),
        work.path(),
        None,
        HashMap::new(),
    );
    assert!(
        matches!(good, Choice::Run { problem: None, .. }),
        "{good:?}"
    );
    // A new process (no model in memory) with a missing model falls back on the copy.
    let missing = work.path().join("no-such-model");
    let alarms: HashMap<DeviceId, Alarm> = HashMap::new();
    match choose(&config(&missing, &names), work.path(), None, alarms) {
        Choice::Run { problem, .. } => assert!(problem.unwrap().contains("cannot read")),
        other => panic!("expected the saved copy to run, got {other:?}"),
    }
}

#[test]
fn with_no_usable_model_at_all_nothing_runs_and_the_reason_is_given() {
    let work = temp("adwork3");
    let features = skab_features();
    let names: Vec<&str> = features.iter().map(String::as_str).collect();
    let fixture = repo().join("components/anomaly-detector/tests/fixtures/unsupported-op");
    match choose(&config(&fixture, &names), work.path(), None, HashMap::new()) {
        Choice::Idle { problem, .. } => {
            assert!(problem.contains("TreeEnsembleRegressor"), "{problem}");
            assert!(problem.contains("no previous model"), "{problem}");
        }
        other => panic!("expected nothing to run, got {other:?}"),
    }
}
