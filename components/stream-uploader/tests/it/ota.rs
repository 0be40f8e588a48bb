//! Over-the-air update under gg-local: version 0.1.0 of the uploader runs, a batch is in flight
//! to a Kinesis destination that does not acknowledge yet, and version 0.2.0 with another
//! stream name is deployed. The uploader defers the update (DeferComponentUpdate) until the
//! batch is acknowledged; then 0.2.0 runs as a new process with the new configuration and the
//! same queue, and every record arrives exactly once.

use crate::stub_http::Stub;
use gg_local::testing::{arch_suffix, gg_local_bin};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const COMPONENT: &str = "com.smartfactory.StreamUploader";

struct Runtime(Child);

impl Drop for Runtime {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

/// The PutRecords calls the stub answered: (stream name, record ids, `n` of each message).
type Answered = Arc<Mutex<Vec<(String, Vec<String>, Vec<u64>)>>>;

/// Accepts every PutRecords call, except that while `down` is set only the very first call is
/// accepted and the others answer 503.
fn kinesis(
    answered: Answered,
    down: Arc<AtomicBool>,
) -> impl Fn(&crate::stub_http::Request) -> (u16, String) {
    let calls = Arc::new(AtomicUsize::new(0));
    move |r| {
        if calls.fetch_add(1, Ordering::SeqCst) > 0 && down.load(Ordering::SeqCst) {
            return (
                503,
                r#"{"__type":"ServiceUnavailable","message":"down"}"#.to_owned(),
            );
        }
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        let (mut ids, mut ns, mut results) = (Vec::new(), Vec::new(), Vec::new());
        for rec in body["Records"].as_array().unwrap() {
            let data = aws_smithy_types::base64::decode(rec["Data"].as_str().unwrap()).unwrap();
            let env: Value = serde_json::from_slice(&data).unwrap();
            ids.push(env["recordId"].as_str().unwrap().to_owned());
            ns.push(env["message"]["n"].as_u64().unwrap());
            results.push(json!({"SequenceNumber": "1", "ShardId": "shardId-000000000000"}));
        }
        let stream = body["StreamName"].as_str().unwrap_or_default().to_owned();
        answered.lock().unwrap().push((stream, ids, ns));
        (
            200,
            json!({"FailedRecordCount": 0, "Records": results}).to_string(),
        )
    }
}

fn component_log(root: &Path) -> String {
    std::fs::read_to_string(root.join("logs").join(format!("{COMPONENT}.log"))).unwrap_or_default()
}

/// Pids of uploader processes started from `artifacts/<component>/<version>/`.
fn uploader_pids(artifacts: &Path, version: &str) -> Vec<u32> {
    let binary = artifacts
        .join(COMPONENT)
        .join(version)
        .join(format!("stream-uploader-{}", arch_suffix()));
    let needle = binary.to_string_lossy().into_owned();
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let first = cmdline.split(|b| *b == 0).next().unwrap_or_default();
        if String::from_utf8_lossy(first) == needle {
            pids.push(pid);
        }
    }
    pids
}

