//! The recipes: the detector's DefaultConfiguration is valid and, devices aside, the serde
//! default; its accessControl names exactly the topics used; the model component ships the
//! committed model files.

use crate::support::{recipe, repo};
use anomaly_detector::config::{AnomalyDetectorConfig, validate};
use serde_json::Value as Json;

#[test]
fn the_default_configuration_is_valid_and_the_serde_default() {
    let defaults = recipe("com.smartfactory.AnomalyDetector")["ComponentConfiguration"]
        ["DefaultConfiguration"]
        .clone();
    let mut parsed: AnomalyDetectorConfig = serde_json::from_value(defaults).unwrap();
    let validated = validate(parsed.clone()).unwrap();
    assert_eq!(validated.devices.len(), 1);
    assert_eq!(validated.devices[0].points.len(), 8);
    parsed.devices.clear();
    assert_eq!(parsed, AnomalyDetectorConfig::default());
}

#[test]
fn access_control_names_exactly_the_topics_used() {
    let r = recipe("com.smartfactory.AnomalyDetector");
    let acl = &r["ComponentConfiguration"]["DefaultConfiguration"]["accessControl"];
    let mut grants = Vec::new();
    for policy in acl["aws.greengrass.ipc.pubsub"]
        .as_object()
        .unwrap()
        .values()
    {
        for op in policy["operations"].as_array().unwrap() {
            for res in policy["resources"].as_array().unwrap() {
                grants.push(format!(
                    "{} {}",
                    op.as_str().unwrap(),
                    res.as_str().unwrap()
                ));
            }
        }
    }
    grants.sort();
    assert_eq!(
        grants,
        [
            "aws.greengrass#PublishToTopic cloudwatch/metric/put",
            "aws.greengrass#PublishToTopic factory/alarm/*",
            "aws.greengrass#PublishToTopic factory/anomaly/*",
            "aws.greengrass#PublishToTopic factory/command-response/com.smartfactory.AnomalyDetector",
            "aws.greengrass#PublishToTopic factory/status/com.smartfactory.AnomalyDetector",
            "aws.greengrass#SubscribeToTopic factory/command/com.smartfactory.AnomalyDetector",
            "aws.greengrass#SubscribeToTopic factory/filtered/+",
        ]
    );
}

#[test]
fn the_detector_finds_its_model_through_the_dependency_artifacts_path() {
    let r = recipe("com.smartfactory.AnomalyDetector");
    assert_eq!(
        r["ComponentDependencies"]["com.smartfactory.model.PcaT2q"]["DependencyType"],
        "HARD"
    );
    for m in r["Manifests"].as_array().unwrap() {
        assert_eq!(
            m["Lifecycle"]["Setenv"]["ANOMALY_MODEL_DIR"],
            "{com.smartfactory.model.PcaT2q:artifacts:path}"
        );
    }
    let dependency =
        r["ComponentDependencies"]["com.smartfactory.model.PcaT2q"]["VersionRequirement"]
            .as_str()
            .unwrap()
            .to_owned();
    let shipped = model_component("com.smartfactory.model.PcaT2q", "pca-t2q");
    let major = shipped.split('.').next().unwrap().parse::<u32>().unwrap();
    assert_eq!(
        dependency,
        format!(">={major}.0.0 <{}.0.0", major + 1),
        "the detector depends on the shipped model's major version (its output layout)"
    );
}

#[test]
fn every_model_component_ships_its_model_files_at_the_manifest_version() {
    model_component("com.smartfactory.model.ConvAe", "conv-ae");
}

/// Checks the model component's artifacts and version against `models/<folder>/model.json`;
/// returns the version.
fn model_component(component: &str, folder: &str) -> String {
    let model = recipe(component);
    let uris: Vec<&str> = model["Manifests"][0]["Artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["URI"].as_str().unwrap().rsplit('/').next().unwrap())
        .collect();
    assert_eq!(uris, ["model.onnx", "model.json"]);
    let path = repo().join("models").join(folder).join("model.json");
    let manifest: Json = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    assert_eq!(model["ComponentVersion"], manifest["version"]);
    manifest["version"].as_str().unwrap().to_owned()
}
