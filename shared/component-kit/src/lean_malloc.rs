//! glibc malloc settings for a lean process, for a component that sets
//! [`Component::LEAN_MALLOC`](crate::Component::LEAN_MALLOC):
//! - one arena instead of one per thread (up to 8 per core): every arena keeps its own
//!   high-water mark and free chunks; the StreamUploader's RSS with a 1 GB backlog was about
//!   4 MiB higher with an arena per thread (stream-uploader-bench, its README);
//! - fixed trim and mmap thresholds of 128 KiB: glibc raises both (up to 32 MiB) once a large
//!   block is freed, after which large blocks come from the heap between short-lived ones and
//!   what a burst of messages took stays resident. The FilterAggregator holding 100k points
//!   under gg-local: 22.4–22.8 MiB with them, 23.3–23.9 MiB without (three runs each).
//!
//! For I/O-bound work the shared arena's lock and the extra `mmap` calls for large blocks cost
//! nothing measurable.
//!
//! glibc reads these variables only when the process starts, and `mallopt` would need unsafe
//! code (forbidden in this workspace), so the process re-executes itself once with the missing
//! ones set. Same process id, same arguments and descriptors; the nucleus does not notice. A
//! value already in the environment (for example from the recipe's `Setenv`) is kept: set
//! `MALLOC_ARENA_MAX` higher to trade memory for allocation speed.

/// The variables and the values such a component runs with unless told otherwise.
pub const DEFAULTS: [(&str, &str); 3] = [
    ("MALLOC_ARENA_MAX", "1"),
    ("MALLOC_TRIM_THRESHOLD_", "131072"),
    ("MALLOC_MMAP_THRESHOLD_", "131072"),
];

/// The defaults the environment does not set yet.
fn missing() -> Vec<(&'static str, &'static str)> {
    DEFAULTS
        .into_iter()
        .filter(|(var, _)| std::env::var_os(var).is_none())
        .collect()
}

/// Re-executes the current program with the [`DEFAULTS`] the environment lacks. Returns only
/// if none is missing (or this is not a glibc build), or if the re-exec failed, in which case
/// the process goes on with glibc's defaults and says so on stderr.
pub fn use_lean_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt;
        let missing = missing();
        if missing.is_empty() {
            return;
        }
        let mut args = std::env::args_os();
        let arg0 = args.next();
        let err = match std::env::current_exe() {
            Ok(exe) => {
                let mut cmd = std::process::Command::new(exe);
                if let Some(arg0) = arg0 {
                    cmd.arg0(arg0);
                }
                cmd.args(args).envs(missing).exec()
            }
            Err(e) => e,
        };
        // No tracing yet (the kit sets it up later): stderr is the component log.
        eprintln!(
            "Could not restart with lean malloc settings ({err}); going on with glibc's defaults."
        );
    }
}
