//! CPU time and memory of a process from `/proc` (Linux), for benchmarks and the footprint
//! metrics a gateway operator watches.

use std::io;

/// Linux `USER_HZ`: the unit of utime/stime in `/proc/<pid>/stat`.
const CLOCK_TICKS_PER_SEC: f64 = 100.0;

/// One reading of a process's counters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcessStats {
    /// User + system CPU seconds since the process started.
    pub cpu_seconds: f64,
    /// Resident set size now, KiB.
    pub rss_kib: u64,
    /// Peak resident set size, KiB.
    pub peak_rss_kib: u64,
    /// The resident part that is heap and stacks, KiB.
    pub rss_anon_kib: u64,
    /// The resident part that is mapped files (code, libraries, mapped data), KiB.
    pub rss_file_kib: u64,
}

impl ProcessStats {
    /// This process.
    pub fn current() -> io::Result<Self> {
        Self::read("self")
    }

    /// Process `pid`.
    pub fn of(pid: u32) -> io::Result<Self> {
        Self::read(&pid.to_string())
    }

    fn read(which: &str) -> io::Result<Self> {
        let stat = std::fs::read_to_string(format!("/proc/{which}/stat"))?;
        // The command name may hold spaces; the fields after its closing parenthesis don't.
        let after_name = stat.rsplit(')').next().unwrap_or_default();
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let ticks = |i: usize| -> io::Result<f64> {
            fields
                .get(i)
                .and_then(|f| f.parse::<f64>().ok())
                .ok_or_else(|| io::Error::other(format!("/proc/{which}/stat: no field {i}")))
        };
        // After the name come state (field 3 of the line) ... utime (14) and stime (15).
        let cpu_seconds = (ticks(11)? + ticks(12)?) / CLOCK_TICKS_PER_SEC;
        let status = std::fs::read_to_string(format!("/proc/{which}/status"))?;
        let kib = |name: &str| kib_field(&status, name).unwrap_or(0);
        Ok(Self {
            cpu_seconds,
            rss_kib: kib("VmRSS:"),
            peak_rss_kib: kib("VmHWM:"),
            rss_anon_kib: kib("RssAnon:"),
            rss_file_kib: kib("RssFile:"),
        })
    }
}

/// How much of a process's resident set is its own, from `/proc/<pid>/smaps_rollup`
/// (slower to read than the counters above, so apart): the resident set also counts the
/// shared C library's pages, which every other process maps too.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OwnMemory {
    /// Pages no other process maps (USS: what stopping it would free), KiB.
    pub private_kib: u64,
    /// Its proportional share (PSS: private pages plus shared ones divided by their
    /// mappers), KiB.
    pub proportional_kib: u64,
}

impl OwnMemory {
    /// Process `pid`.
    pub fn of(pid: u32) -> io::Result<Self> {
        let path = format!("/proc/{pid}/smaps_rollup");
        let rollup = std::fs::read_to_string(&path)?;
        let kib = |name: &str| -> io::Result<u64> {
            kib_field(&rollup, name).ok_or_else(|| io::Error::other(format!("{path}: no {name}")))
        };
        Ok(Self {
            private_kib: kib("Private_Clean:")? + kib("Private_Dirty:")?,
            proportional_kib: kib("Pss:")?,
        })
    }
}

/// The value of the `name` line (`VmRSS:`, `Pss:`, ...) of a `/proc` file in `kB` lines.
fn kib_field(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// A process whose executable (`/proc/<pid>/exe`, resolved) `matches`, if one runs: for
/// benchmarks that measure a component started by a runtime they do not see the pids of.
pub fn pid_running(matches: impl Fn(&std::path::Path) -> bool) -> Option<u32> {
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let exe = std::fs::read_link(e.path().join("exe")).ok()?;
        matches(&exe).then_some(pid)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_memory_and_burns_cpu() {
        let before = ProcessStats::current().expect("reads /proc/self");
        assert!(before.rss_kib > 0 && before.peak_rss_kib >= before.rss_kib);
        let start = std::time::Instant::now();
        let mut x = 0u64;
        while start.elapsed() < std::time::Duration::from_millis(300) {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        let after = ProcessStats::of(std::process::id()).expect("reads /proc/<pid>");
        assert!(
            after.cpu_seconds > before.cpu_seconds,
            "{before:?} → {after:?}"
        );
    }

    #[test]
    fn own_memory_is_part_of_the_resident_set() {
        let pid = std::process::id();
        let own = OwnMemory::of(pid).expect("reads smaps_rollup");
        let rss = ProcessStats::of(pid).expect("reads /proc/<pid>").rss_kib;
        assert!(own.private_kib > 0, "{own:?}");
        assert!(own.private_kib <= own.proportional_kib, "{own:?}");
        // Read a moment apart: allow the test harness's threads some growth.
        assert!(own.proportional_kib <= rss + 1024, "{own:?} rss {rss}");
    }
}
