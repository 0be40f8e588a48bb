//! The schemas, and the deserializers, refuse documents that break the message rules.

use edge_model::{
    AggregateBatch, AlarmEvent, AnomalyEvent, ComponentStatus, DeadLetter, MessageKind,
    ReadingBatch,
};
use serde_json::{Value, json};

use crate::validator;

fn batch() -> Value {
    json!({
        "schemaVersion": 1,
        "kind": "readings",
        "gatewayId": "line3-gw",
        "device": "press-1",
        "sequence": 4,
        "readings": [{
            "source": {"device": "press-1", "point": "oilTemp"},
            "value": 71.5,
            "unit": "degC",
            "quality": "good",
            "gatewayTimeMs": 1_718_000_000_000_i64,
        }],
    })
}

fn anomaly() -> Value {
    json!({
        "schemaVersion": 1,
        "kind": "anomaly",
        "device": "press-1",
        "model": {"name": "iforest", "version": "1.0.0"},
        "window": {"startMs": 0, "endMs": 60_000},
        "score": 0.4,
        "threshold": 0.7,
        "isAnomaly": false,
        "contributions": {},
    })
}

fn alarm() -> Value {
    json!({
        "schemaVersion": 1,
        "kind": "alarm",
        "alarmId": "press-1.oilTemp.high",
        "device": "press-1",
        "state": "active",
        "severity": "high",
        "message": "Oil temperature above 80 degC.",
        "timeMs": 5,
    })
}

fn status() -> Value {
    json!({
        "schemaVersion": 1,
        "kind": "status",
        "component": "com.example.ModbusAdapter",
        "state": "online",
        "timeMs": 5,
    })
}

fn aggregates() -> Value {
    json!({
        "schemaVersion": 1,
        "kind": "aggregates",
        "gatewayId": "line3-gw",
        "device": "press-1",
        "sequence": 0,
        "aggregates": [{
            "point": "oilTemp",
            "rule": "temps",
            "window": {"startMs": 0, "endMs": 60_000},
            "count": 2,
            "mean": 71.5,
            "percentiles": {"p95": 72.0},
        }],
    })
}

fn dead_letter() -> Value {
    json!({
        "schemaVersion": 1,
        "kind": "dead-letter",
        "component": "com.example.FilterAggregator",
        "reason": "malformed JSON",
        "timeMs": 5,
        "payload": "{oops",
    })
}

/// The message of `kind`, after `edit`.
fn edited(kind: MessageKind, edit: impl FnOnce(&mut Value)) -> Value {
    let mut message = match kind {
        MessageKind::Readings => batch(),
        MessageKind::Anomaly => anomaly(),
        MessageKind::Alarm => alarm(),
        MessageKind::Status => status(),
        MessageKind::Aggregates => aggregates(),
        MessageKind::DeadLetter => dead_letter(),
    };
    edit(&mut message);
    message
}

/// Whether this crate's deserializer accepts `message` as `kind`.
fn parses(kind: MessageKind, message: &Value) -> bool {
    let message = message.clone();
    match kind {
        MessageKind::Readings => serde_json::from_value::<ReadingBatch>(message).is_ok(),
        MessageKind::Anomaly => serde_json::from_value::<AnomalyEvent>(message).is_ok(),
        MessageKind::Alarm => serde_json::from_value::<AlarmEvent>(message).is_ok(),
        MessageKind::Status => serde_json::from_value::<ComponentStatus>(message).is_ok(),
        MessageKind::Aggregates => serde_json::from_value::<AggregateBatch>(message).is_ok(),
        MessageKind::DeadLetter => serde_json::from_value::<DeadLetter>(message).is_ok(),
    }
}

fn assert_refused(kind: MessageKind, message: &Value) {
    assert!(
        !validator(kind).is_valid(message),
        "schema accepted {message}"
    );
    assert!(!parses(kind, message), "deserializer accepted {message}");
}

#[test]
fn the_unedited_documents_are_accepted() {
    for kind in MessageKind::ALL {
        let message = edited(kind, |_| {});
        assert!(validator(kind).is_valid(&message), "{message}");
        assert!(parses(kind, &message), "{message}");
    }
}

