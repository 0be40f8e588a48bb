//! Plans the demo's deployment: keeps the components of the demo deployment document that have
//! a recipe in `recipes/` and a built binary, stages their artifacts where the runtime reads
//! them (`<artifacts>/<Component>/<version>/<binary>-<arch>`), and writes the filtered document.
//! Components being built elsewhere join the demo as soon as their recipe and binary exist.

use std::path::PathBuf;

use anyhow::Context;
use serde_json::{Map, Value};

use crate::dependencies;

/// A component the demo deploys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Included {
    /// Component name.
    pub name: String,
    /// Staged artifact.
    pub artifact: PathBuf,
}

/// The outcome of planning.
#[derive(Debug, Default)]
pub struct Plan {
    /// Deployed components.
    pub included: Vec<Included>,
    /// Left out, with the reason.
    pub skipped: Vec<(String, String)>,
}

/// Where planning reads and writes.
#[derive(Debug, Clone)]
pub struct Paths {
    /// The demo deployment document listing every component.
    pub deployment: PathBuf,
    /// Recipe folder.
    pub recipes: PathBuf,
    /// Folder of built binaries (`target/release`).
    pub bin_dir: PathBuf,
    /// Artifact folder the runtime reads.
    pub artifacts: PathBuf,
    /// The filtered document to write.
    pub out: PathBuf,
    /// When set, the ModbusAdapter's devices are pointed at this port on their host.
    pub modbus_port: Option<u16>,
    /// When set, the OpcUaAdapter's servers are pointed at the simulator on this loopback port.
    pub opcua_port: Option<u16>,
    /// Folder of artifact-only components (models), each with its `gdk-config.json`.
    pub models: PathBuf,
    /// When set, the StreamUploader's Kinesis and S3 exports are pointed at this endpoint.
    pub cloud_url: Option<String>,
}

/// The architecture suffix the recipes' artifact names use.
pub fn arch_suffix() -> &'static str {
    match std::env::consts::ARCH {
        "aarch64" => "aarch64",
        "arm" => "armv7",
        _ => "x86_64",
    }
}

/// Plans, stages and writes the document.
pub fn plan(p: &Paths) -> anyhow::Result<Plan> {
    let text = std::fs::read_to_string(&p.deployment)
        .with_context(|| format!("cannot read {}", p.deployment.display()))?;
    let mut doc: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not JSON", p.deployment.display()))?;
    let components = doc["components"]
        .as_object()
        .cloned()
        .with_context(|| format!("{} has no `components` object", p.deployment.display()))?;
    let mut plan = Plan::default();
    let mut kept = Map::new();
    for (name, spec) in components {
        match stage(p, &name) {
            Ok(artifact) => {
                plan.included.push(Included {
                    name: name.clone(),
                    artifact,
                });
                kept.insert(name, spec);
            }
            Err(reason) => plan.skipped.push((name, reason)),
        }
    }
    anyhow::ensure!(
        !kept.is_empty(),
        "no component of {} can be deployed: {}",
        p.deployment.display(),
        plan.skipped
            .iter()
            .map(|(n, r)| format!("{n}: {r}"))
            .collect::<Vec<_>>()
            .join("; ")
    );
    doc["components"] = Value::Object(kept);
    if let Some(port) = p.modbus_port {
        set_modbus_port(&mut doc, port);
    }
    if let Some(port) = p.opcua_port {
        set_opcua_port(&mut doc, port);
    }
    if let Some(url) = &p.cloud_url {
        set_cloud_url(&mut doc, url);
    }
    if let Some(dir) = p.out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(&p.out, serde_json::to_string_pretty(&doc)?)
        .with_context(|| format!("cannot write {}", p.out.display()))?;
    Ok(plan)
}

/// Points every device of the ModbusAdapter's merged configuration at `port`.
fn set_modbus_port(doc: &mut Value, port: u16) {
    let devices = &mut doc["components"]["com.smartfactory.ModbusAdapter"]["configurationUpdate"]["merge"]
        ["devices"];
    if let Some(devices) = devices.as_object_mut() {
        for d in devices.values_mut() {
            d["transport"]["port"] = Value::String(port.to_string());
        }
    }
}

/// Points every server of the OpcUaAdapter's merged configuration at the simulator's OPC UA
/// endpoint on `port` (security None, anonymous, endpoint path `/`).
fn set_opcua_port(doc: &mut Value, port: u16) {
    let servers = &mut doc["components"]["com.smartfactory.OpcUaAdapter"]["configurationUpdate"]["merge"]
        ["servers"];
    if let Some(servers) = servers.as_object_mut() {
        for s in servers.values_mut() {
            s["endpointUrl"] = Value::String(format!("opc.tcp://127.0.0.1:{port}/"));
        }
    }
}

