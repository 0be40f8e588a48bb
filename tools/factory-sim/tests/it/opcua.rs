//! The OPC UA server read and written by asyncua's client (`tests/peers/opcua_client.py`).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use factory_sim::opcua::{NAMESPACE_URI, node_id_string};
use factory_sim::registers::{Encoding, MAP};
use serde_json::Value;

use crate::sim::Sim;

/// asyncua's import and connect can take seconds on a loaded two-core machine.
const CLIENT_WITHIN: Duration = Duration::from_secs(120);

fn python() -> PathBuf {
    let path = std::env::var_os("GG_TEST_PYTHON").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.peers/bin/python"),
        PathBuf::from,
    );
    assert!(
        path.exists(),
        "the OPC UA test needs {}: run scripts/setup-test-env.sh first (it installs asyncua)",
        path.display()
    );
    path
}

/// Runs the asyncua client against `sim` and returns what it printed.
fn asyncua_client(sim: &Sim, args: &[&str]) -> Value {
    let url = format!("opc.tcp://{}/", sim.opcua.expect("OPC UA is on"));
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/opcua_client.py");
    let mut child = Command::new(python())
        .arg(script)
        .args([url.as_str(), NAMESPACE_URI])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + CLIENT_WITHIN;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the asyncua client did not finish within {CLIENT_WITHIN:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "asyncua client failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("client output is not JSON ({e}): {stdout}"))
}

fn distinct(values: &[Value]) -> usize {
    values
        .iter()
        .map(Value::to_string)
        .collect::<BTreeSet<_>>()
        .len()
}

#[test]
fn asyncua_browses_reads_every_point_sees_them_change_and_writes_the_setpoint() {
    let sim = Sim::start_with_opcua(&["--seed", "3"]);
    let seen = asyncua_client(&sim, &["2000"]);
    let ns = seen["namespaceIndex"].as_u64().unwrap();
    // The demo deployment's OpcUaAdapter nodes name this index (tests/it/deployment.rs).
    assert_eq!(ns, 2, "namespace index of {NAMESPACE_URI}");
    let browsed = seen["browsed"].as_object().unwrap();
    let names: BTreeSet<&str> = browsed.keys().map(String::as_str).collect();
    let expected: BTreeSet<&str> = MAP.iter().map(|e| e.id).collect();
    assert_eq!(
        names, expected,
        "Objects/Line1/Pump1 holds the register map"
    );
    for e in MAP {
        let node = &browsed[e.id];
        assert_eq!(
            node["nodeId"],
            format!("ns={ns};s={}", node_id_string(e.id)),
            "{node}"
        );
        assert_eq!(node["status"], "Good", "{}: {node}", e.id);
        let ty = match e.encoding {
            Encoding::F32 => "Float",
            Encoding::I16Scaled(_) => "Double",
            Encoding::U16 => "UInt16",
            Encoding::U32 => "UInt32",
            Encoding::Bool => "Boolean",
        };
        assert_eq!(node["type"], ty, "{}: {node}", e.id);
    }
    // The line starts warm at its design point.
    let value = |id: &str| browsed[id]["value"].as_f64().unwrap();
    assert!((45.0..55.0).contains(&value("flow")), "{browsed:?}");
    assert!((45.0..90.0).contains(&value("motorTemp")), "{browsed:?}");
    assert_eq!(browsed["machineState"]["value"], 2, "running");
    assert_eq!(browsed["runCommand"]["value"], true);

    let reads = seen["vibrationReads"].as_array().unwrap();
    assert!(
        distinct(reads) >= 2,
        "vibration is live over 1.5 s: {reads:?}"
    );
    // 100 ms subscription on a 100 ms simulation step, for 3 s: expect ~30; allow a loaded machine.
    let notes = seen["vibrationNotifications"].as_array().unwrap();
    assert!(notes.len() >= 5, "data changes in 3 s: {notes:?}");
    assert!(distinct(notes) >= 5, "{notes:?}");
    assert_eq!(
        seen["setpointAfterWrite"], 2000.0,
        "the written setpoint reached the model"
    );
    let out = sim.stop();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("factory-sim: OPC UA opc.tcp://127.0.0.1:"),
        "{stdout}"
    );
}

#[test]
fn while_the_device_is_offline_values_read_bad_no_communication() {
    let sim = Sim::start_with_opcua(&["--fault", "offline@0s+10m"]);
    let seen = asyncua_client(&sim, &["--status", "flow"]);
    assert_eq!(seen["status"], "BadNoCommunication", "{seen}");
    let sim = Sim::start_with_opcua(&[]);
    let seen = asyncua_client(&sim, &["--status", "flow"]);
    assert_eq!(seen["status"], "Good", "{seen}");
    assert!(seen["value"].as_f64().is_some(), "{seen}");
}
