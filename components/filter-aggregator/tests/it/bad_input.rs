//! Bad input gets a clear error or a dead letter, never a panic, and the rest keeps flowing.

use crate::{config, engine, reading, run};
use edge_model::{ComponentName, DeadLetter, GatewayId, MessageKind, ReadingBatch, Value};
use filter_aggregator::config::FilterAggregatorConfig;
use filter_aggregator::decode::Incoming;
use filter_aggregator::engine::Outputs;
use filter_aggregator::pipeline::{Message, Pipeline};
use filter_aggregator::validate::validate;
use serde_json::json;

const RAW: &str = "factory/raw/press-1";

fn pipeline(rules: serde_json::Value) -> Pipeline {
    let c = config(rules);
    Pipeline::new(
        filter_aggregator::engine::Engine::new(c.rules, c.pass_unmatched, 0),
        ComponentName::new("com.smartfactory.FilterAggregator").unwrap(),
        GatewayId::new("gw").unwrap(),
    )
}

fn good_batch(value: f64) -> serde_json::Value {
    json!({"schemaVersion": 1, "kind": "readings", "gatewayId": "gw", "device": "press-1",
        "sequence": 0, "readings": [{"source": {"device": "press-1", "point": "oilTemp"},
        "value": value, "unit": "degC", "quality": "good", "gatewayTimeMs": 1_000}]})
}

fn dead_letters(messages: &[Message]) -> Vec<DeadLetter> {
    messages
        .iter()
        .filter(|(topic, _)| {
            topic.as_str() == "factory/dead-letter/com.smartfactory.FilterAggregator"
        })
        .map(|(_, body)| {
            crate::outputs::assert_schema(MessageKind::DeadLetter, body);
            serde_json::from_value(body.clone()).unwrap()
        })
        .collect()
}

fn filtered_values(messages: &[Message]) -> Vec<Value> {
    messages
        .iter()
        .filter(|(topic, _)| topic.as_str() == "factory/filtered/press-1")
        .flat_map(|(_, body)| {
            serde_json::from_value::<ReadingBatch>(body.clone())
                .unwrap()
                .into_readings()
        })
        .filter_map(|r| r.value().cloned())
        .collect()
}

#[test]
fn malformed_json_and_a_wrong_schema_version_become_dead_letters_and_the_next_batch_flows() {
    let mut p = pipeline(json!({"r": {}}));
    let mut wrong_version = good_batch(1.0);
    wrong_version["schemaVersion"] = json!(2);
    let cases = [
        (
            Incoming::Binary(b"{\"schemaVersion\": 1, \"readings\": [".to_vec()),
            "malformed JSON",
        ),
        (
            Incoming::Binary(b"{\"value\": NaN}".to_vec()),
            "malformed JSON",
        ),
        (
            Incoming::Binary(
                good_batch(1.0)
                    .to_string()
                    .replace("1.0", "1e999")
                    .into_bytes(),
            ),
            "number out of range",
        ),
        (Incoming::Binary(vec![0xff, 0xfe, 0x00]), "malformed JSON"),
        (Incoming::Json(wrong_version), "unsupported schemaVersion 2"),
        (
            Incoming::Json(json!({"hello": "world"})),
            "not a reading batch",
        ),
        (Incoming::Json(json!([1, 2, 3])), "not a reading batch"),
    ];
    for (message, why) in cases {
        let out = p.on_message(RAW, message, 5);
        let letters = dead_letters(&out);
        assert_eq!(letters.len(), 1, "{why}: {out:?}");
        assert!(
            letters[0].reason().contains(why),
            "{} lacks {why}",
            letters[0].reason()
        );
        assert_eq!(letters[0].topic(), Some(RAW));
        assert!(letters[0].payload().is_some());
    }
    let out = p.on_message(RAW, Incoming::Json(good_batch(71.5)), 6);
    assert_eq!(filtered_values(&out), [Value::Float(71.5)]);
    assert!(dead_letters(&out).is_empty());
}

