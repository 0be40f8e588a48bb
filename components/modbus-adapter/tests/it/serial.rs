//! Modbus RTU on a serial line: a socat pty pair, the simulator on one end, the adapter on the
//! other.

use crate::peer::Peer;
use crate::{all_types, check_all_types};
use modbus_adapter::config::{DeviceConfig, validate_device};
use serde_json::json;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A socat pty pair; killed on drop.
struct PtyPair(Child);

impl PtyPair {
    fn start(a: &Path, b: &Path) -> Self {
        let child = Command::new("socat")
            .arg(format!("pty,raw,echo=0,link={}", a.display()))
            .arg(format!("pty,raw,echo=0,link={}", b.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("socat is needed for the RTU test: run scripts/setup-test-env.sh");
        let pair = Self(child);
        let deadline = Instant::now() + Duration::from_secs(5);
        while !(a.exists() && b.exists()) {
            assert!(
                Instant::now() < deadline,
                "socat made no pty pair within 5 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        pair
    }
}

impl Drop for PtyPair {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn rtu_over_a_serial_line_decodes_every_type() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (server_end, client_end) = (dir.path().join("ttyV0"), dir.path().join("ttyV1"));
    let _pair = PtyPair::start(&server_end, &client_end);
    let _peer = Peer::start_serial(&server_end, 19_200);
    let config: DeviceConfig = serde_json::from_value(json!({
        "transport": {"type": "rtu", "serialPort": client_end, "baudRate": 19200, "parity": "none"},
        // Generous: the Python peer on a loaded 2-core machine can be slow to answer.
        "timeoutMs": 5000,
        "points": all_types(),
    }))
    .expect("parses");
    let device = validate_device("sim", config).expect("valid");
    check_all_types(device).await;
}
