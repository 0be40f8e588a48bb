//! The running runtime: applies deployments (resolve, authorize, configure, supervise) and
//! answers the CLI's control calls.

use crate::deployment::document::ComponentUpdateAction;
use crate::deployment::{
    DeploymentDocument, RecipeStore, ResolveContext, ResolvedComponent, resolve,
};
use crate::ipc_handler::{ControlPlane, Services, futures_lite::BoxedResult};
use crate::lifecycle::Supervisor;
use crate::services::authz::AccessControl;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// How long components may take to check a new configuration (the API's default).
const CONFIG_VALIDATION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Deployment state shared by the control plane and `run`.
pub struct Runtime {
    services: Arc<Services>,
    recipe_dirs: Vec<PathBuf>,
    ctx: ResolveContext,
    supervisor: Arc<Supervisor>,
    deployed: Mutex<BTreeMap<String, ResolvedComponent>>,
    deploy_lock: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("recipe_dirs", &self.recipe_dirs)
            .finish_non_exhaustive()
    }
}

fn deployment_id() -> String {
    let hex: String = (0..12)
        .map(|_| fastrand::alphanumeric().to_ascii_lowercase())
        .collect();
    format!("local-{hex}")
}

impl Runtime {
    /// A runtime with nothing deployed yet.
    pub fn new(
        services: Arc<Services>,
        recipe_dirs: Vec<PathBuf>,
        ctx: ResolveContext,
        supervisor: Arc<Supervisor>,
    ) -> Self {
        Self {
            services,
            recipe_dirs,
            ctx,
            supervisor,
            deployed: Mutex::default(),
            deploy_lock: tokio::sync::Mutex::new(()),
        }
    }

    /// The supervisor (for shutdown).
    pub fn supervisor(&self) -> &Arc<Supervisor> {
        &self.supervisor
    }

    /// Applies a deployment document: every component it names (plus dependencies) runs with
    /// its merged configuration; components it no longer names stop.
    pub async fn apply(&self, document: DeploymentDocument) -> anyhow::Result<Value> {
        let _one_at_a_time = self.deploy_lock.lock().await;
        let id = deployment_id();
        // Recipes are re-read on every deployment so a rebuilt component is picked up.
        let store = RecipeStore::load(&self.recipe_dirs)?;
        let current: BTreeMap<String, Value> = self
            .deployed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .filter_map(|name| Some((name.clone(), self.services.config.tree(name)?)))
            .collect();
        let resolved = resolve(&document, &store, &self.ctx, &current)?;
        // Running components may veto their new configuration before anything changes.
        let proposals: Vec<(String, Value)> = resolved
            .iter()
            .filter(|c| {
                current
                    .get(&c.name)
                    .is_some_and(|old| *old != c.configuration)
            })
            .map(|c| (c.name.clone(), c.configuration.clone()))
            .collect();
        if !proposals.is_empty() {
            self.services
                .validation
                .validate(&id, &proposals, CONFIG_VALIDATION_TIMEOUT)
                .await
                .map_err(|reason| anyhow::anyhow!("deployment {id} rejected: {reason}"))?;
        }
        let replaced = self.components_replaced(&resolved);
        let policy = document.policies.component_update;
        if !replaced.is_empty() && policy.action == ComponentUpdateAction::NotifyComponents {
            let timeout = policy.timeout;
            tracing::info!(deployment = %id, components = ?replaced, "Notifying components of the update.");
            let deferred = self.services.updates.negotiate(&id, timeout).await;
            tracing::info!(deployment = %id, deferred, "Update negotiation finished.");
        }
        for component in &resolved {
            self.services.registry.set_access_control(
                &component.name,
                AccessControl::from_config(&component.access_control),
            );
            self.services
                .config
                .replace(&component.name, component.configuration.clone());
        }
        let names: Vec<String> = resolved
            .iter()
            .map(|c| format!("{}={}", c.name, c.version))
            .collect();
        {
            let mut deployed = self.deployed.lock().unwrap_or_else(|p| p.into_inner());
            for gone in deployed
                .keys()
                .filter(|k| !resolved.iter().any(|c| &c.name == *k))
            {
                self.services.config.remove(gone);
            }
            *deployed = resolved
                .iter()
                .map(|c| (c.name.clone(), c.clone()))
                .collect();
        }
        let report = self.supervisor.apply(resolved).await?;
        if !replaced.is_empty() {
            self.services.updates.post_update(&id);
        }
        tracing::info!(deployment = %id, components = ?names, report = ?report, "Deployment applied.");
        Ok(json!({"deploymentId": id, "components": names}))
    }

    /// Running components whose version changes or that leave the deployment.
    fn components_replaced(&self, next: &[ResolvedComponent]) -> Vec<String> {
        let deployed = self.deployed.lock().unwrap_or_else(|p| p.into_inner());
        deployed
            .values()
            .filter(|old| {
                next.iter()
                    .find(|c| c.name == old.name)
                    .is_none_or(|c| c.version != old.version)
            })
            .map(|c| c.name.clone())
            .collect()
    }
}

impl Runtime {
    /// ListComponents: name, version, state and configuration of each deployed component.
    pub fn list_components(&self) -> Value {
        let states: BTreeMap<String, String> = self
            .supervisor
            .states()
            .into_iter()
            .map(|(name, state)| (name, state.to_string()))
            .collect();
        let deployed = self.deployed.lock().unwrap_or_else(|p| p.into_inner());
        let components: Vec<Value> = deployed
            .values()
            .map(|c| {
                json!({
                    "componentName": c.name,
                    "version": c.version.to_string(),
                    "state": states.get(&c.name).cloned().unwrap_or_else(|| "NEW".into()),
                    "configuration": self.services.config.tree(&c.name),
                })
            })
            .collect();
        json!({ "components": components })
    }
}

/// A cloneable handle that lets the IPC handler call [`Runtime::apply`].
#[derive(Debug, Clone)]
pub struct ControlHandle(pub Arc<Runtime>);

impl ControlPlane for ControlHandle {
    fn list_components(&self) -> Value {
        self.0.list_components()
    }

    fn deploy(&self, document: Value) -> BoxedResult {
        let runtime = self.0.clone();
        Box::pin(async move {
            let text = document.to_string();
            let doc = DeploymentDocument::parse(&text, std::path::Path::new("<cli deployment>"))
                .map_err(|e| e.to_string())?;
            runtime.apply(doc).await.map_err(|e| format!("{e:#}"))
        })
    }
}
