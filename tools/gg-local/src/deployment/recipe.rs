//! A Greengrass component recipe, parsed from YAML or JSON into typed structs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use semver::Version;
use serde_json::{Map, Value};

use super::fields::{self, FieldError};
use super::platform::{HostPlatform, Platform};
use super::recipe_lifecycle::Lifecycle;
use super::version_req::VersionRequirement;

/// A parsed recipe. Field names follow the recipe keys.
#[derive(Debug, Clone)]
pub struct Recipe {
    pub format_version: String,
    pub name: String,
    pub version: Version,
    pub description: Option<String>,
    pub publisher: Option<String>,
    /// `ComponentConfiguration.DefaultConfiguration`; an empty object when absent.
    pub default_configuration: Value,
    pub dependencies: BTreeMap<String, Dependency>,
    pub manifests: Vec<Manifest>,
    /// The global lifecycle, used when the selected manifest has none.
    pub lifecycle: Option<Lifecycle>,
    /// The file this recipe came from, for error messages.
    pub source: PathBuf,
    /// Things worth telling the developer that do not stop the recipe from loading.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    pub requirement: VersionRequirement,
    pub dependency_type: DependencyType,
}

/// HARD: the dependent restarts when the dependency changes state. SOFT: it does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DependencyType {
    #[default]
    Hard,
    Soft,
}

