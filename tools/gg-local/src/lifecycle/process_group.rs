//! Signalling a process group and telling whether any member still runs.

use nix::errno::Errno;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// Sends `signal` to the group; false when the group no longer exists.
pub(crate) fn signal(group: Pid, signal: Signal) -> bool {
    match killpg(group, signal) {
        Ok(()) => true,
        Err(Errno::ESRCH) => false,
        Err(error) => {
            tracing::warn!(%error, %group, ?signal, "Signalling process group failed.");
            true
        }
    }
}

/// Whether any member of the group is still running.
///
/// `kill(0)` alone is not enough: an orphaned child is re-parented to PID 1, and in a container
/// PID 1 often never reaps, so the dead child stays a zombie and the group looks alive until the
/// stop timeout. On Linux, zombies are ruled out through /proc.
pub(crate) async fn has_live_members(group: Pid) -> bool {
    if matches!(killpg(group, None), Err(Errno::ESRCH)) {
        return false;
    }
    let scan = tokio::task::spawn_blocking(move || live_member_in_proc(group.as_raw()));
    // If /proc cannot be read, trust kill(0).
    scan.await.ok().flatten().unwrap_or(true)
}

/// `Some(true)` if /proc lists a non-zombie process in `group`, `None` without /proc.
fn live_member_in_proc(group: i32) -> Option<bool> {
    let entries = std::fs::read_dir("/proc").ok()?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        // The process may exit between listing and reading: skip it.
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        if let Some((state, pgrp)) = parse_stat(&stat)
            && pgrp == group
            && state != 'Z'
            && state != 'X'
        {
            return Some(true);
        }
    }
    Some(false)
}

/// State and process group from `/proc/<pid>/stat`: `pid (comm) S ppid pgrp ...`. The command
/// name may itself contain spaces and parentheses, so fields are counted from the last `)`.
fn parse_stat(stat: &str) -> Option<(char, i32)> {
    let after_comm = stat.get(stat.rfind(')')? + 1..)?;
    let mut fields = after_comm.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let _ppid = fields.next()?;
    let pgrp = fields.next()?.parse().ok()?;
    Some((state, pgrp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_with_odd_command_names_parse() {
        assert_eq!(parse_stat("42 (sh) S 1 42 42 0"), Some(('S', 42)));
        assert_eq!(parse_stat("7 (a) b (c) Z 1 9 9"), Some(('Z', 9)));
        assert_eq!(parse_stat("garbage"), None);
    }
}
