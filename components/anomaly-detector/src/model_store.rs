//! Which model runs: the configured one if it loads, else the last one that did.
//!
//! A model that loaded is kept in memory (across configuration changes) and copied to
//! `<work>/last-good-model/`, so a corrupt or incompatible new model never stops detection,
//! even across a process restart.

use crate::config::{AnomalyDetector, MODEL_DIR_ENV};
use crate::model::{MANIFEST_FILE, Model, ModelError, ONNX_FILE};
use std::path::{Path, PathBuf};

/// The folder under the work directory holding a copy of the last model that loaded.
pub const LAST_GOOD_DIR: &str = "last-good-model";

/// The configured model folder: `modelDir`, else `$ANOMALY_MODEL_DIR`.
pub fn model_dir(config: &AnomalyDetector) -> Result<PathBuf, String> {
    if let Some(dir) = &config.model_dir {
        return Ok(dir.clone());
    }
    match std::env::var_os(MODEL_DIR_ENV) {
        Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
        _ => Err(format!(
            "no model: modelDir is empty and {MODEL_DIR_ENV} is not set (the recipe sets it to the model component's artifacts path)"
        )),
    }
}

/// Loads the model in `dir` and, if it loads, saves a copy under `work`.
pub fn load_and_keep(dir: &Path, work: &Path) -> Result<Model, ModelError> {
    let model = Model::load(dir)?;
    let keep = work.join(LAST_GOOD_DIR);
    if keep != dir
        && let Err(e) = copy_model(dir, &keep)
    {
        tracing::warn!(dir = %keep.display(), error = %e, "Cannot keep a copy of the model; it will not survive a restart if the next one is bad.");
    }
    Ok(model)
}

/// The copy saved by [`load_and_keep`], if there is one that loads.
pub fn last_good(work: &Path) -> Option<Model> {
    let dir = work.join(LAST_GOOD_DIR);
    dir.join(MANIFEST_FILE)
        .exists()
        .then(|| Model::load(&dir).ok())
        .flatten()
}

fn copy_model(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for file in [ONNX_FILE, MANIFEST_FILE] {
        let tmp = to.join(format!("{file}.tmp"));
        std::fs::copy(from.join(file), &tmp)?;
        std::fs::rename(&tmp, to.join(file))?;
    }
    Ok(())
}
