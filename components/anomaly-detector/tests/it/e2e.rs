//! End to end under gg-local (the local Greengrass runtime): the detector and its model
//! component deployed from the repository's recipes, a SKAB file replayed as filtered readings,
//! the alarm raised inside the labelled anomaly, then acknowledged through the command topic.
//!
//! SKAB is GPL-3.0 test input and is not in the repository: `$SKAB_DIR` (default
//! `../shared/datasets/skab` next to the repository).

use crate::support::{recipe_points, repo, shipped_model};
use anomaly_detector::model::{MANIFEST_FILE, Model, ONNX_FILE};
use edge_model::{BatchBuilder, DeviceId, GatewayId, Quality, Reading, Source};
use gg_local::testing::{Deployment, gg_local_bin as gg_local};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The replayed file and its labelled anomaly (rows, from the file's `anomaly` column).
const FILE: &str = "valve1/1.csv";
const T0: i64 = 1_583_748_873_000;

/// The SKAB folder, or `None` (with a loud note) when this machine has no copy: the dataset is
/// GPL-3.0 test input that the repository must not carry, so a clean clone may lack it.
fn skab_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("SKAB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/datasets/skab"));
    if dir.join(FILE).exists() {
        return Some(dir);
    }
    eprintln!(
        "SKIPPED: the end-to-end test replays SKAB's {FILE}; set SKAB_DIR to a SKAB data folder ({} is missing)",
        dir.display()
    );
    None
}

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

/// `gg-local sub` on `filter`, its JSON lines sent to the returned channel.
fn subscribe(root: &Path, filter: &str) -> (Kill, mpsc::Receiver<Value>) {
    let mut child = Command::new(gg_local())
        .args(["sub", "--root"])
        .arg(root)
        .arg(filter)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str::<Value>(&line)
                && tx.send(v).is_err()
            {
                return;
            }
        }
    });
    (Kill(child), rx)
}

fn publish(root: &Path, topic: &str, body: &Value) {
    let status = Command::new(gg_local())
        .args(["pub", "--root"])
        .arg(root)
        .arg(topic)
        .arg(body.to_string())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "gg-local pub {topic}");
}

/// Rows and labels of the replayed file.
fn read_skab(dir: &Path, features: &[String]) -> (Vec<Vec<f64>>, Vec<bool>) {
    let text = std::fs::read_to_string(dir.join(FILE)).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(';').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
    let cols: Vec<usize> = features.iter().map(|f| col(f)).collect();
    let label = col("anomaly");
    let (mut rows, mut labels) = (Vec::new(), Vec::new());
    for line in lines {
        let cells: Vec<&str> = line.split(';').collect();
        rows.push(cols.iter().map(|&c| cells[c].parse().unwrap()).collect());
        labels.push(cells[label].parse::<f64>().unwrap() >= 0.5);
    }
    (rows, labels)
}

fn wait_for(
    rx: &mpsc::Receiver<Value>,
    what: &str,
    deadline: Instant,
    check: impl Fn(&Value) -> bool,
) -> Value {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(v) if check(&v["message"]) => return v["message"].clone(),
            Ok(_) => {}
            Err(_) => panic!("timed out waiting for {what}"),
        }
    }
}

#[test]
fn under_gg_local_a_replayed_skab_file_raises_the_alarm_inside_the_labelled_anomaly() {
    let Some(skab) = skab_dir() else { return };
    let model = Model::load(&shipped_model()).unwrap();
    let features = model.manifest().features.clone();
    let (rows, labels) = read_skab(&skab, &features);
    let shipped = shipped_model();
    // The detector from its recipe (default configuration: the SKAB rig), the recipe's model
    // dependency staged from the shipped files.
    let runtime = Deployment::new()
        .component(
            "com.smartfactory.AnomalyDetector",
            Path::new(env!("CARGO_BIN_EXE_anomaly-detector")),
            "anomaly-detector",
            json!({"baselineSteps": "400", "alarm": {"minDurationMs": "10000"}}),
        )
        .files(
            "com.smartfactory.model.PcaT2q",
            &model.manifest().version,
            &[&shipped.join(MANIFEST_FILE), &shipped.join(ONNX_FILE)],
        )
        .start();
    let root = runtime.root().to_owned();
    let deadline = Instant::now() + Duration::from_secs(180);
    // The runtime's socket and the detector's subscriptions must be up before the replay.
    while !runtime
        .log("com.smartfactory.AnomalyDetector")
        .contains("Scoring windows")
    {
        assert!(
            Instant::now() < deadline,
            "the detector did not start: {:?}",
            std::fs::read_dir(&root).map(|d| d.count())
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let (_alarm_sub, alarms) = subscribe(&root, "factory/alarm/+");
    let (_resp_sub, responses) = subscribe(
        &root,
        "factory/command-response/com.smartfactory.AnomalyDetector",
    );
    std::thread::sleep(Duration::from_millis(500));

    let device = DeviceId::new("skab-rig").unwrap();
    let points = recipe_points(&features);
    let mut builder = BatchBuilder::new(GatewayId::new("e2e-gateway").unwrap(), device.clone(), 0);
    let mut batch_rows = 0;
    for (i, row) in rows.iter().enumerate() {
        let t = T0 + i as i64 * 1000;
        for (p, v) in points.iter().zip(row) {
            let r = Reading::new(
                Source::new(device.clone(), p.as_str()),
                *v,
                Quality::Good,
                t,
            )
            .with_device_time_ms(t);
            if let Some(b) = builder.push(r).unwrap() {
                publish(
                    &root,
                    "factory/filtered/skab-rig",
                    &serde_json::to_value(&b).unwrap(),
                );
            }
        }
        batch_rows += 1;
        if batch_rows == 5 {
            if let Some(b) = builder.finish() {
                publish(
                    &root,
                    "factory/filtered/skab-rig",
                    &serde_json::to_value(&b).unwrap(),
                );
            }
            batch_rows = 0;
        }
    }
    if let Some(b) = builder.finish() {
        publish(
            &root,
            "factory/filtered/skab-rig",
            &serde_json::to_value(&b).unwrap(),
        );
    }

    let first = labels.iter().position(|&l| l).unwrap() as i64;
    let last = labels.iter().rposition(|&l| l).unwrap() as i64;
    let active = wait_for(&alarms, "an active alarm", deadline, |m| {
        m["state"] == json!("active")
    });
    let t = (active["timeMs"].as_i64().unwrap() - T0) / 1000;
    assert!(
        t >= first && t <= last + 60,
        "alarm raised at row {t}, labelled anomaly rows {first}..={last}"
    );
    assert_eq!(active["alarmId"], json!("anomaly.pca-t2q"));

    publish(
        &root,
        "factory/command/com.smartfactory.AnomalyDetector",
        &json!({
        "requestId": "ack-1", "action": "acknowledge", "device": "skab-rig", "alarmId": "anomaly.pca-t2q", "user": "e2e"}),
    );
    let response = wait_for(&responses, "the acknowledgement response", deadline, |m| {
        m["requestId"] == json!("ack-1")
    });
    // Acknowledged if the alarm was still active when the command arrived; otherwise it had
    // already cleared and the refusal says so.
    if response["ok"] == json!(true) {
        assert!(
            matches!(response["state"].as_str(), Some("acknowledged" | "normal")),
            "{response}"
        );
    } else {
        assert!(
            response["error"]
                .as_str()
                .unwrap()
                .contains("only an active alarm"),
            "{response}"
        );
    }
}
