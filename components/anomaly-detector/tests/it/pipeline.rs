//! The detector core fed with reading batches: baseline fit, anomaly events on the schema, the
//! alarm raised, acknowledged and cleared, gaps reported, order of arrival irrelevant.

use crate::support::{shipped_model, synthetic_rows};
use anomaly_detector::config::{AnomalyDetector, AnomalyDetectorConfig, validate};
use anomaly_detector::detector::{Detector, Publish, Tally, alarm_id};
use anomaly_detector::model::Model;
use edge_model::{
    AlarmEvent, AnomalyEvent, BatchBuilder, DeviceId, GatewayId, MessageKind, Quality, Reading,
    ReadingBatch, Source,
};
use serde_json::{Value, json};
use std::collections::HashMap;

const T0: i64 = 1_700_000_000_000;

fn features() -> Vec<String> {
    Model::load(&shipped_model())
        .unwrap()
        .manifest()
        .features
        .clone()
}

fn point_of(feature: &str) -> String {
    feature.to_lowercase().replace(' ', "-")
}

fn config(extra: Value) -> AnomalyDetector {
    let points: serde_json::Map<_, _> = features()
        .iter()
        .map(|f| (f.clone(), json!(point_of(f))))
        .collect();
    let mut c = json!({
        "modelDir": shipped_model().to_string_lossy(),
        "baselineSteps": 200,
        "alarm": {"minDurationMs": 5000, "clearRatio": 0.8},
        "devices": {"pump-1": {"points": points}},
    });
    if let (Some(c), Some(e)) = (c.as_object_mut(), extra.as_object()) {
        c.extend(e.clone());
    }
    let parsed: AnomalyDetectorConfig = serde_json::from_value(c).unwrap();
    validate(parsed).unwrap()
}

fn detector(extra: Value) -> Detector {
    Detector::new(
        Model::load(&shipped_model()).unwrap(),
        &config(extra),
        HashMap::new(),
    )
    .unwrap()
}

/// One batch per row: every feature's reading at 1 Hz from T0, optionally leaving points out.
fn batches(rows: &[Vec<f64>], skip: impl Fn(usize, usize) -> bool) -> Vec<ReadingBatch> {
    let device = DeviceId::new("pump-1").unwrap();
    let names = features();
    let mut builder = BatchBuilder::new(GatewayId::new("gw").unwrap(), device.clone(), 0);
    let mut out = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            if skip(i, j) {
                continue;
            }
            let t = T0 + i as i64 * 1000 + 10 * j as i64;
            let r = Reading::new(
                Source::new(device.clone(), point_of(&names[j])),
                *v,
                Quality::Good,
                t,
            )
            .with_device_time_ms(t);
            if let Some(b) = builder.push(r).unwrap() {
                out.push(b);
            }
        }
        out.extend(builder.finish());
    }
    out
}

fn run(d: &mut Detector, batches: &[ReadingBatch]) -> (Vec<Publish>, Tally) {
    let mut all = Vec::new();
    let mut tally = Tally::default();
    for b in batches {
        let (p, t) = d.ingest(b).unwrap();
        all.extend(p);
        tally.scored += t.scored;
        tally.baselined += t.baselined;
        tally.filled_cells += t.filled_cells;
        tally.incomplete.extend(t.incomplete);
        tally.fitted.extend(t.fitted);
    }
    (all, tally)
}

/// The message reads back as its typed event (the edge-model tests check those against the
/// JSON schemas) and names its kind.
fn valid(kind: MessageKind, body: &Value) {
    match kind {
        MessageKind::Anomaly => {
            let e: AnomalyEvent = serde_json::from_value(body.clone()).unwrap();
            assert_eq!(serde_json::to_value(&e).unwrap(), *body);
        }
        MessageKind::Alarm => {
            let e: AlarmEvent = serde_json::from_value(body.clone()).unwrap();
            assert_eq!(serde_json::to_value(&e).unwrap(), *body);
        }
        other => panic!("not an event kind: {other:?}"),
    }
    assert_eq!(body["schemaVersion"], json!(1));
}

/// 400 normal rows, then 120 with the flow 30 % down, then 200 normal again.
fn scenario() -> Vec<Vec<f64>> {
    let mut rows = synthetic_rows(720, 11);
    for row in &mut rows[400..520] {
        row[7] *= 0.7;
    }
    rows
}