#[test]
fn non_finite_values_are_rejected_with_the_reason_and_the_others_pass() {
    let mut engine = engine(json!({"r": {"validate": {"type": "number"}}}));
    let out = run(
        &mut engine,
        [
            reading("p", f64::NAN, 1),
            reading("p", f64::INFINITY, 2),
            reading("p", 3.5, 3),
        ],
    );
    assert_eq!(out.rejected.len(), 2);
    assert!(
        out.rejected
            .iter()
            .all(|r| r.reason.contains("not a finite number"))
    );
    assert_eq!(out.filtered.len(), 1);
    // Through the pipeline: the NaN reading cannot be written as JSON, so the letter carries
    // its description instead, and still satisfies the schema.
    let mut p = pipeline(json!({"r": {}}));
    let out = p.on_readings(
        RAW,
        vec![reading("p", f64::NAN, 1), reading("p", 2.0, 2)],
        2,
    );
    let letters = dead_letters(&out);
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].rule(), Some("r"));
    assert!(letters[0].payload().unwrap().contains("NaN"));
    assert_eq!(filtered_values(&out), [Value::Float(2.0)]);
}

#[test]
fn validation_rejects_or_clamps_and_checks_timestamps() {
    let mut engine = engine(json!({
        "range": {"points": "t*", "validate": {"type": "number", "min": -40, "max": 200, "maxAgeMs": 60000, "maxFutureMs": 5000}},
        "clamped": {"points": "level", "validate": {"min": 0, "max": 100, "outOfRange": "clamp"}},
        "text": {"points": "mode", "validate": {"type": "string"}},
    }));
    let mut out = Outputs::default();
    let now = 1_000_000;
    for r in [
        reading("temp", 250.0, now),
        reading("temp", -41.0, now),
        reading("temp", 20.0, now - 60_001),
        reading("temp", 20.0, now + 5_001),
        reading("temp", 20.0, now),
        reading("level", 140_i64, now),
        reading("mode", 3_i64, now),
    ] {
        engine.ingest(r, now, &mut out);
    }
    let reasons: Vec<&str> = out.rejected.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(reasons.len(), 5, "{reasons:?}");
    assert!(reasons[0].contains("above max 200"), "{}", reasons[0]);
    assert!(reasons[1].contains("below min -40"), "{}", reasons[1]);
    assert!(
        reasons[2].contains("more than maxAgeMs 60000"),
        "{}",
        reasons[2]
    );
    assert!(
        reasons[3].contains("more than maxFutureMs 5000"),
        "{}",
        reasons[3]
    );
    assert!(
        reasons[4].contains("expected a string value, got an integer"),
        "{}",
        reasons[4]
    );
    assert_eq!(out.filtered.len(), 2);
    let clamped = &out.filtered[1];
    assert_eq!(clamped.value(), Some(&Value::Int(100)));
    assert_eq!(clamped.quality(), edge_model::Quality::Uncertain);
    assert!(clamped.quality_detail().unwrap().contains("clamped"));
}

#[test]
fn a_zero_length_window_is_a_config_error_naming_the_key_and_other_rules_still_run() {
    let config: FilterAggregatorConfig = serde_json::from_value(json!({"rules": {
        "broken": {"windows": {"w": {"lengthMs": 0}}},
        "fine": {"points": "p", "windows": {"w": {"lengthMs": 1000}}},
    }}))
    .unwrap();
    let validated = validate(config).unwrap();
    assert_eq!(validated.rules.len(), 1);
    assert_eq!(validated.rejected.len(), 1);
    assert_eq!(
        validated.rejected[0].path(),
        "rules.broken.windows.w.lengthMs"
    );
    assert!(validated.rejected[0].reason().contains("at least 1 ms"));
}

