//! Resolution: a deployment document plus the recipe store become the ordered list of
//! components to run, dependencies first.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use semver::Version;
use serde_json::{Map, Value};

use super::config_merge::{ConfigMergeError, configuration_for_deployment};
use super::document::DeploymentDocument;
use super::interpolate::{
    ComponentPaths, InterpolationContext, interpolate, interpolate_access_control,
};
use super::platform::HostPlatform;
use super::recipe::Recipe;
use super::recipe_lifecycle::{Lifecycle, SkipIf, Step};
use super::resolved::{ResolvedComponent, ResolvedLifecycle, ResolvedStep};
use super::store::RecipeStore;
use super::version_req::VersionRequirement;

/// Where things live on this "device", and who it is.
#[derive(Debug, Clone)]
pub struct ResolveContext {
    pub thing_name: String,
    /// `{kernel:rootPath}`; work directories go under `<root>/work`.
    pub root_dir: PathBuf,
    /// Artifacts laid out as `<name>/<version>/<files>` (the GDK build output, or the
    /// greengrass-cli `--artifactDir` layout).
    pub artifacts_dir: PathBuf,
    /// Unpacked ZIP artifacts, `<name>/<version>/` below it.
    pub decompressed_dir: PathBuf,
    pub platform: HostPlatform,
}

impl ResolveContext {
    /// The nucleus layout under `root`: `packages/artifacts-unarchived` for unpacked artifacts,
    /// and the detected host platform.
    pub fn new(thing_name: &str, root_dir: &Path, artifacts_dir: &Path) -> Self {
        Self {
            thing_name: thing_name.to_owned(),
            root_dir: root_dir.to_owned(),
            artifacts_dir: artifacts_dir.to_owned(),
            decompressed_dir: root_dir.join("packages").join("artifacts-unarchived"),
            platform: HostPlatform::detect(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("no recipe for {name} {wanted}{}", required_by_text(.required_by))]
    MissingRecipe {
        name: String,
        wanted: String,
        required_by: Option<String>,
    },
    #[error(
        "{dependent} requires {dependency} {requirement}, but the deployment asks for \
         {dependency} {version}"
    )]
    RequirementNotMet {
        dependent: String,
        dependency: String,
        requirement: String,
        version: Version,
    },
    #[error(
        "no version of {dependency} satisfies every requirement ({requirements}); \
         available: {available}"
    )]
    NoSatisfyingVersion {
        dependency: String,
        requirements: String,
        available: String,
    },
    #[error("dependency cycle: {cycle}")]
    Cycle { cycle: String },
    #[error("{name} {version} has no manifest for this platform ({platform})")]
    NoManifest {
        name: String,
        version: Version,
        platform: String,
    },
    #[error("configuration of {name}: {source}")]
    Configuration {
        name: String,
        source: ConfigMergeError,
    },
    #[error("dependency versions did not settle after {rounds} rounds")]
    Unsettled { rounds: usize },
}

fn required_by_text(required_by: &Option<String>) -> String {
    required_by
        .as_ref()
        .map(|r| format!(" (required by {r})"))
        .unwrap_or_default()
}

/// Resolves `document` against `store`. `current` holds the configuration of components that
/// already run, so that a redeployment keeps their values (Greengrass semantics).
pub fn resolve(
    document: &DeploymentDocument,
    store: &RecipeStore,
    ctx: &ResolveContext,
    current: &BTreeMap<String, Value>,
) -> Result<Vec<ResolvedComponent>, ResolveError> {
    let selected = select_versions(document, store)?;
    let order = dependency_order(&selected)?;
    let mut resolved: BTreeMap<String, ResolvedComponent> = BTreeMap::new();
    let mut out = Vec::with_capacity(order.len());
    for name in order {
        let recipe = &selected[&name];
        let component = resolve_one(recipe, document, ctx, current, &resolved)?;
        resolved.insert(name, component.clone());
        out.push(component);
    }
    Ok(out)
}

/// How many times a dependency may be re-picked before we call the graph unsettled.
const MAX_ROUNDS: usize = 64;