#[test]
fn a_flow_drop_raises_the_alarm_which_is_acknowledged_and_clears() {
    let mut d = detector(json!({}));
    let rows = scenario();
    let (events, tally) = run(&mut d, &batches(&rows[..600], |_, _| false));
    assert_eq!(tally.fitted.len(), 1, "the baseline is fitted once");
    assert!(tally.fitted[0].1.is_ok(), "{:?}", tally.fitted);
    assert!(tally.baselined > 0 && tally.scored > 0);
    let anomalies: Vec<&Value> = events
        .iter()
        .filter(|p| p.topic.as_str() == "factory/anomaly/pump-1")
        .map(|p| &p.body)
        .collect();
    assert_eq!(anomalies.len() as u64, tally.scored);
    for a in &anomalies {
        valid(MessageKind::Anomaly, a);
    }
    let flagged: Vec<i64> = anomalies
        .iter()
        .filter(|a| a["isAnomaly"] == json!(true))
        .map(|a| a["window"]["endMs"].as_i64().unwrap())
        .collect();
    let (start, end) = (T0 + 400_000, T0 + 520_000 + 60_000);
    assert!(!flagged.is_empty());
    assert!(
        flagged.iter().all(|&t| t > start && t <= end),
        "no window outside the drop is flagged"
    );
    // The flow is among the two features that carry most of the blame (the residual spreads
    // over the features correlated with it).
    let loud = anomalies
        .iter()
        .find(|a| a["isAnomaly"] == json!(true))
        .unwrap();
    let mut shares: Vec<(String, f64)> = loud["contributions"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_f64().unwrap()))
        .collect();
    shares.sort_by(|a, b| b.1.total_cmp(&a.1));
    assert!(
        shares[..2].iter().any(|(k, _)| k == "Volume Flow RateRMS"),
        "{shares:?}"
    );
    let alarms: Vec<&Value> = events
        .iter()
        .filter(|p| p.topic.as_str() == "factory/alarm/pump-1")
        .map(|p| &p.body)
        .collect();
    for a in &alarms {
        valid(MessageKind::Alarm, a);
    }
    let states: Vec<&str> = alarms
        .iter()
        .map(|a| a["state"].as_str().unwrap())
        .collect();
    assert_eq!(states.first(), Some(&"pending"));
    assert!(states.contains(&"active"), "{states:?}");
    let active = alarms
        .iter()
        .find(|a| a["state"] == json!("active"))
        .unwrap();
    let pending = alarms
        .iter()
        .find(|a| a["state"] == json!("pending"))
        .unwrap();
    assert!(
        active["timeMs"].as_i64().unwrap() - pending["timeMs"].as_i64().unwrap() >= 5000,
        "minimum duration"
    );
    // Acknowledged while still anomalous, if it still is; otherwise it has cleared already.
    if states.last() == Some(&"active") {
        let (state, event) = d
            .acknowledge("pump-1", &alarm_id("pca-t2q"), T0 + 600_000)
            .unwrap();
        assert_eq!(state, edge_model::AlarmState::Acknowledged);
        valid(MessageKind::Alarm, &event.body);
    }
    let (rest, _) = run(&mut d, &batches(&rows[600..], |_, _| false));
    let _ = rest;
    assert!(
        d.acknowledge("pump-1", "anomaly.other", T0)
            .unwrap_err()
            .contains("unknown alarm")
    );
    assert!(
        d.acknowledge("pump-9", &alarm_id("pca-t2q"), T0)
            .unwrap_err()
            .contains("unknown device")
    );
}

#[test]
fn batches_arriving_shuffled_give_the_same_events() {
    let rows = scenario();
    let ordered = batches(&rows[..500], |_, _| false);
    let mut shuffled = ordered.clone();
    // Swap neighbours: each reading is at most one second late (within maxLatenessMs).
    for pair in shuffled.chunks_mut(2) {
        pair.reverse();
    }
    let (a, _) = run(&mut detector(json!({})), &ordered);
    let (b, _) = run(&mut detector(json!({})), &shuffled);
    assert!(!a.is_empty());
    assert_eq!(a, b);
}

#[test]
fn a_point_missing_beyond_the_fill_limit_is_reported_and_short_gaps_are_filled() {
    let rows = synthetic_rows(400, 5);
    let mut d = detector(json!({"baselineSteps": 0, "forwardFillLimitSteps": 3}));
    // Pressure (feature 3) misses rows 100..102 (filled) and 200..220 (missing).
    let (events, tally) = run(
        &mut d,
        &batches(&rows, |i, j| {
            j == 3 && ((100..102).contains(&i) || (200..220).contains(&i))
        }),
    );
    assert!(tally.filled_cells > 0);
    assert!(
        events
            .iter()
            .any(|p| p.body["filledCells"].as_u64().unwrap_or(0) > 0)
    );
    assert!(!tally.incomplete.is_empty(), "the long gap is reported");
    assert!(
        tally
            .incomplete
            .iter()
            .all(|(d, p, n)| d.as_str() == "pump-1" && p == "pressure" && *n > 0)
    );
}

/// The largest score of the windows after the baseline of `rows`, and whether an alarm came.
fn worst_after_baseline(model: Model, rows: &[Vec<f64>]) -> (f64, bool) {
    let mut d = Detector::new(model, &config(json!({})), HashMap::new()).unwrap();
    let (events, tally) = run(&mut d, &batches(rows, |_, _| false));
    assert!(tally.fitted[0].1.is_ok(), "{:?}", tally.fitted);
    let worst = events
        .iter()
        .filter(|p| p.topic.as_str() == "factory/anomaly/pump-1")
        .map(|p| p.body["score"].as_f64().unwrap())
        .fold(0.0, f64::max);
    let alarmed = events
        .iter()
        .any(|p| p.topic.as_str() == "factory/alarm/pump-1");
    (worst, alarmed)
}

#[test]
fn a_slow_drift_of_normal_data_is_followed_and_not_alarmed() {
    // After the baseline, one feature drifts up 3 % over 3200 steps, far outside the baseline's
    // spread: with the model's drift tracking the detector follows it; with `driftRate` 0 the
    // same data alarms.
    let mut rows = synthetic_rows(3400, 5);
    for (i, row) in rows[200..].iter_mut().enumerate() {
        row[0] *= 1.0 + 0.03 * (i as f64 / 3200.0);
    }
    let shipped = Model::load(&shipped_model()).unwrap();
    let threshold = shipped.manifest().threshold;
    assert!(shipped.manifest().fit.drift_rate > 0.0);
    let (tracked, tracked_alarm) = worst_after_baseline(shipped.clone(), &rows);
    let mut fixed = shipped.manifest().clone();
    fixed.fit.drift_rate = 0.0;
    let fixed = Model::from_proto(fixed, shipped.proto().clone()).unwrap();
    let (untracked, untracked_alarm) = worst_after_baseline(fixed, &rows);
    assert!(
        untracked > threshold && untracked_alarm,
        "untracked {untracked}"
    );
    assert!(tracked <= threshold && !tracked_alarm, "tracked {tracked}");
}