fn wait_until(what: &str, within: Duration, root: &Path, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "{what}: not within {within:?}; uploader log:\n{}",
            component_log(root)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn publish(root: &Path, n: u64) {
    let status = Command::new(gg_local_bin())
        .args(["pub", "--root"])
        .arg(root)
        .args(["factory/agg/plc1", &format!(r#"{{"n":{n}}}"#)])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
}

fn deployment(version: &str, stream: &str, endpoint: &str) -> Value {
    let merge = json!({
        "routes": {"aggregates": {"exports": {"kin": "true"}}},
        "exports": {"kin": {"type": "kinesis", "streamName": stream, "endpointUrl": endpoint,
            "batchIntervalMs": "0", "batchMaxRecords": "10", "sendTimeoutMs": "120000",
            "retryInitialMs": "1000", "retryMaxMs": "4000"}},
    });
    json!({
        "components": {COMPONENT: {
            "componentVersion": version,
            "configurationUpdate": {"merge": merge.to_string()},
        }},
        "deploymentPolicies": {
            "componentUpdatePolicy": {"action": "NOTIFY_COMPONENTS", "timeoutInSeconds": 60},
        },
    })
}

/// Stages the binary for both versions and writes the 0.2.0 recipe (the repository's recipe
/// with the next version number) into its own recipe folder.
fn stage(dir: &Path) -> (PathBuf, PathBuf) {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let artifacts = dir.join("artifacts");
    for version in ["0.1.0", "0.2.0"] {
        let version_dir = artifacts.join(COMPONENT).join(version);
        std::fs::create_dir_all(&version_dir).unwrap();
        std::fs::copy(
            env!("CARGO_BIN_EXE_stream-uploader"),
            version_dir.join(format!("stream-uploader-{}", arch_suffix())),
        )
        .unwrap();
    }
    let recipe = std::fs::read_to_string(repo.join(format!("recipes/{COMPONENT}.yaml"))).unwrap();
    assert!(
        recipe.contains("ComponentVersion: \"0.1.0\""),
        "the recipe is version 0.1.0"
    );
    let next = dir.join("recipes-next");
    std::fs::create_dir_all(&next).unwrap();
    std::fs::write(
        next.join(format!("{COMPONENT}.yaml")),
        recipe.replace("ComponentVersion: \"0.1.0\"", "ComponentVersion: \"0.2.0\""),
    )
    .unwrap();
    (artifacts, next)
}

#[test]
fn an_update_waits_for_the_batch_in_flight_then_the_new_version_keeps_the_queue() {
    let io = tokio::runtime::Runtime::new().unwrap();
    let answered: Answered = Arc::default();
    let down = Arc::new(AtomicBool::new(false));
    let stub = io.block_on(Stub::start(kinesis(answered.clone(), down.clone())));
    let dir = tempfile::Builder::new()
        .prefix("suota")
        .tempdir_in("/tmp")
        .unwrap();
    let (artifacts, next_recipes) = stage(dir.path());
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let first = dir.path().join("deployment-0.1.0.json");
    std::fs::write(&first, deployment("0.1.0", "before", &stub.url).to_string()).unwrap();
    let config = dir.path().join("runtime.json");
    std::fs::write(
        &config,
        r#"{"thingName": "ota-gateway", "region": "us-east-1",
            "credentials": {"accessKeyId": "testing", "secretAccessKey": "testing"}}"#,
    )
    .unwrap();
    let root = dir.path().join("root");
    let runtime_log = std::fs::File::create(dir.path().join("runtime.log")).unwrap();
    let _runtime = Runtime(
        Command::new(gg_local_bin())
            .arg("run")
            .arg("--root")
            .arg(&root)
            .arg("--recipes")
            .arg(repo.join("recipes"))
            .arg("--recipes")
            .arg(&next_recipes)
            .arg("--artifacts")
            .arg(&artifacts)
            .arg("--deployment")
            .arg(&first)
            .arg("--config")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(runtime_log.try_clone().unwrap())
            .stderr(runtime_log)
            .spawn()
            .unwrap(),
    );
    let runtime_log =
        || std::fs::read_to_string(dir.path().join("runtime.log")).unwrap_or_default();
    wait_until("0.1.0 uploading", Duration::from_secs(30), &root, || {
        component_log(&root).contains("Uploading.")
    });
    let old_pids = uploader_pids(&artifacts, "0.1.0");
    assert_eq!(old_pids.len(), 1, "one 0.1.0 process");

    // A batch goes out and the destination sits on it.
    stub.hold.store(true, Ordering::SeqCst);
    for n in 0..10 {
        publish(&root, n);
    }
    wait_until("a batch in flight", Duration::from_secs(30), &root, || {
        stub.arrived.load(Ordering::SeqCst) >= 1
    });

    // 0.2.0 is deployed while the batch is in flight: the deployment waits.
    let next = dir.path().join("deployment-0.2.0.json");
    std::fs::write(&next, deployment("0.2.0", "after", &stub.url).to_string()).unwrap();
    let deploying = {
        let root = root.clone();
        std::thread::spawn(move || {
            Command::new(gg_local_bin())
                .args(["deploy", "--root"])
                .arg(&root)
                .arg(&next)
                .stdout(Stdio::null())
                .status()
                .unwrap()
        })
    };
    wait_until(
        "the update deferred twice",
        Duration::from_secs(30),
        &root,
        || {
            runtime_log()
                .matches("A component deferred the update.")
                .count()
                >= 2
        },
    );
    assert!(
        component_log(&root).contains("a batch is in flight")
            || component_log(&root).contains("deferred=true"),
        "the uploader says why it deferred:\n{}",
        component_log(&root)
    );
    assert!(
        !deploying.is_finished(),
        "the deployment waits for the batch"
    );
    assert_eq!(
        uploader_pids(&artifacts, "0.1.0"),
        old_pids,
        "0.1.0 still runs"
    );
    assert!(uploader_pids(&artifacts, "0.2.0").is_empty());

    // The destination acknowledges the batch, then is down: later batches fail and their
    // records stay queued through the update.
    down.store(true, Ordering::SeqCst);
    stub.hold.store(false, Ordering::SeqCst);
    let status = deploying.join().unwrap();
    assert!(
        status.success(),
        "the deployment succeeds; runtime log:\n{}",
        runtime_log()
    );
    wait_until("0.2.0 uploading", Duration::from_secs(30), &root, || {
        component_log(&root).matches("Uploading.").count() >= 2
    });
    let new_pids = uploader_pids(&artifacts, "0.2.0");
    assert_eq!(new_pids.len(), 1, "one 0.2.0 process");
    assert!(
        uploader_pids(&artifacts, "0.1.0").is_empty(),
        "0.1.0 stopped"
    );
    assert_ne!(new_pids, old_pids);
    let held = answered.lock().unwrap()[0].clone();
    assert_eq!(held.0, "before", "the held batch was acknowledged to 0.1.0");

    // The destination is back; more messages come for the new version.
    down.store(false, Ordering::SeqCst);
    for n in 10..15 {
        publish(&root, n);
    }
    wait_until(
        "every record delivered",
        Duration::from_secs(60),
        &root,
        || {
            let got: usize = answered
                .lock()
                .unwrap()
                .iter()
                .map(|(_, ids, _)| ids.len())
                .sum();
            got >= 15
        },
    );
    std::thread::sleep(Duration::from_millis(500));
    let answered = answered.lock().unwrap().clone();
    let mut per_id: HashMap<String, u32> = HashMap::new();
    let mut ns = Vec::new();
    for (i, (stream, ids, batch_ns)) in answered.iter().enumerate() {
        let expected = if i == 0 { "before" } else { "after" };
        assert_eq!(
            stream, expected,
            "call {i}: the new configuration is in use after the update"
        );
        for id in ids {
            *per_id.entry(id.clone()).or_insert(0) += 1;
        }
        ns.extend(batch_ns.iter().copied());
    }
    ns.sort_unstable();
    assert_eq!(
        ns,
        (0..15).collect::<Vec<_>>(),
        "every message exactly once"
    );
    assert!(
        per_id.values().all(|c| *c == 1),
        "each record id once: {per_id:?}"
    );
    let stores: std::collections::HashSet<&str> = per_id
        .keys()
        .filter_map(|id| id.rsplit_once('-').map(|(s, _)| s))
        .collect();
    assert_eq!(
        stores.len(),
        1,
        "one queue across both versions: {stores:?}"
    );
    let log = component_log(&root);
    let reopened = log
        .lines()
        .filter(|l| l.contains("Queue opened."))
        .nth(1)
        .unwrap_or_default();
    assert!(
        !reopened.contains("backlog=0"),
        "records were still queued at the update: {reopened}"
    );
}
