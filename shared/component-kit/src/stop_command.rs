//! `<component binary> --stop`: what the recipes' `Shutdown` step runs.
//!
//! The Java nucleus gives a component's process 5 s between SIGTERM and SIGKILL, and that is not
//! configurable (style guide §8). It runs the `Shutdown` step first, bounded by the step's own
//! `Timeout`. So the step sends SIGTERM itself and waits for the process to exit: a component
//! that needs longer than 5 s to stop cleanly (the uploader finishing a batch in flight) gets the
//! recipe's `Timeout` instead. The running process is found through a pid file in the work
//! folder, which is the working directory of every lifecycle step.

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The command-line flag that selects stop mode.
pub const STOP_FLAG: &str = "--stop";
/// File in the work folder holding the running component's process id.
pub const PID_FILE: &str = "component.pid";
/// How often the stopper looks whether the process is gone.
const POLL: Duration = Duration::from_millis(50);
/// Extra time beyond the component's own shutdown grace before the stopper gives up.
const WAIT_MARGIN: Duration = Duration::from_secs(1);

/// The pid file of the component whose work folder is `work_dir`.
pub fn pid_file(work_dir: &Path) -> PathBuf {
    work_dir.join(PID_FILE)
}

/// Records this process as the running component; removed again when the guard drops.
#[derive(Debug)]
pub(crate) struct PidFileGuard {
    path: PathBuf,
}

impl PidFileGuard {
    /// Writes the pid file. A failure is logged, not fatal: only the longer stop depends on it.
    pub(crate) fn write(work_dir: &Path) -> Option<Self> {
        let path = pid_file(work_dir);
        match std::fs::write(&path, std::process::id().to_string()) {
            Ok(()) => Some(Self { path }),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e,
                    "Could not write the pid file; the recipe's Shutdown step will find nothing to stop.");
                None
            }
        }
    }
}