/// Points the StreamUploader's `kinesis` and `s3` exports at `url`.
fn set_cloud_url(doc: &mut Value, url: &str) {
    let exports = &mut doc["components"]["com.smartfactory.StreamUploader"]["configurationUpdate"]
        ["merge"]["exports"];
    if let Some(exports) = exports.as_object_mut() {
        for e in exports.values_mut() {
            if matches!(e["type"].as_str(), Some("kinesis" | "s3")) {
                e["endpointUrl"] = Value::String(url.to_owned());
            }
        }
    }
}

/// Writes the runtime configuration `from` to `to`, with placeholder credentials when it has
/// none: the local cloud does not check signatures, but the AWS SDK signs nothing without
/// credentials. A relative `secretsFile` stays pointing at the same file.
pub fn runtime_config_with_demo_credentials(
    from: &std::path::Path,
    to: &std::path::Path,
) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(from).with_context(|| format!("cannot read {}", from.display()))?;
    let mut cfg: Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", from.display()))?;
    let obj = cfg
        .as_object_mut()
        .with_context(|| format!("{} is not a JSON object", from.display()))?;
    obj.entry("credentials").or_insert_with(
        || serde_json::json!({"accessKeyId": "demo-local", "secretAccessKey": "demo-local"}),
    );
    if let Some(secrets) = obj.get_mut("secretsFile")
        && let Some(rel) = secrets.as_str().filter(|s| !s.starts_with('/'))
    {
        let base = from.parent().unwrap_or(std::path::Path::new("."));
        let abs = std::path::absolute(base.join(rel))?;
        *secrets = Value::String(abs.display().to_string());
    }
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(to, serde_json::to_string_pretty(&cfg)?)
        .with_context(|| format!("cannot write {}", to.display()))
}

/// Stages `name`'s binary, or says why it cannot be deployed.
fn stage(p: &Paths, name: &str) -> Result<PathBuf, String> {
    let recipe = find_recipe(&p.recipes, name)
        .ok_or_else(|| format!("no recipe in {}", p.recipes.display()))?;
    let text =
        std::fs::read_to_string(&recipe).map_err(|e| format!("{}: {e}", recipe.display()))?;
    let version = recipe_version(&text).ok_or("the recipe has no ComponentVersion")?;
    let arch = arch_suffix();
    let binary = artifact_binary(&text, arch)
        .ok_or_else(|| format!("the recipe runs no `{{artifacts:path}}/<binary>-{arch}`"))?;
    let built = p.bin_dir.join(&binary);
    if !built.is_file() {
        return Err(format!("{} is not built", built.display()));
    }
    for dep in dependencies::dependencies(&text) {
        let Some(dep_recipe) = find_recipe(&p.recipes, &dep) else {
            continue; // not ours (e.g. an AWS-provided component): the runtime reports it
        };
        let dep_text = std::fs::read_to_string(&dep_recipe)
            .map_err(|e| format!("{}: {e}", dep_recipe.display()))?;
        let dep_version =
            recipe_version(&dep_text).ok_or(format!("{dep}'s recipe has no ComponentVersion"))?;
        dependencies::stage(&p.models, &dep_text, &dep_version, &dep, &p.artifacts)
            .map_err(|e| format!("dependency {dep}: {e}"))?;
    }
    let dest_dir = p.artifacts.join(name).join(&version);
    let dest = dest_dir.join(format!("{binary}-{arch}"));
    std::fs::create_dir_all(&dest_dir)
        .and_then(|()| std::fs::copy(&built, &dest))
        .map_err(|e| format!("cannot stage {}: {e}", dest.display()))?;
    Ok(dest)
}

/// The recipe file of `name` in `recipes`.
fn find_recipe(recipes: &std::path::Path, name: &str) -> Option<PathBuf> {
    ["yaml", "yml", "json"]
        .iter()
        .map(|ext| recipes.join(format!("{name}.{ext}")))
        .find(|f| f.is_file())
}

/// `ComponentVersion` of a YAML or JSON recipe.
pub fn recipe_version(recipe: &str) -> Option<String> {
    const KEY: &str = "ComponentVersion";
    recipe.lines().find_map(|l| {
        let rest = &l[l.find(KEY)? + KEY.len()..];
        let v = rest
            .trim_start_matches('"')
            .trim_start()
            .strip_prefix(':')?;
        let v = v
            .trim()
            .trim_end_matches([',', '}'])
            .trim()
            .trim_matches(['"', '\'']);
        (!v.is_empty()).then(|| v.to_owned())
    })
}

