//! End to end: the adapter binary deployed from the repository's recipe under gg-local, with its
//! broker password from the runtime's secrets (GetSecretValue); a sensor's message reaches local
//! pub/sub as a reading batch.

use crate::mosquitto::{self, Mosquitto, Security};
use gg_local::testing::Deployment;
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

#[test]
fn under_gg_local_a_sensor_message_arrives_as_a_reading_batch() {
    let broker = Mosquitto::start(Security::Password);
    let secrets = broker.dir.path().join("secrets.json");
    std::fs::write(
        &secrets,
        json!({"factory-mqtt": json!({"password": mosquitto::PASSWORD}).to_string()}).to_string(),
    )
    .expect("write secrets");
    let merge = json!({
        "brokers": {"local": {"port": broker.port.to_string(), "username": mosquitto::USER,
            "passwordSecretId": "factory-mqtt"}},
        "accessControl": {"aws.greengrass.SecretManager": {"com.smartfactory.MqttAdapter:secrets:1": {
            "operations": ["aws.greengrass#GetSecretValue"], "resources": ["factory-mqtt"]}}},
    });
    let runtime = Deployment::new()
        .component(
            "com.smartfactory.MqttAdapter",
            Path::new(env!("CARGO_BIN_EXE_mqtt-adapter")),
            "mqtt-adapter",
            merge,
        )
        .runtime("secretsFile", json!(secrets))
        .start();
    // Publish until the adapter is subscribed and the reading shows up on local pub/sub.
    let deadline = Instant::now() + Duration::from_secs(30);
    let line = loop {
        broker.publish(
            "sensors/pump1/vibration",
            br#"{"value": 0.42, "ts": 1700000000000}"#,
        );
        if let Some(line) = runtime.find("factory/raw/pump1", "vibration", Duration::from_secs(2)) {
            break line;
        }
        assert!(
            Instant::now() < deadline,
            "no reading within 30 s; adapter log:\n{}",
            runtime.log("com.smartfactory.MqttAdapter")
        );
    };
    let batch: edge_model::ReadingBatch =
        serde_json::from_value(line["message"].clone()).expect("a reading batch");
    let r = &batch.readings()[0];
    assert_eq!(r.value(), Some(&edge_model::Value::Float(0.42)));
    assert_eq!(r.device_time_ms(), Some(1_700_000_000_000));
    assert_eq!(batch.gateway_id().as_str(), "e2e-gateway");
}
