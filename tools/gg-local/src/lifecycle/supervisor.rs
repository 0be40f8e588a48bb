//! The supervisor: applies deployments to running components and answers state questions.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::config::SupervisorConfig;
use super::plan;
use super::runner::Runner;
use super::shared::Shared;
use super::state::{ComponentState, ReportedState, StateMap};
use crate::deployment::ResolvedComponent;

/// Reports a component may queue before `report_state` waits.
const REPORT_QUEUE: usize = 16;

/// Runs the lifecycles of every deployed component. Cheap to clone; all clones drive the same
/// components.
#[derive(Debug, Clone)]
pub struct Supervisor {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    shared: Arc<Shared>,
    table: Mutex<Table>,
    /// One deployment (or shutdown, or restart) at a time.
    apply_lock: tokio::sync::Mutex<()>,
}

#[derive(Debug, Default)]
struct Table {
    entries: BTreeMap<String, Entry>,
    /// Start order of the current deployment.
    order: Vec<String>,
}

#[derive(Debug)]
struct Entry {
    component: Arc<ResolvedComponent>,
    reports: mpsc::Sender<ReportedState>,
    cancel: CancellationToken,
    task: JoinHandle<()>,
}

/// What `apply` did, by component name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyReport {
    pub started: Vec<String>,
    pub stopped: Vec<String>,
    pub restarted: Vec<String>,
    /// Only the configuration changed: still running, and due a configuration-update event.
    pub reconfigured: Vec<String>,
    pub unchanged: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SupervisorError {
    #[error("component {0} is not deployed")]
    UnknownComponent(String),
    #[error("component {0} has {REPORT_QUEUE} state reports queued already; report dropped")]
    ReportQueueFull(String),
    #[error("component {0} appears twice in the deployment")]
    DuplicateComponent(String),
    #[error("cannot create {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("components not settled after {timeout:?}: {pending}")]
    NotSettled { timeout: Duration, pending: String },
}

