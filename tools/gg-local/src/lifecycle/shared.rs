//! What every component runner shares with the supervisor: settings, the state map, the
//! runtime log.

use tokio::sync::watch;

use super::config::SupervisorConfig;
use super::logs::RuntimeLog;
use super::state::{ComponentState, StateMap};

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: SupervisorConfig,
    pub(crate) states: watch::Sender<StateMap>,
    runtime_log: RuntimeLog,
}

impl Shared {
    pub(crate) fn new(config: SupervisorConfig) -> Self {
        let runtime_log = RuntimeLog::new(config.runtime_log());
        Self {
            config,
            states: watch::Sender::new(StateMap::new()),
            runtime_log,
        }
    }

    /// Records a state change in the map and in `greengrass.log`, with an optional reason.
    pub(crate) async fn set_state(
        &self,
        component: &str,
        state: ComponentState,
        reason: Option<&str>,
    ) {
        // Only this component's runner writes its state, so reading first does not race.
        let previous = self.states.borrow().get(component).copied();
        if previous == Some(state) {
            return;
        }
        let from = previous.map_or("(none)", ComponentState::as_str);
        let mut message = format!("service-set-state. {from} -> {state}");
        if let Some(reason) = reason {
            message.push_str(": ");
            message.push_str(reason);
        }
        let level = match state {
            ComponentState::Errored => "WARN",
            ComponentState::Broken => "ERROR",
            _ => "INFO",
        };
        match state {
            ComponentState::Broken => {
                tracing::error!(component, %state, reason, "Component state changed.")
            }
            ComponentState::Errored => {
                tracing::warn!(component, %state, reason, "Component state changed.")
            }
            _ => tracing::info!(component, %state, reason, "Component state changed."),
        }
        // Logged before it is published, so that whoever sees the state also finds the line.
        self.runtime_log.write(level, component, &message).await;
        self.states.send_modify(|map| {
            map.insert(component.to_owned(), state);
        });
    }

    /// Writes a line about `component` to `greengrass.log` without a state change.
    pub(crate) async fn note(&self, level: &str, component: &str, message: &str) {
        self.runtime_log.write(level, component, message).await;
    }

    /// Drops a stopped component from the state map.
    pub(crate) async fn remove(&self, component: &str) {
        let present = self.states.borrow().contains_key(component);
        if present {
            self.runtime_log
                .write("INFO", component, "service-removed.")
                .await;
            self.states.send_modify(|map| {
                map.remove(component);
            });
        }
    }
}