impl Drop for PidFileGuard {
    fn drop(&mut self) {
        // Only our own pid: a newer process may already have replaced the file.
        let ours = std::fs::read_to_string(&self.path)
            .is_ok_and(|text| text.trim() == std::process::id().to_string());
        if ours {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// What `--stop` found and did.
#[derive(Debug, PartialEq, Eq)]
pub enum StopOutcome {
    /// No pid file: nothing of ours is running here.
    NotRunning,
    /// The pid file names a process that is gone or is another program (a reused pid).
    Stale(u32),
    /// SIGTERM sent and the process exited within the wait.
    Stopped(u32),
    /// SIGTERM sent but the process was still running when the wait ended.
    StillRunning(u32),
}

/// Sends SIGTERM to the component running from `work_dir` and waits up to `wait` for it to exit.
/// Only a process running the same executable as `exe` is signalled, so a stale pid file cannot
/// hit an unrelated process.
pub fn stop(work_dir: &Path, exe: &Path, wait: Duration) -> Result<StopOutcome, String> {
    let path = pid_file(work_dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(StopOutcome::NotRunning),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let pid: u32 = text
        .trim()
        .parse()
        .map_err(|_| format!("{} does not hold a process id: {text:?}", path.display()))?;
    // `/proc/<pid>/exe` is the resolved path; resolve ours once, not on every poll.
    let exe = exe.canonicalize().unwrap_or_else(|_| exe.to_path_buf());
    let exe = exe.as_path();
    if !runs_executable(pid, exe) {
        return Ok(StopOutcome::Stale(pid));
    }
    let target = Pid::from_raw(i32::try_from(pid).map_err(|_| format!("pid {pid} out of range"))?);
    if let Err(e) = kill(target, Signal::SIGTERM) {
        return match e {
            nix::errno::Errno::ESRCH => Ok(StopOutcome::Stale(pid)),
            e => Err(format!("cannot signal process {pid}: {e}")),
        };
    }
    let deadline = Instant::now() + wait;
    while Instant::now() < deadline {
        if !runs_executable(pid, exe) {
            return Ok(StopOutcome::Stopped(pid));
        }
        std::thread::sleep(POLL);
    }
    Ok(StopOutcome::StillRunning(pid))
}

/// Whether `pid` is a live process running `exe`. An exited process that its parent has not
/// reaped yet (a zombie) has no readable executable link, so it counts as gone.
fn runs_executable(pid: u32, exe: &Path) -> bool {
    std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|running| running == exe)
}

/// Stop mode of a component binary: stops the instance running from the current directory and
/// reports in one line what happened. Waits for the component's shutdown grace plus a margin.
pub(crate) fn run_stop(component: &str, grace: Duration) -> std::process::ExitCode {
    let outcome = std::env::current_dir()
        .map_err(|e| format!("no working directory: {e}"))
        .and_then(|dir| {
            let exe = std::env::current_exe().map_err(|e| format!("no executable path: {e}"))?;
            stop(&dir, &exe, grace + WAIT_MARGIN)
        });
    match outcome {
        Ok(StopOutcome::NotRunning) => println!("{component}: not running here (no {PID_FILE})."),
        Ok(StopOutcome::Stale(pid)) => {
            println!("{component}: process {pid} from {PID_FILE} is not running; nothing to stop.");
        }
        Ok(StopOutcome::Stopped(pid)) => println!("{component}: process {pid} stopped."),
        Ok(StopOutcome::StillRunning(pid)) => {
            println!(
                "{component}: process {pid} still running after {grace:?} + margin; leaving it to the nucleus."
            );
        }
        Err(e) => {
            eprintln!("{component}: --stop failed: {e}");
            return std::process::ExitCode::FAILURE;
        }
    }
    std::process::ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn sleep_exe() -> PathBuf {
        PathBuf::from("/bin/sleep").canonicalize().expect("sleep")
    }

    /// A running `sleep 30` whose pid is in `dir`'s pid file.
    fn sleeper_recorded_in(dir: &Path) -> std::process::Child {
        let child = Command::new(sleep_exe())
            .arg("30")
            .spawn()
            .expect("spawn sleep");
        std::fs::write(pid_file(dir), child.id().to_string()).expect("write");
        child
    }

    #[test]
    fn no_pid_file_means_not_running() {
        let dir = tempfile::tempdir().expect("tempdir");
        let outcome = stop(dir.path(), &sleep_exe(), Duration::from_secs(1)).expect("stop");
        assert_eq!(outcome, StopOutcome::NotRunning);
    }

    #[test]
    fn a_pid_of_another_program_is_stale_and_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut child = sleeper_recorded_in(dir.path());
        // Our "executable" is not sleep, so the sleeping process must not be signalled.
        let not_sleep = PathBuf::from("/bin/sh").canonicalize().expect("sh");
        let outcome = stop(dir.path(), &not_sleep, Duration::from_secs(1)).expect("stop");
        assert_eq!(outcome, StopOutcome::Stale(child.id()));
        assert!(
            child.try_wait().expect("try_wait").is_none(),
            "sleep must still run"
        );
        child.kill().expect("kill");
        let _ = child.wait();
    }

    #[test]
    fn the_running_process_gets_sigterm_and_its_exit_is_awaited() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut child = sleeper_recorded_in(dir.path());
        // Reap the child as soon as it exits, as the nucleus would.
        let pid = child.id();
        let reaper = std::thread::spawn(move || child.wait().expect("wait"));
        let outcome = stop(dir.path(), &sleep_exe(), Duration::from_secs(10)).expect("stop");
        assert_eq!(outcome, StopOutcome::Stopped(pid));
        let status = reaper.join().expect("reaper");
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(15), "ended by SIGTERM");
    }

    #[test]
    fn garbage_in_the_pid_file_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(pid_file(dir.path()), "not a pid").expect("write");
        let err = stop(dir.path(), &sleep_exe(), Duration::from_secs(1)).unwrap_err();
        assert!(err.contains(PID_FILE), "{err}");
    }

    #[test]
    fn the_guard_writes_our_pid_and_removes_only_its_own_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let guard = PidFileGuard::write(dir.path()).expect("guard");
        let text = std::fs::read_to_string(pid_file(dir.path())).expect("read");
        assert_eq!(text, std::process::id().to_string());
        drop(guard);
        assert!(!pid_file(dir.path()).exists());

        let guard = PidFileGuard::write(dir.path()).expect("guard");
        std::fs::write(pid_file(dir.path()), "1").expect("a newer process took over");
        drop(guard);
        assert!(
            pid_file(dir.path()).exists(),
            "someone else's pid file stays"
        );
    }
}
