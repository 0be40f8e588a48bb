//! The component kit: everything a Greengrass component shares except its own work.
//! Configuration from GetConfiguration and its updates (lenient numbers, unknown keys warned,
//! errors naming the key), UpdateState, SIGTERM shutdown within the grace period, tracing in
//! one line per event, and metrics published to CloudWatch through `aws.greengrass.Cloudwatch`.
//!
//! Every component binary also answers `--stop`, which the recipes' `Shutdown` step runs to stop
//! the running instance within the step's `Timeout` ([`stop_command`]).
//!
//! A component implements [`Component`] and hands it to [`main`]:
//!
//! ```no_run
//! use component_kit::{Component, ConfigError, Ctx, lenient};
//! use serde::Deserialize;
//! use tokio_util::sync::CancellationToken;
//!
//! /// The sensor's configuration (recipe `DefaultConfiguration`).
//! #[derive(Debug, Clone, Deserialize)]
//! #[serde(default, rename_all = "camelCase")]
//! struct SensorConfig {
//!     /// Poll period in milliseconds (default 1000, at least 10).
//!     #[serde(deserialize_with = "lenient::u64")]
//!     poll_interval_ms: u64,
//! }
//!
//! impl Default for SensorConfig {
//!     fn default() -> Self {
//!         Self { poll_interval_ms: 1000 }
//!     }
//! }
//!
//! struct Sensor;
//!
//! impl Component for Sensor {
//!     const NAME: &'static str = "com.example.Sensor";
//!     type Config = SensorConfig;
//!     type Validated = SensorConfig;
//!
//!     fn validate(config: SensorConfig) -> Result<SensorConfig, ConfigError> {
//!         if config.poll_interval_ms < 10 {
//!             return Err(ConfigError::new("pollIntervalMs", "must be at least 10"));
//!         }
//!         Ok(config)
//!     }
//!
//!     async fn run(&self, config: SensorConfig, ctx: Ctx, shutdown: CancellationToken) -> anyhow::Result<()> {
//!         let polled = ctx.metrics().counter(component_kit::metrics::names::RECEIVED_TOTAL);
//!         let mut tick = tokio::time::interval(std::time::Duration::from_millis(config.poll_interval_ms));
//!         loop {
//!             tokio::select! {
//!                 biased;
//!                 () = shutdown.cancelled() => return Ok(()),
//!                 _ = tick.tick() => polled.inc(),
//!             }
//!         }
//!     }
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     component_kit::main(Sensor)
//! }
//! ```
#![warn(missing_docs)]

pub mod backoff;
pub mod cloudwatch;
mod command_line;
mod component;
pub mod config;
mod ctx;
mod error;
pub mod footprint;
pub mod glob;
mod harness;
mod last_good;
pub mod lenient;
pub mod logging;
pub mod malloc_arenas;
pub mod metrics;
pub mod outlet;
pub mod process_stats;
pub mod settings;
mod signals;
pub mod stop_command;
mod supervisor;
mod validation;

pub use backoff::Backoff;
pub use cloudwatch::{CLOUDWATCH_METRIC_TOPIC, METRIC_NAMESPACE};
pub use component::Component;
pub use config::ConfigError;
pub use ctx::Ctx;
pub use error::{Exit, HarnessError};
pub use glob::Glob;
pub use harness::{
    DEFAULT_SHUTDOWN_GRACE, DEFAULT_UPDATE_DEBOUNCE, Harness, SHUTDOWN_GRACE_ENV, main, run,
};
pub use metrics::{Counter, Gauge, Metrics, Unit};
pub use outlet::{ChannelOutlet, IpcOutlet, Outlet};
pub use settings::KitSettings;
pub use signals::shutdown_signal;
pub use tokio_util::sync::CancellationToken;
