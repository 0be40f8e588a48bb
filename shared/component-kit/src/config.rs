//! From a GetConfiguration `value` to a typed configuration: the kit's own keys are split off,
//! `accessControl` is dropped, unknown keys are collected (never fatal, Greengrass keeps stale
//! keys), and a type error names the JSON path of the bad key.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::fmt;

/// Top-level key owned by the nucleus (the recipe's authorization policies); never a warning.
pub const ACCESS_CONTROL_KEY: &str = "accessControl";

/// Top-level keys the kit reads itself (see [`crate::KitSettings`]); a component's config type
/// does not see them.
pub const KIT_KEYS: [&str; 2] = [
    crate::settings::LOG_LEVEL_KEY,
    crate::settings::METRICS_INTERVAL_KEY,
];

/// A configuration the component cannot run with: which key, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct ConfigError {
    path: String,
    reason: String,
}

impl ConfigError {
    /// An error about the key at `path` (dotted, like `devices.plc1.pollIntervalMs`; empty for
    /// the configuration as a whole).
    pub fn new(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            reason: reason.into(),
        }
    }

    /// An error about the configuration as a whole (for example two keys that conflict).
    pub fn whole(reason: impl Into<String>) -> Self {
        Self::new("", reason)
    }

    /// The dotted path of the bad key; empty for the configuration as a whole.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Why the value is not acceptable.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The same error under a parent key: `at("devices.plc1")` turns `port` into
    /// `devices.plc1.port`. Handy for validating nested blocks.
    #[must_use]
    pub fn at(self, parent: &str) -> Self {
        let path = match (parent.is_empty(), self.path.is_empty()) {
            (true, _) => self.path,
            (false, true) => parent.to_owned(),
            (false, false) => format!("{parent}.{}", self.path),
        };
        Self { path, ..self }
    }

    fn describe(&self) -> String {
        if self.path.is_empty() {
            format!("configuration: {}", self.reason)
        } else {
            format!("configuration key {}: {}", self.path, self.reason)
        }
    }
}

/// A configuration parsed from JSON, plus the keys it ignored.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed<T> {
    /// The typed configuration.
    pub config: T,
    /// Dotted paths of keys the type does not know (logged as warnings by the harness).
    pub unknown_keys: Vec<String>,
}

/// Parses `value` (an object, as GetConfiguration returns it) as `T`. `null` counts as `{}`, so a
/// component with no configuration gets its defaults. Unknown keys are returned (sorted), not
/// rejected; a type error names its path.
///
/// Limitation: keys inside `#[serde(flatten)]` blocks and internally tagged enums are buffered by
/// serde, so unknown keys there are not reported, and a type error there names the enclosing key.
pub fn from_value<T: DeserializeOwned>(value: &Value) -> Result<Parsed<T>, ConfigError> {
    let input = match value {
        Value::Null => Value::Object(Map::new()),
        Value::Object(_) => value.clone(),
        other => {
            return Err(ConfigError::whole(format!(
                "invalid type: {}, expected an object",
                kind_of(other)
            )));
        }
    };
    let mut unknown_keys = Vec::new();
    let mut record = |path: serde_ignored::Path<'_>| unknown_keys.push(ignored_path(&path));
    let tracked = serde_ignored::Deserializer::new(input, &mut record);
    let config = serde_path_to_error::deserialize(tracked).map_err(|err| {
        let path = err.path().to_string();
        let path = if path == "." { String::new() } else { path };
        ConfigError::new(path, err.into_inner().to_string())
    })?;
    unknown_keys.sort();
    Ok(Parsed {
        config,
        unknown_keys,
    })
}

/// An empty configuration, for a component whose only keys are the kit's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
pub struct NoConfig {}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Splits a GetConfiguration value into the kit's part (`logLevel`, `metricsIntervalMs`) and the
/// component's part, dropping `accessControl`. A value that is not an object is returned whole
/// as the component's part (so its type error is reported against the component's type).
pub fn split(value: &Value) -> (Value, Value) {
    let Value::Object(map) = value else {
        return (Value::Object(Map::new()), value.clone());
    };
    let mut kit = Map::new();
    let mut component = Map::new();
    for (key, v) in map {
        if key == ACCESS_CONTROL_KEY {
            continue;
        }
        if KIT_KEYS.contains(&key.as_str()) {
            kit.insert(key.clone(), v.clone());
        } else {
            component.insert(key.clone(), v.clone());
        }
    }
    (Value::Object(kit), Value::Object(component))
}

