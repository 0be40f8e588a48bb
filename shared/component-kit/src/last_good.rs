//! The last configuration that validated, kept in the component's work folder so that a restart
//! (a reboot, or the nucleus restarting the process) with a configuration that is still bad keeps
//! collecting with the last good one instead of stopping.

use serde_json::Value;
use std::path::{Path, PathBuf};

const FILE: &str = ".last-good-config.json";

fn path(work_dir: &Path) -> PathBuf {
    work_dir.join(FILE)
}

/// Reads the saved configuration, if there is a readable one.
pub(crate) fn load(work_dir: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(path(work_dir)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Saves `value` atomically (write, fsync, rename); a failure is logged, never fatal.
pub(crate) fn save(work_dir: &Path, value: &Value) {
    use std::io::Write;
    let target = path(work_dir);
    let tmp = target.with_extension("tmp");
    let written = std::fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(value.to_string().as_bytes())?;
        f.sync_all()
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, &target)) {
        tracing::warn!(file = %target.display(), error = %e, "Could not save the last good configuration.");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_configuration_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load(dir.path()).is_none());
        let v = serde_json::json!({"a": 1, "b": {"c": "x"}});
        save(dir.path(), &v);
        assert_eq!(load(dir.path()), Some(v));
    }
}
