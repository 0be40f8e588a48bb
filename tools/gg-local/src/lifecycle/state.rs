//! Component states, named as the nucleus names them.

use std::collections::BTreeMap;
use std::fmt;

/// The lifecycle state of one component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComponentState {
    New,
    Installed,
    Starting,
    Running,
    Stopping,
    Finished,
    Errored,
    Broken,
}

impl ComponentState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "NEW",
            Self::Installed => "INSTALLED",
            Self::Starting => "STARTING",
            Self::Running => "RUNNING",
            Self::Stopping => "STOPPING",
            Self::Finished => "FINISHED",
            Self::Errored => "ERRORED",
            Self::Broken => "BROKEN",
        }
    }

    /// Whether a component that depends on this one may start.
    pub fn satisfies_dependents(self) -> bool {
        matches!(self, Self::Running | Self::Finished)
    }

    /// Whether the component has stopped changing on its own: a deployment is done with it.
    pub fn is_settled(self) -> bool {
        matches!(self, Self::Running | Self::Finished | Self::Broken)
    }
}

impl fmt::Display for ComponentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The states a component may report through IPC `UpdateState`: the IPC model's own type, so
/// that the IPC side forwards it unchanged.
pub use ggipc::model::ReportedState;

/// Every deployed component's state, by name.
pub type StateMap = BTreeMap<String, ComponentState>;
