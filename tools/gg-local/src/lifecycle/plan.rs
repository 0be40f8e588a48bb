//! What a deployment changes: which components to stop, start, restart, or only reconfigure.
//! Pure, so the rules are tested without processes.

use std::collections::BTreeSet;

use crate::deployment::{DependencyType, ResolvedComponent};

/// The changes, each list in the order to act on it.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Removed components and those to restart, dependents before their dependencies.
    pub(crate) stop: Vec<String>,
    /// New components and those to restart.
    pub(crate) start: BTreeSet<String>,
    pub(crate) removed: Vec<String>,
    pub(crate) added: Vec<String>,
    pub(crate) restarted: Vec<String>,
    /// Same version and lifecycle, new configuration: keeps running.
    pub(crate) reconfigured: Vec<String>,
    pub(crate) unchanged: Vec<String>,
}

/// `running` is the current deployment in start order; `desired` the new one, also in start
/// order (dependencies first). `broken` components are restarted even when unchanged, because
/// a redeployment is how the nucleus gets a component out of BROKEN.
pub(crate) fn plan(
    running: &[&ResolvedComponent],
    desired: &[ResolvedComponent],
    broken: &BTreeSet<String>,
) -> Plan {
    let mut plan = Plan::default();
    let mut restart: BTreeSet<&str> = BTreeSet::new();
    for new in desired {
        let old = running.iter().find(|c| c.name == new.name);
        let Some(old) = old else {
            plan.added.push(new.name.clone());
            continue;
        };
        // Dependencies come first in `desired`, so a restart has already propagated to them.
        let hard_dependency_restarts = new
            .dependencies
            .iter()
            .any(|(dep, kind)| *kind == DependencyType::Hard && restart.contains(dep.as_str()));
        if needs_restart(old, new) || broken.contains(&new.name) || hard_dependency_restarts {
            restart.insert(&new.name);
            plan.restarted.push(new.name.clone());
        } else if old.configuration != new.configuration || old.access_control != new.access_control
        {
            plan.reconfigured.push(new.name.clone());
        } else {
            plan.unchanged.push(new.name.clone());
        }
    }
    for old in running.iter().rev() {
        let kept = desired.iter().any(|c| c.name == old.name);
        if !kept {
            plan.removed.push(old.name.clone());
        }
        if !kept || restart.contains(old.name.as_str()) {
            plan.stop.push(old.name.clone());
        }
    }
    plan.start = plan.added.iter().chain(&plan.restarted).cloned().collect();
    plan
}

/// A new version, lifecycle (scripts are interpolated, so a configuration value used in a script
/// counts), dependency set or directory means a restart.
fn needs_restart(old: &ResolvedComponent, new: &ResolvedComponent) -> bool {
    old.version != new.version
        || old.lifecycle != new.lifecycle
        || old.dependencies != new.dependencies
        || old.artifacts_path != new.artifacts_path
        || old.work_path != new.work_path
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deployment::recipe::{Recipe, RecipeFormat};
    use crate::deployment::{ResolvedLifecycle, ResolvedStep};
    use semver::Version;
    use serde_json::json;
    use std::collections::BTreeMap;
    use std::path::Path;
    use std::sync::Arc;

    fn component(name: &str, version: &str, script: &str, deps: &[&str]) -> ResolvedComponent {
        let recipe = Recipe::parse(
            &format!(
                "RecipeFormatVersion: 2020-01-25\nComponentName: {name}\n\
                 ComponentVersion: {version}\nManifests: []\n"
            ),
            RecipeFormat::Yaml,
            Path::new("r.yaml"),
        )
        .unwrap();
        ResolvedComponent {
            name: name.into(),
            version: Version::parse(version).unwrap(),
            recipe: Arc::new(recipe),
            configuration: json!({}),
            lifecycle: ResolvedLifecycle {
                run: Some(ResolvedStep {
                    script: script.into(),
                    ..ResolvedStep::default()
                }),
                ..ResolvedLifecycle::default()
            },
            artifacts_path: format!("/a/{name}/{version}").into(),
            decompressed_path: format!("/d/{name}/{version}").into(),
            work_path: format!("/w/{name}").into(),
            dependencies: deps
                .iter()
                .map(|d| ((*d).to_owned(), DependencyType::Hard))
                .collect::<BTreeMap<_, _>>(),
            access_control: json!({}),
            is_root: true,
        }
    }

    #[test]
    fn new_components_start_and_removed_ones_stop_in_reverse_order() {
        let a = component("a", "1.0.0", "x", &[]);
        let b = component("b", "1.0.0", "x", &["a"]);
        let p = plan(&[], &[a.clone(), b.clone()], &BTreeSet::new());
        assert_eq!(p.added, ["a", "b"]);
        let p = plan(&[&a, &b], &[], &BTreeSet::new());
        assert_eq!(p.stop, ["b", "a"]);
        assert_eq!(p.removed, ["b", "a"]);
    }

    #[test]
    fn a_new_version_or_script_restarts() {
        let a = component("a", "1.0.0", "x", &[]);
        let p = plan(
            &[&a],
            &[component("a", "1.0.1", "x", &[])],
            &BTreeSet::new(),
        );
        assert_eq!(p.restarted, ["a"]);
        assert_eq!(p.stop, ["a"]);
        let p = plan(
            &[&a],
            &[component("a", "1.0.0", "y", &[])],
            &BTreeSet::new(),
        );
        assert_eq!(p.restarted, ["a"]);
    }

    #[test]
    fn a_configuration_only_change_keeps_the_component_running() {
        let a = component("a", "1.0.0", "x", &[]);
        let mut a2 = a.clone();
        a2.configuration = json!({"level": "high"});
        let p = plan(&[&a], &[a2], &BTreeSet::new());
        assert_eq!(p.reconfigured, ["a"]);
        assert!(p.stop.is_empty() && p.start.is_empty());
    }

    #[test]
    fn restarting_a_dependency_restarts_its_hard_dependents() {
        let a = component("a", "1.0.0", "x", &[]);
        let b = component("b", "1.0.0", "x", &["a"]);
        let c = component("c", "1.0.0", "x", &[]);
        let desired = [component("a", "2.0.0", "x", &[]), b.clone(), c.clone()];
        let p = plan(&[&a, &b, &c], &desired, &BTreeSet::new());
        assert_eq!(p.restarted, ["a", "b"]);
        assert_eq!(p.stop, ["b", "a"]);
        assert_eq!(p.unchanged, ["c"]);
    }

    #[test]
    fn a_broken_component_is_restarted_by_a_redeployment() {
        let a = component("a", "1.0.0", "x", &[]);
        let p = plan(
            &[&a],
            std::slice::from_ref(&a),
            &BTreeSet::from(["a".to_owned()]),
        );
        assert_eq!(p.restarted, ["a"]);
    }
}
