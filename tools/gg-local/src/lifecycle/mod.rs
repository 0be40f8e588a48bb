//! Running components' lifecycles as the nucleus does: Install, Startup or Run, Shutdown,
//! Recover; states, timeouts, restarts and BROKEN; logs per component.

mod env;
mod logs;
mod plan;
mod process;
mod process_group;
mod runner;
mod shared;
mod step;

pub mod config;
pub mod state;
pub mod supervisor;

pub use config::{EnvHook, SupervisorConfig};
pub use state::{ComponentState, ReportedState, StateMap};
pub use supervisor::{ApplyReport, Supervisor, SupervisorError};
