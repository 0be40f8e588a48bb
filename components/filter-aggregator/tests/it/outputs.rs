//! What the pipeline publishes: the data model's schemas, batches under the IPC cap, one
//! topic per device.

use crate::config;
use edge_model::{
    ComponentName, DeviceId, GatewayId, MAX_IPC_MESSAGE_BYTES, MessageKind, Quality, Reading,
    Source, schema_for,
};
use filter_aggregator::engine::Engine;
use filter_aggregator::pipeline::Pipeline;
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
