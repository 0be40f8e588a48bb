//! The `Lifecycle` section of a recipe (global or per manifest), as written, before interpolation.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Map, Value};

use super::fields::{self, FieldError};

/// A recipe lifecycle: `Setenv` for every step, plus the steps gg-local runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lifecycle {
    pub setenv: BTreeMap<String, String>,
    pub install: Option<Step>,
    pub startup: Option<Step>,
    pub run: Option<Step>,
    pub shutdown: Option<Step>,
    pub recover: Option<Step>,
}

/// One lifecycle step, either written as a bare script or as a mapping.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Step {
    pub script: String,
    /// `Timeout` in seconds; `None` means the step's default.
    pub timeout: Option<Duration>,
    pub requires_privilege: bool,
    /// Overrides `Lifecycle.Setenv` for this step.
    pub setenv: BTreeMap<String, String>,
    pub skip_if: Option<SkipIf>,
}

/// `Skipif`: skip the step when a program is on the PATH or a file exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipIf {
    OnPath(String),
    Exists(String),
}

const STEP_KEYS: [&str; 5] = ["Script", "Timeout", "RequiresPrivilege", "Setenv", "Skipif"];

/// What parsing a lifecycle found that is worth a warning but not an error.
pub(crate) type Warnings = Vec<String>;

impl Lifecycle {
    pub(crate) fn parse(value: &Value, path: &str) -> Result<(Self, Warnings), FieldError> {
        let map = fields::as_object(value, path)?;
        let mut lifecycle = Self::default();
        let mut warnings = Vec::new();
        for (key, value) in map {
            let key_path = fields::join(path, key);
            let slot = match key.to_ascii_lowercase().as_str() {
                "setenv" => {
                    lifecycle.setenv = parse_setenv(value, &key_path)?;
                    continue;
                }
                "bootstrap" => {
                    // Bootstrap restarts the nucleus or reboots the device; nothing gg-local
                    // could do with it would match what the real device does.
                    warnings.push(format!("{key_path}: Bootstrap is not run by gg-local"));
                    continue;
                }
                "install" => &mut lifecycle.install,
                "startup" => &mut lifecycle.startup,
                "run" => &mut lifecycle.run,
                "shutdown" => &mut lifecycle.shutdown,
                "recover" => &mut lifecycle.recover,
                _ => {
                    warnings.push(format!("{key_path}: unknown lifecycle step, ignored"));
                    continue;
                }
            };
            let (step, step_warnings) = Step::parse(value, &key_path)?;
            *slot = Some(step);
            warnings.extend(step_warnings);
        }
        if lifecycle.startup.is_some() && lifecycle.run.is_some() {
            return Err(FieldError::new(
                path,
                "a lifecycle may define Startup or Run, not both",
            ));
        }
        Ok((lifecycle, warnings))
    }
}

impl Step {
    fn parse(value: &Value, path: &str) -> Result<(Self, Warnings), FieldError> {
        if let Value::String(script) = value {
            return Ok((
                Self {
                    script: script.clone(),
                    ..Self::default()
                },
                Vec::new(),
            ));
        }
        let map = fields::as_object(value, path)
            .map_err(|e| FieldError::new(e.key, "expected a script or a mapping with Script"))?;
        let warnings = fields::unknown_keys(map, &STEP_KEYS, path)
            .into_iter()
            .map(|k| format!("{k}: unknown key, ignored"))
            .collect();
        let step = Self {
            script: fields::required_str(map, "Script", path)?.to_owned(),
            timeout: optional(map, "Timeout", path, parse_timeout)?,
            requires_privilege: optional(map, "RequiresPrivilege", path, fields::as_bool)?
                .unwrap_or(false),
            setenv: optional(map, "Setenv", path, parse_setenv)?.unwrap_or_default(),
            skip_if: optional(map, "Skipif", path, parse_skip_if)?,
        };
        Ok((step, warnings))
    }
}

