//! Artifact-only dependencies of a component (a model component such as
//! `com.smartfactory.model.PcaT2q`): found by the `gdk-config.json` in a folder under `models/`
//! that names them, and staged next to the binaries so the runtime can resolve the dependency.

use std::path::{Path, PathBuf};

/// The names under a recipe's `ComponentDependencies` (YAML recipes).
pub fn dependencies(recipe: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut inside = false;
    for line in recipe.lines() {
        if line.starts_with("ComponentDependencies:") {
            inside = true;
            continue;
        }
        if !inside || line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if !line.starts_with(' ') {
            break;
        }
        let indent = line.len() - line.trim_start().len();
        if indent == 2
            && let Some(name) = line.trim().strip_suffix(':')
        {
            names.push(name.trim_matches('"').to_owned());
        }
    }
    names
}

/// The file names of a recipe's artifact URIs (`URI: s3://…/<file>`).
pub fn artifact_files(recipe: &str) -> Vec<String> {
    let mut files: Vec<String> = recipe
        .lines()
        .filter_map(|l| l.trim().trim_start_matches("- ").strip_prefix("URI:"))
        .filter_map(|uri| {
            uri.trim()
                .trim_matches('"')
                .rsplit('/')
                .next()
                .map(str::to_owned)
        })
        .collect();
    files.sort();
    files.dedup();
    files
}

/// The folder under `models` whose `gdk-config.json` names `component`.
fn source_dir(models: &Path, component: &str) -> Option<PathBuf> {
    let entries = std::fs::read_dir(models).ok()?;
    entries.flatten().map(|e| e.path()).find(|dir| {
        std::fs::read_to_string(dir.join("gdk-config.json"))
            .is_ok_and(|t| t.contains(&format!("\"{component}\"")))
    })
}

/// Stages `component`'s artifacts from its folder under `models` into
/// `<artifacts>/<component>/<version>/`, or says why it cannot.
pub fn stage(
    models: &Path,
    recipe_text: &str,
    version: &str,
    component: &str,
    artifacts: &Path,
) -> Result<(), String> {
    let files = artifact_files(recipe_text);
    if files.is_empty() {
        return Ok(());
    }
    let src = source_dir(models, component).ok_or_else(|| {
        format!(
            "no folder under {} holds the artifacts of {component}",
            models.display()
        )
    })?;
    let dest = artifacts.join(component).join(version);
    std::fs::create_dir_all(&dest).map_err(|e| format!("cannot create {}: {e}", dest.display()))?;
    for f in files {
        std::fs::copy(src.join(&f), dest.join(&f)).map_err(|e| {
            format!(
                "cannot stage {} of {component}: {e}",
                src.join(&f).display()
            )
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECIPE: &str = "ComponentName: a\nComponentDependencies:\n  com.x.Model:\n    VersionRequirement: \">=1.0.0\"\n    DependencyType: HARD\n  other.Dep:\n    DependencyType: SOFT\nComponentConfiguration:\n  x: 1\nManifests:\n  - Artifacts:\n      - URI: s3://B/C/V/model.onnx\n      - URI: \"s3://B/C/V/model.json\"\n";

    #[test]
    fn reads_dependencies_and_artifact_names() {
        assert_eq!(dependencies(RECIPE), vec!["com.x.Model", "other.Dep"]);
        assert_eq!(artifact_files(RECIPE), vec!["model.json", "model.onnx"]);
        assert!(dependencies("ComponentName: a\n").is_empty());
    }
}
