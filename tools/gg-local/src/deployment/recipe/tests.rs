use super::*;
use std::time::Duration;

const EXAMPLE_YAML: &str = r#"
RecipeFormatVersion: "2020-01-25"
ComponentName: com.example.ModbusAdapter
ComponentVersion: "1.2.3"
ComponentPublisher: Example
ComponentDescription: Polls Modbus devices.
ComponentConfiguration:
  DefaultConfiguration:
    pollIntervalMs: "1000"
    devices: {}
ComponentDependencies:
  aws.greengrass.TokenExchangeService:
    VersionRequirement: ">=2.0.0 <3.0.0"
  com.example.Soft:
    VersionRequirement: ^1.0.0
    DependencyType: SOFT
Manifests:
  - Name: linux-aarch64
    Platform: { os: linux, architecture: aarch64, runtime: "*" }
    Lifecycle:
      Setenv: { RUST_LOG: info }
      Run:
        Script: "{artifacts:path}/modbus-adapter-aarch64"
        Timeout: 10
    Artifacts:
      - URI: s3://bucket/modbus-adapter-aarch64
        Permission: { Execute: OWNER }
  - Name: linux-any
    Platform: { os: linux }
    Lifecycle:
      Run: "{artifacts:path}/modbus-adapter"
"#;

fn yaml(text: &str) -> Result<Recipe, RecipeError> {
    Recipe::parse(text, RecipeFormat::Yaml, Path::new("recipes/x.yaml"))
}

fn invalid_key(err: RecipeError) -> String {
    match err {
        RecipeError::Invalid { key, file, .. } => {
            assert_eq!(file, Path::new("recipes/x.yaml"));
            key
        }
        other => panic!("expected Invalid, got {other}"),
    }
}

#[test]
fn the_example_recipe_parses_into_typed_fields() {
    let r = yaml(EXAMPLE_YAML).unwrap();
    assert_eq!(r.name, "com.example.ModbusAdapter");
    assert_eq!(r.version, Version::new(1, 2, 3));
    assert_eq!(r.publisher.as_deref(), Some("Example"));
    assert_eq!(r.default_configuration["pollIntervalMs"], "1000");
    let tes = &r.dependencies["aws.greengrass.TokenExchangeService"];
    assert_eq!(tes.dependency_type, DependencyType::Hard);
    assert!(tes.requirement.matches(&Version::new(2, 5, 0)));
    assert_eq!(
        r.dependencies["com.example.Soft"].dependency_type,
        DependencyType::Soft
    );
    assert_eq!(r.manifests.len(), 2);
    let first = &r.manifests[0];
    let run = first.lifecycle.as_ref().unwrap().run.as_ref().unwrap();
    assert_eq!(run.timeout, Some(Duration::from_secs(10)));
    assert_eq!(first.artifacts[0].permission.execute, Access::Owner);
    assert_eq!(first.artifacts[0].permission.read, Access::Owner);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn the_first_matching_manifest_is_selected() {
    let r = yaml(EXAMPLE_YAML).unwrap();
    let arm = HostPlatform::new([("os", "linux"), ("architecture", "aarch64")]);
    assert_eq!(
        r.select_manifest(&arm).unwrap().name.as_deref(),
        Some("linux-aarch64")
    );
    let amd = HostPlatform::new([("os", "linux"), ("architecture", "amd64")]);
    assert_eq!(
        r.select_manifest(&amd).unwrap().name.as_deref(),
        Some("linux-any")
    );
    let mac = HostPlatform::new([("os", "darwin"), ("architecture", "amd64")]);
    assert!(r.select_manifest(&mac).is_none());
}

#[test]
fn lowercase_recipes_as_gdk_writes_them_parse_the_same() {
    let json = r#"{
        "recipeformatversion": "2020-01-25",
        "componentname": "com.example.A",
        "componentversion": "0.1.0",
        "componentconfiguration": {"defaultconfiguration": {"a": 1}},
        "componentdependencies": {"com.example.B": {"versionrequirement": "^1.0.0",
                                                     "dependencytype": "soft"}},
        "manifests": [{"platform": {"os": "linux"}, "lifecycle": {"run": "echo"},
                       "artifacts": [{"uri": "s3://b/k", "unarchive": "ZIP"}]}]
    }"#;
    let r = Recipe::parse(json, RecipeFormat::Json, Path::new("a.json")).unwrap();
    assert_eq!(r.name, "com.example.A");
    assert_eq!(r.default_configuration["a"], 1);
    assert_eq!(
        r.dependencies["com.example.B"].dependency_type,
        DependencyType::Soft
    );
    assert_eq!(r.manifests[0].artifacts[0].unarchive, Unarchive::Zip);
}

