//! Reading typed fields out of a parsed JSON or YAML tree.
//!
//! Recipes and deployment documents are parsed into a `serde_json::Value` first and walked by
//! hand, rather than derived with serde, for two reasons: keys must match case-insensitively
//! (GDK writes recipes in lower case, the docs in PascalCase, and the Java nucleus accepts both),
//! and every error must name the key path so that a developer can find the mistake.

use serde_json::{Map, Value};

/// A problem with one key, before the caller adds the file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldError {
    pub(crate) key: String,
    pub(crate) reason: String,
}

impl FieldError {
    pub(crate) fn new(key: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            reason: reason.into(),
        }
    }
}

/// Joins a parent key path and a child key: `Manifests[0]` + `Lifecycle`.
pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Looks a key up case-insensitively. Returns the key as written in the file and its value.
pub(crate) fn get<'a>(map: &'a Map<String, Value>, key: &str) -> Option<(&'a str, &'a Value)> {
    map.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(k, v)| (k.as_str(), v))
}

pub(crate) fn as_object<'a>(
    value: &'a Value,
    path: &str,
) -> Result<&'a Map<String, Value>, FieldError> {
    value
        .as_object()
        .ok_or_else(|| FieldError::new(path, format!("expected a mapping, found {}", kind(value))))
}

pub(crate) fn as_array<'a>(value: &'a Value, path: &str) -> Result<&'a Vec<Value>, FieldError> {
    value
        .as_array()
        .ok_or_else(|| FieldError::new(path, format!("expected a list, found {}", kind(value))))
}

pub(crate) fn as_str<'a>(value: &'a Value, path: &str) -> Result<&'a str, FieldError> {
    value
        .as_str()
        .ok_or_else(|| FieldError::new(path, format!("expected a string, found {}", kind(value))))
}

/// A scalar as text. YAML turns `PORT: 8080` or `ComponentVersion: 1.0` into numbers; where the
/// format expects a string we take the scalar's text rather than reject it.
pub(crate) fn as_scalar_text(value: &Value, path: &str) -> Result<String, FieldError> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(FieldError::new(
            path,
            format!("expected a string, found {}", kind(other)),
        )),
    }
}

pub(crate) fn as_bool(value: &Value, path: &str) -> Result<bool, FieldError> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        other => Err(FieldError::new(
            path,
            format!("expected true or false, found {}", kind(other)),
        )),
    }
}

/// A required string field.
pub(crate) fn required_str<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<&'a str, FieldError> {
    match get(map, key) {
        Some((k, v)) => as_str(v, &join(path, k)),
        None => Err(FieldError::new(join(path, key), "missing")),
    }
}

/// An optional string field.
pub(crate) fn optional_str<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<&'a str>, FieldError> {
    get(map, key)
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| as_str(v, &join(path, k)))
        .transpose()
}

/// Keys of `map` that match none of `known` (case-insensitively), as full key paths.
pub(crate) fn unknown_keys(map: &Map<String, Value>, known: &[&str], path: &str) -> Vec<String> {
    map.keys()
        .filter(|k| !known.iter().any(|known| k.eq_ignore_ascii_case(known)))
        .map(|k| join(path, k))
        .collect()
}

/// A human name for a JSON value's type, for error messages.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_match_case_insensitively_and_report_the_spelling_used() {
        let value = json!({"componentName": "a"});
        let map = as_object(&value, "").unwrap();
        assert_eq!(
            get(map, "ComponentName"),
            Some(("componentName", &json!("a")))
        );
    }

    #[test]
    fn a_missing_required_key_names_its_full_path() {
        let value = json!({});
        let map = as_object(&value, "").unwrap();
        let err = required_str(map, "URI", "Manifests[0].Artifacts[1]").unwrap_err();
        assert_eq!(err.key, "Manifests[0].Artifacts[1].URI");
    }

    #[test]
    fn numbers_are_accepted_where_text_is_expected() {
        assert_eq!(as_scalar_text(&json!(8080), "PORT").unwrap(), "8080");
        assert!(as_scalar_text(&json!([1]), "PORT").is_err());
    }

    #[test]
    fn unknown_keys_are_listed_with_their_paths() {
        let value = json!({"Run": "x", "Rn": "y"});
        let map = as_object(&value, "").unwrap();
        assert_eq!(
            unknown_keys(map, &["run"], "Lifecycle"),
            vec!["Lifecycle.Rn"]
        );
    }
}
