//! The recipe's DefaultConfiguration is the serde default, and its accessControl names exactly
//! the topics the component publishes on.

use mqtt_adapter::config::MqttAdapterConfig;
use serde_json::Value as Json;

fn recipe() -> Json {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../recipes/com.smartfactory.MqttAdapter.yaml"
    );
    let text = std::fs::read_to_string(path).expect("recipe readable");
    serde_saphyr::from_str(&text).expect("recipe is YAML")
}

#[test]
fn the_default_configuration_equals_the_config_default() {
    let defaults = recipe()["ComponentConfiguration"]["DefaultConfiguration"].clone();
    let parsed: MqttAdapterConfig = serde_json::from_value(defaults).expect("parses");
    assert_eq!(parsed, MqttAdapterConfig::default());
}

#[test]
fn access_control_names_exactly_the_topics_used() {
    let acl = &recipe()["ComponentConfiguration"]["DefaultConfiguration"]["accessControl"];
    let policy = &acl["aws.greengrass.ipc.pubsub"]["com.smartfactory.MqttAdapter:pubsub:1"];
    assert_eq!(
        policy["operations"],
        serde_json::json!(["aws.greengrass#PublishToTopic"])
    );
    assert_eq!(
        policy["resources"],
        serde_json::json!([
            "factory/raw/*",
            "factory/status/com.smartfactory.MqttAdapter",
            "cloudwatch/metric/put"
        ])
    );
}
