//! The configuration a component gets from a deployment, with Greengrass semantics.
//!
//! The nucleus keeps a component's configuration across deployments and merges by timestamp:
//! recipe defaults carry timestamp 1, so they only fill keys that have no value yet
//! (`KernelConfigResolver.resolveConfigurationToApply`). Without timestamps the same result
//! comes from this order: start from the current configuration (or the defaults on first
//! deployment), apply `reset`, apply `merge`, then fill in defaults for missing keys.

use serde_json::{Map, Value};

use super::document::ConfigurationUpdate;
use super::pointer::{self, PointerError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigMergeError {
    #[error("reset: {0}")]
    Reset(#[from] PointerError),
}

/// The configuration to run with after this deployment.
///
/// `current` is the running configuration, `None` on first deployment. `update` is the
/// deployment's `configurationUpdate`, which Greengrass applies to root components only.
pub fn configuration_for_deployment(
    defaults: &Value,
    current: Option<&Value>,
    update: Option<&ConfigurationUpdate>,
) -> Result<Value, ConfigMergeError> {
    let mut config = current.cloned().unwrap_or_else(|| defaults.clone());
    if let Some(update) = update {
        for path in &update.reset {
            apply_reset(&mut config, defaults, path)?;
        }
        if let Some(patch) = &update.merge {
            deep_merge(&mut config, patch);
        }
    }
    fill_defaults(&mut config, defaults);
    Ok(config)
}

/// Restores the default at `path`, or removes the value when the default has none.
/// `""` resets the whole configuration.
pub fn apply_reset(
    config: &mut Value,
    defaults: &Value,
    path: &str,
) -> Result<(), ConfigMergeError> {
    let tokens = pointer::parse(path)?;
    match pointer::get(defaults, &tokens) {
        Some(default) => pointer::set(config, &tokens, default.clone(), path)?,
        None => {
            pointer::remove(config, &tokens, path)?;
        }
    }
    Ok(())
}

/// Merges `patch` into `target`: objects merge key by key, everything else (lists included)
/// replaces the old value whole.
pub fn deep_merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                match target.get_mut(key) {
                    Some(existing) => deep_merge(existing, value),
                    None => {
                        target.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}

/// Adds the defaults for keys `target` lacks, recursively; never overwrites a value.
pub fn fill_defaults(target: &mut Value, defaults: &Value) {
    let Value::Object(defaults) = defaults else {
        return;
    };
    if target.is_null() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(target) = target else {
        return;
    };
    for (key, default) in defaults {
        match target.get_mut(key) {
            Some(existing) => fill_defaults(existing, default),
            None => {
                target.insert(key.clone(), default.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn update(reset: &[&str], merge: Option<Value>) -> ConfigurationUpdate {
        ConfigurationUpdate {
            reset: reset.iter().map(|s| (*s).to_owned()).collect(),
            merge,
        }
    }

    fn defaults() -> Value {
        json!({"pollIntervalMs": "1000", "devices": {"d1": {"port": 502}}, "tags": ["a"]})
    }

    #[test]
    fn first_deployment_starts_from_the_defaults() {
        let config = configuration_for_deployment(&defaults(), None, None).unwrap();
        assert_eq!(config, defaults());
    }

    #[test]
    fn a_later_deployment_starts_from_the_current_configuration() {
        let current = json!({"pollIntervalMs": "250", "devices": {"d1": {"port": 7}}, "tags": []});
        let config = configuration_for_deployment(&defaults(), Some(&current), None).unwrap();
        assert_eq!(config, current);
    }

    #[test]
    fn merge_deep_merges_objects() {
        let u = update(&[], Some(json!({"devices": {"d2": {"port": 503}}})));
        let config = configuration_for_deployment(&defaults(), None, Some(&u)).unwrap();
        assert_eq!(
            config["devices"],
            json!({"d1": {"port": 502}, "d2": {"port": 503}})
        );
    }

    #[test]
    fn merge_replaces_lists_and_scalars_whole() {
        let u = update(&[], Some(json!({"tags": ["b", "c"], "pollIntervalMs": 5})));
        let config = configuration_for_deployment(&defaults(), None, Some(&u)).unwrap();
        assert_eq!(config["tags"], json!(["b", "c"]));
        assert_eq!(config["pollIntervalMs"], json!(5));
    }

    #[test]
    fn reset_restores_the_default_at_the_path() {
        let current = json!({"pollIntervalMs": "250", "devices": {"d1": {"port": 1}}});
        let u = update(&["/devices/d1/port"], None);
        let config = configuration_for_deployment(&defaults(), Some(&current), Some(&u)).unwrap();
        assert_eq!(config["devices"]["d1"]["port"], 502);
        assert_eq!(config["pollIntervalMs"], "250");
    }

    #[test]
    fn reset_removes_a_value_that_has_no_default() {
        let current = json!({"extra": {"x": 1}, "pollIntervalMs": "250"});
        let u = update(&["/extra"], None);
        let config = configuration_for_deployment(&defaults(), Some(&current), Some(&u)).unwrap();
        assert!(config.get("extra").is_none());
    }

    #[test]
    fn an_empty_reset_path_resets_everything() {
        let current = json!({"extra": 1, "pollIntervalMs": "250", "devices": {}});
        let u = update(&[""], None);
        let config = configuration_for_deployment(&defaults(), Some(&current), Some(&u)).unwrap();
        assert_eq!(config, defaults());
    }

    #[test]
    fn reset_runs_before_merge() {
        let current = json!({"pollIntervalMs": "250"});
        let u = update(&[""], Some(json!({"pollIntervalMs": "10"})));
        let config = configuration_for_deployment(&defaults(), Some(&current), Some(&u)).unwrap();
        assert_eq!(config["pollIntervalMs"], "10");
        assert_eq!(config["devices"], defaults()["devices"]);
    }

    #[test]
    fn defaults_fill_missing_keys_but_never_overwrite() {
        let current = json!({"pollIntervalMs": "250", "devices": {"d9": {}}});
        let config = configuration_for_deployment(&defaults(), Some(&current), None).unwrap();
        assert_eq!(config["pollIntervalMs"], "250");
        assert_eq!(config["tags"], json!(["a"]));
        // Maps merge with their defaults key by key, as every default has timestamp 1.
        assert_eq!(config["devices"], json!({"d1": {"port": 502}, "d9": {}}));
    }

    #[test]
    fn resetting_a_list_element_is_an_error() {
        let u = update(&["/tags/0"], None);
        let err = configuration_for_deployment(&defaults(), None, Some(&u)).unwrap_err();
        assert!(err.to_string().contains("/tags/0"), "{err}");
    }

    #[test]
    fn a_reset_path_without_a_leading_slash_is_an_error() {
        let u = update(&["tags"], None);
        assert!(configuration_for_deployment(&defaults(), None, Some(&u)).is_err());
    }
}
