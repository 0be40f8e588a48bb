//! Starts our pymodbus simulator (`tests/peers/modbus_sim.py`) with the project's venv python.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running simulator; killed on drop.
pub struct Peer {
    child: Child,
    /// The TCP port it listens on (127.0.0.1).
    pub port: u16,
}

fn python() -> PathBuf {
    let path = std::env::var_os("GG_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.peers/bin/python")
        });
    assert!(
        path.exists(),
        "the test peer needs {}: run scripts/setup-test-env.sh first (it installs pymodbus)",
        path.display()
    );
    path
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local address").port()
}

impl Peer {
    /// Starts a Modbus TCP simulator on a free port and waits until it accepts connections.
    pub fn start() -> Self {
        Self::start_on(free_port())
    }

    /// Starts a Modbus TCP simulator on `port`.
    pub fn start_on(port: u16) -> Self {
        Self::start_framed(port, "tcp")
    }

    /// Starts a simulator speaking RTU frames over TCP (a serial gateway) on a free port.
    pub fn start_rtu_over_tcp() -> Self {
        Self::start_framed(free_port(), "rtu-over-tcp")
    }

    /// Starts a simulator with `framing` on `port` and waits until it accepts connections
    /// (10 s at most).
    fn start_framed(port: u16, framing: &str) -> Self {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/modbus_sim.py");
        let child = Command::new(python())
            .arg(script)
            .arg("127.0.0.1")
            .arg(port.to_string())
            .arg(framing)
            .stdout(Stdio::null())
            .stdin(Stdio::null())
            .spawn()
            .expect("start the modbus simulator");
        let mut peer = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = peer.child.try_wait() {
                panic!("the modbus simulator exited early: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "the modbus simulator did not listen on {port} within 10 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        peer
    }

    /// Starts an RTU simulator on the serial device `path` and waits until it says it is ready.
    pub fn start_serial(path: &std::path::Path, baud: u32) -> Self {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/modbus_sim.py");
        let mut child = Command::new(python())
            .arg(script)
            .arg("serial")
            .arg(path)
            .arg(baud.to_string())
            .stdout(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
            .expect("start the modbus simulator");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(10)).unwrap_or_default();
        assert!(
            line.contains("ready"),
            "the serial modbus simulator did not start: {line:?}"
        );
        Self { child, port: 0 }
    }

    /// Kills the simulator and waits for it.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.stop();
    }
}
