//! One component's lifecycle, as a task: install, wait for dependencies, start, watch, recover,
//! and stop when cancelled. The state machine follows the nucleus's `Lifecycle.java`.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::env;
use super::process::{self, StepProcess};
use super::shared::Shared;
use super::state::{ComponentState, ReportedState};
use super::step::{self, StepOutcome, StepRunner};
use crate::deployment::{DependencyType, ResolvedComponent, ResolvedStep, StepKind};

/// How the active part of a lifecycle ended.
#[derive(Debug)]
enum Exit {
    /// Cancelled: stop, cleaning up the process if there is one.
    Stop(Option<StepProcess>),
    Failed {
        reason: String,
        process: Option<StepProcess>,
    },
}

enum AfterFailure {
    Retry,
    Broken,
    Stop,
}

#[derive(Debug)]
pub(crate) struct Runner {
    component: Arc<ResolvedComponent>,
    shared: Arc<Shared>,
    steps: StepRunner,
    reports: mpsc::Receiver<ReportedState>,
    reports_open: bool,
    cancel: CancellationToken,
    state: ComponentState,
    /// Errors since the last successful run.
    errors: u32,
    running_since: Option<Instant>,
}

impl Runner {
    pub(crate) fn new(
        component: Arc<ResolvedComponent>,
        shared: Arc<Shared>,
        reports: mpsc::Receiver<ReportedState>,
        cancel: CancellationToken,
    ) -> Self {
        let config = &shared.config;
        let per_component = (config.env_hook)(&component.name);
        let steps = StepRunner {
            component: component.name.clone(),
            work_path: component.work_path.clone(),
            log_path: config.component_log(&component.name),
            env: env::component_env(&config.base_env, per_component),
            grace: component
                .lifecycle
                .shutdown
                .as_ref()
                .and_then(|s| s.timeout)
                .unwrap_or(config.stop_timeout),
        };
        Self {
            component,
            shared,
            steps,
            reports,
            reports_open: true,
            cancel,
            state: ComponentState::New,
            errors: 0,
            running_since: None,
        }
    }

    pub(crate) async fn run(mut self) {
        self.set(ComponentState::New, None).await;
        if let Err(error) = tokio::fs::create_dir_all(&self.component.work_path).await {
            let reason = format!(
                "cannot create work directory {}: {error}",
                self.component.work_path.display()
            );
            self.set(ComponentState::Broken, Some(&reason)).await;
            self.cancel.cancelled().await;
            return;
        }
        let mut installed = false;
        loop {
            let exit = if installed {
                match self.wait_for_dependencies().await {
                    Ok(()) => self.start().await,
                    Err(exit) => exit,
                }
            } else {
                match self.install().await {
                    Ok(()) => {
                        installed = true;
                        continue;
                    }
                    Err(exit) => exit,
                }
            };
            match exit {
                Exit::Stop(process) => return self.stop(process).await,
                Exit::Failed { reason, process } => match self.fail(&reason, process).await {
                    AfterFailure::Retry => {}
                    AfterFailure::Stop => return self.stop(None).await,
                    // BROKEN stays down until a deployment replaces or removes it.
                    AfterFailure::Broken => return self.cancel.cancelled().await,
                },
            }
        }
    }

    async fn set(&mut self, state: ComponentState, reason: Option<&str>) {
        self.state = state;
        self.shared
            .set_state(&self.component.name, state, reason)
            .await;
    }

    async fn install(&mut self) -> Result<(), Exit> {
        let component = Arc::clone(&self.component);
        if let Some(install) = &component.lifecycle.install {
            match self
                .steps
                .run_to_completion(StepKind::Install, install, &self.cancel)
                .await
            {
                StepOutcome::Succeeded | StepOutcome::Skipped => {}
                StepOutcome::Failed(reason) => {
                    return Err(Exit::Failed {
                        reason,
                        process: None,
                    });
                }
                StepOutcome::Cancelled => return Err(Exit::Stop(None)),
            }
        }
        self.set(ComponentState::Installed, None).await;
        Ok(())
    }

