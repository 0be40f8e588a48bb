//! The repository's own recipes and local deployment documents resolve under gg-local, so the
//! demo and a fresh clone never meet a recipe error first.

use gg_local::deployment::{DeploymentDocument, RecipeStore, ResolveContext, resolve};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn resolved_names(document: &str) -> Vec<String> {
    resolved_names_at(&repo().join("deploy/local").join(document))
}

fn resolved_names_at(path: &std::path::Path) -> Vec<String> {
    let store = RecipeStore::load(&[repo().join("recipes")]).unwrap();
    let doc = DeploymentDocument::from_file(path).unwrap();
    let ctx = ResolveContext::new(
        "gateway1",
        &std::env::temp_dir(),
        &repo().join("run/artifacts"),
    );
    resolve(&doc, &store, &ctx, &BTreeMap::new())
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect()
}

#[test]
fn the_meta_component_pulls_in_every_component_dependencies_first() {
    let names = resolved_names("gateway.json");
    assert_eq!(
        names.last().map(String::as_str),
        Some("com.smartfactory.Gateway")
    );
    for component in [
        "ModbusAdapter",
        "OpcUaAdapter",
        "MqttAdapter",
        "FilterAggregator",
        "AnomalyDetector",
        "StreamUploader",
    ] {
        let name = format!("com.smartfactory.{component}");
        assert!(names.contains(&name), "{name} in {names:?}");
    }
}

#[test]
fn the_demo_deployment_resolves() {
    assert_eq!(
        resolved_names("example.json"),
        ["com.smartfactory.ExampleSensor"]
    );
}

#[test]
fn the_fleet_documents_apply_locally_unchanged() {
    let group = resolved_names_at(&repo().join("deploy/fleet/thing-groups/factory-berlin.json"));
    assert!(
        group.iter().any(|n| n == "com.smartfactory.StreamUploader"),
        "{group:?}"
    );
    assert!(
        !group.iter().any(|n| n.starts_with("aws.greengrass.")),
        "AWS components are left to gg-local's own services: {group:?}"
    );
    let device = resolved_names_at(&repo().join("deploy/fleet/devices/gateway-berlin-01.json"));
    assert_eq!(device, ["com.smartfactory.ModbusAdapter"]);
}
