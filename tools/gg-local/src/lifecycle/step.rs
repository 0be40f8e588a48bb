//! Running a step that must finish (Install, Shutdown, Recover), with its timeout and `Skipif`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::env;
use super::process::{self, Launch, StepProcess};
use crate::deployment::recipe_lifecycle::SkipIf;
use crate::deployment::{ResolvedStep, StepKind};

/// The nucleus's default step timeouts. `Run` has none.
pub(crate) fn default_timeout(kind: StepKind) -> Option<Duration> {
    match kind {
        StepKind::Install | StepKind::Startup => Some(Duration::from_secs(120)),
        StepKind::Shutdown => Some(Duration::from_secs(15)),
        StepKind::Recover => Some(Duration::from_secs(60)),
        StepKind::Run => None,
    }
}

/// Where and how a component's steps run.
#[derive(Debug)]
pub(crate) struct StepRunner {
    pub(crate) component: String,
    pub(crate) work_path: PathBuf,
    pub(crate) log_path: PathBuf,
    /// The component's environment before each step's `Setenv`.
    pub(crate) env: BTreeMap<String, String>,
    /// Between SIGTERM and SIGKILL when a step is cut short.
    pub(crate) grace: Duration,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum StepOutcome {
    Succeeded,
    Skipped,
    Failed(String),
    Cancelled,
}

impl StepRunner {
    /// Starts a step's script.
    pub(crate) fn spawn(
        &self,
        kind: StepKind,
        step: &ResolvedStep,
    ) -> std::io::Result<StepProcess> {
        if step.requires_privilege {
            tracing::debug!(component = %self.component, step = %kind,
                "RequiresPrivilege ignored: gg-local runs every step as the current user.");
        }
        let env = env::step_env(&self.env, &step.env);
        StepProcess::spawn(&Launch {
            component: &self.component,
            step: kind,
            script: &step.script,
            cwd: &self.work_path,
            env: &env,
            log: &self.log_path,
        })
    }

    /// Whether `Skipif` says to skip the step.
    pub(crate) async fn should_skip(&self, step: &ResolvedStep) -> bool {
        match &step.skip_if {
            None => false,
            Some(SkipIf::Exists(path)) => {
                let path = self.work_path.join(path);
                tokio::fs::try_exists(path).await.unwrap_or(false)
            }
            Some(SkipIf::OnPath(program)) => {
                let env = env::step_env(&self.env, &step.env);
                let path = env.get("PATH").cloned().unwrap_or_default();
                on_path(program, &path).await
            }
        }
    }

    /// Runs a step to its end, cutting it short on timeout or cancellation.
    pub(crate) async fn run_to_completion(
        &self,
        kind: StepKind,
        step: &ResolvedStep,
        cancel: &CancellationToken,
    ) -> StepOutcome {
        if self.should_skip(step).await {
            return StepOutcome::Skipped;
        }
        let mut process = match self.spawn(kind, step) {
            Ok(process) => process,
            Err(error) => return StepOutcome::Failed(format!("{kind} could not start: {error}")),
        };
        let timeout = step.timeout.or(default_timeout(kind));
        let has_timeout = timeout.is_some();
        let deadline = tokio::time::sleep(timeout.unwrap_or_default());
        tokio::pin!(deadline);
        tokio::select! {
            biased;
            () = cancel.cancelled() => {
                process.terminate(self.grace).await;
                StepOutcome::Cancelled
            }
            status = process.wait() => match status {
                Ok(status) if status.success() => StepOutcome::Succeeded,
                Ok(status) => {
                    StepOutcome::Failed(format!("{kind} failed with {}", process::describe(status)))
                }
                Err(error) => StepOutcome::Failed(format!("waiting for {kind} failed: {error}")),
            },
            () = &mut deadline, if has_timeout => {
                process.terminate(self.grace).await;
                StepOutcome::Failed(format!("{kind} timed out after {}", seconds(timeout)))
            }
        }
    }
}

/// `12s`, `0.5s`: timeouts in reasons.
pub(crate) fn seconds(duration: Option<Duration>) -> String {
    duration.map_or_else(
        || "no limit".to_owned(),
        |d| format!("{}s", d.as_secs_f64()),
    )
}

async fn on_path(program: &str, path: &str) -> bool {
    if program.contains('/') {
        return tokio::fs::try_exists(program).await.unwrap_or(false);
    }
    for dir in path.split(':').filter(|d| !d.is_empty()) {
        if tokio::fs::try_exists(Path::new(dir).join(program))
            .await
            .unwrap_or(false)
        {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runner(dir: &Path) -> StepRunner {
        StepRunner {
            component: "c".into(),
            work_path: dir.to_owned(),
            log_path: dir.join("c.log"),
            env: BTreeMap::from([("PATH".to_owned(), "/usr/bin:/bin".to_owned())]),
            grace: Duration::from_millis(200),
        }
    }

    fn step(script: &str) -> ResolvedStep {
        ResolvedStep {
            script: script.into(),
            ..ResolvedStep::default()
        }
    }

    #[tokio::test]
    async fn a_step_that_exits_zero_succeeds_and_non_zero_fails() {
        let dir = tempfile::tempdir().unwrap();
        let r = runner(dir.path());
        let cancel = CancellationToken::new();
        assert_eq!(
            r.run_to_completion(StepKind::Install, &step("true"), &cancel)
                .await,
            StepOutcome::Succeeded
        );
        assert_eq!(
            r.run_to_completion(StepKind::Install, &step("exit 4"), &cancel)
                .await,
            StepOutcome::Failed("Install failed with exit code 4".into())
        );
    }

    #[tokio::test]
    async fn a_step_past_its_timeout_is_killed_and_fails() {
        let dir = tempfile::tempdir().unwrap();
        let r = runner(dir.path());
        let mut s = step("sleep 30");
        s.timeout = Some(Duration::from_millis(100));
        let outcome = tokio::time::timeout(
            Duration::from_secs(10),
            r.run_to_completion(StepKind::Install, &s, &CancellationToken::new()),
        )
        .await
        .unwrap();
        assert_eq!(
            outcome,
            StepOutcome::Failed("Install timed out after 0.1s".into())
        );
    }

    #[tokio::test]
    async fn skipif_skips_when_the_program_is_on_the_path_or_the_file_exists() {
        let dir = tempfile::tempdir().unwrap();
        let r = runner(dir.path());
        let cancel = CancellationToken::new();
        let mut s = step("exit 1");
        s.skip_if = Some(SkipIf::OnPath("sh".into()));
        assert_eq!(
            r.run_to_completion(StepKind::Install, &s, &cancel).await,
            StepOutcome::Skipped
        );
        s.skip_if = Some(SkipIf::OnPath("no-such-program-here".into()));
        assert!(matches!(
            r.run_to_completion(StepKind::Install, &s, &cancel).await,
            StepOutcome::Failed(_)
        ));
        std::fs::write(dir.path().join("marker"), "").unwrap();
        s.skip_if = Some(SkipIf::Exists("marker".into()));
        assert_eq!(
            r.run_to_completion(StepKind::Install, &s, &cancel).await,
            StepOutcome::Skipped
        );
    }
}
