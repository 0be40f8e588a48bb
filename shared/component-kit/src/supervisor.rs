//! The harness's loop: applies configurations (start, restart, keep the last good one), reports
//! the state to the nucleus, and stops `run` on shutdown within the grace period.

use crate::component::Component;
use crate::config::{ConfigError, Parsed, from_value, normalized, split};
use crate::ctx::Ctx;
use crate::error::{Exit, HarnessError};
use crate::last_good;
use crate::logging::LogHandle;
use crate::metrics::{Counter, Metrics, names};
use crate::settings::KitSettings;
use ggipc::model::{ConfigurationUpdateEvents, ReportedState};
use ggipc::{IpcClient, Subscription};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Longest wait between retries of a failed IPC call.
const MAX_RETRY: Duration = Duration::from_secs(5);
/// First wait before retrying a failed IPC call.
const FIRST_RETRY: Duration = Duration::from_millis(100);

/// Everything the loop needs, fixed for the process's lifetime.
pub(crate) struct Setup<C> {
    pub(crate) component: Arc<C>,
    pub(crate) ipc: IpcClient,
    pub(crate) metrics: Metrics,
    pub(crate) work_dir: PathBuf,
    pub(crate) thing_name: Arc<str>,
    pub(crate) log: LogHandle,
    pub(crate) metrics_interval: watch::Sender<Option<Duration>>,
    pub(crate) root: CancellationToken,
    pub(crate) grace: Duration,
    pub(crate) debounce: Duration,
}

struct Running {
    token: CancellationToken,
    handle: JoinHandle<anyhow::Result<()>>,
    tracker: TaskTracker,
    /// The component's part of the configuration this run uses.
    value: Value,
}

/// How stopping a run went.
enum Stopped {
    InTime,
    Abandoned,
}

pub(crate) struct Supervisor<C: Component> {
    setup: Setup<C>,
    running: Option<Running>,
    reported: Option<ReportedState>,
    /// The last configuration rejected, so one bad configuration is logged once.
    rejected: Option<Value>,
    kit: Option<KitSettings>,
    config_errors: Counter,
    config_applied: Counter,
}

impl<C: Component> Supervisor<C> {
    pub(crate) fn new(setup: Setup<C>) -> Self {
        let config_errors = setup.metrics.counter(names::CONFIG_ERRORS_TOTAL);
        let config_applied = setup.metrics.counter(names::CONFIG_APPLIED_TOTAL);
        Self {
            setup,
            running: None,
            reported: None,
            rejected: None,
            kit: None,
            config_errors,
            config_applied,
        }
    }

