use super::*;
use crate::config::SubscriptionConfig;
use crate::validate::validate;
use serde_json::json;

fn subscription(extra: serde_json::Value) -> Subscription {
    let mut sub = json!({"broker": "b", "topic": "sensors/+/+", "device": "{2}"});
    if let (Some(s), Some(e)) = (sub.as_object_mut(), extra.as_object()) {
        s.extend(e.clone());
    }
    let sub: SubscriptionConfig = serde_json::from_value(sub).expect("parses");
    let config = crate::config::MqttAdapterConfig {
        brokers: [("b".to_owned(), Default::default())].into(),
        subscriptions: [("s".to_owned(), sub)].into(),
        ..Default::default()
    };
    validate(config).expect("valid").subscriptions.remove(0)
}

fn one(sub: &Subscription, topic: &str, payload: &str) -> Reading {
    let mut r = decode_message(sub, topic, payload.as_bytes(), 1000).expect("decodes");
    assert_eq!(r.len(), 1);
    r.remove(0)
}

#[test]
fn json_value_pointer_timestamp_unit_and_scale() {
    let sub = subscription(json!({"valuePointer": "/v", "timestampPointer": "/ts",
        "unit": "degC", "scale": 0.1, "offset": 1}));
    let r = one(
        &sub,
        "sensors/pump1/temp",
        r#"{"v": 215, "ts": 1700000000123}"#,
    );
    assert_eq!(r.source().device().as_str(), "pump1");
    assert_eq!(r.source().point(), "temp");
    assert_eq!(r.value(), Some(&Value::Float(22.5)));
    assert_eq!(r.unit(), Some("degC"));
    assert_eq!(r.device_time_ms(), Some(1_700_000_000_123));
    assert_eq!(r.gateway_time_ms(), 1000);
}

#[test]
fn json_fields_give_one_reading_each_and_a_missing_field_is_bad_alone() {
    let sub = subscription(json!({"fields": {"t": "/temp", "h": "/hum", "ok": "/status/ok"}}));
    let rs = decode_message(
        &sub,
        "sensors/room/env",
        br#"{"temp": 21, "status": {"ok": true}}"#,
        5,
    )
    .expect("decodes");
    let by: std::collections::BTreeMap<_, _> = rs.iter().map(|r| (r.source().point(), r)).collect();
    assert_eq!(by["t"].value(), Some(&Value::Int(21)));
    assert_eq!(by["ok"].value(), Some(&Value::Bool(true)));
    assert_eq!(by["h"].quality(), Quality::Bad);
    assert!(
        by["h"]
            .quality_detail()
            .unwrap_or_default()
            .contains("/hum")
    );
}

#[test]
fn plain_payloads() {
    let sub = subscription(json!({"format": "plain"}));
    assert_eq!(
        one(&sub, "sensors/a/b", " 42 ").value(),
        Some(&Value::Int(42))
    );
    assert_eq!(
        one(&sub, "sensors/a/b", "4.5").value(),
        Some(&Value::Float(4.5))
    );
    assert_eq!(
        one(&sub, "sensors/a/b", "true").value(),
        Some(&Value::Bool(true))
    );
    assert_eq!(
        one(&sub, "sensors/a/b", "RUN").value(),
        Some(&Value::from("RUN"))
    );
    assert!(decode_message(&sub, "sensors/a/b", b"NaN", 0).is_err());
    assert!(decode_message(&sub, "sensors/a/b", b"", 0).is_err());
    assert!(decode_message(&sub, "sensors/a/b", &[0xff, 0xfe], 0).is_err());
}

#[test]
fn a_missing_timestamp_keeps_the_value_but_marks_it_uncertain() {
    let sub = subscription(json!({"valuePointer": "/v", "timestampPointer": "/ts"}));
    let r = one(&sub, "sensors/a/b", r#"{"v": 3}"#);
    assert_eq!(r.value(), Some(&Value::Int(3)));
    assert_eq!(r.quality(), Quality::Uncertain);
    assert!(r.quality_detail().unwrap_or_default().contains("/ts"));
    assert_eq!(r.device_time_ms(), None);
}

#[test]
fn bad_messages_name_the_problem() {
    let sub = subscription(json!({"valuePointer": "/v"}));
    let e = decode_message(&sub, "sensors/a/b", b"{not json", 0).expect_err("bad JSON");
    assert!(e.contains("not JSON"), "{e}");
    let e = decode_message(&sub, "sensors/a/b", br#"{"x": 1}"#, 0).expect_err("missing");
    assert!(e.contains("\"/v\" finds nothing"), "{e}");
    let e = decode_message(&sub, "sensors/a/b", br#"{"v": [1]}"#, 0).expect_err("array");
    assert!(e.contains("an array"), "{e}");
    let e = decode_message(&sub, "sensors/a", br#"{"v": 1}"#, 0).expect_err("short topic");
    assert!(e.contains("topic levels"), "{e}");
}
