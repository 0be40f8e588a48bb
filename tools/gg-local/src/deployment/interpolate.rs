//! Recipe variables: `{artifacts:path}`, `{configuration:/x}`, `{iot:thingName}` and friends.
//!
//! Anything between braces that is not a known variable is left as it is, because lifecycle
//! scripts are shell and contain `${VAR}` and `{ ...; }` of their own. A `{configuration:...}`
//! pointer that finds nothing is also left as it is, as the nucleus does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Per-component values that variables can refer to.
#[derive(Debug, Clone)]
pub struct ComponentVars<'a> {
    pub artifacts_path: &'a Path,
    pub decompressed_path: &'a Path,
    pub work_path: &'a Path,
    pub configuration: &'a Value,
}

/// Everything a lifecycle script of one component can refer to.
#[derive(Debug, Clone)]
pub struct InterpolationContext<'a> {
    pub own: ComponentVars<'a>,
    pub root_path: &'a Path,
    pub thing_name: &'a str,
    /// Direct dependencies only: the nucleus does not resolve `{<dep>:...}` for others.
    pub dependencies: BTreeMap<&'a str, ComponentVars<'a>>,
}

/// Replaces every known variable in a lifecycle script (or a `Setenv` value).
pub fn interpolate(text: &str, ctx: &InterpolationContext<'_>) -> String {
    replace_variables(text, |inner| lookup(inner, ctx))
}

/// Replaces `{iot:thingName}` only: the one variable allowed in an `accessControl` resource.
pub fn interpolate_thing_name(text: &str, thing_name: &str) -> String {
    text.replace("{iot:thingName}", thing_name)
}

/// `interpolate_thing_name` on every string in an `accessControl` object.
pub fn interpolate_access_control(access_control: &Value, thing_name: &str) -> Value {
    match access_control {
        Value::String(s) => Value::String(interpolate_thing_name(s, thing_name)),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| interpolate_access_control(v, thing_name))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), interpolate_access_control(v, thing_name)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Calls `resolve` with the text between each `{` and the next `}`; `None` keeps the original.
fn replace_variables(text: &str, resolve: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let (before, from_open) = rest.split_at(open);
        out.push_str(before);
        let after_open = &from_open[1..];
        // A `{` inside the candidate starts a new candidate: `{{work:path}` keeps one `{`.
        match after_open.find(['}', '{']) {
            Some(close) if after_open[close..].starts_with('}') => {
                let inner = &after_open[..close];
                match resolve(inner) {
                    Some(value) => out.push_str(&value),
                    None => {
                        out.push('{');
                        out.push_str(inner);
                        out.push('}');
                    }
                }
                rest = &after_open[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after_open;
            }
        }
    }
    out.push_str(rest);
    out
}

fn lookup(inner: &str, ctx: &InterpolationContext<'_>) -> Option<String> {
    // Own configuration first: the pointer itself may contain `:`.
    if let Some(pointer) = inner.strip_prefix("configuration:") {
        return configuration_value(ctx.own.configuration, pointer);
    }
    match inner {
        "iot:thingName" => return Some(ctx.thing_name.to_owned()),
        "kernel:rootPath" => return Some(path_text(ctx.root_path)),
        _ => {}
    }
    if let Some(value) = component_variable(inner, &ctx.own) {
        return Some(value);
    }
    let (dependency, variable) = inner.split_once(':')?;
    component_variable(variable, ctx.dependencies.get(dependency)?)
}

fn component_variable(variable: &str, vars: &ComponentVars<'_>) -> Option<String> {
    if let Some(pointer) = variable.strip_prefix("configuration:") {
        return configuration_value(vars.configuration, pointer);
    }
    match variable {
        "artifacts:path" => Some(path_text(vars.artifacts_path)),
        "artifacts:decompressedPath" => Some(path_text(vars.decompressed_path)),
        "work:path" => Some(path_text(vars.work_path)),
        _ => None,
    }
}

/// A leaf as its text (strings without quotes), an object or list as JSON, missing as `None`.
fn configuration_value(configuration: &Value, pointer: &str) -> Option<String> {
    match configuration.pointer(pointer)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => Some("null".to_owned()),
        leaf @ (Value::Bool(_) | Value::Number(_)) => Some(leaf.to_string()),
        tree => serde_json::to_string(tree).ok(),
    }
}

fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Owned paths for one component, from which `ComponentVars` borrow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ComponentPaths {
    pub(crate) artifacts: PathBuf,
    pub(crate) decompressed: PathBuf,
    pub(crate) work: PathBuf,
}