    /// Reads the configuration (retrying), applies it, then follows updates until shutdown or a
    /// fatal error of `run`.
    pub(crate) async fn serve(
        mut self,
        updates: Subscription<ConfigurationUpdateEvents>,
    ) -> Result<Exit, HarnessError> {
        let mut updates = Some(updates);
        let Some(value) = self.read_config_until_ok().await else {
            return Ok(Exit::Stopped);
        };
        self.apply(&value).await?;
        let mut reload_at: Option<Instant> = None;
        let mut resubscribe_at: Option<Instant> = None;
        let mut backoff = FIRST_RETRY;
        let mut reconnects = self.setup.ipc.reconnects();
        loop {
            tokio::select! {
                biased;
                () = self.setup.root.cancelled() => return self.shutdown().await,
                joined = wait_run(&mut self.running) => return self.run_ended(joined).await,
                // Updates sent while the socket was down are lost: read the configuration again.
                Ok(()) = reconnects.changed() => {
                    tracing::info!("Reconnected to the nucleus; reading the configuration again.");
                    reload_at.get_or_insert_with(|| Instant::now() + self.setup.debounce);
                }
                event = next_event(&mut updates) => match event {
                    Some(Ok(ev)) => {
                        tracing::debug!(key_path = ?ev.configuration_update_event.map(|e| e.key_path), "Configuration changed.");
                        reload_at.get_or_insert_with(|| Instant::now() + self.setup.debounce);
                    }
                    Some(Err(e)) => {
                        tracing::warn!(error = %e, "Configuration update stream failed; resubscribing.");
                        updates = None;
                        resubscribe_at = Some(Instant::now() + FIRST_RETRY);
                    }
                    None => {
                        tracing::warn!("Configuration update stream ended; resubscribing.");
                        updates = None;
                        resubscribe_at = Some(Instant::now() + FIRST_RETRY);
                    }
                },
                () = sleep_until(resubscribe_at) => {
                    let subscribe = self.setup.ipc.subscribe_to_configuration_update(None, &[]);
                    // On shutdown, drop the call: the next turn of the loop stops the component.
                    let Some(result) = self.setup.root.run_until_cancelled(subscribe).await else {
                        continue;
                    };
                    match result {
                        Ok(sub) => {
                            tracing::info!("Resubscribed to configuration updates.");
                            updates = Some(sub);
                            resubscribe_at = None;
                            backoff = FIRST_RETRY;
                            // Updates may have been missed meanwhile.
                            reload_at = Some(Instant::now());
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "Could not resubscribe to configuration updates.");
                            resubscribe_at = Some(Instant::now() + backoff);
                            backoff = (backoff * 2).min(MAX_RETRY);
                        }
                    }
                }
                () = sleep_until(reload_at) => {
                    reload_at = None;
                    let read = self.setup.ipc.get_configuration(None, &[]);
                    let Some(result) = self.setup.root.run_until_cancelled(read).await else {
                        continue;
                    };
                    match result {
                        Ok(resp) => self.apply(&resp.value).await?,
                        Err(e) => {
                            tracing::warn!(error = %e, "Could not read the updated configuration; retrying.");
                            reload_at = Some(Instant::now() + MAX_RETRY);
                        }
                    }
                }
            }
        }
    }

    /// GetConfiguration with backoff until it works; `None` if shutdown came first.
    async fn read_config_until_ok(&self) -> Option<Value> {
        let mut backoff = FIRST_RETRY;
        loop {
            tokio::select! {
                biased;
                () = self.setup.root.cancelled() => return None,
                resp = self.setup.ipc.get_configuration(None, &[]) => match resp {
                    Ok(resp) => return Some(resp.value),
                    Err(e) => {
                        tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "Could not read the configuration.");
                    }
                },
            }
            tokio::select! {
                biased;
                () = self.setup.root.cancelled() => return None,
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(MAX_RETRY);
        }
    }

    /// Applies a configuration read from the nucleus.
    async fn apply(&mut self, value: &Value) -> Result<(), HarnessError> {
        let (kit_value, component_value) = split(value);
        let component_value = normalized(&component_value);
        let kit = KitSettings::from_value(&kit_value);
        if let Ok(kit) = &kit {
            self.apply_kit(kit);
        }
        let checked = kit.and_then(|_| {
            let parsed: Parsed<C::Config> = from_value(&component_value)?;
            let validated = C::validate(parsed.config)?;
            Ok((parsed.unknown_keys, validated))
        });
        match checked {
            Err(e) => {
                self.reject(value, &e);
                // ERRORED makes the nucleus restart the process and, the third time, mark it
                // BROKEN: collection would stop. So while a good configuration runs (or one was
                // saved), keep collecting and say so in the log and the ConfigErrors metric;
                // report ERRORED only when there is nothing good to run.
                if self.running.is_none() && !self.run_last_good().await? {
                    self.report(ReportedState::Errored).await;
                }
            }
            Ok((unknown_keys, validated)) => {
                self.rejected = None;
                let unchanged = self
                    .running
                    .as_ref()
                    .is_some_and(|r| r.value == component_value);
                if !unchanged {
                    for key in &unknown_keys {
                        tracing::warn!(key = %key, "Ignoring an unknown configuration key.");
                    }
                    self.restart(validated, component_value).await?;
                    last_good::save(&self.setup.work_dir, value);
                }
                if self.running.is_some() {
                    self.report(ReportedState::Running).await;
                }
            }
        }
        Ok(())
    }

    /// Starts the configuration saved by an earlier run, if it still validates.
    async fn run_last_good(&mut self) -> Result<bool, HarnessError> {
        let Some(saved) = last_good::load(&self.setup.work_dir) else {
            return Ok(false);
        };
        let (_, component_value) = split(&saved);
        let component_value = normalized(&component_value);
        let checked = from_value::<C::Config>(&component_value).and_then(|p| C::validate(p.config));
        let Ok(validated) = checked else {
            return Ok(false);
        };
        tracing::warn!(
            "Running the last good configuration saved by an earlier run until a valid one arrives."
        );
        self.restart(validated, component_value).await?;
        if self.running.is_some() {
            self.report(ReportedState::Running).await;
        }
        Ok(self.running.is_some())
    }

    fn apply_kit(&mut self, kit: &KitSettings) {
        if self.kit.as_ref() == Some(kit) {
            return;
        }
        self.setup.log.apply(kit.log_filter());
        self.setup.metrics_interval.send_if_modified(|current| {
            let changed = *current != kit.metrics_interval();
            *current = kit.metrics_interval();
            changed
        });
        self.kit = Some(kit.clone());
    }

    fn reject(&mut self, value: &Value, e: &ConfigError) {
        if self.rejected.as_ref() == Some(value) {
            return;
        }
        self.rejected = Some(value.clone());
        self.config_errors.inc();
        let action = if self.running.is_some() {
            "keeping the last good configuration"
        } else {
            "waiting for a valid configuration"
        };
        tracing::error!(key = %e.path(), "{e}; {action}.");
    }

    /// Stops the current run (if any) and starts one with `validated`.
    async fn restart(&mut self, validated: C::Validated, value: Value) -> Result<(), HarnessError> {
        if let Some(running) = self.running.take() {
            tracing::info!("Configuration changed; restarting the component.");
            if let Err(e) = self.stop(running).await {
                return Err(self.fail(e).await);
            }
        }
        if self.setup.root.is_cancelled() {
            return Ok(());
        }
        self.config_applied.inc();
        let ctx = Ctx::new(
            self.setup.ipc.clone(),
            self.setup.metrics.clone(),
            self.setup.work_dir.clone(),
            self.setup.thing_name.clone(),
            C::NAME,
        );
        let tracker = ctx.tracker().clone();
        let token = self.setup.root.child_token();
        let component = self.setup.component.clone();
        let run_token = token.clone();
        let handle = tokio::spawn(async move { component.run(validated, ctx, run_token).await });
        tracing::info!("Component started.");
        self.running = Some(Running {
            token,
            handle,
            tracker,
            value,
        });
        Ok(())
    }

    /// Cancels a run and waits for it and its tracked tasks, within the grace period.
    async fn stop(&self, running: Running) -> Result<Stopped, HarnessError> {
        let Running {
            token,
            mut handle,
            tracker,
            ..
        } = running;
        token.cancel();
        let deadline = Instant::now() + self.setup.grace;
        let joined = tokio::time::timeout_at(deadline, &mut handle).await;
        tracker.close();
        match joined {
            Err(_) => {
                handle.abort();
                tracing::warn!(
                    grace_ms = self.setup.grace.as_millis() as u64,
                    "The component did not stop within the grace period; abandoning it."
                );
                return Ok(Stopped::Abandoned);
            }
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => return Err(HarnessError::Component(e)),
            Ok(Err(e)) => return Err(HarnessError::from_join(e)),
        }
        if tokio::time::timeout_at(deadline, tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                tasks = tracker.len(),
                "Background tasks did not stop within the grace period; abandoning them."
            );
            return Ok(Stopped::Abandoned);
        }
        Ok(Stopped::InTime)
    }

    async fn shutdown(&mut self) -> Result<Exit, HarnessError> {
        let Some(running) = self.running.take() else {
            return Ok(Exit::Stopped);
        };
        match self.stop(running).await {
            Ok(Stopped::InTime) => {
                tracing::info!("Component stopped.");
                Ok(Exit::Stopped)
            }
            Ok(Stopped::Abandoned) => Ok(Exit::GraceExpired),
            Err(e) => {
                tracing::error!("{e}");
                Err(e)
            }
        }
    }

    /// `run` returned without being asked to.
    async fn run_ended(
        &mut self,
        joined: Result<anyhow::Result<()>, tokio::task::JoinError>,
    ) -> Result<Exit, HarnessError> {
        let tracker = self.running.take().map(|r| r.tracker);
        let error = match joined {
            Ok(Ok(())) => {
                if let Some(tracker) = tracker {
                    tracker.close();
                    if tokio::time::timeout(self.setup.grace, tracker.wait())
                        .await
                        .is_err()
                    {
                        tracing::warn!("Background tasks did not stop within the grace period.");
                    }
                }
                tracing::info!("Component finished.");
                return Ok(Exit::Finished);
            }
            Ok(Err(e)) => HarnessError::Component(e),
            Err(e) => HarnessError::from_join(e),
        };
        Err(self.fail(error).await)
    }

    /// Logs a fatal error and reports ERRORED; the caller exits non-zero.
    async fn fail(&mut self, error: HarnessError) -> HarnessError {
        tracing::error!("{error}");
        self.report(ReportedState::Errored).await;
        error
    }

    async fn report(&mut self, state: ReportedState) {
        if self.reported == Some(state) {
            return;
        }
        match self.setup.ipc.update_state(state).await {
            Ok(()) => {
                tracing::debug!(state = ?state, "Reported the component state.");
                self.reported = Some(state);
            }
            Err(e) => {
                tracing::warn!(state = ?state, error = %e, "Could not report the component state.")
            }
        }
    }
}

async fn wait_run(
    running: &mut Option<Running>,
) -> Result<anyhow::Result<()>, tokio::task::JoinError> {
    match running {
        Some(r) => (&mut r.handle).await,
        None => std::future::pending().await,
    }
}

async fn next_event(
    updates: &mut Option<Subscription<ConfigurationUpdateEvents>>,
) -> Option<Result<ConfigurationUpdateEvents, ggipc::IpcError>> {
    match updates {
        Some(sub) => sub.next().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
