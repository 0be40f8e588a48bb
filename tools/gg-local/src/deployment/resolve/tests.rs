use super::*;
use crate::deployment::recipe::{DependencyType, RecipeFormat};
use serde_json::json;

fn recipe(name: &str, version: &str, deps: &[(&str, &str, &str)], extra: &str) -> Recipe {
    let mut text = format!(
        "RecipeFormatVersion: 2020-01-25\nComponentName: {name}\nComponentVersion: {version}\n"
    );
    if !deps.is_empty() {
        text.push_str("ComponentDependencies:\n");
        for (dep, req, kind) in deps {
            text.push_str(&format!(
                "  {dep}:\n    VersionRequirement: '{req}'\n    DependencyType: {kind}\n"
            ));
        }
    }
    text.push_str(extra);
    if !extra.contains("Manifests") {
        text.push_str("Manifests:\n  - Lifecycle:\n      Run: echo {iot:thingName}\n");
    }
    Recipe::parse(
        &text,
        RecipeFormat::Yaml,
        Path::new(&format!("{name}-{version}.yaml")),
    )
    .unwrap()
}

fn store(recipes: Vec<Recipe>) -> RecipeStore {
    let mut store = RecipeStore::new();
    for r in recipes {
        store.insert(r).unwrap();
    }
    store
}

fn doc(json: Value) -> DeploymentDocument {
    DeploymentDocument::parse(&json.to_string(), Path::new("doc.json")).unwrap()
}

fn ctx() -> ResolveContext {
    ResolveContext {
        thing_name: "gw-1".into(),
        root_dir: "/gg".into(),
        artifacts_dir: "/build/artifacts".into(),
        decompressed_dir: "/gg/unarchived".into(),
        platform: HostPlatform::new([("os", "linux"), ("architecture", "amd64")]),
    }
}

fn names(resolved: &[ResolvedComponent]) -> Vec<String> {
    resolved
        .iter()
        .map(|c| format!("{} {}", c.name, c.version))
        .collect()
}

#[test]
fn dependencies_come_first_and_are_pulled_from_the_store() {
    let s = store(vec![
        recipe(
            "app",
            "1.0.0",
            &[
                ("lib", "^1.0.0", "HARD"),
                ("base", ">=2.0.0 <3.0.0", "SOFT"),
            ],
            "",
        ),
        recipe("lib", "1.0.0", &[("base", "^2.0.0", "HARD")], ""),
        recipe("lib", "1.3.0", &[("base", "^2.0.0", "HARD")], ""),
        recipe("lib", "2.0.0", &[], ""),
        recipe("base", "2.1.0", &[], ""),
        recipe("base", "3.0.0", &[], ""),
    ]);
    let d = doc(json!({"components": {"app": {"componentVersion": "1.0.0"}}}));
    let out = resolve(&d, &s, &ctx(), &BTreeMap::new()).unwrap();
    assert_eq!(names(&out), ["base 2.1.0", "lib 1.3.0", "app 1.0.0"]);
    let app = &out[2];
    assert!(app.is_root);
    assert!(!out[0].is_root);
    assert_eq!(app.dependencies["lib"], DependencyType::Hard);
    assert_eq!(app.dependencies["base"], DependencyType::Soft);
    assert_eq!(app.artifacts_path, Path::new("/build/artifacts/app/1.0.0"));
    assert_eq!(app.work_path, Path::new("/gg/work/app"));
    assert_eq!(app.lifecycle.run.as_ref().unwrap().script, "echo gw-1");
}

#[test]
fn a_missing_root_recipe_names_the_component_and_version() {
    let s = store(vec![recipe("app", "1.0.0", &[], "")]);
    let d = doc(json!({"components": {"app": {"componentVersion": "2.0.0"}}}));
    let err = resolve(&d, &s, &ctx(), &BTreeMap::new()).unwrap_err();
    assert_eq!(err.to_string(), "no recipe for app 2.0.0");
}