#[test]
fn the_global_lifecycle_is_used_when_the_manifest_has_none() {
    let r = yaml(
        "RecipeFormatVersion: 2020-01-25\nComponentName: a\nComponentVersion: 1.0.0\n\
         Manifests:\n  - Platform: {os: linux}\nLifecycle:\n  Run: echo global\n",
    )
    .unwrap();
    let m = &r.manifests[0];
    assert_eq!(
        r.lifecycle_for(m).unwrap().run.as_ref().unwrap().script,
        "echo global"
    );
}

#[test]
fn a_bad_version_names_the_key() {
    let err = yaml(
        "RecipeFormatVersion: 2020-01-25\nComponentName: a\nComponentVersion: 1.0\nManifests: []\n",
    )
    .unwrap_err();
    assert_eq!(invalid_key(err), "ComponentVersion");
}

#[test]
fn a_missing_name_names_the_key() {
    let err = yaml("RecipeFormatVersion: 2020-01-25\nComponentVersion: 1.0.0\nManifests: []\n")
        .unwrap_err();
    assert_eq!(invalid_key(err), "ComponentName");
}

#[test]
fn a_bad_dependency_requirement_names_the_dependency() {
    let err = yaml(
        "RecipeFormatVersion: 2020-01-25\nComponentName: a\nComponentVersion: 1.0.0\n\
         ComponentDependencies:\n  b: {VersionRequirement: 'nope'}\nManifests: []\n",
    )
    .unwrap_err();
    assert_eq!(
        invalid_key(err),
        "ComponentDependencies.b.VersionRequirement"
    );
}

#[test]
fn a_bad_dependency_type_names_the_key() {
    let err = yaml(
        "RecipeFormatVersion: 2020-01-25\nComponentName: a\nComponentVersion: 1.0.0\n\
         ComponentDependencies:\n  b: {VersionRequirement: '1.0.0', DependencyType: HRAD}\nManifests: []\n",
    )
    .unwrap_err();
    assert_eq!(invalid_key(err), "ComponentDependencies.b.DependencyType");
}

#[test]
fn errors_inside_manifests_name_the_index() {
    let err = yaml(
        "RecipeFormatVersion: 2020-01-25\nComponentName: a\nComponentVersion: 1.0.0\n\
         Manifests:\n  - Lifecycle: {Run: echo}\n  - Artifacts: [{Unarchive: ZIP}]\n",
    )
    .unwrap_err();
    assert_eq!(invalid_key(err), "Manifests[1].Artifacts[0].URI");
}

#[test]
fn invalid_yaml_is_a_syntax_error_naming_the_file() {
    let err = yaml("ComponentName: [unclosed").unwrap_err();
    assert!(
        matches!(err, RecipeError::Syntax { format: "YAML", .. }),
        "{err}"
    );
    assert!(err.to_string().starts_with("recipes/x.yaml"));
}

#[test]
fn unknown_keys_and_bootstrap_are_warnings() {
    let r = yaml(
        "RecipeFormatVersion: 2020-01-25\nComponentName: a\nComponentVersion: 1.0.0\n\
         Colour: blue\nManifests:\n  - Lifecycle: {Bootstrap: reboot, Run: echo}\n",
    )
    .unwrap();
    assert_eq!(r.warnings.len(), 2, "{:?}", r.warnings);
}

#[test]
fn the_format_comes_from_the_extension() {
    assert_eq!(
        RecipeFormat::from_path(Path::new("a.YML")),
        Some(RecipeFormat::Yaml)
    );
    assert_eq!(
        RecipeFormat::from_path(Path::new("a.json")),
        Some(RecipeFormat::Json)
    );
    assert_eq!(RecipeFormat::from_path(Path::new("README.md")), None);
}