#[test]
fn a_missing_required_field_is_refused() {
    for (kind, field) in [
        (MessageKind::Readings, "device"),
        (MessageKind::Readings, "readings"),
        (MessageKind::Anomaly, "score"),
        (MessageKind::Alarm, "state"),
        (MessageKind::Status, "component"),
        (MessageKind::Aggregates, "aggregates"),
        (MessageKind::DeadLetter, "reason"),
    ] {
        let message = edited(kind, |m| {
            m.as_object_mut().unwrap().remove(field);
        });
        assert_refused(kind, &message);
    }
    let message = edited(MessageKind::Readings, |m| {
        m["readings"][0]
            .as_object_mut()
            .unwrap()
            .remove("gatewayTimeMs");
    });
    assert_refused(MessageKind::Readings, &message);
}

#[test]
fn an_unknown_quality_is_refused() {
    for quality in ["GOOD", "ok", ""] {
        let message = edited(MessageKind::Readings, |m| {
            m["readings"][0]["quality"] = json!(quality);
        });
        assert_refused(MessageKind::Readings, &message);
    }
}

#[test]
fn a_good_reading_without_value_is_refused() {
    let message = edited(MessageKind::Readings, |m| {
        m["readings"][0].as_object_mut().unwrap().remove("value");
    });
    assert_refused(MessageKind::Readings, &message);
}

#[test]
fn a_bad_reading_without_value_is_accepted() {
    let message = edited(MessageKind::Readings, |m| {
        let reading = m["readings"][0].as_object_mut().unwrap();
        reading.remove("value");
        reading.insert("quality".into(), json!("bad"));
    });
    assert!(validator(MessageKind::Readings).is_valid(&message));
    assert!(parses(MessageKind::Readings, &message));
}

#[test]
fn a_schema_version_of_the_wrong_type_or_number_is_refused() {
    for version in [json!("1"), json!(null), json!(true), json!(2), json!(0)] {
        for kind in MessageKind::ALL {
            let message = edited(kind, |m| m["schemaVersion"] = version.clone());
            assert_refused(kind, &message);
        }
    }
}

#[test]
fn a_message_of_another_kind_is_refused() {
    for kind in MessageKind::ALL {
        let message = edited(kind, |m| m["kind"] = json!("something-else"));
        assert_refused(kind, &message);
    }
}

#[test]
fn a_device_id_that_is_not_one_topic_level_is_refused() {
    for device in ["", "press/1", "press+", "#", "press\n1"] {
        let message = edited(MessageKind::Readings, |m| m["device"] = json!(device));
        assert_refused(MessageKind::Readings, &message);
    }
}

#[test]
fn a_value_that_is_null_or_structured_is_refused() {
    for value in [json!(null), json!([1]), json!({"v": 1})] {
        let message = edited(MessageKind::Readings, |m| {
            m["readings"][0]["value"] = value.clone()
        });
        assert_refused(MessageKind::Readings, &message);
    }
}

#[test]
fn wrongly_typed_fields_are_refused() {
    assert_refused(
        MessageKind::Readings,
        &edited(MessageKind::Readings, |m| m["sequence"] = json!(-1)),
    );
    assert_refused(
        MessageKind::Anomaly,
        &edited(MessageKind::Anomaly, |m| m["isAnomaly"] = json!("no")),
    );
    assert_refused(
        MessageKind::Alarm,
        &edited(MessageKind::Alarm, |m| m["severity"] = json!("urgent")),
    );
    assert_refused(
        MessageKind::Status,
        &edited(MessageKind::Status, |m| m["state"] = json!("connected")),
    );
    assert_refused(
        MessageKind::Status,
        &edited(MessageKind::Status, |m| m["timeMs"] = json!("5")),
    );
}

#[test]
fn an_empty_batch_is_refused_by_the_schema() {
    let message = edited(MessageKind::Readings, |m| m["readings"] = json!([]));
    assert!(!validator(MessageKind::Readings).is_valid(&message));
}

#[test]
fn an_unknown_field_is_refused_by_the_schema_but_ignored_by_readers() {
    for kind in MessageKind::ALL {
        let message = edited(kind, |m| m["extra"] = json!(1));
        assert!(!validator(kind).is_valid(&message), "{kind}");
        assert!(parses(kind, &message), "{kind}");
    }
}
