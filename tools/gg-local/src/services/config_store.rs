//! Component configuration as the nucleus keeps it: one tree per component, read by path,
//! merged by UpdateConfiguration or a deployment, with change events for subscribers.

use ggipc::model::{ConfigurationUpdateEvent, ConfigurationUpdateEvents};
use ggipc::server::EventSink;
use ggipc::{ErrorKind, IpcError};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Mutex;

/// Event shape of SubscribeToConfigurationUpdate.
pub const EVENT_SHAPE: &str = "aws.greengrass#ConfigurationUpdateEvents";

#[derive(Debug)]
struct Watcher {
    component: String,
    key_path: Vec<String>,
    sink: EventSink,
}

#[derive(Debug, Default)]
struct Inner {
    trees: HashMap<String, Value>,
    modified_secs: HashMap<String, f64>,
    watchers: Vec<Watcher>,
}

/// All components' configuration.
#[derive(Debug, Default)]
pub struct ConfigStore {
    inner: Mutex<Inner>,
}

fn not_found() -> IpcError {
    IpcError::modelled(ErrorKind::ResourceNotFoundError, "Key not found")
}

fn lookup<'a>(tree: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter()
        .try_fold(tree, |node, key| node.as_object()?.get(key))
}

/// Deep merge: objects merge key by key, everything else is replaced.
pub fn merge_into(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                merge_into(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// Paths whose values differ between two trees (the shallowest differing node of each branch).
pub fn changed_paths(old: &Value, new: &Value) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    diff(old, new, &mut Vec::new(), &mut out);
    out
}

fn diff(old: &Value, new: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                at.push(k.clone());
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => diff(x, y, at, out),
                    _ => out.push(at.clone()),
                }
                at.pop();
            }
        }
        (a, b) if a != b => out.push(at.clone()),
        _ => {}
    }
}

fn related(watched: &[String], changed: &[String]) -> bool {
    let n = watched.len().min(changed.len());
    watched[..n] == changed[..n]
}

