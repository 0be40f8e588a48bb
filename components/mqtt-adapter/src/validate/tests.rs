use super::*;
use serde_json::json;

fn parse(v: serde_json::Value) -> MqttAdapterConfig {
    serde_json::from_value(v).expect("parses")
}

#[test]
fn the_default_is_valid() {
    let v = validate(MqttAdapterConfig::default()).expect("valid");
    assert_eq!(v.brokers.len(), 1);
    assert_eq!(v.subscriptions.len(), 1);
}

#[test]
fn a_bad_subscription_is_left_out_alone_with_its_key_named() {
    let v = validate(parse(json!({
        "brokers": {"b": {"host": "127.0.0.1"}},
        "subscriptions": {
            "good": {"broker": "b", "topic": "a/#", "valuePointer": "/v"},
            "badFormat": {"broker": "b", "topic": "x/#", "format": "xml"},
            "badPointer": {"broker": "b", "topic": "y/#", "valuePointer": "v"},
            "noBroker": {"broker": "nope", "topic": "z/#", "format": "plain"},
            "badTopic": {"broker": "b", "topic": "a/#/b", "format": "plain"},
            "badTemplate": {"broker": "b", "topic": "c/+", "format": "plain", "device": "{0}"},
        }
    })))
    .expect("one good subscription keeps it valid");
    assert_eq!(v.subscriptions.len(), 1);
    let errors: Vec<String> = v.rejected.iter().map(ToString::to_string).collect();
    for key in [
        "subscriptions.badFormat.format",
        "subscriptions.badPointer.valuePointer",
        "subscriptions.noBroker.broker",
        "subscriptions.badTopic.topic",
        "subscriptions.badTemplate.device",
    ] {
        assert!(
            errors.iter().any(|e| e.contains(key)),
            "{key} in {errors:?}"
        );
    }
}

#[test]
fn broker_checks() {
    let e = validate(parse(json!({
        "brokers": {"b": {"username": null, "passwordSecretId": "s"}},
        "subscriptions": {"s": {"broker": "b", "topic": "a", "format": "plain"}}
    })))
    .expect_err("nothing usable")
    .to_string();
    assert!(e.contains("brokers.b.username"), "{e}");
    let e = validate(parse(json!({
        "brokers": {"b": {"tls": {"caFile": "ca.pem", "certFile": "c.pem"}}},
        "subscriptions": {"s": {"broker": "b", "topic": "a", "format": "plain"}}
    })))
    .expect_err("nothing usable")
    .to_string();
    assert!(e.contains("brokers.b.tls.keyFile"), "{e}");
}