#[derive(Debug, Clone, Default)]
pub struct Manifest {
    pub name: Option<String>,
    pub platform: Platform,
    pub lifecycle: Option<Lifecycle>,
    pub artifacts: Vec<Artifact>,
    /// `Selections` into the global lifecycle. Parsed for completeness; gg-local does not apply
    /// them.
    pub selections: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub uri: String,
    pub unarchive: Unarchive,
    pub permission: Permission,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unarchive {
    #[default]
    None,
    Zip,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permission {
    pub read: Access,
    pub execute: Access,
}

impl Default for Permission {
    /// The nucleus defaults: readable by the owner, not executable.
    fn default() -> Self {
        Self {
            read: Access::Owner,
            execute: Access::None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    None,
    Owner,
    All,
}

/// The two encodings of a recipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecipeFormat {
    Yaml,
    Json,
}

impl RecipeFormat {
    /// From the file extension: `.yaml`/`.yml` or `.json`.
    pub fn from_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "yaml" | "yml" => Some(Self::Yaml),
            "json" => Some(Self::Json),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RecipeError {
    #[error("{}: cannot read recipe: {source}", file.display())]
    Io {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a recipe file (expected .yaml, .yml or .json)", file.display())]
    UnknownFormat { file: PathBuf },
    #[error("{}: invalid {format}: {message}", file.display())]
    Syntax {
        file: PathBuf,
        format: &'static str,
        message: String,
    },
    #[error("{}: key `{key}`: {reason}", file.display())]
    Invalid {
        file: PathBuf,
        key: String,
        reason: String,
    },
}

const TOP_LEVEL_KEYS: [&str; 11] = [
    "RecipeFormatVersion",
    "ComponentName",
    "ComponentVersion",
    "ComponentDescription",
    "ComponentPublisher",
    "ComponentConfiguration",
    "ComponentDependencies",
    "ComponentType",
    "ComponentSource",
    "Manifests",
    "Lifecycle",
];
const MANIFEST_KEYS: [&str; 5] = ["Name", "Platform", "Lifecycle", "Artifacts", "Selections"];
const ARTIFACT_KEYS: [&str; 5] = ["URI", "Unarchive", "Permission", "Digest", "Algorithm"];
const SUPPORTED_FORMAT_VERSION: &str = "2020-01-25";
const MAX_NAME_LEN: usize = 128;

impl Recipe {
    /// Reads and parses a recipe file; the format comes from the extension. This is blocking
    /// file I/O: recipes are small and read once per deployment.
    pub fn from_file(path: &Path) -> Result<Self, RecipeError> {
        let format = RecipeFormat::from_path(path).ok_or_else(|| RecipeError::UnknownFormat {
            file: path.to_owned(),
        })?;
        let text = std::fs::read_to_string(path).map_err(|source| RecipeError::Io {
            file: path.to_owned(),
            source,
        })?;
        Self::parse(&text, format, path)
    }

    /// Parses recipe text. `source` only names the recipe in errors.
    pub fn parse(text: &str, format: RecipeFormat, source: &Path) -> Result<Self, RecipeError> {
        let tree: Value = match format {
            RecipeFormat::Json => serde_json::from_str(text).map_err(|e| e.to_string()),
            RecipeFormat::Yaml => serde_saphyr::from_str(text).map_err(|e| e.to_string()),
        }
        .map_err(|message| RecipeError::Syntax {
            file: source.to_owned(),
            format: match format {
                RecipeFormat::Json => "JSON",
                RecipeFormat::Yaml => "YAML",
            },
            message,
        })?;
        let recipe = parse_tree(&tree, source).map_err(|e| RecipeError::Invalid {
            file: source.to_owned(),
            key: e.key,
            reason: e.reason,
        })?;
        for warning in &recipe.warnings {
            tracing::warn!(recipe = %source.display(), "{warning}");
        }
        Ok(recipe)
    }

    /// The first manifest whose platform matches `host`, as the nucleus picks it.
    pub fn select_manifest(&self, host: &HostPlatform) -> Option<&Manifest> {
        self.manifests.iter().find(|m| m.platform.matches(host))
    }

    /// The lifecycle that runs with `manifest`: its own, else the global one.
    pub fn lifecycle_for<'a>(&'a self, manifest: &'a Manifest) -> Option<&'a Lifecycle> {
        manifest.lifecycle.as_ref().or(self.lifecycle.as_ref())
    }
}

fn parse_tree(tree: &Value, source: &Path) -> Result<Recipe, FieldError> {
    let map = fields::as_object(tree, "")
        .map_err(|_| FieldError::new("(top level)", "a recipe must be a mapping"))?;
    let mut warnings: Vec<String> = fields::unknown_keys(map, &TOP_LEVEL_KEYS, "")
        .into_iter()
        .map(|k| format!("{k}: unknown key, ignored"))
        .collect();

    let format_version = fields::as_scalar_text(
        fields::get(map, "RecipeFormatVersion")
            .map(|(_, v)| v)
            .ok_or_else(|| FieldError::new("RecipeFormatVersion", "missing"))?,
        "RecipeFormatVersion",
    )?;
    if format_version != SUPPORTED_FORMAT_VERSION {
        warnings.push(format!(
            "RecipeFormatVersion: `{format_version}` is not {SUPPORTED_FORMAT_VERSION}, the only \
             format Greengrass accepts"
        ));
    }
    let name = fields::required_str(map, "ComponentName", "")?.to_owned();
    check_component_name(&name, "ComponentName")?;
    let version = parse_version(map)?;

    let (lifecycle, manifests) = {
        let lifecycle = match fields::get(map, "Lifecycle") {
            Some((k, v)) if !v.is_null() => {
                let (lifecycle, w) = Lifecycle::parse(v, k)?;
                warnings.extend(w);
                Some(lifecycle)
            }
            _ => None,
        };
        let (manifests, w) = parse_manifests(map)?;
        warnings.extend(w);
        (lifecycle, manifests)
    };

    Ok(Recipe {
        format_version,
        name,
        version,
        description: fields::optional_str(map, "ComponentDescription", "")?.map(str::to_owned),
        publisher: fields::optional_str(map, "ComponentPublisher", "")?.map(str::to_owned),
        default_configuration: parse_default_configuration(map)?,
        dependencies: parse_dependencies(map)?,
        manifests,
        lifecycle,
        source: source.to_owned(),
        warnings,
    })
}

fn check_component_name(name: &str, key: &str) -> Result<(), FieldError> {
    let valid_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if name.is_empty() || name.len() > MAX_NAME_LEN || !valid_chars {
        return Err(FieldError::new(
            key,
            format!(
                "`{name}` is not a valid component name (1 to {MAX_NAME_LEN} of a-z A-Z 0-9 - _ .)"
            ),
        ));
    }
    Ok(())
}

fn parse_version(map: &Map<String, Value>) -> Result<Version, FieldError> {
    let (key, value) = fields::get(map, "ComponentVersion")
        .ok_or_else(|| FieldError::new("ComponentVersion", "missing"))?;
    let text = fields::as_scalar_text(value, key)?;
    Version::parse(&text).map_err(|e| {
        FieldError::new(
            key,
            format!("`{text}` is not a semantic version major.minor.patch: {e}"),
        )
    })
}

fn parse_default_configuration(map: &Map<String, Value>) -> Result<Value, FieldError> {
    let Some((key, value)) = fields::get(map, "ComponentConfiguration") else {
        return Ok(Value::Object(Map::new()));
    };
    if value.is_null() {
        return Ok(Value::Object(Map::new()));
    }
    let config = fields::as_object(value, key)?;
    match fields::get(config, "DefaultConfiguration") {
        None | Some((_, Value::Null)) => Ok(Value::Object(Map::new())),
        Some((_, v @ Value::Object(_))) => Ok(v.clone()),
        Some((k, v)) => Err(FieldError::new(
            fields::join(key, k),
            format!("expected a mapping, found {}", fields::kind(v)),
        )),
    }
}

fn parse_dependencies(
    map: &Map<String, Value>,
) -> Result<BTreeMap<String, Dependency>, FieldError> {
    let Some((key, value)) = fields::get(map, "ComponentDependencies") else {
        return Ok(BTreeMap::new());
    };
    if value.is_null() {
        return Ok(BTreeMap::new());
    }
    let mut dependencies = BTreeMap::new();
    for (name, spec) in fields::as_object(value, key)? {
        let path = fields::join(key, name);
        check_component_name(name, &path)?;
        let spec_map = fields::as_object(spec, &path)?;
        let raw = fields::required_str(spec_map, "VersionRequirement", &path)?;
        let requirement = VersionRequirement::parse(raw).map_err(|e| {
            FieldError::new(fields::join(&path, "VersionRequirement"), e.to_string())
        })?;
        let dependency_type = match fields::optional_str(spec_map, "DependencyType", &path)? {
            None => DependencyType::Hard,
            Some(t) if t.eq_ignore_ascii_case("HARD") => DependencyType::Hard,
            Some(t) if t.eq_ignore_ascii_case("SOFT") => DependencyType::Soft,
            Some(other) => {
                return Err(FieldError::new(
                    fields::join(&path, "DependencyType"),
                    format!("`{other}`: expected HARD or SOFT"),
                ));
            }
        };
        dependencies.insert(
            name.clone(),
            Dependency {
                requirement,
                dependency_type,
            },
        );
    }
    Ok(dependencies)
}

fn parse_manifests(map: &Map<String, Value>) -> Result<(Vec<Manifest>, Vec<String>), FieldError> {
    let (key, value) =
        fields::get(map, "Manifests").ok_or_else(|| FieldError::new("Manifests", "missing"))?;
    let mut warnings = Vec::new();
    let mut manifests = Vec::new();
    for (i, item) in fields::as_array(value, key)?.iter().enumerate() {
        let path = format!("{key}[{i}]");
        let m = fields::as_object(item, &path)?;
        warnings.extend(
            fields::unknown_keys(m, &MANIFEST_KEYS, &path)
                .into_iter()
                .map(|k| format!("{k}: unknown key, ignored")),
        );
        let platform = match fields::get(m, "Platform") {
            Some((k, v)) if !v.is_null() => {
                let (platform, w) = Platform::parse(v, &fields::join(&path, k))?;
                warnings.extend(w);
                platform
            }
            _ => Platform::default(),
        };
        let lifecycle = match fields::get(m, "Lifecycle") {
            Some((k, v)) if !v.is_null() => {
                let (lifecycle, w) = Lifecycle::parse(v, &fields::join(&path, k))?;
                warnings.extend(w);
                Some(lifecycle)
            }
            _ => None,
        };
        let selections = match fields::get(m, "Selections") {
            Some((k, v)) if !v.is_null() => {
                let list_path = fields::join(&path, k);
                warnings.push(format!(
                    "{list_path}: Selections are not applied by gg-local"
                ));
                fields::as_array(v, &list_path)?
                    .iter()
                    .map(|s| fields::as_scalar_text(s, &list_path))
                    .collect::<Result<_, _>>()?
            }
            _ => Vec::new(),
        };
        manifests.push(Manifest {
            name: fields::optional_str(m, "Name", &path)?.map(str::to_owned),
            platform,
            lifecycle,
            artifacts: parse_artifacts(m, &path, &mut warnings)?,
            selections,
        });
    }
    Ok((manifests, warnings))
}

fn parse_artifacts(
    manifest: &Map<String, Value>,
    path: &str,
    warnings: &mut Vec<String>,
) -> Result<Vec<Artifact>, FieldError> {
    let Some((key, value)) = fields::get(manifest, "Artifacts").filter(|(_, v)| !v.is_null())
    else {
        return Ok(Vec::new());
    };
    let mut artifacts = Vec::new();
    for (i, item) in fields::as_array(value, &fields::join(path, key))?
        .iter()
        .enumerate()
    {
        let item_path = format!("{}[{i}]", fields::join(path, key));
        let a = fields::as_object(item, &item_path)?;
        warnings.extend(
            fields::unknown_keys(a, &ARTIFACT_KEYS, &item_path)
                .into_iter()
                .map(|k| format!("{k}: unknown key, ignored")),
        );
        let unarchive = match fields::optional_str(a, "Unarchive", &item_path)? {
            None => Unarchive::None,
            Some(u) if u.eq_ignore_ascii_case("NONE") => Unarchive::None,
            Some(u) if u.eq_ignore_ascii_case("ZIP") => Unarchive::Zip,
            Some(other) => {
                return Err(FieldError::new(
                    fields::join(&item_path, "Unarchive"),
                    format!("`{other}`: expected NONE or ZIP"),
                ));
            }
        };
        let permission = match fields::get(a, "Permission").filter(|(_, v)| !v.is_null()) {
            None => Permission::default(),
            Some((k, v)) => parse_permission(v, &fields::join(&item_path, k))?,
        };
        artifacts.push(Artifact {
            uri: fields::required_str(a, "URI", &item_path)?.to_owned(),
            unarchive,
            permission,
        });
    }
    Ok(artifacts)
}

fn parse_permission(value: &Value, path: &str) -> Result<Permission, FieldError> {
    let map = fields::as_object(value, path)?;
    let access = |key: &str, default: Access| -> Result<Access, FieldError> {
        match fields::optional_str(map, key, path)? {
            None => Ok(default),
            Some(a) if a.eq_ignore_ascii_case("NONE") => Ok(Access::None),
            Some(a) if a.eq_ignore_ascii_case("OWNER") => Ok(Access::Owner),
            Some(a) if a.eq_ignore_ascii_case("ALL") => Ok(Access::All),
            Some(other) => Err(FieldError::new(
                fields::join(path, key),
                format!("`{other}`: expected NONE, OWNER or ALL"),
            )),
        }
    };
    let defaults = Permission::default();
    Ok(Permission {
        read: access("Read", defaults.read)?,
        execute: access("Execute", defaults.execute)?,
    })
}

#[cfg(test)]
mod tests;