fn optional<T>(
    map: &Map<String, Value>,
    key: &str,
    path: &str,
    parse: impl FnOnce(&Value, &str) -> Result<T, FieldError>,
) -> Result<Option<T>, FieldError> {
    fields::get(map, key)
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| parse(v, &fields::join(path, k)))
        .transpose()
}

/// Seconds, as a number or a string (`Timeout: "30"` is common in recipes).
fn parse_timeout(value: &Value, path: &str) -> Result<Duration, FieldError> {
    let text = fields::as_scalar_text(value, path)?;
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| FieldError::new(path, format!("`{text}` is not a number of seconds")))?;
    Duration::try_from_secs_f64(seconds)
        .map_err(|_| FieldError::new(path, format!("`{text}` is not a valid number of seconds")))
}

fn parse_setenv(value: &Value, path: &str) -> Result<BTreeMap<String, String>, FieldError> {
    fields::as_object(value, path)?
        .iter()
        .map(|(k, v)| {
            Ok((
                k.clone(),
                fields::as_scalar_text(v, &fields::join(path, k))?,
            ))
        })
        .collect()
}

fn parse_skip_if(value: &Value, path: &str) -> Result<SkipIf, FieldError> {
    let text = fields::as_str(value, path)?.trim();
    let (verb, arg) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let arg = arg.trim().to_owned();
    match verb.to_ascii_lowercase().as_str() {
        "onpath" if !arg.is_empty() => Ok(SkipIf::OnPath(arg)),
        "exists" if !arg.is_empty() => Ok(SkipIf::Exists(arg)),
        _ => Err(FieldError::new(
            path,
            format!("`{text}`: expected `onpath <program>` or `exists <file>`"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> (Lifecycle, Warnings) {
        Lifecycle::parse(&value, "Lifecycle").unwrap()
    }

    #[test]
    fn a_step_may_be_a_bare_script() {
        let (lc, _) = parse(json!({"Run": "echo hi"}));
        assert_eq!(lc.run.unwrap().script, "echo hi");
    }

    #[test]
    fn a_step_mapping_has_timeout_privilege_setenv_and_skipif() {
        let (lc, warnings) = parse(json!({
            "Setenv": {"A": "1"},
            "Install": {
                "Script": "make",
                "Timeout": "30",
                "RequiresPrivilege": true,
                "Setenv": {"B": 2},
                "Skipif": "onpath make"
            }
        }));
        assert!(warnings.is_empty());
        assert_eq!(lc.setenv["A"], "1");
        let install = lc.install.unwrap();
        assert_eq!(install.timeout, Some(Duration::from_secs(30)));
        assert!(install.requires_privilege);
        assert_eq!(install.setenv["B"], "2");
        assert_eq!(install.skip_if, Some(SkipIf::OnPath("make".into())));
    }

    #[test]
    fn lowercase_keys_as_gdk_writes_them_are_accepted() {
        let (lc, _) = parse(json!({"run": {"script": "x", "timeout": 1.5}}));
        assert_eq!(lc.run.unwrap().timeout, Some(Duration::from_millis(1500)));
    }

    #[test]
    fn bootstrap_and_unknown_steps_are_warnings() {
        let (lc, warnings) = parse(json!({"Bootstrap": "reboot", "Rnu": "x", "Run": "y"}));
        assert!(lc.run.is_some());
        assert_eq!(warnings.len(), 2);
    }

    #[test]
    fn startup_and_run_together_are_an_error() {
        let err = Lifecycle::parse(&json!({"Startup": "a", "Run": "b"}), "Lifecycle").unwrap_err();
        assert_eq!(err.key, "Lifecycle");
    }

    #[test]
    fn a_bad_timeout_names_its_key() {
        let err =
            Lifecycle::parse(&json!({"Run": {"Script": "a", "Timeout": "soon"}}), "L").unwrap_err();
        assert_eq!(err.key, "L.Run.Timeout");
    }

    #[test]
    fn a_step_mapping_without_script_is_an_error() {
        let err = Lifecycle::parse(&json!({"Run": {"Timeout": 3}}), "L").unwrap_err();
        assert_eq!(err.key, "L.Run.Script");
    }
}
