//! How the supervisor runs components: directories, environment and failure timing.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Returns the per-component environment (the IPC side's `SVCUID`,
/// `AWS_CONTAINER_AUTHORIZATION_TOKEN`, socket path...). Called once each time a component
/// is started or restarted by a deployment.
pub type EnvHook = Arc<dyn Fn(&str) -> BTreeMap<String, String> + Send + Sync>;

/// Supervisor settings. `new` gives the nucleus's timings; tests shorten them.
#[derive(Clone)]
pub struct SupervisorConfig {
    /// The runtime root: logs go to `<root>/logs`.
    pub root_dir: PathBuf,
    /// Variables every component gets (`AWS_REGION`, `AWS_IOT_THING_NAME`, ...). Beyond these,
    /// the hook's and the recipe's, a process inherits only PATH, HOME, LANG and RUST_LOG.
    pub base_env: BTreeMap<String, String>,
    /// Per-component variables, layered over `base_env`.
    pub env_hook: EnvHook,
    /// Wait between an error and the restart.
    pub restart_backoff: Duration,
    /// Errors in a row that make a component BROKEN.
    pub max_errors: u32,
    /// A component RUNNING at least this long before an error starts a fresh error count.
    pub stable_after: Duration,
    /// Between SIGTERM and SIGKILL when stopping, unless the recipe's Shutdown step sets a
    /// `Timeout`, which then applies to both the Shutdown script and this wait.
    pub stop_timeout: Duration,
}

impl SupervisorConfig {
    pub fn new(root_dir: &Path) -> Self {
        Self {
            root_dir: root_dir.to_owned(),
            base_env: BTreeMap::new(),
            env_hook: Arc::new(|_| BTreeMap::new()),
            restart_backoff: Duration::from_secs(1),
            max_errors: 3,
            stable_after: Duration::from_secs(60),
            stop_timeout: Duration::from_secs(15),
        }
    }

    pub fn logs_dir(&self) -> PathBuf {
        self.root_dir.join("logs")
    }

    /// `<root>/logs/<component>.log`.
    pub fn component_log(&self, component: &str) -> PathBuf {
        self.logs_dir().join(format!("{component}.log"))
    }

    /// `<root>/logs/greengrass.log`: the runtime's own log of state changes.
    pub fn runtime_log(&self) -> PathBuf {
        self.logs_dir().join("greengrass.log")
    }
}

impl fmt::Debug for SupervisorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SupervisorConfig")
            .field("root_dir", &self.root_dir)
            .field("base_env", &self.base_env.keys().collect::<Vec<_>>())
            .field("restart_backoff", &self.restart_backoff)
            .field("max_errors", &self.max_errors)
            .field("stable_after", &self.stable_after)
            .field("stop_timeout", &self.stop_timeout)
            .finish_non_exhaustive()
    }
}
