//! Starts our asyncua simulator (`tests/peers/opcua_sim.py`) with the project's venv python.
//! The simulator exits when its stdin closes, so a crashed test leaves no server behind.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

/// Start-up can take 15 s on a loaded two-core machine (asyncua loads its address space).
const READY_WITHIN: Duration = Duration::from_secs(90);

/// A running simulator; killed on drop.
#[derive(Debug)]
pub struct Sim {
    child: Child,
    _stdin: ChildStdin,
    /// Its port (127.0.0.1).
    pub port: u16,
    /// Its PKI folder (server certificate `server-cert.der`).
    pub pki: PathBuf,
    args: Vec<String>,
}

fn python() -> PathBuf {
    let path = std::env::var_os("GG_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.peers/bin/python")
        });
    assert!(
        path.exists(),
        "the test peer needs {}: run scripts/setup-test-env.sh first (it installs asyncua)",
        path.display()
    );
    path
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local address").port()
}

impl Sim {
    /// Starts a simulator with `args` on a free port, its PKI in `pki`.
    pub fn start(pki: &Path, args: &[&str]) -> Self {
        let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        Self::launch(free_port(), pki.to_path_buf(), args)
    }

    fn launch(port: u16, pki: PathBuf, args: Vec<String>) -> Self {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/opcua_sim.py");
        let mut child = Command::new(python())
            .arg(script)
            .args(["--port", &port.to_string()])
            .arg("--pki")
            .arg(&pki)
            .args(&args)
            .stdout(Stdio::piped())
            .stdin(Stdio::piped())
            .spawn()
            .expect("start the OPC UA simulator");
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let mut sim = Self {
            child,
            _stdin: stdin,
            port,
            pki,
            args,
        };
        let line = rx.recv_timeout(READY_WITHIN).unwrap_or_default();
        if !line.starts_with("ready") {
            sim.stop();
            panic!("the OPC UA simulator did not start on {port}: {line:?}");
        }
        sim
    }

    /// `opc.tcp://localhost:<port>/factory/` (the certificate names localhost).
    pub fn url(&self) -> String {
        format!("opc.tcp://localhost:{}/factory/", self.port)
    }

    /// The server certificate.
    pub fn certificate(&self) -> PathBuf {
        self.pki.join("server-cert.der")
    }

    /// Kills the simulator.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts it again (after [`Sim::stop`]) on the same port with the same certificate and
    /// arguments.
    pub fn start_again(&mut self) {
        let again = Self::launch(self.port, self.pki.clone(), self.args.clone());
        let old = std::mem::replace(self, again);
        drop(old);
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.stop();
    }
}
