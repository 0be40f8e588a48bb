//! Starts `factory-sim` on ephemeral loopback ports (Modbus, control, OPC UA) and stops it with SIGTERM.

use std::net::SocketAddr;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A running simulator.
pub struct Sim {
    child: Option<Child>,
    pub modbus: SocketAddr,
    pub control: SocketAddr,
    /// `None` unless started with [`Sim::start_with_opcua`].
    pub opcua: Option<SocketAddr>,
    _dir: tempfile::TempDir,
}

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_factory-sim"))
}

impl Sim {
    /// Starts the simulator with `extra` arguments, OPC UA off, and waits (at most 10 s) until
    /// it listens.
    pub fn start(extra: &[&str]) -> Self {
        Self::launch(0, extra)
    }

    /// Like [`Sim::start`], with the OPC UA server on a free port (its `0` means off).
    pub fn start_with_opcua(extra: &[&str]) -> Self {
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = free.local_addr().unwrap().port();
        drop(free);
        Self::launch(port, extra)
    }

    fn launch(opcua_port: u16, extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ready = dir.path().join("ready.json");
        let child = bin()
            .args([
                "--modbus-port",
                "0",
                "--control-port",
                "0",
                "--opcua-port",
                &opcua_port.to_string(),
                "--no-mqtt",
                "--ready-file",
            ])
            .arg(&ready)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let ports: serde_json::Value = loop {
            if let Ok(text) = std::fs::read_to_string(&ready)
                && let Ok(v) = serde_json::from_str(&text)
            {
                break v;
            }
            assert!(
                Instant::now() < deadline,
                "factory-sim did not become ready"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        let port = |k: &str| u16::try_from(ports[k].as_u64().unwrap()).unwrap();
        Self {
            child: Some(child),
            modbus: SocketAddr::from(([127, 0, 0, 1], port("modbusPort"))),
            control: SocketAddr::from(([127, 0, 0, 1], port("controlPort"))),
            opcua: ports["opcuaPort"]
                .as_u64()
                .map(|p| SocketAddr::from(([127, 0, 0, 1], u16::try_from(p).unwrap()))),
            _dir: dir,
        }
    }

    /// Sends SIGTERM and returns the process's output once it exits (at most 5 s).
    pub fn stop(mut self) -> Output {
        let child = self.child.take().unwrap();
        terminate(&child);
        wait_bounded(child)
    }
}

fn terminate(child: &Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
}

/// Waits for `child` for at most 5 s, killing it after that (and failing).
pub fn wait_bounded(mut child: Child) -> Output {
    let deadline = Instant::now() + Duration::from_secs(5);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("factory-sim did not exit within 5 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