/// Picks a recipe for each component: the document's version for roots, and for the others the
/// newest version that satisfies every requirement on them. A dependency's version determines
/// its own dependencies, so this repeats until nothing changes.
fn select_versions(
    document: &DeploymentDocument,
    store: &RecipeStore,
) -> Result<BTreeMap<String, Arc<Recipe>>, ResolveError> {
    let mut roots = BTreeMap::new();
    for (name, spec) in &document.components {
        let recipe = match &spec.version {
            Some(version) => store.get(name, version),
            None => store.newest(name),
        };
        let recipe = recipe.ok_or_else(|| ResolveError::MissingRecipe {
            name: name.clone(),
            wanted: spec
                .version
                .as_ref()
                .map_or_else(|| "(any version)".to_owned(), Version::to_string),
            required_by: None,
        })?;
        roots.insert(name.clone(), Arc::clone(recipe));
    }

    let mut selected = roots.clone();
    for _ in 0..MAX_ROUNDS {
        let requirements = collect_requirements(&roots, &selected);
        let mut changed = false;
        for (dependency, wanted) in &requirements {
            if let Some(root) = roots.get(dependency) {
                if let Some((dependent, req)) =
                    wanted.iter().find(|(_, r)| !r.matches(&root.version))
                {
                    return Err(ResolveError::RequirementNotMet {
                        dependent: dependent.clone(),
                        dependency: dependency.clone(),
                        requirement: req.to_string(),
                        version: root.version.clone(),
                    });
                }
                continue;
            }
            let satisfied = |version: &Version| wanted.iter().all(|(_, r)| r.matches(version));
            if selected
                .get(dependency)
                .is_some_and(|r| satisfied(&r.version))
            {
                continue;
            }
            let pick = pick_version(store, dependency, wanted, satisfied)?;
            selected.insert(dependency.clone(), pick);
            changed = true;
        }
        // Drop components that a re-picked version no longer depends on.
        selected.retain(|name, _| roots.contains_key(name) || requirements.contains_key(name));
        if !changed {
            return Ok(selected);
        }
    }
    Err(ResolveError::Unsettled { rounds: MAX_ROUNDS })
}

type Requirements = BTreeMap<String, Vec<(String, VersionRequirement)>>;

/// Every requirement on every component reachable from the roots through `selected`, with the
/// `name version` of the component that states it.
fn collect_requirements(
    roots: &BTreeMap<String, Arc<Recipe>>,
    selected: &BTreeMap<String, Arc<Recipe>>,
) -> Requirements {
    let mut requirements: Requirements = BTreeMap::new();
    let mut seen = BTreeSet::new();
    let mut stack: Vec<&str> = roots.keys().map(String::as_str).collect();
    while let Some(name) = stack.pop() {
        if !seen.insert(name) {
            continue;
        }
        let Some(recipe) = selected.get(name) else {
            continue;
        };
        for (dependency, spec) in &recipe.dependencies {
            requirements.entry(dependency.clone()).or_default().push((
                format!("{} {}", recipe.name, recipe.version),
                spec.requirement.clone(),
            ));
            stack.push(dependency);
        }
    }
    requirements
}

