//! End to end: the adapter binary deployed from the repository's recipe under gg-local (the
//! local Greengrass runtime), logging in with a user name on Basic256Sha256 SignAndEncrypt,
//! its password served by gg-local's secrets service through IPC GetSecretValue. Readings
//! arrive on local pub/sub, the client certificate is generated in the work folder, and a
//! configuration-only deployment adds a node without restarting the adapter.

use super::*;
use gg_local::testing::{arch_suffix, gg_local_bin as gg_local};
use std::process::{Child, Command, Stdio};
use std::time::Instant as StdInstant;

const NAME: &str = "com.smartfactory.OpcUaAdapter";

/// The runtime; SIGTERM on drop (it stops its components).
struct Runtime(Child);

impl Drop for Runtime {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

#[test]
fn under_gg_local_a_password_login_publishes_and_a_config_change_applies_live() {
    let sim = shared_sim();
    let dir = tmp("e2e");
    let version_dir = dir.join("artifacts").join(NAME).join("0.1.0");
    std::fs::create_dir_all(&version_dir).unwrap();
    let staged = version_dir.join(format!("opcua-adapter-{}", arch_suffix()));
    std::fs::copy(env!("CARGO_BIN_EXE_opcua-adapter"), &staged).unwrap();
    let merge = json!({"servers": {"sim-opcua1": {
        "endpointUrl": sim.url(),
        "securityPolicy": "Basic256Sha256",
        "securityMode": "SignAndEncrypt",
        "identity": {"type": "username", "username": "operator", "passwordSecretId": "opcua/line1"},
        "trustedCertificates": {"sim": sim.certificate().display().to_string()},
        "publishingIntervalMs": "200",
    }}});
    let deployment = json!({"components": {NAME: {
        "componentVersion": "0.1.0", "configurationUpdate": {"merge": merge.to_string()}}}});
    std::fs::write(dir.join("deployment.json"), deployment.to_string()).unwrap();
    std::fs::write(
        dir.join("secrets.json"),
        json!({"opcua/line1": "operator-pw"}).to_string(),
    )
    .unwrap();
    let runtime_config = json!({"thingName": "e2e-gateway", "region": "us-east-1",
                                "secretsFile": dir.join("secrets.json")});
    std::fs::write(dir.join("runtime.json"), runtime_config.to_string()).unwrap();
    let root = dir.join("root");
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let child = Command::new(gg_local())
        .arg("run")
        .arg("--root")
        .arg(&root)
        .arg("--recipes")
        .arg(repo.join("recipes"))
        .arg("--artifacts")
        .arg(dir.join("artifacts"))
        .arg("--deployment")
        .arg(dir.join("deployment.json"))
        .arg("--config")
        .arg(dir.join("runtime.json"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _runtime = Runtime(child);

    let first = wait_for_reading(&root, "counter");
    assert!(
        first.contains("e2e-gateway"),
        "batches name the gateway: {first}"
    );
    assert!(
        find(&root, "own/cert.der"),
        "the client certificate is in the work folder"
    );
    let log = std::fs::read_to_string(root.join(format!("logs/{NAME}.log"))).unwrap_or_default();
    assert!(
        !log.contains("operator-pw"),
        "the password never reaches the log"
    );

    // Live reload: a configuration-only deployment adds a node found by browse path.
    let pid = adapter_pid(&staged);
    let added = json!({"components": {NAME: {"componentVersion": "0.1.0",
        "configurationUpdate": {"merge": json!({"servers": {"sim-opcua1": {"nodes": {
            "motorSpeed": {"browsePath": "Objects/2:Pump1/2:Motor/2:Speed"}}}}}).to_string()}}}});
    std::fs::write(dir.join("added.json"), added.to_string()).unwrap();
    let status = Command::new(gg_local())
        .args(["deploy", "--root"])
        .arg(&root)
        .arg(dir.join("added.json"))
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "the configuration deployment succeeds");
    let after = wait_for_reading(&root, "motorSpeed");
    let line: Json = serde_json::from_str(after.trim()).unwrap();
    let batch: ReadingBatch = serde_json::from_value(line["message"].clone()).unwrap();
    let speed = batch
        .readings()
        .iter()
        .find(|r| r.source().point() == "motorSpeed")
        .unwrap();
    let v = speed.value().and_then(|v| v.as_f64()).unwrap();
    assert!((1430.0..=1470.0).contains(&v), "motor speed {v}");
    assert_eq!(adapter_pid(&staged), pid, "the adapter was not restarted");
}

fn find(dir: &Path, suffix: &str) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.filter_map(Result::ok).any(|e| {
        let p = e.path();
        p.to_string_lossy().ends_with(suffix) || (p.is_dir() && find(&p, suffix))
    })
}

fn adapter_pid(staged: &Path) -> String {
    let out = Command::new("pgrep")
        .arg("-f")
        .arg(staged)
        .output()
        .unwrap();
    let pids = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(!pids.is_empty(), "the adapter is running");
    pids
}

/// Subscribes to the server's topic until a batch mentions `needle` (90 s at most).
fn wait_for_reading(root: &Path, needle: &str) -> String {
    let deadline = StdInstant::now() + Duration::from_secs(90);
    loop {
        let out = Command::new(gg_local())
            .args(["sub", "--root"])
            .arg(root)
            .args([
                "factory/raw/sim-opcua1",
                "--count",
                "1",
                "--timeout-secs",
                "5",
            ])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if text.contains(needle) {
            return text;
        }
        let log =
            std::fs::read_to_string(root.join(format!("logs/{NAME}.log"))).unwrap_or_default();
        assert!(
            StdInstant::now() < deadline,
            "no {needle} on factory/raw/sim-opcua1 within 90 s; sub said {text} {}; adapter log:\n{log}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
