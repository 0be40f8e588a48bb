//! Every recipe gg-local can deploy, indexed by name and version.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use semver::Version;

use super::recipe::{Recipe, RecipeError, RecipeFormat};
use super::version_req::VersionRequirement;

/// Recipes loaded from one or more directories (`recipes/`, `greengrass-build/recipes/`).
#[derive(Debug, Clone, Default)]
pub struct RecipeStore {
    recipes: BTreeMap<String, BTreeMap<Version, Arc<Recipe>>>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{}: cannot list recipe directory: {source}", dir.display())]
    Io {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Recipe(#[from] RecipeError),
    #[error(
        "{name} {version} is defined twice: in {} and in {}",
        first.display(),
        second.display()
    )]
    Duplicate {
        name: String,
        version: Version,
        first: PathBuf,
        second: PathBuf,
    },
}

impl RecipeStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads every `*.yaml`, `*.yml` and `*.json` file directly inside each directory. A missing
    /// directory is an error: the caller decides which optional directories to pass.
    pub fn load<P: AsRef<Path>>(dirs: &[P]) -> Result<Self, StoreError> {
        let mut store = Self::new();
        for dir in dirs {
            store.add_dir(dir.as_ref())?;
        }
        Ok(store)
    }

    /// Adds the recipes in `dir` and returns how many it held. Blocking file I/O.
    pub fn add_dir(&mut self, dir: &Path) -> Result<usize, StoreError> {
        let io = |source| StoreError::Io {
            dir: dir.to_owned(),
            source,
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            let hidden = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'));
            if path.is_file() && !hidden && RecipeFormat::from_path(&path).is_some() {
                files.push(path);
            }
        }
        // Sorted, so that a duplicate is always reported the same way round.
        files.sort();
        for file in &files {
            self.insert(Recipe::from_file(file)?)?;
        }
        Ok(files.len())
    }

    /// Adds one recipe. Two recipes with the same name and version are an error, because which
    /// one a deployment would get would depend on file order.
    pub fn insert(&mut self, recipe: Recipe) -> Result<(), StoreError> {
        let versions = self.recipes.entry(recipe.name.clone()).or_default();
        if let Some(existing) = versions.get(&recipe.version) {
            return Err(StoreError::Duplicate {
                name: recipe.name.clone(),
                version: recipe.version.clone(),
                first: existing.source.clone(),
                second: recipe.source.clone(),
            });
        }
        versions.insert(recipe.version.clone(), Arc::new(recipe));
        Ok(())
    }

    /// The newest recipe of `name` whose version satisfies `requirement`.
    pub fn find(&self, name: &str, requirement: &VersionRequirement) -> Option<&Arc<Recipe>> {
        self.recipes
            .get(name)?
            .iter()
            .rev()
            .find(|(version, _)| requirement.matches(version))
            .map(|(_, recipe)| recipe)
    }

    /// Exactly this version.
    pub fn get(&self, name: &str, version: &Version) -> Option<&Arc<Recipe>> {
        self.recipes.get(name)?.get(version)
    }

    /// The newest version of `name`.
    pub fn newest(&self, name: &str) -> Option<&Arc<Recipe>> {
        self.recipes.get(name)?.values().next_back()
    }

    /// All versions of `name`, oldest first.
    pub fn versions(&self, name: &str) -> Vec<&Version> {
        self.recipes
            .get(name)
            .map(|v| v.keys().collect())
            .unwrap_or_default()
    }

    /// Component names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.recipes.keys().map(String::as_str)
    }

    /// The number of recipes (all versions of all components).
    pub fn len(&self) -> usize {
        self.recipes.values().map(BTreeMap::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, file: &str, name: &str, version: &str) {
        std::fs::write(
            dir.join(file),
            format!(
                "RecipeFormatVersion: 2020-01-25\nComponentName: {name}\n\
                 ComponentVersion: {version}\nManifests:\n  - Lifecycle: {{Run: echo}}\n"
            ),
        )
        .unwrap();
    }

    #[test]
    fn loads_yaml_yml_and_json_and_ignores_other_files() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a-1.0.0.yaml", "a", "1.0.0");
        write(dir.path(), "a-1.1.0.yml", "a", "1.1.0");
        std::fs::write(
            dir.path().join("b.json"),
            r#"{"RecipeFormatVersion":"2020-01-25","ComponentName":"b",
                "ComponentVersion":"2.0.0","Manifests":[]}"#,
        )
        .unwrap();
        std::fs::write(dir.path().join("README.md"), "# not a recipe").unwrap();
        let store = RecipeStore::load(&[dir.path()]).unwrap();
        assert_eq!(store.len(), 3);
        assert_eq!(store.names().collect::<Vec<_>>(), ["a", "b"]);
    }

    #[test]
    fn find_returns_the_newest_version_that_satisfies_the_requirement() {
        let dir = tempfile::tempdir().unwrap();
        for v in ["1.0.0", "1.4.2", "2.0.0"] {
            write(dir.path(), &format!("a-{v}.yaml"), "a", v);
        }
        let store = RecipeStore::load(&[dir.path()]).unwrap();
        let req = VersionRequirement::parse("^1.0.0").unwrap();
        assert_eq!(
            store.find("a", &req).unwrap().version,
            Version::new(1, 4, 2)
        );
        assert_eq!(store.newest("a").unwrap().version, Version::new(2, 0, 0));
        let none = VersionRequirement::parse(">=3.0.0").unwrap();
        assert!(store.find("a", &none).is_none());
        assert!(store.find("missing", &req).is_none());
    }

    #[test]
    fn the_same_name_and_version_in_two_directories_is_an_error_naming_both_files() {
        let one = tempfile::tempdir().unwrap();
        let two = tempfile::tempdir().unwrap();
        write(one.path(), "a.yaml", "a", "1.0.0");
        write(two.path(), "a.json.yaml", "a", "1.0.0");
        let err = RecipeStore::load(&[one.path(), two.path()]).unwrap_err();
        let StoreError::Duplicate { first, second, .. } = &err else {
            panic!("expected Duplicate, got {err}");
        };
        assert_eq!(first, &one.path().join("a.yaml"));
        assert_eq!(second, &two.path().join("a.json.yaml"));
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_it() {
        let err = RecipeStore::load(&[Path::new("/nonexistent/recipes")]).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/recipes"), "{err}");
    }

    #[test]
    fn a_broken_recipe_fails_the_load_and_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bad.yaml"), "ComponentName: a\n").unwrap();
        let err = RecipeStore::load(&[dir.path()]).unwrap_err();
        assert!(err.to_string().contains("bad.yaml"), "{err}");
    }
}