#[test]
fn a_missing_dependency_names_who_requires_it() {
    let s = store(vec![recipe(
        "app",
        "1.0.0",
        &[("lib", "^1.0.0", "HARD")],
        "",
    )]);
    let d = doc(json!({"components": {"app": {"componentVersion": "1.0.0"}}}));
    let err = resolve(&d, &s, &ctx(), &BTreeMap::new()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no recipe for lib ^1.0.0 (required by app 1.0.0)"
    );
}

#[test]
fn a_root_version_that_breaks_a_requirement_names_both_components() {
    let s = store(vec![
        recipe("app", "1.0.0", &[("lib", "^1.0.0", "HARD")], ""),
        recipe("lib", "2.0.0", &[], ""),
    ]);
    let d = doc(json!({"components": {
        "app": {"componentVersion": "1.0.0"}, "lib": {"componentVersion": "2.0.0"}}}));
    let err = resolve(&d, &s, &ctx(), &BTreeMap::new()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "app 1.0.0 requires lib ^1.0.0, but the deployment asks for lib 2.0.0"
    );
}

#[test]
fn conflicting_requirements_list_every_requirement_and_the_available_versions() {
    let s = store(vec![
        recipe("a", "1.0.0", &[("lib", "^1.0.0", "HARD")], ""),
        recipe("b", "1.0.0", &[("lib", "^2.0.0", "HARD")], ""),
        recipe("lib", "1.0.0", &[], ""),
        recipe("lib", "2.0.0", &[], ""),
    ]);
    let d = doc(json!({"components": {
        "a": {"componentVersion": "1.0.0"}, "b": {"componentVersion": "1.0.0"}}}));
    let err = resolve(&d, &s, &ctx(), &BTreeMap::new()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("a 1.0.0 requires ^1.0.0"), "{text}");
    assert!(text.contains("b 1.0.0 requires ^2.0.0"), "{text}");
    assert!(text.contains("available: 1.0.0, 2.0.0"), "{text}");
}

#[test]
fn a_dependency_cycle_is_named() {
    let s = store(vec![
        recipe("a", "1.0.0", &[("b", "*", "HARD")], ""),
        recipe("b", "1.0.0", &[("c", "*", "HARD")], ""),
        recipe("c", "1.0.0", &[("a", "*", "SOFT")], ""),
    ]);
    let d = doc(json!({"components": {"a": {"componentVersion": "1.0.0"}}}));
    let err = resolve(&d, &s, &ctx(), &BTreeMap::new()).unwrap_err();
    assert_eq!(err.to_string(), "dependency cycle: a -> b -> c -> a");
}

#[test]
fn no_manifest_for_this_platform_is_an_error() {
    let s = store(vec![recipe(
        "a",
        "1.0.0",
        &[],
        "Manifests:\n  - Platform: {os: windows}\n    Lifecycle: {Run: x}\n",
    )]);
    let d = doc(json!({"components": {"a": {"componentVersion": "1.0.0"}}}));
    let err = resolve(&d, &s, &ctx(), &BTreeMap::new()).unwrap_err();
    assert!(matches!(err, ResolveError::NoManifest { .. }), "{err}");
    assert!(err.to_string().contains("architecture=amd64"), "{err}");
}

#[test]
fn only_root_components_get_their_configuration_update() {
    let extra = "ComponentConfiguration:\n  DefaultConfiguration:\n    level: low\n";
    let s = store(vec![
        recipe("app", "1.0.0", &[("lib", "*", "HARD")], extra),
        recipe("lib", "1.0.0", &[], extra),
    ]);
    let d = doc(json!({"components": {"app": {"componentVersion": "1.0.0",
        "configurationUpdate": {"merge": "{\"level\":\"high\"}"}}}}));
    let out = resolve(&d, &s, &ctx(), &BTreeMap::new()).unwrap();
    assert_eq!(out[0].name, "lib");
    assert_eq!(out[0].configuration["level"], "low");
    assert_eq!(out[1].configuration["level"], "high");
}

