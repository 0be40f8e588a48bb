//! The local deployment document: the shape of the Greengrass `CreateDeployment` request, so that
//! a fleet deployment document can be applied locally unchanged.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use semver::Version;
use serde_json::{Map, Value};

use super::fields::{self, FieldError};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeploymentDocument {
    pub deployment_name: Option<String>,
    /// The root components of the deployment, by name.
    pub components: BTreeMap<String, ComponentSpec>,
    pub policies: DeploymentPolicies,
    /// Keys gg-local ignores, for the CLI to show.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ComponentSpec {
    /// `componentVersion`. The API requires it; gg-local takes the newest recipe when it is
    /// absent, which is convenient while developing.
    pub version: Option<Version>,
    pub configuration_update: Option<ConfigurationUpdate>,
}

/// `configurationUpdate`: `reset` runs before `merge`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConfigurationUpdate {
    /// JSON pointers; `""` resets everything.
    pub reset: Vec<String>,
    /// Always an object here, whether the document wrote it as a JSON string (as the API does)
    /// or as an object.
    pub merge: Option<Value>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeploymentPolicies {
    pub component_update: ComponentUpdatePolicy,
    pub failure_handling: FailureHandlingPolicy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComponentUpdatePolicy {
    pub action: ComponentUpdateAction,
    pub timeout: Duration,
}

impl Default for ComponentUpdatePolicy {
    /// The API defaults: notify components, wait 60 s.
    fn default() -> Self {
        Self {
            action: ComponentUpdateAction::NotifyComponents,
            timeout: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ComponentUpdateAction {
    #[default]
    NotifyComponents,
    SkipNotifyComponents,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FailureHandlingPolicy {
    #[default]
    Rollback,
    DoNothing,
}

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("{}: cannot read deployment document: {source}", file.display())]
    Io {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: invalid JSON: {source}", file.display())]
    Syntax {
        file: PathBuf,
        source: serde_json::Error,
    },
    #[error("{}: key `{key}`: {reason}", file.display())]
    Invalid {
        file: PathBuf,
        key: String,
        reason: String,
    },
}

const TOP_LEVEL_KEYS: [&str; 3] = ["deploymentName", "components", "deploymentPolicies"];
/// `CreateDeployment` keys that mean nothing on one local device.
const IGNORED_API_KEYS: [&str; 5] = [
    "targetArn",
    "iotJobConfiguration",
    "tags",
    "parentTargetArn",
    "clientToken",
];
const COMPONENT_KEYS: [&str; 3] = ["componentVersion", "configurationUpdate", "runWith"];
const POLICY_KEYS: [&str; 3] = [
    "componentUpdatePolicy",
    "failureHandlingPolicy",
    "configurationValidationPolicy",
];

/// Components AWS publishes (`aws.greengrass.Nucleus`, `aws.greengrass.SecretManager`, ...): a
/// fleet document names them, and gg-local's own services stand in for them locally.
const AWS_COMPONENT_PREFIX: &str = "aws.greengrass.";

impl DeploymentDocument {
    /// Leaves out AWS-provided components, with a warning each, so that fleet documents apply
    /// locally unchanged.
    fn drop_aws_components(&mut self) {
        let aws: Vec<String> = self
            .components
            .keys()
            .filter(|name| name.starts_with(AWS_COMPONENT_PREFIX))
            .cloned()
            .collect();
        for name in aws {
            self.components.remove(&name);
            self.warnings.push(format!(
                "{name} is provided by AWS; gg-local's own services stand in for it"
            ));
        }
    }

    /// Reads a document file. Blocking file I/O.
    pub fn from_file(path: &Path) -> Result<Self, DocumentError> {
        let text = std::fs::read_to_string(path).map_err(|source| DocumentError::Io {
            file: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses document text; `source` only names the document in errors.
    pub fn parse(text: &str, source: &Path) -> Result<Self, DocumentError> {
        let tree: Value = serde_json::from_str(text).map_err(|e| DocumentError::Syntax {
            file: source.to_owned(),
            source: e,
        })?;
        let mut doc = parse_tree(&tree).map_err(|e| DocumentError::Invalid {
            file: source.to_owned(),
            key: e.key,
            reason: e.reason,
        })?;
        doc.drop_aws_components();
        for warning in &doc.warnings {
            tracing::warn!(document = %source.display(), "{warning}");
        }
        Ok(doc)
    }
}

fn parse_tree(tree: &Value) -> Result<DeploymentDocument, FieldError> {
    let map = fields::as_object(tree, "")
        .map_err(|_| FieldError::new("(top level)", "a deployment document must be an object"))?;
    let mut warnings = Vec::new();
    for key in map.keys() {
        if IGNORED_API_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key)) {
            warnings.push(format!("{key}: ignored by gg-local"));
        } else if !TOP_LEVEL_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key)) {
            warnings.push(format!("{key}: unknown key, ignored"));
        }
    }
    let mut components = BTreeMap::new();
    if let Some((key, value)) = fields::get(map, "components").filter(|(_, v)| !v.is_null()) {
        for (name, spec) in fields::as_object(value, key)? {
            let path = fields::join(key, name);
            components.insert(name.clone(), parse_component(spec, &path, &mut warnings)?);
        }
    }
    let policies = match fields::get(map, "deploymentPolicies").filter(|(_, v)| !v.is_null()) {
        Some((key, value)) => parse_policies(value, key, &mut warnings)?,
        None => DeploymentPolicies::default(),
    };
    Ok(DeploymentDocument {
        deployment_name: fields::optional_str(map, "deploymentName", "")?.map(str::to_owned),
        components,
        policies,
        warnings,
    })
}

fn parse_component(
    value: &Value,
    path: &str,
    warnings: &mut Vec<String>,
) -> Result<ComponentSpec, FieldError> {
    let map = fields::as_object(value, path)?;
    warnings.extend(
        fields::unknown_keys(map, &COMPONENT_KEYS, path)
            .into_iter()
            .map(|k| format!("{k}: unknown key, ignored")),
    );
    if let Some((key, _)) = fields::get(map, "runWith") {
        // gg-local runs every component as the developer; there is no other user to switch to.
        warnings.push(format!("{}: ignored by gg-local", fields::join(path, key)));
    }
    let version = match fields::get(map, "componentVersion").filter(|(_, v)| !v.is_null()) {
        Some((key, value)) => {
            let key_path = fields::join(path, key);
            let text = fields::as_scalar_text(value, &key_path)?;
            Some(Version::parse(&text).map_err(|e| {
                FieldError::new(key_path, format!("`{text}` is not a semantic version: {e}"))
            })?)
        }
        None => None,
    };
    let configuration_update =
        match fields::get(map, "configurationUpdate").filter(|(_, v)| !v.is_null()) {
            Some((key, value)) => Some(parse_update(value, &fields::join(path, key), warnings)?),
            None => None,
        };
    Ok(ComponentSpec {
        version,
        configuration_update,
    })
}

fn parse_update(
    value: &Value,
    path: &str,
    warnings: &mut Vec<String>,
) -> Result<ConfigurationUpdate, FieldError> {
    let map = fields::as_object(value, path)?;
    warnings.extend(
        fields::unknown_keys(map, &["reset", "merge"], path)
            .into_iter()
            .map(|k| format!("{k}: unknown key, ignored")),
    );
    let reset = match fields::get(map, "reset").filter(|(_, v)| !v.is_null()) {
        Some((key, value)) => {
            let key_path = fields::join(path, key);
            fields::as_array(value, &key_path)?
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let item_path = format!("{key_path}[{i}]");
                    let pointer = fields::as_str(p, &item_path)?;
                    if !(pointer.is_empty() || pointer.starts_with('/')) {
                        return Err(FieldError::new(
                            item_path,
                            format!("`{pointer}` is not a JSON pointer (start it with `/`)"),
                        ));
                    }
                    Ok(pointer.to_owned())
                })
                .collect::<Result<_, _>>()?
        }
        None => Vec::new(),
    };
    let merge = match fields::get(map, "merge").filter(|(_, v)| !v.is_null()) {
        Some((key, value)) => Some(parse_merge(value, &fields::join(path, key))?),
        None => None,
    };
    Ok(ConfigurationUpdate { reset, merge })
}

/// The API carries `merge` as a string holding a JSON object; hand-written documents often use
/// an object directly. Both give an object.
fn parse_merge(value: &Value, path: &str) -> Result<Value, FieldError> {
    let parsed;
    let object = match value {
        Value::String(text) => {
            parsed = serde_json::from_str::<Value>(text).map_err(|e| {
                FieldError::new(path, format!("the string is not a JSON document: {e}"))
            })?;
            &parsed
        }
        other => other,
    };
    if !object.is_object() {
        return Err(FieldError::new(
            path,
            format!("expected a JSON object, found {}", fields::kind(object)),
        ));
    }
    Ok(object.clone())
}

fn parse_policies(
    value: &Value,
    path: &str,
    warnings: &mut Vec<String>,
) -> Result<DeploymentPolicies, FieldError> {
    let map = fields::as_object(value, path)?;
    warnings.extend(
        fields::unknown_keys(map, &POLICY_KEYS, path)
            .into_iter()
            .map(|k| format!("{k}: unknown key, ignored")),
    );
    let component_update =
        match fields::get(map, "componentUpdatePolicy").filter(|(_, v)| !v.is_null()) {
            Some((key, value)) => parse_update_policy(value, &fields::join(path, key))?,
            None => ComponentUpdatePolicy::default(),
        };
    let failure_handling = match fields::optional_str(map, "failureHandlingPolicy", path)? {
        None => FailureHandlingPolicy::default(),
        Some(p) if p.eq_ignore_ascii_case("ROLLBACK") => FailureHandlingPolicy::Rollback,
        Some(p) if p.eq_ignore_ascii_case("DO_NOTHING") => FailureHandlingPolicy::DoNothing,
        Some(other) => {
            return Err(FieldError::new(
                fields::join(path, "failureHandlingPolicy"),
                format!("`{other}`: expected ROLLBACK or DO_NOTHING"),
            ));
        }
    };
    Ok(DeploymentPolicies {
        component_update,
        failure_handling,
    })
}

fn parse_update_policy(value: &Value, path: &str) -> Result<ComponentUpdatePolicy, FieldError> {
    let map: &Map<String, Value> = fields::as_object(value, path)?;
    let defaults = ComponentUpdatePolicy::default();
    let action = match fields::optional_str(map, "action", path)? {
        None => defaults.action,
        Some(a) if a.eq_ignore_ascii_case("NOTIFY_COMPONENTS") => {
            ComponentUpdateAction::NotifyComponents
        }
        Some(a) if a.eq_ignore_ascii_case("SKIP_NOTIFY_COMPONENTS") => {
            ComponentUpdateAction::SkipNotifyComponents
        }
        Some(other) => {
            return Err(FieldError::new(
                fields::join(path, "action"),
                format!("`{other}`: expected NOTIFY_COMPONENTS or SKIP_NOTIFY_COMPONENTS"),
            ));
        }
    };
    let timeout = match fields::get(map, "timeoutInSeconds").filter(|(_, v)| !v.is_null()) {
        None => defaults.timeout,
        Some((key, value)) => {
            let key_path = fields::join(path, key);
            let seconds = value
                .as_u64()
                .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
                .ok_or_else(|| FieldError::new(key_path, "expected a whole number of seconds"))?;
            Duration::from_secs(seconds)
        }
    };
    Ok(ComponentUpdatePolicy { action, timeout })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(text: &str) -> Result<DeploymentDocument, DocumentError> {
        DeploymentDocument::parse(text, Path::new("deploy/local.json"))
    }

    #[test]
    fn a_full_api_document_parses() {
        let doc = parse(
            r#"{
              "targetArn": "arn:aws:iot:eu-west-1:123:thinggroup/line-1",
              "deploymentName": "line-1",
              "components": {
                "com.example.A": {
                  "componentVersion": "1.2.3",
                  "configurationUpdate": {
                    "reset": ["/devices", ""],
                    "merge": "{\"pollIntervalMs\":\"500\"}"
                  },
                  "runWith": {"posixUser": "gg"}
                },
                "com.example.B": {"componentVersion": "2.0.0"}
              },
              "deploymentPolicies": {
                "componentUpdatePolicy": {"action": "SKIP_NOTIFY_COMPONENTS", "timeoutInSeconds": 30},
                "failureHandlingPolicy": "DO_NOTHING"
              }
            }"#,
        )
        .unwrap();
        assert_eq!(doc.deployment_name.as_deref(), Some("line-1"));
        let a = &doc.components["com.example.A"];
        assert_eq!(a.version, Some(Version::new(1, 2, 3)));
        let update = a.configuration_update.as_ref().unwrap();
        assert_eq!(update.reset, vec!["/devices", ""]);
        assert_eq!(update.merge, Some(json!({"pollIntervalMs": "500"})));
        assert_eq!(
            doc.policies.component_update.action,
            ComponentUpdateAction::SkipNotifyComponents
        );
        assert_eq!(
            doc.policies.component_update.timeout,
            Duration::from_secs(30)
        );
        assert_eq!(
            doc.policies.failure_handling,
            FailureHandlingPolicy::DoNothing
        );
        // targetArn and runWith.
        assert_eq!(doc.warnings.len(), 2, "{:?}", doc.warnings);
    }

    #[test]
    fn merge_may_be_an_object() {
        let doc = parse(
            r#"{"components": {"a": {"componentVersion": "1.0.0",
                "configurationUpdate": {"merge": {"x": {"y": 1}}}}}}"#,
        )
        .unwrap();
        let update = doc.components["a"].configuration_update.as_ref().unwrap();
        assert_eq!(update.merge, Some(json!({"x": {"y": 1}})));
    }

    #[test]
    fn policies_default_to_notify_60s_and_rollback() {
        let doc = parse(r#"{"components": {}}"#).unwrap();
        assert_eq!(doc.policies, DeploymentPolicies::default());
        assert_eq!(
            doc.policies.component_update.timeout,
            Duration::from_secs(60)
        );
        assert_eq!(
            doc.policies.failure_handling,
            FailureHandlingPolicy::Rollback
        );
    }

    #[test]
    fn unknown_keys_are_warnings_not_errors() {
        let doc =
            parse(r#"{"components": {"a": {"componentVersion": "1.0.0", "colour": 1}}, "x": 2}"#)
                .unwrap();
        assert_eq!(doc.warnings.len(), 2, "{:?}", doc.warnings);
    }

    #[test]
    fn a_merge_string_that_is_not_json_names_the_key() {
        let err =
            parse(r#"{"components": {"a": {"configurationUpdate": {"merge": "{not json"}}}}"#)
                .unwrap_err();
        let DocumentError::Invalid { key, .. } = err else {
            panic!("expected Invalid");
        };
        assert_eq!(key, "components.a.configurationUpdate.merge");
    }

    #[test]
    fn a_bad_version_names_the_component() {
        let err = parse(r#"{"components": {"a": {"componentVersion": "1.0"}}}"#).unwrap_err();
        assert!(
            err.to_string().contains("components.a.componentVersion"),
            "{err}"
        );
        assert!(err.to_string().starts_with("deploy/local.json"), "{err}");
    }

    #[test]
    fn a_reset_path_must_be_a_json_pointer() {
        let err = parse(r#"{"components": {"a": {"configurationUpdate": {"reset": ["x"]}}}}"#)
            .unwrap_err();
        assert!(err.to_string().contains("reset[0]"), "{err}");
    }

    #[test]
    fn invalid_json_is_a_syntax_error() {
        assert!(matches!(parse("{"), Err(DocumentError::Syntax { .. })));
    }
}
