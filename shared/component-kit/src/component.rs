//! The contract between a component and the kit.

use crate::config::ConfigError;
use crate::ctx::Ctx;
use serde::de::DeserializeOwned;
use std::future::Future;
use tokio_util::sync::CancellationToken;

/// A Greengrass component run by the kit ([`crate::main`] or [`crate::run`]).
///
/// The kit loads and validates the configuration, reports the state to the nucleus, and calls
/// [`run`](Component::run) with each valid configuration. On a configuration change it cancels
/// `shutdown`, waits for `run` to return and calls it again with the new configuration: a
/// component never handles updates itself.
pub trait Component: Send + Sync + 'static {
    /// The Greengrass component name (`com.example.ModbusAdapter`). Tags every log line and
    /// metric.
    const NAME: &'static str;

    /// Run with one glibc malloc arena ([`crate::malloc_arenas`]): less memory for a component
    /// whose threads all allocate, at the cost of a shared allocator lock.
    const ONE_MALLOC_ARENA: bool = false;

    /// The configuration as deserialized (`#[serde(default, rename_all = "camelCase")]`, numbers
    /// through [`crate::lenient`]). The top-level keys `logLevel`, `metricsIntervalMs` and
    /// `accessControl` belong to the kit and the nucleus and are not passed to it.
    type Config: DeserializeOwned + Default + Clone + Send + Sync + 'static;

    /// The configuration after [`validate`](Component::validate) (often `Self::Config` itself).
    type Validated: Send + 'static;

    /// Checks ranges and cross-field rules and builds the validated form. Pure: no I/O, no
    /// `.await`. An error names the key ([`ConfigError::new`]`("devices.plc1.port", "...")`).
    fn validate(config: Self::Config) -> Result<Self::Validated, ConfigError>;

    /// Does the work until `shutdown` is cancelled, then stops taking input, flushes and returns
    /// `Ok(())`. An `Err` is fatal: the kit reports `ERRORED` and exits non-zero, so the nucleus
    /// restarts the component. Transient failures should be retried inside `run`.
    fn run(
        &self,
        config: Self::Validated,
        ctx: Ctx,
        shutdown: CancellationToken,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}