#[test]
fn other_bad_rule_settings_name_their_key() {
    let cases = [
        (
            json!({"validate": {"type": "float"}}),
            "rules.x.validate.type",
        ),
        (
            json!({"validate": {"min": 5, "max": 1}}),
            "rules.x.validate.min",
        ),
        (json!({"convert": {"to": "furlong"}}), "rules.x.convert.to"),
        (
            json!({"convert": {"from": "bar", "to": "degC"}}),
            "rules.x.convert.from",
        ),
        (
            json!({"deadband": {"absolute": -1}}),
            "rules.x.deadband.absolute",
        ),
        (json!({"badQuality": "keep"}), "rules.x.badQuality"),
        (
            json!({"windows": {"w": {"type": "sliding", "lengthMs": 1000, "hopMs": 300}}}),
            "rules.x.windows.w.hopMs",
        ),
        (
            json!({"windows": {"w": {"type": "hopping"}}}),
            "rules.x.windows.w.type",
        ),
        (
            json!({"windows": {"w": {"stats": ["median"]}}}),
            "rules.x.windows.w.stats",
        ),
        (
            json!({"windows": {"w": {"percentiles": [0]}}}),
            "rules.x.windows.w.percentiles",
        ),
    ];
    for (rule, path) in cases {
        let config: FilterAggregatorConfig =
            serde_json::from_value(json!({"rules": {"x": rule}})).unwrap();
        let validated = validate(config).unwrap();
        assert_eq!(validated.rejected.len(), 1, "{path}");
        assert_eq!(validated.rejected[0].path(), path);
    }
    let err = serde_json::from_value::<FilterAggregatorConfig>(
        json!({"rules": {"x": {"windows": {"w": {"lengthMs": "soon"}}}}}),
    );
    assert!(err.is_err());
    let config: FilterAggregatorConfig =
        serde_json::from_value(json!({"unmatched": "keep"})).unwrap();
    assert_eq!(validate(config).unwrap_err().path(), "unmatched");
}

#[test]
fn a_rule_whose_point_never_arrives_is_named_once_and_changes_nothing_else() {
    let mut engine = engine(json!({
        "ghost": {"points": "doesNotExist", "windows": {"w": {"lengthMs": 1000}}},
        "real": {"points": "p"},
    }));
    let out = run(&mut engine, [reading("p", 1.0, 10), reading("p", 2.0, 20)]);
    assert_eq!(out.filtered.len(), 2);
    assert!(engine.newly_idle_rules(299_999, 300_000).is_empty());
    let idle = engine.newly_idle_rules(300_000, 300_000);
    assert_eq!(idle.len(), 1);
    assert_eq!(&*idle[0], "ghost");
    assert!(
        engine.newly_idle_rules(900_000, 300_000).is_empty(),
        "named once"
    );
}

#[test]
fn a_reading_without_a_known_unit_is_rejected_by_a_converting_rule() {
    let mut engine = engine(json!({"c": {"convert": {"to": "degC"}}}));
    let out = run(
        &mut engine,
        [
            reading("p", 212.0, 1).with_unit("degF"),
            reading("p", 1.0, 2).with_unit("parsec"),
            reading("p", 1.0, 3),
        ],
    );
    assert_eq!(out.filtered.len(), 1);
    assert!((out.filtered[0].value().unwrap().as_f64().unwrap() - 100.0).abs() < 1e-9);
    assert_eq!(out.filtered[0].unit(), Some("degC"));
    assert!(out.rejected[0].reason.contains("unknown unit \"parsec\""));
    assert!(out.rejected[1].reason.contains("names no unit"));
}

#[test]
fn rules_beyond_the_limit_are_left_out_each_by_name_and_the_others_run() {
    use filter_aggregator::engine::MAX_RULES;
    let rules: serde_json::Map<String, serde_json::Value> = (0..=MAX_RULES)
        .map(|i| (format!("r{i:05}"), json!({"points": format!("p{i}")})))
        .collect();
    let config: FilterAggregatorConfig = serde_json::from_value(json!({ "rules": rules })).unwrap();
    let validated = validate(config).unwrap();
    assert_eq!(validated.rules.len(), MAX_RULES);
    let rejected: Vec<&str> = validated.rejected.iter().map(|e| e.path()).collect();
    assert_eq!(rejected, [format!("rules.r{MAX_RULES:05}")]);
    let mut engine =
        filter_aggregator::engine::Engine::new(validated.rules, validated.pass_unmatched, 0);
    let last = MAX_RULES - 1;
    run(&mut engine, [reading(&format!("p{last}"), 1.0, 1)]);
    let counted = engine
        .stats()
        .find(|(id, _)| id.is_some_and(|i| **i == *format!("r{last:05}")))
        .map(|(_, s)| s.received);
    assert_eq!(
        counted,
        Some(1),
        "the last rule within the limit selects its point"
    );
}
