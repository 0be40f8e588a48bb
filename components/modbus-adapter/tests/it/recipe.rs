//! The recipe's DefaultConfiguration is the serde default, and its accessControl names exactly
//! the topics the component publishes on.

use modbus_adapter::config::ModbusAdapterConfig;
use serde_json::Value as Json;

fn recipe() -> Json {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../recipes/com.smartfactory.ModbusAdapter.yaml"
    );
    let text = std::fs::read_to_string(path).expect("recipe readable");
    serde_saphyr::from_str(&text).expect("recipe is YAML")
}

#[test]
fn the_default_configuration_equals_the_config_default() {
    let defaults = recipe()["ComponentConfiguration"]["DefaultConfiguration"].clone();
    let parsed: ModbusAdapterConfig = serde_json::from_value(defaults).expect("parses");
    assert_eq!(parsed, ModbusAdapterConfig::default());
}

#[test]
fn access_control_names_exactly_the_topics_used() {
    let acl = &recipe()["ComponentConfiguration"]["DefaultConfiguration"]["accessControl"];
    assert_eq!(acl.as_object().map(|m| m.len()), Some(1), "only pub/sub");
    let pubsub = acl["aws.greengrass.ipc.pubsub"]
        .as_object()
        .expect("pubsub policies");
    let mut grants = Vec::new();
    for policy in pubsub.values() {
        for op in policy["operations"].as_array().expect("operations") {
            for r in policy["resources"].as_array().expect("resources") {
                grants.push(format!(
                    "{} {}",
                    op.as_str().unwrap_or("?"),
                    r.as_str().unwrap_or("?")
                ));
            }
        }
    }
    grants.sort();
    assert_eq!(
        grants,
        [
            "aws.greengrass#PublishToTopic cloudwatch/metric/put",
            "aws.greengrass#PublishToTopic factory/command-response/com.smartfactory.ModbusAdapter",
            "aws.greengrass#PublishToTopic factory/raw/*",
            "aws.greengrass#PublishToTopic factory/status/com.smartfactory.ModbusAdapter",
            "aws.greengrass#SubscribeToTopic factory/command/com.smartfactory.ModbusAdapter",
        ]
    );
}
