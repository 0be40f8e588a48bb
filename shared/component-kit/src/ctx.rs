//! What a running component gets from the kit besides its configuration.

use crate::metrics::Metrics;
use ggipc::IpcClient;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_util::task::TaskTracker;

/// Handles for one call of [`crate::Component::run`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Ctx {
    ipc: IpcClient,
    metrics: Metrics,
    work_dir: Arc<Path>,
    thing_name: Arc<str>,
    component: &'static str,
    tracker: TaskTracker,
}

impl Ctx {
    /// Assembles a context; the harness does this, tests of a component's `run` may too.
    pub fn new(
        ipc: IpcClient,
        metrics: Metrics,
        work_dir: PathBuf,
        thing_name: impl Into<Arc<str>>,
        component: &'static str,
    ) -> Self {
        Self {
            ipc,
            metrics,
            work_dir: Arc::from(work_dir),
            thing_name: thing_name.into(),
            component,
            tracker: TaskTracker::new(),
        }
    }

    /// The IPC client (shared connection).
    pub fn ipc(&self) -> &IpcClient {
        &self.ipc
    }

    /// The component's metrics registry (kept across configuration restarts).
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The component's work directory (the process's working directory under the nucleus).
    pub fn work_dir(&self) -> &Path {
        &self.work_dir
    }

    /// The core device's thing name (`AWS_IOT_THING_NAME`).
    pub fn thing_name(&self) -> &str {
        &self.thing_name
    }

    /// The Greengrass component name.
    pub fn component(&self) -> &'static str {
        self.component
    }

    /// Spawn background tasks here (`ctx.tracker().spawn(...)`), each watching the shutdown
    /// token: after `run` returns, the kit waits for them (within the shutdown grace period).
    pub fn tracker(&self) -> &TaskTracker {
        &self.tracker
    }
}
