//! One glibc malloc arena instead of one per thread (up to 8 per core), for a component that
//! sets [`Component::ONE_MALLOC_ARENA`](crate::Component::ONE_MALLOC_ARENA). With an arena per
//! thread, every arena keeps its own high-water mark and free chunks: the StreamUploader's RSS
//! with a 1 GB backlog was about 4 MiB higher (stream-uploader-bench, its README). For I/O-bound
//! work the shared arena's lock costs nothing measurable.
//!
//! glibc reads `MALLOC_ARENA_MAX` only when the process starts, and `mallopt` would need
//! unsafe code (forbidden in this workspace), so the process re-executes itself once with the
//! variable set. Same process id, same arguments and descriptors; the nucleus does not notice.
//! A value already in the environment (for example from the recipe's `Setenv`) is kept: set it
//! higher to trade memory for allocation speed.

/// The variable and the value such a component runs with unless told otherwise.
pub const ARENA_MAX_VAR: &str = "MALLOC_ARENA_MAX";
/// One arena: the process's threads share it.
pub const ARENA_MAX_DEFAULT: &str = "1";

/// Re-executes the current program with `MALLOC_ARENA_MAX=1` unless the variable is already
/// set. Returns only if it is set (or this is not a glibc build), or if the re-exec failed, in
/// which case the process goes on with glibc's defaults and says so on stderr.
pub fn use_one_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt;
        if std::env::var_os(ARENA_MAX_VAR).is_some() {
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
                cmd.args(args).env(ARENA_MAX_VAR, ARENA_MAX_DEFAULT).exec()
            }
            Err(e) => e,
        };
        // No tracing yet (the kit sets it up later): stderr is the component log.
        eprintln!(
            "Could not restart with {ARENA_MAX_VAR}={ARENA_MAX_DEFAULT} ({err}); going on with one malloc arena per thread."
        );
    }
}