#[test]
fn a_redeployment_keeps_the_current_configuration() {
    let extra = "ComponentConfiguration:\n  DefaultConfiguration:\n    level: low\n    new: 1\n";
    let s = store(vec![recipe("app", "1.0.0", &[], extra)]);
    let d = doc(json!({"components": {"app": {"componentVersion": "1.0.0"}}}));
    let current = BTreeMap::from([("app".to_owned(), json!({"level": "medium"}))]);
    let out = resolve(&d, &s, &ctx(), &current).unwrap();
    assert_eq!(out[0].configuration, json!({"level": "medium", "new": 1}));
}

#[test]
fn lifecycle_scripts_and_setenv_are_interpolated_with_dependency_variables() {
    let app = "ComponentConfiguration:\n  DefaultConfiguration:\n    port: 502\n\
        Manifests:\n  - Lifecycle:\n      Setenv: {A: '{work:path}', B: outer}\n\
        \x20     Run:\n        Script: '{artifacts:path}/app --port {configuration:/port} \
        --lib {lib:artifacts:path} --url {lib:configuration:/url}'\n\
        \x20       Setenv: {B: inner}\n";
    let lib = "ComponentConfiguration:\n  DefaultConfiguration:\n    url: http://lib\n";
    let s = store(vec![
        recipe("app", "1.0.0", &[("lib", "*", "HARD")], app),
        recipe("lib", "1.0.0", &[], lib),
    ]);
    let d = doc(json!({"components": {"app": {"componentVersion": "1.0.0"}}}));
    let out = resolve(&d, &s, &ctx(), &BTreeMap::new()).unwrap();
    let run = out[1].lifecycle.run.as_ref().unwrap();
    assert_eq!(
        run.script,
        "/build/artifacts/app/1.0.0/app --port 502 --lib /build/artifacts/lib/1.0.0 --url http://lib"
    );
    assert_eq!(run.env["A"], "/gg/work/app");
    assert_eq!(run.env["B"], "inner");
}

#[test]
fn access_control_comes_from_the_merged_configuration_with_the_thing_name() {
    let extra = "ComponentConfiguration:\n  DefaultConfiguration:\n    accessControl:\n\
        \x20     aws.greengrass.ipc.pubsub:\n        p1:\n          operations: ['*']\n\
        \x20         resources: ['factory/{iot:thingName}/*']\n";
    let s = store(vec![
        recipe("app", "1.0.0", &[], extra),
        recipe("b", "1.0.0", &[], ""),
    ]);
    let d = doc(json!({"components": {"app": {"componentVersion": "1.0.0"},
        "b": {"componentVersion": "1.0.0"}}}));
    let out = resolve(&d, &s, &ctx(), &BTreeMap::new()).unwrap();
    let app = out.iter().find(|c| c.name == "app").unwrap();
    assert_eq!(
        app.access_control["aws.greengrass.ipc.pubsub"]["p1"]["resources"][0],
        "factory/gw-1/*"
    );
    // The configuration itself is not interpolated.
    assert_eq!(
        app.configuration["accessControl"]["aws.greengrass.ipc.pubsub"]["p1"]["resources"][0],
        "factory/{iot:thingName}/*"
    );
    let b = out.iter().find(|c| c.name == "b").unwrap();
    assert_eq!(b.access_control, json!({}));
}

#[test]
fn a_root_without_a_version_gets_the_newest_recipe() {
    let s = store(vec![
        recipe("a", "1.0.0", &[], ""),
        recipe("a", "1.2.0", &[], ""),
    ]);
    let d = doc(json!({"components": {"a": {}}}));
    let out = resolve(&d, &s, &ctx(), &BTreeMap::new()).unwrap();
    assert_eq!(names(&out), ["a 1.2.0"]);
}
