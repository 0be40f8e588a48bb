//! End to end: the uploader binary deployed from the repository's recipe under gg-local. Local
//! messages go to IoT Core (gg-local's PublishToIoTCore sink) and to Kinesis on moto, with the
//! credentials coming from gg-local's token exchange endpoint through aws-config's default chain.

use crate::moto::Moto;
use gg_local::testing::{arch_suffix, gg_local_bin as gg_local};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Runtime(Child);

impl Drop for Runtime {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

fn log(root: &Path) -> String {
    std::fs::read_to_string(root.join("logs/com.smartfactory.StreamUploader.log"))
        .unwrap_or_default()
}

/// Record payloads `n` found in the IoT Core sink, with the topics they came on.
fn iot_core_ns(root: &Path) -> Vec<(String, u64)> {
    let text = std::fs::read_to_string(root.join("iot-core/outbox.jsonl")).unwrap_or_default();
    let mut out = Vec::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let payload: serde_json::Value =
            serde_json::from_str(v["payload"].as_str().unwrap()).unwrap();
        for r in payload["records"].as_array().unwrap() {
            out.push((
                v["topic"].as_str().unwrap().to_owned(),
                r["message"]["n"].as_u64().unwrap(),
            ));
        }
    }
    out
}

#[test]
fn under_gg_local_messages_reach_iot_core_and_kinesis_with_tes_credentials() {
    const N: u64 = 20;
    let moto = Moto::start();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = aws_sdk_kinesis::Client::new(&crate::moto::sdk(&moto.url).await);
        client
            .create_stream()
            .stream_name("e2e")
            .shard_count(1)
            .send()
            .await
            .unwrap();
    });
    let dir = tempfile::Builder::new()
        .prefix("sue2e")
        .tempdir_in("/tmp")
        .unwrap();
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let artifacts = dir.path().join("artifacts");
    let version_dir = artifacts.join("com.smartfactory.StreamUploader/0.1.0");
    std::fs::create_dir_all(&version_dir).unwrap();
    std::fs::copy(
        env!("CARGO_BIN_EXE_stream-uploader"),
        version_dir.join(format!("stream-uploader-{}", arch_suffix())),
    )
    .unwrap();
    let merge = serde_json::json!({
        "routes": {"aggregates": {"exports": {"kin": "true"}}},
        "exports": {
            "iotCore": {"batchIntervalMs": "200"},
            "kin": {"type": "kinesis", "streamName": "e2e", "endpointUrl": moto.url, "batchIntervalMs": "200"},
        },
    });
    let deployment = serde_json::json!({
        "components": {"com.smartfactory.StreamUploader": {
            "componentVersion": "0.1.0",
            "configurationUpdate": {"merge": merge.to_string()},
        }}
    });
    let deployment_path = dir.path().join("deployment.json");
    std::fs::write(&deployment_path, deployment.to_string()).unwrap();
    let config_path = dir.path().join("runtime.json");
    std::fs::write(
        &config_path,
        r#"{"thingName": "e2e-gateway", "region": "us-east-1",
            "credentials": {"accessKeyId": "testing", "secretAccessKey": "testing"}}"#,
    )
    .unwrap();
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
        .unwrap();
    let _runtime = Runtime(child);

    let deadline = Instant::now() + Duration::from_secs(30);
    while !log(&root).contains("Uploading.") {
        assert!(
            Instant::now() < deadline,
            "the uploader did not start; log:\n{}",
            log(&root)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    for n in 0..N {
        let status = Command::new(gg_local())
            .args(["pub", "--root"])
            .arg(&root)
            .args(["factory/agg/plc1", &format!(r#"{{"n":{n}}}"#)])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
    }

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let iot = iot_core_ns(&root);
        let (kinesis, _) = runtime.block_on(crate::kinesis::read_stream(&moto.url, "e2e"));
        if iot.len() as u64 >= N && kinesis.len() as u64 >= N {
            let mut ns: Vec<u64> = iot.iter().map(|(_, n)| *n).collect();
            ns.sort_unstable();
            assert_eq!(
                ns,
                (0..N).collect::<Vec<_>>(),
                "each message once on IoT Core"
            );
            assert!(
                iot.iter()
                    .all(|(t, _)| t == "dt/e2e-gateway/factory/agg/plc1"),
                "{iot:?}"
            );
            assert_eq!(kinesis.len() as u64, N);
            assert!(kinesis.values().all(|c| *c == 1));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "IoT Core got {} and Kinesis {} of {N}; log:\n{}",
            iot.len(),
            kinesis.len(),
            log(&root)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
