//! End to end: the adapter binary deployed from the repository's recipe under gg-local (the local
//! Greengrass runtime), polling our simulator; its readings arrive on local pub/sub, and a
//! configuration-only deployment adds a point without restarting the adapter.

use crate::peer::Peer;
use gg_local::testing::{Deployment, LocalRuntime};
use serde_json::json;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const NAME: &str = "com.smartfactory.ModbusAdapter";

#[test]
fn under_gg_local_readings_arrive_and_a_config_change_applies_without_restart() {
    let peer = Peer::start();
    let merge = json!({"devices": {"sim-plc1": {
        "transport": {"port": peer.port.to_string()}, "pollIntervalMs": "200"}}});
    let runtime = Deployment::new()
        .component(
            NAME,
            Path::new(env!("CARGO_BIN_EXE_modbus-adapter")),
            "modbus-adapter",
            merge,
        )
        .start();
    let first = runtime
        .wait_for(
            "factory/raw/sim-plc1",
            "statusWord",
            Duration::from_secs(30),
            NAME,
        )
        .to_string();
    assert!(first.contains("48879"), "statusWord holds 0xBEEF: {first}");
    assert!(
        first.contains("e2e-gateway"),
        "batches name the gateway: {first}"
    );

    let pid_before = adapter_pids(&runtime);
    let added = r#"{"devices":{"sim-plc1":{"points":{"liveAdded":{"table":"holding","address":"34","type":"f32","byteOrder":"BADC"}}}}}"#;
    runtime.deploy(&json!({"components": {NAME: {
        "componentVersion": "0.1.0", "configurationUpdate": {"merge": added}}}}));
    let line = runtime.wait_for(
        "factory/raw/sim-plc1",
        "liveAdded",
        Duration::from_secs(30),
        NAME,
    );
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
        adapter_pids(&runtime),
        pid_before,
        "the adapter was not restarted"
    );
}

/// The adapter's process ids (the lifecycle shell and the binary), found by the staged artifact
/// path, which is unique to this runtime.
fn adapter_pids(runtime: &LocalRuntime) -> String {
    let staged = runtime
        .scratch()
        .join("artifacts")
        .join(NAME)
        .join("0.1.0/modbus-adapter-");
    let out = Command::new("pgrep")
        .arg("-f")
        .arg(staged)
        .output()
        .expect("run pgrep");
    let pids = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(!pids.is_empty(), "the adapter is running");
    pids
}
