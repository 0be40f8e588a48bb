//! Everything gg-local decides before it starts a process: recipes, the recipe store, deployment
//! documents, configuration merging, recipe variables, and the resolution of a deployment into an
//! ordered list of components ready to run.

mod fields;

pub mod config_merge;
pub mod document;
pub mod interpolate;
pub mod platform;
pub mod pointer;
pub mod recipe;
pub mod recipe_lifecycle;
pub mod resolve;
pub mod resolved;
pub mod store;
pub mod version_req;

pub use document::{ComponentSpec, ConfigurationUpdate, DeploymentDocument, DocumentError};
pub use platform::{HostPlatform, Platform};
pub use recipe::{DependencyType, Recipe, RecipeError, RecipeFormat};
pub use resolve::{ResolveContext, ResolveError, resolve};
pub use resolved::{ResolvedComponent, ResolvedLifecycle, ResolvedStep, StepKind};
pub use store::{RecipeStore, StoreError};
pub use version_req::VersionRequirement;