impl ComponentPaths {
    pub(crate) fn vars<'a>(&'a self, configuration: &'a Value) -> ComponentVars<'a> {
        ComponentVars {
            artifacts_path: &self.artifacts,
            decompressed_path: &self.decompressed,
            work_path: &self.work,
            configuration,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with_ctx(f: impl FnOnce(&InterpolationContext<'_>)) {
        let own_config = json!({
            "port": 502, "name": "plc-1", "flag": true, "tags": ["a", "b"],
            "nested": {"k": "v"}, "a:b": "colon"
        });
        let dep_config = json!({"url": "http://dep"});
        let own = ComponentPaths {
            artifacts: "/gg/artifacts/A/1.0.0".into(),
            decompressed: "/gg/unarchived/A/1.0.0".into(),
            work: "/gg/work/A".into(),
        };
        let dep = ComponentPaths {
            artifacts: "/gg/artifacts/com.example.Dep/2.0.0".into(),
            decompressed: "/gg/unarchived/com.example.Dep/2.0.0".into(),
            work: "/gg/work/com.example.Dep".into(),
        };
        let ctx = InterpolationContext {
            own: own.vars(&own_config),
            root_path: Path::new("/gg"),
            thing_name: "gateway-7",
            dependencies: BTreeMap::from([("com.example.Dep", dep.vars(&dep_config))]),
        };
        f(&ctx);
    }

    #[test]
    fn path_variables_are_replaced() {
        with_ctx(|ctx| {
            assert_eq!(
                interpolate(
                    "{artifacts:path}/bin --work {work:path} --root {kernel:rootPath}",
                    ctx
                ),
                "/gg/artifacts/A/1.0.0/bin --work /gg/work/A --root /gg"
            );
            assert_eq!(
                interpolate("{artifacts:decompressedPath}", ctx),
                "/gg/unarchived/A/1.0.0"
            );
            assert_eq!(interpolate("{iot:thingName}", ctx), "gateway-7");
        });
    }

    #[test]
    fn configuration_leaves_become_text_and_trees_become_json() {
        with_ctx(|ctx| {
            assert_eq!(interpolate("{configuration:/port}", ctx), "502");
            assert_eq!(interpolate("{configuration:/name}", ctx), "plc-1");
            assert_eq!(interpolate("{configuration:/flag}", ctx), "true");
            assert_eq!(interpolate("{configuration:/tags}", ctx), r#"["a","b"]"#);
            assert_eq!(interpolate("{configuration:/nested}", ctx), r#"{"k":"v"}"#);
            assert_eq!(interpolate("{configuration:/a:b}", ctx), "colon");
        });
    }

    #[test]
    fn a_missing_configuration_node_is_left_unreplaced() {
        with_ctx(|ctx| {
            assert_eq!(
                interpolate("x={configuration:/nope}", ctx),
                "x={configuration:/nope}"
            );
        });
    }

    #[test]
    fn direct_dependency_variables_are_replaced() {
        with_ctx(|ctx| {
            assert_eq!(
                interpolate("{com.example.Dep:artifacts:path}", ctx),
                "/gg/artifacts/com.example.Dep/2.0.0"
            );
            assert_eq!(
                interpolate("{com.example.Dep:configuration:/url}", ctx),
                "http://dep"
            );
            assert_eq!(
                interpolate("{com.example.Dep:work:path}", ctx),
                "/gg/work/com.example.Dep"
            );
            assert_eq!(
                interpolate("{com.example.Other:artifacts:path}", ctx),
                "{com.example.Other:artifacts:path}"
            );
        });
    }

    #[test]
    fn shell_braces_are_left_alone() {
        with_ctx(|ctx| {
            let script = "f() { echo ${HOME}; }; f {work:path} { {";
            assert_eq!(
                interpolate(script, ctx),
                "f() { echo ${HOME}; }; f /gg/work/A { {"
            );
            assert_eq!(interpolate("{{work:path}}", ctx), "{/gg/work/A}");
        });
    }

    #[test]
    fn thing_name_is_interpolated_in_every_access_control_string() {
        let acl = json!({"aws.greengrass.ipc.pubsub": {"p1": {
            "operations": ["aws.greengrass#PublishToTopic"],
            "resources": ["factory/{iot:thingName}/raw/*"]
        }}});
        let out = interpolate_access_control(&acl, "gw-1");
        assert_eq!(
            out["aws.greengrass.ipc.pubsub"]["p1"]["resources"][0],
            "factory/gw-1/raw/*"
        );
    }
}
