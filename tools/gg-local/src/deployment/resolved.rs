//! The output of resolution: components ready to run, with everything decided.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use semver::Version;
use serde_json::Value;

use super::recipe::{DependencyType, Recipe};
use super::recipe_lifecycle::SkipIf;

/// One component of a deployment, ready for the supervisor.
#[derive(Debug, Clone)]
pub struct ResolvedComponent {
    pub name: String,
    pub version: Version,
    pub recipe: Arc<Recipe>,
    /// The merged configuration (not interpolated, as with `interpolateComponentConfiguration`
    /// off on the nucleus).
    pub configuration: Value,
    /// The selected manifest's lifecycle (or the global one), `Setenv` merged, interpolated.
    pub lifecycle: ResolvedLifecycle,
    /// `<artifacts_dir>/<name>/<version>`.
    pub artifacts_path: PathBuf,
    /// `<decompressed_dir>/<name>/<version>`.
    pub decompressed_path: PathBuf,
    /// `<root>/work/<name>`; the cwd of every lifecycle step.
    pub work_path: PathBuf,
    /// Direct dependencies and their types.
    pub dependencies: BTreeMap<String, DependencyType>,
    /// `accessControl` from the merged configuration with `{iot:thingName}` interpolated; an
    /// empty object when the configuration has none.
    pub access_control: Value,
    /// Whether the deployment document named this component (its `configurationUpdate` applied).
    pub is_root: bool,
}

/// The steps gg-local runs, in the form the supervisor needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolvedLifecycle {
    pub install: Option<ResolvedStep>,
    pub startup: Option<ResolvedStep>,
    pub run: Option<ResolvedStep>,
    pub shutdown: Option<ResolvedStep>,
    pub recover: Option<ResolvedStep>,
}

impl ResolvedLifecycle {
    pub fn step(&self, kind: StepKind) -> Option<&ResolvedStep> {
        match kind {
            StepKind::Install => self.install.as_ref(),
            StepKind::Startup => self.startup.as_ref(),
            StepKind::Run => self.run.as_ref(),
            StepKind::Shutdown => self.shutdown.as_ref(),
            StepKind::Recover => self.recover.as_ref(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolvedStep {
    /// Interpolated; run with `sh -c`.
    pub script: String,
    /// The recipe's `Timeout`; `None` means the step's default.
    pub timeout: Option<Duration>,
    /// `Lifecycle.Setenv` overridden by the step's `Setenv`, interpolated.
    pub env: BTreeMap<String, String>,
    pub requires_privilege: bool,
    /// Interpolated.
    pub skip_if: Option<SkipIf>,
}

/// The lifecycle steps gg-local runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StepKind {
    Install,
    Startup,
    Run,
    Shutdown,
    Recover,
}

impl StepKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Install => "Install",
            Self::Startup => "Startup",
            Self::Run => "Run",
            Self::Shutdown => "Shutdown",
            Self::Recover => "Recover",
        }
    }
}

impl fmt::Display for StepKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