impl ConfigStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// GetConfiguration semantics: a leaf comes back as `{"<leaf>": value}`.
    pub fn get(&self, component: &str, key_path: &[String]) -> Result<Value, IpcError> {
        let inner = self.lock();
        let tree = inner.trees.get(component).ok_or_else(not_found)?;
        let node = lookup(tree, key_path).ok_or_else(not_found)?;
        match (node, key_path.last()) {
            (Value::Object(_), _) | (_, None) => Ok(node.clone()),
            (leaf, Some(name)) => {
                let mut wrapped = Map::new();
                wrapped.insert(name.clone(), leaf.clone());
                Ok(Value::Object(wrapped))
            }
        }
    }

    /// The whole tree of a component.
    pub fn tree(&self, component: &str) -> Option<Value> {
        self.lock().trees.get(component).cloned()
    }

    /// UpdateConfiguration from the component itself.
    pub fn update(
        &self,
        component: &str,
        key_path: &[String],
        timestamp_secs: f64,
        value: &Value,
    ) -> Result<(), IpcError> {
        if key_path.first().map(String::as_str) == Some("accessControl")
            || (key_path.is_empty() && value.get("accessControl").is_some())
        {
            return Err(IpcError::modelled(
                ErrorKind::InvalidArgumentsError,
                "Config update is not allowed for following field [accessControl]",
            ));
        }
        let mut inner = self.lock();
        let last = inner.modified_secs.get(component).copied().unwrap_or(0.0);
        if timestamp_secs < last {
            return Err(IpcError::modelled(
                ErrorKind::FailedUpdateConditionCheckError,
                "Proposed timestamp is older than the config's latest modified timestamp",
            ));
        }
        let tree = inner
            .trees
            .entry(component.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        let old = tree.clone();
        let mut node = &mut *tree;
        for key in key_path {
            if !node.is_object() {
                *node = Value::Object(Map::new());
            }
            let Value::Object(map) = node else {
                return Err(not_found());
            };
            node = map.entry(key.clone()).or_insert(Value::Null);
        }
        merge_into(node, value);
        let new = tree.clone();
        inner
            .modified_secs
            .insert(component.to_owned(), timestamp_secs);
        Self::notify(&mut inner, component, &old, &new);
        Ok(())
    }

    /// Replaces a component's tree (a deployment) and tells watchers what changed.
    pub fn replace(&self, component: &str, tree: Value) {
        let mut inner = self.lock();
        let old = inner.trees.get(component).cloned().unwrap_or(Value::Null);
        inner.trees.insert(component.to_owned(), tree.clone());
        let now = edge_model::time::now_ms() as f64 / 1000.0;
        inner.modified_secs.insert(component.to_owned(), now);
        if !old.is_null() {
            Self::notify(&mut inner, component, &old, &tree);
        }
    }

    /// Removes a component's tree (it left the deployment).
    pub fn remove(&self, component: &str) {
        self.lock().trees.remove(component);
    }

    /// Adds a watcher; the path must exist, as on the nucleus.
    pub fn watch(
        &self,
        component: &str,
        key_path: Vec<String>,
        sink: EventSink,
    ) -> Result<(), IpcError> {
        let mut inner = self.lock();
        let tree = inner.trees.get(component).ok_or_else(not_found)?;
        lookup(tree, &key_path).ok_or_else(not_found)?;
        inner.watchers.retain(|w| !w.sink.is_closed());
        inner.watchers.push(Watcher {
            component: component.to_owned(),
            key_path,
            sink,
        });
        Ok(())
    }

    fn notify(inner: &mut Inner, component: &str, old: &Value, new: &Value) {
        let changes = changed_paths(old, new);
        inner.watchers.retain(|w| !w.sink.is_closed());
        for watcher in inner.watchers.iter().filter(|w| w.component == component) {
            for changed in changes.iter().filter(|c| related(&watcher.key_path, c)) {
                let event = ConfigurationUpdateEvents {
                    configuration_update_event: Some(ConfigurationUpdateEvent {
                        component_name: component.to_owned(),
                        key_path: changed.clone(),
                    }),
                };
                watcher.sink.send(EVENT_SHAPE, &event);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn store() -> ConfigStore {
        let s = ConfigStore::default();
        s.replace("c", json!({"a": {"b": 1, "c": [1, 2]}, "x": "y"}));
        s
    }

    fn path(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_leaf_comes_back_wrapped_in_its_name() {
        assert_eq!(
            store().get("c", &path(&["a", "b"])).unwrap(),
            json!({"b": 1})
        );
        assert_eq!(
            store().get("c", &path(&["a"])).unwrap(),
            json!({"b": 1, "c": [1, 2]})
        );
    }

    #[test]
    fn a_missing_path_is_key_not_found() {
        let err = store().get("c", &path(&["nope"])).unwrap_err();
        assert_eq!(err.kind(), Some(ErrorKind::ResourceNotFoundError));
    }

    #[test]
    fn update_merges_objects_and_replaces_lists() {
        let s = store();
        s.update("c", &path(&["a"]), 1e12, &json!({"c": [9], "d": true}))
            .unwrap();
        assert_eq!(
            s.tree("c").unwrap(),
            json!({"a": {"b": 1, "c": [9], "d": true}, "x": "y"})
        );
    }

    #[test]
    fn an_older_timestamp_is_refused() {
        let s = store();
        let err = s.update("c", &[], 1.0, &json!({"x": "z"})).unwrap_err();
        assert_eq!(err.kind(), Some(ErrorKind::FailedUpdateConditionCheckError));
    }

    #[test]
    fn access_control_cannot_be_updated_by_the_component() {
        let err = store()
            .update("c", &path(&["accessControl"]), 1e12, &json!({}))
            .unwrap_err();
        assert_eq!(err.kind(), Some(ErrorKind::InvalidArgumentsError));
    }

    #[test]
    fn changed_paths_name_the_shallowest_difference() {
        let old = json!({"a": {"b": 1, "c": 2}, "d": 1});
        let new = json!({"a": {"b": 1, "c": 3}, "e": 1});
        assert_eq!(
            changed_paths(&old, &new),
            vec![path(&["a", "c"]), path(&["d"]), path(&["e"])]
        );
    }
}