impl Supervisor {
    pub fn new(config: SupervisorConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                shared: Arc::new(Shared::new(config)),
                table: Mutex::new(Table::default()),
                apply_lock: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// Makes the running set match `components` (in dependency order, as `resolve` returns it):
    /// stops removed components (dependents first), restarts changed ones and their HARD
    /// dependents, starts new ones, and keeps components whose only change is configuration.
    /// Returns once processes are started; a component waits for its HARD dependencies to be
    /// RUNNING or FINISHED before it starts. Use `subscribe` or `wait_settled` to follow them.
    pub async fn apply(
        &self,
        components: Vec<ResolvedComponent>,
    ) -> Result<ApplyReport, SupervisorError> {
        let _one_at_a_time = self.inner.apply_lock.lock().await;
        let mut seen = BTreeSet::new();
        if let Some(dup) = components.iter().find(|c| !seen.insert(c.name.as_str())) {
            return Err(SupervisorError::DuplicateComponent(dup.name.clone()));
        }
        let logs = self.inner.shared.config.logs_dir();
        tokio::fs::create_dir_all(&logs)
            .await
            .map_err(|source| SupervisorError::Io {
                path: logs.display().to_string(),
                source,
            })?;

        let broken: BTreeSet<String> = self
            .states()
            .into_iter()
            .filter(|(_, s)| *s == ComponentState::Broken)
            .map(|(name, _)| name)
            .collect();
        let plan = {
            let table = self.table();
            let running: Vec<Arc<ResolvedComponent>> = table
                .order
                .iter()
                .filter_map(|n| table.entries.get(n).map(|e| Arc::clone(&e.component)))
                .collect();
            let running: Vec<&ResolvedComponent> = running.iter().map(Arc::as_ref).collect();
            plan::plan(&running, &components, &broken)
        };

        for name in &plan.stop {
            self.stop_one(name).await;
        }
        {
            let mut table = self.table();
            // Components that keep running get the new definition: a new configuration, or
            // only bookkeeping such as whether the document names them.
            for component in &components {
                if !plan.start.contains(&component.name)
                    && let Some(entry) = table.entries.get_mut(&component.name)
                {
                    entry.component = Arc::new(component.clone());
                }
            }
            table.order = components.iter().map(|c| c.name.clone()).collect();
        }
        for component in components {
            if plan.start.contains(&component.name) {
                self.start_one(component);
            }
        }
        Ok(ApplyReport {
            started: plan.added,
            stopped: plan.removed,
            restarted: plan.restarted,
            reconfigured: plan.reconfigured,
            unchanged: plan.unchanged,
        })
    }

    /// IPC `UpdateState` from a component: RUNNING ends STARTING; ERRORED counts as a failure.
    /// Does not wait: the report is queued for the component's runner.
    pub fn report_state(
        &self,
        component: &str,
        state: ReportedState,
    ) -> Result<(), SupervisorError> {
        let sender = self
            .table()
            .entries
            .get(component)
            .map(|e| e.reports.clone())
            .ok_or_else(|| SupervisorError::UnknownComponent(component.to_owned()))?;
        sender.try_send(state).map_err(|error| match error {
            mpsc::error::TrySendError::Full(_) => {
                SupervisorError::ReportQueueFull(component.to_owned())
            }
            mpsc::error::TrySendError::Closed(_) => {
                SupervisorError::UnknownComponent(component.to_owned())
            }
        })
    }

    /// Restarts one component with its current definition (greengrass-cli `restart`).
    pub async fn restart(&self, component: &str) -> Result<(), SupervisorError> {
        let _one_at_a_time = self.inner.apply_lock.lock().await;
        let current = self
            .table()
            .entries
            .get(component)
            .map(|e| Arc::clone(&e.component))
            .ok_or_else(|| SupervisorError::UnknownComponent(component.to_owned()))?;
        self.stop_one(component).await;
        self.start_one(current.as_ref().clone());
        Ok(())
    }

    /// A snapshot of every component's state.
    pub fn states(&self) -> StateMap {
        self.inner.shared.states.borrow().clone()
    }

    /// State changes, for status views. The value is the whole map after each change.
    pub fn subscribe(&self) -> watch::Receiver<StateMap> {
        self.inner.shared.states.subscribe()
    }

    /// The deployed definition of a component (configuration included).
    pub fn component(&self, name: &str) -> Option<Arc<ResolvedComponent>> {
        self.table()
            .entries
            .get(name)
            .map(|e| Arc::clone(&e.component))
    }

    /// Every deployed component, in start order.
    pub fn components(&self) -> Vec<Arc<ResolvedComponent>> {
        let table = self.table();
        table
            .order
            .iter()
            .filter_map(|n| table.entries.get(n).map(|e| Arc::clone(&e.component)))
            .collect()
    }

    /// Waits until every component is RUNNING, FINISHED or BROKEN.
    pub async fn wait_settled(&self, timeout: Duration) -> Result<StateMap, SupervisorError> {
        let mut rx = self.subscribe();
        let expected: Vec<String> = self.table().order.clone();
        let settled = |map: &StateMap| {
            expected
                .iter()
                .all(|n| map.get(n).is_some_and(|s| s.is_settled()))
        };
        match tokio::time::timeout(timeout, rx.wait_for(settled)).await {
            Ok(Ok(map)) => Ok(map.clone()),
            _ => {
                let states = self.states();
                let pending = expected
                    .iter()
                    .filter(|n| !states.get(*n).is_some_and(|s| s.is_settled()))
                    .map(|n| {
                        let state = states.get(n).map_or("(none)", |s| s.as_str());
                        format!("{n} {state}")
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                Err(SupervisorError::NotSettled { timeout, pending })
            }
        }
    }

    /// Stops every component, dependents first.
    pub async fn shutdown_all(&self) {
        let _one_at_a_time = self.inner.apply_lock.lock().await;
        let order: Vec<String> = self.table().order.iter().rev().cloned().collect();
        for name in &order {
            self.stop_one(name).await;
        }
        self.table().order.clear();
    }

    fn start_one(&self, component: ResolvedComponent) {
        let component = Arc::new(component);
        let (reports_tx, reports_rx) = mpsc::channel(REPORT_QUEUE);
        let cancel = CancellationToken::new();
        let runner = Runner::new(
            Arc::clone(&component),
            Arc::clone(&self.inner.shared),
            reports_rx,
            cancel.clone(),
        );
        let task = tokio::spawn(runner.run());
        self.table().entries.insert(
            component.name.clone(),
            Entry {
                component,
                reports: reports_tx,
                cancel,
                task,
            },
        );
    }

    /// Stops a component and waits for its runner to finish the stop.
    async fn stop_one(&self, name: &str) {
        let Some(entry) = self.table().entries.remove(name) else {
            return;
        };
        entry.cancel.cancel();
        if let Err(error) = entry.task.await {
            tracing::error!(component = name, %error, "Component runner ended abnormally.");
        }
        self.inner.shared.remove(name).await;
    }

    /// The table lock is only held for map operations, never across an await.
    fn table(&self) -> MutexGuard<'_, Table> {
        self.inner
            .table
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Inner {
    /// Without `shutdown_all`, runners would outlive the supervisor; cancelling lets each stop
    /// its processes as long as the runtime keeps running.
    fn drop(&mut self) {
        let table = self.table.get_mut().unwrap_or_else(PoisonError::into_inner);
        for entry in table.entries.values() {
            entry.cancel.cancel();
        }
    }
}
