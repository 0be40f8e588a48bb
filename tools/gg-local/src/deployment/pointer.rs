//! JSON pointers (RFC 6901) over configuration objects, with the writes that `reset` needs.
//!
//! `serde_json::Value::pointer` covers reads; Greengrass resets also set and remove, and treat a
//! pointer through a list as an error (you cannot reset a single list element).

use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PointerError {
    #[error("`{pointer}` is not a JSON pointer: it must be empty or start with `/`")]
    Syntax { pointer: String },
    #[error("`{pointer}` goes through a list; a single list element cannot be addressed")]
    ThroughList { pointer: String },
}

/// The unescaped reference tokens of `pointer`; `""` (the whole document) gives none.
pub fn parse(pointer: &str) -> Result<Vec<String>, PointerError> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(PointerError::Syntax {
            pointer: pointer.to_owned(),
        });
    };
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

/// The value at `tokens`, following objects only.
pub fn get<'a>(value: &'a Value, tokens: &[String]) -> Option<&'a Value> {
    tokens
        .iter()
        .try_fold(value, |node, token| node.as_object()?.get(token))
}

/// Sets the value at `tokens`, creating objects on the way. A scalar in the way is replaced by an
/// object; a list in the way is an error.
pub fn set(
    value: &mut Value,
    tokens: &[String],
    new: Value,
    pointer: &str,
) -> Result<(), PointerError> {
    let Some((last, parents)) = tokens.split_last() else {
        *value = new;
        return Ok(());
    };
    let mut node = value;
    for token in parents {
        node = object_mut(node, pointer)?
            .entry(token.clone())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    object_mut(node, pointer)?.insert(last.clone(), new);
    Ok(())
}

/// Removes the value at `tokens` and returns it. A missing path is not an error.
pub fn remove(
    value: &mut Value,
    tokens: &[String],
    pointer: &str,
) -> Result<Option<Value>, PointerError> {
    let Some((last, parents)) = tokens.split_last() else {
        return Ok(Some(std::mem::replace(value, Value::Object(Map::new()))));
    };
    let mut node = value;
    for token in parents {
        match node {
            Value::Object(map) => match map.get_mut(token) {
                Some(child) => node = child,
                None => return Ok(None),
            },
            Value::Array(_) => return Err(through_list(pointer)),
            _ => return Ok(None),
        }
    }
    match node {
        Value::Object(map) => Ok(map.remove(last)),
        Value::Array(_) => Err(through_list(pointer)),
        _ => Ok(None),
    }
}

fn object_mut<'a>(
    node: &'a mut Value,
    pointer: &str,
) -> Result<&'a mut Map<String, Value>, PointerError> {
    if node.is_array() {
        return Err(through_list(pointer));
    }
    if !node.is_object() {
        *node = Value::Object(Map::new());
    }
    match node {
        Value::Object(map) => Ok(map),
        // Made an object just above.
        _ => Err(through_list(pointer)),
    }
}

fn through_list(pointer: &str) -> PointerError {
    PointerError::ThroughList {
        pointer: pointer.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tokens(p: &str) -> Vec<String> {
        parse(p).unwrap()
    }

    #[test]
    fn pointers_unescape_slash_and_tilde() {
        assert_eq!(tokens("/a~1b/c~0d"), vec!["a/b", "c~d"]);
        assert!(tokens("").is_empty());
        assert!(parse("a/b").is_err());
    }

    #[test]
    fn set_creates_missing_objects() {
        let mut v = json!({});
        set(&mut v, &tokens("/a/b"), json!(1), "/a/b").unwrap();
        assert_eq!(v, json!({"a": {"b": 1}}));
    }

    #[test]
    fn set_through_a_list_is_an_error() {
        let mut v = json!({"a": [1, 2]});
        let err = set(&mut v, &tokens("/a/0"), json!(3), "/a/0").unwrap_err();
        assert!(matches!(err, PointerError::ThroughList { .. }));
    }

    #[test]
    fn remove_returns_the_old_value_and_ignores_missing_paths() {
        let mut v = json!({"a": {"b": 1}});
        assert_eq!(
            remove(&mut v, &tokens("/a/b"), "/a/b").unwrap(),
            Some(json!(1))
        );
        assert_eq!(remove(&mut v, &tokens("/x/y"), "/x/y").unwrap(), None);
        assert_eq!(v, json!({"a": {}}));
    }

    #[test]
    fn get_follows_objects_only() {
        let v = json!({"a": {"b": [1]}});
        assert_eq!(get(&v, &tokens("/a/b")), Some(&json!([1])));
        assert_eq!(get(&v, &tokens("/a/b/0")), None);
    }
}
