//! End to end: the adapter binary deployed from the repository's recipe under gg-local (the local
//! Greengrass runtime), polling our simulator; its readings arrive on local pub/sub.

use crate::peer::Peer;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `target/<profile>/gg-local`, built by `cargo build --workspace` (scripts/test.sh does).
fn gg_local() -> PathBuf {
    if let Some(bin) = std::env::var_os("GG_LOCAL_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps/<test>");
    let bin = profile_dir.join("gg-local");
    assert!(
        bin.exists(),
        "the end-to-end test needs {}: run `cargo build -p gg-local` first (scripts/test.sh builds the workspace)",
        bin.display()
    );
    bin
}

fn arch_suffix() -> &'static str {
    match std::env::consts::ARCH {
        "aarch64" => "aarch64",
        "arm" => "armv7",
        _ => "x86_64",
    }
}

/// The runtime process; SIGTERM on drop (the runtime stops its components).
struct Runtime(Child);

impl Drop for Runtime {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

#[test]
fn under_gg_local_readings_arrive_and_a_config_change_applies_without_restart() {
    let peer = Peer::start();
    let dir = tempfile::Builder::new()
        .prefix("mbe2e")
        .tempdir_in("/tmp")
        .expect("temp dir");
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let artifacts = dir.path().join("artifacts");
    let version_dir = artifacts.join("com.smartfactory.ModbusAdapter/0.1.0");
    std::fs::create_dir_all(&version_dir).expect("artifact dir");
    std::fs::copy(
        env!("CARGO_BIN_EXE_modbus-adapter"),
        version_dir.join(format!("modbus-adapter-{}", arch_suffix())),
    )
    .expect("stage the adapter binary");
    let merge = format!(
        r#"{{"devices":{{"sim-plc1":{{"transport":{{"port":"{}"}},"pollIntervalMs":"200"}}}}}}"#,
        peer.port
    );
    let deployment = serde_json::json!({
        "components": {"com.smartfactory.ModbusAdapter": {
            "componentVersion": "0.1.0",
            "configurationUpdate": {"merge": merge},
        }}
    });
    let deployment_path = dir.path().join("deployment.json");
    std::fs::write(&deployment_path, deployment.to_string()).expect("write deployment");
    let config_path = dir.path().join("runtime.json");
    std::fs::write(
        &config_path,
        r#"{"thingName": "e2e-gateway", "region": "us-east-1"}"#,
    )
    .expect("write runtime config");
    let root = dir.path().join("root");
    let child = Command::new(gg_local())
        .arg("run")
        .arg("--root")
        .arg(&root)
        .arg("--recipes")
        .arg(repo.join("recipes"))
        .arg("--artifacts")
        .arg(&artifacts)
        .arg("--deployment")
        .arg(&deployment_path)
        .arg("--config")
        .arg(&config_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start gg-local");
    let _runtime = Runtime(child);
    let first = wait_for_reading(&root, "statusWord");
    assert!(first.contains("48879"), "statusWord holds 0xBEEF: {first}");
    assert!(
        first.contains("e2e-gateway"),
        "batches name the gateway: {first}"
    );

    // Live reload: a deployment that only merges configuration adds a point; the adapter picks
    // it up without a restart (same process).
    let pid_before = adapter_pid(&version_dir);
    let added = serde_json::json!({
        "components": {"com.smartfactory.ModbusAdapter": {
            "componentVersion": "0.1.0",
            "configurationUpdate": {"merge": r#"{"devices":{"sim-plc1":{"points":{"liveAdded":{"table":"holding","address":"34","type":"f32","byteOrder":"BADC"}}}}}"#},
        }}
    });
    let added_path = dir.path().join("added.json");
    std::fs::write(&added_path, added.to_string()).expect("write deployment");
    let status = Command::new(gg_local())
        .args(["deploy", "--root"])
        .arg(&root)
        .arg(&added_path)
        .stdout(Stdio::null())
        .status()
        .expect("run gg-local deploy");
    assert!(status.success(), "the configuration deployment succeeds");
    let after = wait_for_reading(&root, "liveAdded");
    let line: serde_json::Value = serde_json::from_str(after.trim()).expect("sub prints JSON");
    let batch: edge_model::ReadingBatch =
        serde_json::from_value(line["message"].clone()).expect("a reading batch");
    let added = batch
        .readings()
        .iter()
        .find(|r| r.source().point() == "liveAdded")
        .expect("the batch holds liveAdded");
    assert_eq!(
        added.value(),
        Some(&edge_model::Value::Float(21.5)),
        "liveAdded decodes the server's BADC f32"
    );
    assert_eq!(
        adapter_pid(&version_dir),
        pid_before,
        "the adapter was not restarted"
    );
}

/// The adapter's process ids (the lifecycle shell and the binary), found by the staged artifact
/// path, which is unique to this test.
fn adapter_pid(version_dir: &std::path::Path) -> String {
    let out = Command::new("pgrep")
        .arg("-f")
        .arg(version_dir.join("modbus-adapter-"))
        .output()
        .expect("run pgrep");
    let pids = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(!pids.is_empty(), "the adapter is running");
    pids
}

/// Subscribes to the device topic until a batch mentions `needle` (30 s at most); returns it.
fn wait_for_reading(root: &std::path::Path, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = Command::new(gg_local())
            .args(["sub", "--root"])
            .arg(root)
            .args([
                "factory/raw/sim-plc1",
                "--count",
                "1",
                "--timeout-secs",
                "5",
            ])
            .stdin(Stdio::null())
            .output()
            .expect("run gg-local sub");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if text.contains(needle) {
            return text;
        }
        let log = std::fs::read_to_string(root.join("logs/com.smartfactory.ModbusAdapter.log"))
            .unwrap_or_default();
        assert!(
            Instant::now() < deadline,
            "no {needle} on factory/raw/sim-plc1 within 30 s; sub said {text} {}; adapter log:\n{log}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