/// `value` with whole-number floats turned into integers, so `5.0` and `5` compare equal (the
/// nucleus may hand back either).
pub fn normalized(value: &Value) -> Value {
    match value {
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15 => Value::from(f as i64),
            _ => value.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(normalized).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), normalized(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Formats a serde_ignored path like serde_path_to_error does: `a.b[0].c`.
fn ignored_path(path: &serde_ignored::Path<'_>) -> String {
    struct Dotted<'a, 'b>(&'a serde_ignored::Path<'b>);

    impl fmt::Display for Dotted<'_, '_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            use serde_ignored::Path;
            match self.0 {
                Path::Root => Ok(()),
                Path::Seq { parent, index } => write!(f, "{}[{index}]", Dotted(parent)),
                Path::Map { parent, key } => match parent {
                    Path::Root => f.write_str(key),
                    _ => write!(f, "{}.{key}", Dotted(parent)),
                },
                Path::Some { parent }
                | Path::NewtypeStruct { parent }
                | Path::NewtypeVariant { parent } => write!(f, "{}", Dotted(parent)),
            }
        }
    }

    Dotted(path).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;
    use std::collections::BTreeMap;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(default, rename_all = "camelCase")]
    struct Device {
        #[serde(deserialize_with = "crate::lenient::u64")]
        poll_interval_ms: u64,
        host: String,
        tags: Vec<Tag>,
    }

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(default, rename_all = "camelCase")]
    struct Tag {
        name: String,
    }

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(default, rename_all = "camelCase")]
    struct Config {
        devices: BTreeMap<String, Device>,
        #[serde(deserialize_with = "crate::lenient::bool")]
        enabled: bool,
    }

    #[test]
    fn type_errors_name_the_path_of_the_bad_key() {
        let value = json!({"devices": {"plc1": {"pollIntervalMs": "fast"}}});
        let err = from_value::<Config>(&value).unwrap_err();
        assert_eq!(err.path(), "devices.plc1.pollIntervalMs");
        assert_eq!(
            err.to_string(),
            "configuration key devices.plc1.pollIntervalMs: invalid value: string \"fast\", expected a number"
        );
    }

    #[test]
    fn type_errors_in_lists_use_brackets() {
        let value = json!({"devices": {"plc1": {"tags": [{"name": "a"}, {"name": 5}]}}});
        let err = from_value::<Config>(&value).unwrap_err();
        assert_eq!(err.path(), "devices.plc1.tags[1].name");
    }

    #[test]
    fn unknown_keys_are_collected_not_rejected() {
        let value = json!({
            "enabled": "true",
            "oldKey": 1,
            "devices": {"plc1": {"pollIntervalMs": 100.0, "typo": "x", "tags": [{"name": "t", "colour": 1}]}}
        });
        let parsed = from_value::<Config>(&value).unwrap();
        assert!(parsed.config.enabled);
        assert_eq!(parsed.config.devices["plc1"].poll_interval_ms, 100);
        assert_eq!(
            parsed.unknown_keys,
            vec!["devices.plc1.tags[0].colour", "devices.plc1.typo", "oldKey"]
        );
    }

    #[test]
    fn null_means_defaults() {
        let parsed = from_value::<Config>(&Value::Null).unwrap();
        assert_eq!(parsed.config, Config::default());
        assert!(parsed.unknown_keys.is_empty());
    }

    #[test]
    fn a_non_object_is_an_error_about_the_whole_configuration() {
        let err = from_value::<Config>(&json!([1, 2])).unwrap_err();
        assert_eq!(err.path(), "");
        assert_eq!(
            err.to_string(),
            "configuration: invalid type: an array, expected an object"
        );
        let parsed = from_value::<NoConfig>(&json!({"stale": 1})).unwrap();
        assert_eq!(parsed.unknown_keys, vec!["stale"]);
    }

    #[test]
    fn split_separates_kit_keys_and_drops_access_control() {
        let value = json!({
            "accessControl": {"aws.greengrass.ipc.pubsub": {}},
            "logLevel": "DEBUG",
            "metricsIntervalMs": 1000,
            "devices": {}
        });
        let (kit, component) = split(&value);
        assert_eq!(kit, json!({"logLevel": "DEBUG", "metricsIntervalMs": 1000}));
        assert_eq!(component, json!({"devices": {}}));
        let parsed = from_value::<Config>(&component).unwrap();
        assert!(parsed.unknown_keys.is_empty());
    }

    #[test]
    fn normalized_values_compare_whole_floats_as_integers() {
        assert_eq!(
            normalized(&json!({"a": [5.0, 1.5], "b": 2})),
            json!({"a": [5, 1.5], "b": 2})
        );
        assert_eq!(normalized(&json!(-0.0)), json!(0));
    }

    #[test]
    fn errors_can_be_nested_under_a_parent() {
        let err = ConfigError::new("port", "must be between 1 and 65535").at("devices.plc1");
        assert_eq!(
            err.to_string(),
            "configuration key devices.plc1.port: must be between 1 and 65535"
        );
        assert_eq!(ConfigError::whole("x").at("a").path(), "a");
        assert_eq!(
            ConfigError::whole("no devices").to_string(),
            "configuration: no devices"
        );
    }
}