    /// Waits until every HARD dependency is RUNNING or FINISHED.
    async fn wait_for_dependencies(&mut self) -> Result<(), Exit> {
        let hard: Vec<String> = self
            .component
            .dependencies
            .iter()
            .filter(|(_, kind)| **kind == DependencyType::Hard)
            .map(|(name, _)| name.clone())
            .collect();
        if hard.is_empty() {
            return Ok(());
        }
        let ready = |map: &super::state::StateMap| {
            hard.iter()
                .all(|d| map.get(d).is_some_and(|s| s.satisfies_dependents()))
        };
        let mut states = self.shared.states.subscribe();
        if !ready(&states.borrow_and_update()) {
            let message = format!("waiting for dependencies: {}", hard.join(", "));
            self.shared
                .note("INFO", &self.component.name, &message)
                .await;
        }
        let ok = tokio::select! {
            biased;
            () = self.cancel.cancelled() => false,
            result = states.wait_for(ready) => result.is_ok(),
        };
        if ok { Ok(()) } else { Err(Exit::Stop(None)) }
    }

    async fn start(&mut self) -> Exit {
        let component = Arc::clone(&self.component);
        let lifecycle = &component.lifecycle;
        if let Some(startup) = &lifecycle.startup {
            self.startup(startup).await
        } else if let Some(run) = &lifecycle.run {
            self.run_step(run).await
        } else {
            // Nothing to start: done once installed, as the nucleus reports it.
            self.set(ComponentState::Finished, None).await;
            self.idle(None).await
        }
    }

    /// Startup: STARTING until the script exits 0 or the component reports RUNNING.
    async fn startup(&mut self, startup: &ResolvedStep) -> Exit {
        if self.steps.should_skip(startup).await {
            self.mark_running().await;
            return self.idle(None).await;
        }
        self.set(ComponentState::Starting, None).await;
        let mut process = match self.steps.spawn(StepKind::Startup, startup) {
            Ok(process) => process,
            Err(error) => return failed(format!("Startup could not start: {error}"), None),
        };
        let timeout = startup.timeout.or(step::default_timeout(StepKind::Startup));
        let deadline = tokio::time::sleep(timeout.unwrap_or_default());
        tokio::pin!(deadline);
        let mut exited = false;
        loop {
            tokio::select! {
                biased;
                () = self.cancel.cancelled() => return Exit::Stop(Some(process)),
                report = self.reports.recv(), if self.reports_open => match report {
                    Some(ReportedState::Running) => {
                        if self.state == ComponentState::Starting {
                            self.mark_running().await;
                        }
                    }
                    Some(ReportedState::Errored) => {
                        return failed("the component reported ERRORED".into(), Some(process));
                    }
                    None => self.reports_open = false,
                },
                status = process.wait(), if !exited => match status {
                    Ok(status) if status.success() => {
                        // A Startup script may start a daemon and exit; the daemon lives on in
                        // the process group, which a stop still reaches.
                        exited = true;
                        if self.state == ComponentState::Starting {
                            self.mark_running().await;
                        }
                    }
                    Ok(status) => {
                        let reason = format!("Startup failed with {}", process::describe(status));
                        return failed(reason, Some(process));
                    }
                    Err(error) => {
                        return failed(format!("waiting for Startup failed: {error}"), Some(process));
                    }
                },
                () = &mut deadline, if self.state == ComponentState::Starting && timeout.is_some() => {
                    let reason = format!(
                        "Startup did not exit 0 or report RUNNING within {}",
                        step::seconds(timeout)
                    );
                    return failed(reason, Some(process));
                }
            }
        }
    }

