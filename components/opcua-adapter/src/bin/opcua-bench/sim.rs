//! The asyncua simulators the benchmark reads: started with `--tags`, killed on drop. Each
//! reports its cumulative tag writes once a second on stdout; a reader thread keeps the latest
//! figures so the benchmark can state the change rate the servers really reached.

use anyhow::{Context, bail};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Instant;

fn python() -> PathBuf {
    std::env::var_os("GG_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.peers/bin/python")
        })
}

/// What a simulator last reported.
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    /// Tag writes since it started.
    pub writes: u64,
    /// When that line arrived.
    pub at: Option<Instant>,
    /// Worst overrun of a write slice past its time slot since `reset_behind`, ms.
    pub worst_behind_ms: u64,
}

/// One simulator process.
pub struct Sim {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
    progress: Arc<Mutex<Progress>>,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sim {
    /// Starts a simulator with `tags` tags changing every second; returns once it serves.
    pub fn start(pki: &Path, tags: usize) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/opcua_sim.py");
        let mut child = Command::new(python())
            .arg(script)
            .args(["--port", &port.to_string(), "--tags", &tags.to_string()])
            .args(["--tag-period-ms", "1000", "--pki"])
            .arg(pki)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("start the simulator (run scripts/setup-test-env.sh first)")?;
        let mut stdout = BufReader::new(child.stdout.take().context("simulator stdout")?);
        let progress = Arc::new(Mutex::new(Progress::default()));
        let sim = Self {
            child,
            port,
            progress: progress.clone(),
        };
        let mut line = String::new();
        stdout.read_line(&mut line)?;
        if !line.starts_with("ready") {
            bail!("the simulator did not start: {line:?}");
        }
        std::thread::spawn(move || follow(stdout, &progress));
        Ok(sim)
    }

    /// The simulator's process id (for its CPU time).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The latest report.
    pub fn progress(&self) -> Progress {
        self.progress.lock().map(|p| *p).unwrap_or_default()
    }

    /// Starts a new window for `worst_behind_ms`.
    pub fn reset_behind(&self) {
        if let Ok(mut p) = self.progress.lock() {
            p.worst_behind_ms = 0;
        }
    }
}

/// Reads `stats writes=<n> behind_ms=<ms>` lines until the simulator exits.
fn follow(stdout: BufReader<ChildStdout>, progress: &Mutex<Progress>) {
    for line in stdout.lines() {
        let Ok(line) = line else { return };
        let field = |key: &str| {
            line.split_whitespace()
                .find_map(|f| f.strip_prefix(key))
                .and_then(|v| v.parse::<u64>().ok())
        };
        if let (Some(writes), Some(behind)) = (field("writes="), field("behind_ms="))
            && let Ok(mut p) = progress.lock()
        {
            p.writes = writes;
            p.at = Some(Instant::now());
            p.worst_behind_ms = p.worst_behind_ms.max(behind);
        }
    }
}
