//! One lifecycle script as a process group: `sh -c <script>`, output copied to the component
//! log, and a stop that reaches every process the script started.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use nix::sys::signal::Signal;
use nix::unistd::Pid;
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

use super::logs::{self, Stream};
use super::process_group;
use crate::deployment::StepKind;

/// How long `wait` lets the output copiers catch up after the script exits, so that the log is
/// complete when the state changes. A background child that keeps the pipe open is not waited
/// for beyond this.
const OUTPUT_DRAIN: Duration = Duration::from_millis(500);
/// How often `terminate` checks whether the group is gone.
const GROUP_POLL: Duration = Duration::from_millis(20);
/// After SIGKILL the leader dies at once; this only bounds the wait if something is badly wrong.
const REAP_AFTER_KILL: Duration = Duration::from_secs(5);

/// What to run.
#[derive(Debug)]
pub(crate) struct Launch<'a> {
    pub(crate) component: &'a str,
    pub(crate) step: StepKind,
    pub(crate) script: &'a str,
    pub(crate) cwd: &'a Path,
    pub(crate) env: &'a BTreeMap<String, String>,
    pub(crate) log: &'a Path,
}

/// A running (or finished) script and its process group.
#[derive(Debug)]
pub(crate) struct StepProcess {
    child: Child,
    /// The group id: the leader's pid, as the script runs in a group of its own.
    group: Pid,
    status: Option<ExitStatus>,
    copiers: Vec<JoinHandle<()>>,
}

impl StepProcess {
    pub(crate) fn spawn(launch: &Launch<'_>) -> io::Result<Self> {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(launch.script)
            .current_dir(launch.cwd)
            .env_clear()
            .envs(launch.env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own group, so that a stop signals everything the script started.
            .process_group(0)
            .spawn()?;
        let group = child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .map(Pid::from_raw)
            .ok_or_else(|| io::Error::other("the new process has no pid"))?;
        let mut copiers = Vec::with_capacity(2);
        let log: PathBuf = launch.log.to_owned();
        let step = launch.step.as_str();
        if let Some(stdout) = child.stdout.take() {
            copiers.push(tokio::spawn(logs::copy_lines(
                stdout,
                log.clone(),
                launch.component.to_owned(),
                step,
                Stream::Stdout,
            )));
        }
        if let Some(stderr) = child.stderr.take() {
            copiers.push(tokio::spawn(logs::copy_lines(
                stderr,
                log,
                launch.component.to_owned(),
                step,
                Stream::Stderr,
            )));
        }
        Ok(Self {
            child,
            group,
            status: None,
            copiers,
        })
    }

    /// Waits for the script to exit. Cancel-safe, and returns the same status when called again.
    pub(crate) async fn wait(&mut self) -> io::Result<ExitStatus> {
        if let Some(status) = self.status {
            return Ok(status);
        }
        let status = self.child.wait().await?;
        self.status = Some(status);
        self.drain_output().await;
        Ok(status)
    }

    async fn drain_output(&mut self) {
        for copier in std::mem::take(&mut self.copiers) {
            // A copier still running after the drain time belongs to a background child; it
            // carries on detached and ends when the pipe closes.
            let _ = tokio::time::timeout(OUTPUT_DRAIN, copier).await;
        }
    }

    /// Stops the whole group: SIGTERM, up to `grace` for every member to exit, then SIGKILL.
    /// Also cleans up after a script that already exited but left children behind.
    pub(crate) async fn terminate(mut self, grace: Duration) -> Option<ExitStatus> {
        if !self.signal(Signal::SIGTERM) {
            return self.reap(REAP_AFTER_KILL).await;
        }
        let deadline = tokio::time::Instant::now() + grace;
        while tokio::time::Instant::now() < deadline {
            if self.status.is_none()
                && let Ok(Some(status)) = self.child.try_wait()
            {
                self.status = Some(status);
            }
            // A zombie leader still counts as a member, so only ask once it is reaped.
            if self.status.is_some() && !process_group::has_live_members(self.group).await {
                self.drain_output().await;
                return self.status;
            }
            tokio::time::sleep(GROUP_POLL).await;
        }
        tracing::warn!(group = %self.group, ?grace, "Process group ignored SIGTERM; sending SIGKILL.");
        self.signal(Signal::SIGKILL);
        self.reap(REAP_AFTER_KILL).await
    }

    async fn reap(&mut self, limit: Duration) -> Option<ExitStatus> {
        match tokio::time::timeout(limit, self.wait()).await {
            Ok(Ok(status)) => Some(status),
            _ => self.status,
        }
    }

    fn signal(&self, signal: Signal) -> bool {
        process_group::signal(self.group, signal)
    }
}

impl Drop for StepProcess {
    /// A dropped process (a runner task aborted, the runtime shutting down) must not leave
    /// components running. Once the leader is reaped its pid may be reused, so only a group
    /// whose leader we have not seen exit is killed here.
    fn drop(&mut self) {
        if self.status.is_none() {
            process_group::signal(self.group, Signal::SIGKILL);
        }
    }
}

/// `exit code 3`, `signal 9`: for state-change reasons.
pub(crate) fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(signal)) => format!("signal {signal}"),
        (None, None) => "an unknown status".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn launch<'a>(script: &'a str, dir: &'a Path, env: &'a BTreeMap<String, String>) -> Launch<'a> {
        Launch {
            component: "c",
            step: StepKind::Run,
            script,
            cwd: dir,
            env,
            log: Box::leak(dir.join("c.log").into_boxed_path()),
        }
    }

    #[tokio::test]
    async fn a_script_runs_in_its_work_directory_with_only_the_given_env() {
        let dir = tempfile::tempdir().unwrap();
        let env = BTreeMap::from([
            ("PATH".to_owned(), "/usr/bin:/bin".to_owned()),
            ("X".to_owned(), "1".to_owned()),
        ]);
        let script = "echo \"$PWD $X ${HOME:-nohome}\"; echo oops >&2; exit 3";
        let mut p = StepProcess::spawn(&launch(script, dir.path(), &env)).unwrap();
        let status = tokio::time::timeout(Duration::from_secs(10), p.wait())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(describe(status), "exit code 3");
        let log = std::fs::read_to_string(dir.path().join("c.log")).unwrap();
        let cwd = dir.path().canonicalize().unwrap();
        assert!(
            log.contains(&format!("stdout. {} 1 nohome", cwd.display())),
            "{log}"
        );
        assert!(log.contains("[WARN] (Run) c: stderr. oops"), "{log}");
    }

    #[tokio::test]
    async fn terminate_reaches_background_children_of_an_exited_script() {
        let dir = tempfile::tempdir().unwrap();
        let env = BTreeMap::from([("PATH".to_owned(), "/usr/bin:/bin".to_owned())]);
        let script = "sleep 30 >/dev/null 2>&1 & echo $! > child.pid";
        let mut p = StepProcess::spawn(&launch(script, dir.path(), &env)).unwrap();
        p.wait().await.unwrap();
        let pid: i32 = std::fs::read_to_string(dir.path().join("child.pid"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let start = std::time::Instant::now();
        tokio::time::timeout(Duration::from_secs(10), p.terminate(Duration::from_secs(5)))
            .await
            .unwrap();
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "sleep should die on SIGTERM"
        );
        // The orphan may linger as a zombie until init reaps it; it must not be running.
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        assert!(state.is_empty() || state.contains(") Z"), "{state}");
    }
}