/// The binary the recipe runs for `arch`: `{artifacts:path}/<binary>-<arch>`.
pub fn artifact_binary(recipe: &str, arch: &str) -> Option<String> {
    let suffix = format!("-{arch}");
    recipe
        .match_indices("{artifacts:path}/")
        .find_map(|(i, m)| {
            let rest = &recipe[i + m.len()..];
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '"' || c == '\'')
                .unwrap_or(rest.len());
            rest[..end].strip_suffix(&suffix).map(str::to_owned)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECIPE: &str = "ComponentName: com.x.A\nComponentVersion: \"0.2.1\"\nManifests:\n  - Lifecycle:\n      Run:\n        Script: \"{artifacts:path}/a-bin-x86_64\"\n  - Lifecycle:\n      Run:\n        Script: \"{artifacts:path}/a-bin-aarch64\"\n";

    #[test]
    fn reads_version_and_binary_from_a_recipe() {
        assert_eq!(recipe_version(RECIPE).as_deref(), Some("0.2.1"));
        assert_eq!(artifact_binary(RECIPE, "aarch64").as_deref(), Some("a-bin"));
        assert_eq!(artifact_binary(RECIPE, "armv7"), None);
        let json = r#"{"ComponentVersion": "1.0.0"}"#;
        assert_eq!(recipe_version(json).as_deref(), Some("1.0.0"));
    }

    #[test]
    fn keeps_what_can_run_and_names_why_the_rest_cannot() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let d = dir.path();
        std::fs::create_dir_all(d.join("recipes")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir_all(d.join("bin")).unwrap_or_else(|e| panic!("{e}"));
        let recipe = RECIPE.replace("x86_64", arch_suffix());
        std::fs::write(d.join("recipes/com.x.A.yaml"), &recipe).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(d.join("recipes/com.x.B.yaml"), &recipe).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(d.join("bin/a-bin"), b"#!/bin/sh\n").unwrap_or_else(|e| panic!("{e}"));
        let doc = r#"{"components": {"com.x.A": {"componentVersion": "0.2.1"}, "com.x.C": {}}}"#;
        std::fs::write(d.join("demo.json"), doc).unwrap_or_else(|e| panic!("{e}"));
        let paths = Paths {
            deployment: d.join("demo.json"),
            recipes: d.join("recipes"),
            bin_dir: d.join("bin"),
            artifacts: d.join("art"),
            out: d.join("out/plan.json"),
            modbus_port: None,
            opcua_port: None,
            models: d.join("models"),
            cloud_url: None,
        };
        let plan = plan(&paths).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.included.len(), 1);
        assert!(
            plan.included[0]
                .artifact
                .ends_with(format!("com.x.A/0.2.1/a-bin-{}", arch_suffix()))
        );
        assert!(plan.included[0].artifact.is_file());
        assert_eq!(plan.skipped.len(), 1);
        assert!(
            plan.skipped[0].1.starts_with("no recipe"),
            "{:?}",
            plan.skipped
        );
        let out: Value =
            serde_json::from_str(&std::fs::read_to_string(&paths.out).unwrap_or_default())
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out["components"].as_object().map(Map::len), Some(1));
    }

    #[test]
    fn the_uploaders_aws_exports_point_at_the_local_cloud_and_the_runtime_gets_credentials() {
        let mut doc = serde_json::json!({"components": {"com.smartfactory.StreamUploader": {
            "configurationUpdate": {"merge": {"exports": {
                "k": {"type": "kinesis"}, "s": {"type": "s3"}, "i": {"type": "iotCore"}}}}}}});
        set_cloud_url(&mut doc, "http://127.0.0.1:9");
        let exports = &doc["components"]["com.smartfactory.StreamUploader"]["configurationUpdate"]
            ["merge"]["exports"];
        assert_eq!(exports["k"]["endpointUrl"], "http://127.0.0.1:9");
        assert_eq!(exports["s"]["endpointUrl"], "http://127.0.0.1:9");
        assert!(exports["i"]["endpointUrl"].is_null());

        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let from = dir.path().join("runtime.json");
        std::fs::write(
            &from,
            r#"{"thingName": "gw9", "secretsFile": "secrets.json"}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let to = dir.path().join("out/runtime.json");
        runtime_config_with_demo_credentials(&from, &to).unwrap_or_else(|e| panic!("{e}"));
        let cfg: Value = serde_json::from_str(&std::fs::read_to_string(&to).unwrap_or_default())
            .unwrap_or_default();
        assert_eq!(cfg["thingName"], "gw9");
        assert!(cfg["credentials"]["accessKeyId"].is_string());
        assert_eq!(
            cfg["secretsFile"].as_str().map(std::path::PathBuf::from),
            Some(dir.path().join("secrets.json"))
        );
    }
}
