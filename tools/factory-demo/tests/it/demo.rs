//! Runs `scripts/demo.sh` headless against the binaries next to this test's `factory-demo`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The folder with the workspace's binaries of this profile (target/debug in `cargo test`).
pub fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_factory-demo"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Fails with the build command when a binary the demo needs is missing.
pub fn require_binaries() {
    for b in ["gg-local", "factory-sim", "modbus-adapter"] {
        assert!(
            bin_dir().join(b).is_file(),
            "{} is missing: build the workspace first (cargo build --workspace; scripts/test.sh does)",
            bin_dir().join(b).display()
        );
    }
}

/// A free loopback port (released before use; the demo's own port check reports a clash).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Ports of one demo run.
#[derive(Debug, Clone, Copy)]
pub struct Ports {
    pub web: u16,
    pub modbus: u16,
    pub opcua: u16,
    pub control: u16,
    pub cloud: u16,
}

impl Ports {
    pub fn free() -> Self {
        Self {
            web: free_port(),
            modbus: free_port(),
            opcua: free_port(),
            control: free_port(),
            cloud: free_port(),
        }
    }
}

/// Starts the demo for `seconds` with `extra` arguments.
pub fn start(run_dir: &Path, ports: Ports, seconds: u64, extra: &[&str]) -> Child {
    Command::new("bash")
        .arg(repo().join("scripts/demo.sh"))
        .args(["--bin-dir"])
        .arg(bin_dir())
        .arg("--run-dir")
        .arg(run_dir)
        .args(["--seconds", &seconds.to_string(), "--headless"])
        .args(["--web-port", &ports.web.to_string()])
        .args(["--modbus-port", &ports.modbus.to_string()])
        .args(["--opcua-port", &ports.opcua.to_string()])
        .args(["--control-port", &ports.control.to_string()])
        .args(["--cloud-port", &ports.cloud.to_string()])
        .args(extra)
        .current_dir(repo())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits at most `limit` for the demo to exit; kills it (and fails) after that.
pub fn finish(mut child: Child, limit: Duration) -> Output {
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "the demo did not stop within {limit:?}\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().unwrap()
}

/// Processes whose command line mentions `needle` (the run folder): what the demo left behind.
pub fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(cmd) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        if cmd.contains(needle) {
            found.push(format!("{}: {cmd}", entry.file_name().to_string_lossy()));
        }
    }
    found
}