fn pick_version(
    store: &RecipeStore,
    dependency: &str,
    wanted: &[(String, VersionRequirement)],
    satisfied: impl Fn(&Version) -> bool,
) -> Result<Arc<Recipe>, ResolveError> {
    let versions = store.versions(dependency);
    let describe = || {
        wanted
            .iter()
            .map(|(who, req)| format!("{who} requires {req}"))
            .collect::<Vec<_>>()
            .join("; ")
    };
    if versions.is_empty() {
        return Err(ResolveError::MissingRecipe {
            name: dependency.to_owned(),
            wanted: wanted
                .iter()
                .map(|(_, r)| r.to_string())
                .collect::<Vec<_>>()
                .join(" and "),
            required_by: Some(
                wanted
                    .iter()
                    .map(|(who, _)| who.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        });
    }
    let newest = versions.iter().rev().find(|v| satisfied(v));
    match newest.and_then(|v| store.get(dependency, v)) {
        Some(recipe) => Ok(Arc::clone(recipe)),
        None => Err(ResolveError::NoSatisfyingVersion {
            dependency: dependency.to_owned(),
            requirements: describe(),
            available: versions
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// Dependencies before dependents; ties in name order, so the result is stable.
fn dependency_order(selected: &BTreeMap<String, Arc<Recipe>>) -> Result<Vec<String>, ResolveError> {
    fn visit<'a>(
        name: &'a str,
        selected: &'a BTreeMap<String, Arc<Recipe>>,
        done: &mut BTreeSet<&'a str>,
        path: &mut Vec<&'a str>,
        order: &mut Vec<String>,
    ) -> Result<(), ResolveError> {
        if done.contains(name) {
            return Ok(());
        }
        if let Some(start) = path.iter().position(|n| *n == name) {
            let mut cycle: Vec<&str> = path[start..].to_vec();
            cycle.push(name);
            return Err(ResolveError::Cycle {
                cycle: cycle.join(" -> "),
            });
        }
        let Some(recipe) = selected.get(name) else {
            return Ok(());
        };
        path.push(name);
        for dependency in recipe.dependencies.keys() {
            visit(dependency, selected, done, path, order)?;
        }
        path.pop();
        done.insert(name);
        order.push(name.to_owned());
        Ok(())
    }

    let mut done = BTreeSet::new();
    let mut order = Vec::with_capacity(selected.len());
    for name in selected.keys() {
        visit(name, selected, &mut done, &mut Vec::new(), &mut order)?;
    }
    Ok(order)
}

fn resolve_one(
    recipe: &Arc<Recipe>,
    document: &DeploymentDocument,
    ctx: &ResolveContext,
    current: &BTreeMap<String, Value>,
    earlier: &BTreeMap<String, ResolvedComponent>,
) -> Result<ResolvedComponent, ResolveError> {
    let name = &recipe.name;
    let manifest =
        recipe
            .select_manifest(&ctx.platform)
            .ok_or_else(|| ResolveError::NoManifest {
                name: name.clone(),
                version: recipe.version.clone(),
                platform: ctx.platform.to_string(),
            })?;
    // Only root components get the deployment's configurationUpdate, as in Greengrass.
    let root_spec = document.components.get(name);
    let update = root_spec.and_then(|s| s.configuration_update.as_ref());
    let configuration =
        configuration_for_deployment(&recipe.default_configuration, current.get(name), update)
            .map_err(|source| ResolveError::Configuration {
                name: name.clone(),
                source,
            })?;

    let paths = component_paths(ctx, name, &recipe.version);
    let dependency_paths: BTreeMap<&str, (ComponentPaths, &Value)> = recipe
        .dependencies
        .keys()
        .filter_map(|dep| earlier.get(dep))
        .map(|dep| {
            let paths = ComponentPaths {
                artifacts: dep.artifacts_path.clone(),
                decompressed: dep.decompressed_path.clone(),
                work: dep.work_path.clone(),
            };
            (dep.name.as_str(), (paths, &dep.configuration))
        })
        .collect();
    let interpolation = InterpolationContext {
        own: paths.vars(&configuration),
        root_path: &ctx.root_dir,
        thing_name: &ctx.thing_name,
        dependencies: dependency_paths
            .iter()
            .map(|(dep, (paths, config))| (*dep, paths.vars(config)))
            .collect(),
    };
    let lifecycle = recipe
        .lifecycle_for(manifest)
        .map(|lc| resolve_lifecycle(lc, &interpolation))
        .unwrap_or_default();
    let access_control = configuration
        .get("accessControl")
        .map(|acl| interpolate_access_control(acl, &ctx.thing_name))
        .unwrap_or_else(|| Value::Object(Map::new()));

    Ok(ResolvedComponent {
        name: name.clone(),
        version: recipe.version.clone(),
        recipe: Arc::clone(recipe),
        lifecycle,
        artifacts_path: paths.artifacts,
        decompressed_path: paths.decompressed,
        work_path: paths.work,
        dependencies: recipe
            .dependencies
            .iter()
            .map(|(dep, spec)| (dep.clone(), spec.dependency_type))
            .collect(),
        access_control,
        is_root: root_spec.is_some(),
        configuration,
    })
}

fn component_paths(ctx: &ResolveContext, name: &str, version: &Version) -> ComponentPaths {
    let version = version.to_string();
    ComponentPaths {
        artifacts: ctx.artifacts_dir.join(name).join(&version),
        decompressed: ctx.decompressed_dir.join(name).join(&version),
        work: ctx.root_dir.join("work").join(name),
    }
}

fn resolve_lifecycle(lifecycle: &Lifecycle, ctx: &InterpolationContext<'_>) -> ResolvedLifecycle {
    let step = |step: &Option<Step>| {
        step.as_ref().map(|s| {
            let mut env = lifecycle.setenv.clone();
            env.extend(s.setenv.clone());
            ResolvedStep {
                script: interpolate(&s.script, ctx),
                timeout: s.timeout,
                env: env
                    .into_iter()
                    .map(|(k, v)| (k, interpolate(&v, ctx)))
                    .collect(),
                requires_privilege: s.requires_privilege,
                skip_if: s.skip_if.as_ref().map(|skip| match skip {
                    SkipIf::OnPath(p) => SkipIf::OnPath(interpolate(p, ctx)),
                    SkipIf::Exists(p) => SkipIf::Exists(interpolate(p, ctx)),
                }),
            }
        })
    };
    ResolvedLifecycle {
        install: step(&lifecycle.install),
        startup: step(&lifecycle.startup),
        run: step(&lifecycle.run),
        shutdown: step(&lifecycle.shutdown),
        recover: step(&lifecycle.recover),
    }
}

#[cfg(test)]
mod tests;
