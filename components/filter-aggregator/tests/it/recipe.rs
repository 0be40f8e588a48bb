//! The recipe's DefaultConfiguration is the serde default and valid, and its accessControl
//! names exactly the topics the component uses.

use filter_aggregator::config::FilterAggregatorConfig;
use filter_aggregator::validate::validate;
use serde_json::Value as Json;

fn recipe() -> Json {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../recipes/com.smartfactory.FilterAggregator.yaml"
    );
    let text = std::fs::read_to_string(path).unwrap();
    serde_saphyr::from_str(&text).unwrap()
}

#[test]
fn the_default_configuration_equals_the_config_default_and_is_valid() {
    let mut defaults = recipe()["ComponentConfiguration"]["DefaultConfiguration"].clone();
    for kit_key in ["logLevel", "metricsIntervalMs", "accessControl"] {
        defaults.as_object_mut().unwrap().remove(kit_key);
    }
    let parsed: FilterAggregatorConfig = serde_json::from_value(defaults).unwrap();
    assert_eq!(parsed, FilterAggregatorConfig::default());
    let validated = validate(parsed).unwrap();
    assert!(validated.rejected.is_empty());
    assert_eq!(validated.rules.len(), 2);
}

#[test]
fn access_control_names_exactly_the_topics_used() {
    let acl = &recipe()["ComponentConfiguration"]["DefaultConfiguration"]["accessControl"];
    let pubsub = acl["aws.greengrass.ipc.pubsub"].as_object().unwrap();
    let mut grants = Vec::new();
    for policy in pubsub.values() {
        for op in policy["operations"].as_array().unwrap() {
            for r in policy["resources"].as_array().unwrap() {
                grants.push(format!("{} {}", op.as_str().unwrap(), r.as_str().unwrap()));
            }
        }
    }
    grants.sort();
    assert_eq!(
        grants,
        [
            "aws.greengrass#PublishToTopic cloudwatch/metric/put",
            "aws.greengrass#PublishToTopic factory/agg/*",
            "aws.greengrass#PublishToTopic factory/dead-letter/com.smartfactory.FilterAggregator",
            "aws.greengrass#PublishToTopic factory/filtered/*",
            "aws.greengrass#SubscribeToTopic factory/raw/*",
        ]
    );
}

#[test]
fn the_demo_deployments_rules_are_valid() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/local/factory-demo.json"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let demo: Json = serde_json::from_str(&text).unwrap();
    let merge =
        &demo["components"]["com.smartfactory.FilterAggregator"]["configurationUpdate"]["merge"];
    let merge = match merge {
        Json::String(s) => serde_json::from_str(s).unwrap(),
        other => other.clone(),
    };
    let parsed: FilterAggregatorConfig = serde_json::from_value(merge).unwrap();
    let validated = validate(parsed).unwrap();
    assert!(validated.rejected.is_empty(), "{:?}", validated.rejected);
    assert!(validated.rules.len() >= 5);
}
