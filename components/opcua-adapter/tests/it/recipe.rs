//! The recipe's DefaultConfiguration is the serde default, and its accessControl grants exactly
//! what the component uses.

use opcua_adapter::config::OpcUaAdapterConfig;
use serde_json::Value as Json;

fn recipe() -> Json {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../recipes/com.smartfactory.OpcUaAdapter.yaml"
    );
    let text = std::fs::read_to_string(path).unwrap();
    serde_saphyr::from_str(&text).unwrap()
}

#[test]
fn the_default_configuration_equals_the_config_default() {
    let mut defaults = recipe()["ComponentConfiguration"]["DefaultConfiguration"].clone();
    let map = defaults.as_object_mut().unwrap();
    for kit_key in ["logLevel", "metricsIntervalMs", "accessControl"] {
        map.remove(kit_key);
    }
    let parsed: OpcUaAdapterConfig = serde_json::from_value(defaults).unwrap();
    assert_eq!(parsed, OpcUaAdapterConfig::default());
}

#[test]
fn access_control_grants_exactly_what_is_used() {
    let acl = &recipe()["ComponentConfiguration"]["DefaultConfiguration"]["accessControl"];
    let mut grants = Vec::new();
    for (service, policies) in acl.as_object().unwrap() {
        for policy in policies.as_object().unwrap().values() {
            for op in policy["operations"].as_array().unwrap() {
                for r in policy["resources"].as_array().unwrap() {
                    grants.push(format!(
                        "{service} {} {}",
                        op.as_str().unwrap(),
                        r.as_str().unwrap()
                    ));
                }
            }
        }
    }
    grants.sort();
    assert_eq!(
        grants,
        [
            "aws.greengrass.SecretManager aws.greengrass#GetSecretValue *",
            "aws.greengrass.ipc.pubsub aws.greengrass#PublishToTopic cloudwatch/metric/put",
            "aws.greengrass.ipc.pubsub aws.greengrass#PublishToTopic factory/raw/*",
            "aws.greengrass.ipc.pubsub aws.greengrass#PublishToTopic factory/status/com.smartfactory.OpcUaAdapter",
        ]
    );
}