    /// Run: RUNNING as soon as it starts; exit 0 gives FINISHED, anything else ERRORED.
    async fn run_step(&mut self, run: &ResolvedStep) -> Exit {
        if self.steps.should_skip(run).await {
            self.set(ComponentState::Finished, Some("Run skipped (Skipif)"))
                .await;
            return self.idle(None).await;
        }
        let mut process = match self.steps.spawn(StepKind::Run, run) {
            Ok(process) => process,
            Err(error) => return failed(format!("Run could not start: {error}"), None),
        };
        self.mark_running().await;
        let deadline = tokio::time::sleep(run.timeout.unwrap_or_default());
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                biased;
                () = self.cancel.cancelled() => return Exit::Stop(Some(process)),
                report = self.reports.recv(), if self.reports_open => match report {
                    Some(ReportedState::Errored) => {
                        return failed("the component reported ERRORED".into(), Some(process));
                    }
                    Some(ReportedState::Running) => {}
                    None => self.reports_open = false,
                },
                status = process.wait() => match status {
                    Ok(status) if status.success() => {
                        self.errors = 0;
                        self.running_since = None;
                        self.set(ComponentState::Finished, None).await;
                        return self.idle(Some(process)).await;
                    }
                    Ok(status) => {
                        let reason = format!("Run failed with {}", process::describe(status));
                        return failed(reason, Some(process));
                    }
                    Err(error) => {
                        return failed(format!("waiting for Run failed: {error}"), Some(process));
                    }
                },
                () = &mut deadline, if run.timeout.is_some() => {
                    let reason = format!("Run did not finish within {}", step::seconds(run.timeout));
                    return failed(reason, Some(process));
                }
            }
        }
    }

    async fn mark_running(&mut self) {
        self.running_since = Some(Instant::now());
        self.set(ComponentState::Running, None).await;
    }

    /// Nothing left to supervise; wait for a stop, or an ERRORED report while RUNNING.
    async fn idle(&mut self, process: Option<StepProcess>) -> Exit {
        loop {
            tokio::select! {
                biased;
                () = self.cancel.cancelled() => return Exit::Stop(process),
                report = self.reports.recv(), if self.reports_open => match report {
                    Some(ReportedState::Errored) if self.state == ComponentState::Running => {
                        return failed("the component reported ERRORED".into(), process);
                    }
                    Some(_) => {}
                    None => self.reports_open = false,
                },
            }
        }
    }

    /// ERRORED: clean up, count, then BROKEN or back off, Recover, and retry.
    async fn fail(&mut self, reason: &str, process: Option<StepProcess>) -> AfterFailure {
        self.set(ComponentState::Errored, Some(reason)).await;
        if let Some(process) = process {
            process.terminate(self.steps.grace).await;
        }
        let stable_after = self.shared.config.stable_after;
        if self
            .running_since
            .take()
            .is_some_and(|since| since.elapsed() >= stable_after)
        {
            self.errors = 0;
        }
        self.errors += 1;
        let max_errors = self.shared.config.max_errors;
        if self.errors >= max_errors {
            let reason = format!(
                "failed {} times in a row; not restarting until the next deployment (last \
                 error: {reason})",
                self.errors
            );
            self.set(ComponentState::Broken, Some(&reason)).await;
            return AfterFailure::Broken;
        }
        let backoff = self.shared.config.restart_backoff;
        if !self.sleep_unless_cancelled(backoff).await {
            return AfterFailure::Stop;
        }
        let component = Arc::clone(&self.component);
        if let Some(recover) = &component.lifecycle.recover {
            match self
                .steps
                .run_to_completion(StepKind::Recover, recover, &self.cancel)
                .await
            {
                StepOutcome::Succeeded | StepOutcome::Skipped => {}
                StepOutcome::Failed(reason) => {
                    self.shared
                        .note("WARN", &component.name, &format!("Recover: {reason}"))
                        .await;
                }
                StepOutcome::Cancelled => return AfterFailure::Stop,
            }
        }
        AfterFailure::Retry
    }

    async fn sleep_unless_cancelled(&self, duration: Duration) -> bool {
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => false,
            () = tokio::time::sleep(duration) => true,
        }
    }

    /// STOPPING: Shutdown script, then SIGTERM, the grace period, SIGKILL. Ends FINISHED.
    async fn stop(mut self, process: Option<StepProcess>) {
        let started = matches!(
            self.state,
            ComponentState::Starting
                | ComponentState::Running
                | ComponentState::Finished
                | ComponentState::Errored
        );
        self.set(ComponentState::Stopping, None).await;
        let component = Arc::clone(&self.component);
        if started && let Some(shutdown) = &component.lifecycle.shutdown {
            // A fresh token: the stop itself was the cancellation, and Shutdown must run.
            let outcome = self
                .steps
                .run_to_completion(StepKind::Shutdown, shutdown, &CancellationToken::new())
                .await;
            if let StepOutcome::Failed(reason) = outcome {
                self.shared
                    .note("WARN", &component.name, &format!("Shutdown: {reason}"))
                    .await;
            }
        }
        if let Some(process) = process {
            process.terminate(self.steps.grace).await;
        }
        self.set(ComponentState::Finished, None).await;
    }
}

fn failed(reason: String, process: Option<StepProcess>) -> Exit {
    Exit::Failed { reason, process }
}
