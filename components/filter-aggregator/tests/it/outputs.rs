//! What the pipeline publishes: the data model's schemas, batches under the IPC cap, one
//! topic per device.

use crate::config;
use edge_model::{
    ComponentName, DeviceId, GatewayId, MAX_IPC_MESSAGE_BYTES, MessageKind, Quality, Reading,
    Source, schema_for,
};
use filter_aggregator::engine::Engine;
use filter_aggregator::pipeline::{Pipeline, TICK_SLICE};
use serde_json::json;

/// Panics with the schema errors if `body` does not satisfy the schema of `kind`.
pub fn assert_schema(kind: MessageKind, body: &serde_json::Value) {
    let schema: serde_json::Value = serde_json::from_str(schema_for(kind)).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(body).map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "{kind} message {body} is invalid: {errors:?}"
    );
}

#[test]
fn thousands_of_readings_leave_in_schema_valid_batches_under_the_cap() {
    let c = config(json!({
        "temps": {"points": "t*", "windows": {"10s": {"lengthMs": 10000,
            "stats": ["count", "min", "max", "mean", "stddev", "first", "last"], "percentiles": [50, 95, 99.9]}}},
    }));
    let mut pipeline = Pipeline::new(
        Engine::new(c.rules, c.pass_unmatched, 0),
        ComponentName::new("com.smartfactory.FilterAggregator").unwrap(),
        GatewayId::new("gw").unwrap(),
    );
    let mut messages = Vec::new();
    for device in ["press-1", "press-2"] {
        let readings: Vec<Reading> = (0..2_000)
            .map(|i| {
                Reading::new(
                    Source::new(DeviceId::new(device).unwrap(), format!("t{}", i % 400)),
                    i as f64 * 0.25,
                    Quality::Good,
                    i64::from(i) * 10,
                )
                .with_unit("degC")
            })
            .collect();
        messages.extend(pipeline.on_readings("factory/raw/x", readings, 20_000));
    }
    messages.extend(pipeline.flush(30_000));
    let mut filtered = 0;
    let mut aggregates = 0;
    let mut sequences: std::collections::BTreeMap<String, Vec<u64>> = Default::default();
    for (topic, body) in &messages {
        let bytes = serde_json::to_vec(body).unwrap().len();
        assert!(
            bytes <= MAX_IPC_MESSAGE_BYTES,
            "{topic:?} message of {bytes} bytes"
        );
        let device = body["device"].as_str().unwrap();
        sequences
            .entry(topic.as_str().to_owned())
            .or_default()
            .push(body["sequence"].as_u64().unwrap());
        if topic.as_str().starts_with("factory/filtered/") {
            assert_schema(MessageKind::Readings, body);
            assert_eq!(topic.as_str(), format!("factory/filtered/{device}"));
            filtered += body["readings"].as_array().unwrap().len();
        } else {
            assert_schema(MessageKind::Aggregates, body);
            assert_eq!(topic.as_str(), format!("factory/agg/{device}"));
            aggregates += body["aggregates"].as_array().unwrap().len();
        }
    }
    assert_eq!(filtered, 4_000, "no deadband: every reading passes");
    // 400 points × 2 devices × 2 windows of 10 s (times 0..19990 ms).
    assert_eq!(aggregates, 1_600);
    for (topic, seq) in sequences {
        let want: Vec<u64> = (0..seq.len() as u64).collect();
        assert_eq!(seq, want, "{topic}: consecutive batch numbers");
    }
}

/// 5,000 points whose windows all end at the same minute: `on_tick_slice` closes them a slice
/// of points at a time (so only one slice's aggregates are held at once), and the slices
/// together publish exactly what one whole tick does, batch numbers running on.
#[test]
fn a_tick_in_slices_publishes_what_a_whole_tick_does() {
    let pipeline = || {
        let c = config(json!({
            "temps": {"points": "t*", "windows": {"1m": {"lengthMs": 60000,
                "stats": ["count", "min", "max", "mean"]}}},
        }));
        Pipeline::new(
            Engine::new(c.rules, c.pass_unmatched, 0),
            ComponentName::new("com.smartfactory.FilterAggregator").unwrap(),
            GatewayId::new("gw").unwrap(),
        )
    };
    let points: u32 = 5_000;
    let readings = || -> Vec<Reading> {
        (0..points)
            .map(|i| {
                Reading::new(
                    Source::new(DeviceId::new("press-1").unwrap(), format!("t{i}")),
                    f64::from(i),
                    Quality::Good,
                    1_000,
                )
            })
            .collect()
    };
    let (mut whole, mut sliced) = (pipeline(), pipeline());
    whole.on_readings("factory/raw/press-1", readings(), 1_000);
    sliced.on_readings("factory/raw/press-1", readings(), 1_000);
    let expected = whole.on_tick(60_000);
    let (mut got, mut from, mut slices) = (Vec::new(), Some(0), 0);
    while let Some(first) = from {
        let (messages, next) = sliced.on_tick_slice(60_000, first);
        let in_slice: usize = messages
            .iter()
            .map(|(_, b)| b["aggregates"].as_array().unwrap().len())
            .sum();
        assert!(in_slice <= TICK_SLICE, "{in_slice} aggregates in one slice");
        got.extend(messages);
        from = next;
        slices += 1;
    }
    assert_eq!(slices, points.div_ceil(TICK_SLICE as u32));
    let count = |messages: &[(edge_model::Topic, serde_json::Value)]| -> usize {
        messages
            .iter()
            .map(|(_, b)| b["aggregates"].as_array().unwrap().len())
            .sum()
    };
    assert_eq!(count(&expected), points as usize);
    assert_eq!(count(&got), points as usize);
    let aggregates = |messages: &[(edge_model::Topic, serde_json::Value)]| {
        messages
            .iter()
            .flat_map(|(_, b)| b["aggregates"].as_array().unwrap().clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(aggregates(&got), aggregates(&expected));
    let sequences: Vec<u64> = got
        .iter()
        .map(|(_, b)| b["sequence"].as_u64().unwrap())
        .collect();
    assert_eq!(sequences, (0..got.len() as u64).collect::<Vec<_>>());
    // Nothing is left for a later tick.
    assert!(sliced.on_tick(120_000).is_empty());
}
