//! End to end: the component binary deployed from the repository's recipe under gg-local (the
//! local Greengrass runtime), fed by a Python component publishing through awsiotsdk; what the
//! FilterAggregator publishes back is recorded by that component and checked here.

use gg_local::testing::{arch_suffix, gg_local_bin};
use serde_json::{Value as Json, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NAME: &str = "com.smartfactory.FilterAggregator";
const PUBLISHER: &str = "com.smartfactory.test.RawPublisher";

fn python() -> PathBuf {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let venv = repo.join(".peers/bin/python");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
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

fn publisher_recipe(result: &Path) -> Json {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/raw_publisher.py");
    json!({
        "RecipeFormatVersion": "2020-01-25",
        "ComponentName": PUBLISHER,
        "ComponentVersion": "1.0.0",
        "ComponentConfiguration": {"DefaultConfiguration": {"accessControl": {
            "aws.greengrass.ipc.pubsub": {
                "pub": {"operations": ["aws.greengrass#PublishToTopic"], "resources": ["factory/raw/*"]},
                "sub": {"operations": ["aws.greengrass#SubscribeToTopic"],
                        "resources": ["factory/filtered/*", "factory/agg/*", "factory/dead-letter/*"]},
            }
        }}},
        "Manifests": [{"Platform": {"os": "linux", "runtime": "*"}, "Lifecycle": {
            "Run": format!("{} -u {} {}", python().display(), script.display(), result.display()),
        }}],
    })
}

#[test]
fn under_gg_local_readings_from_an_awsiotsdk_publisher_come_back_filtered_and_aggregated() {
    let dir = tempfile::Builder::new()
        .prefix("fae2e")
        .tempdir_in("/tmp")
        .unwrap();
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let recipes = dir.path().join("recipes");
    std::fs::create_dir_all(&recipes).unwrap();
    std::fs::copy(
        repo.join(format!("recipes/{NAME}.yaml")),
        recipes.join(format!("{NAME}.yaml")),
    )
    .unwrap();
    let result = dir.path().join("result.json");
    std::fs::write(
        recipes.join(format!("{PUBLISHER}.json")),
        publisher_recipe(&result).to_string(),
    )
    .unwrap();
    let version_dir = dir.path().join(format!("artifacts/{NAME}/0.1.0"));
    std::fs::create_dir_all(&version_dir).unwrap();
    std::fs::copy(
        env!("CARGO_BIN_EXE_filter-aggregator"),
        version_dir.join(format!("filter-aggregator-{}", arch_suffix())),
    )
    .unwrap();
    // The recipe's default rule for `temperature` (number in -40..200, deadband 0.5) gets one
    // more window of 1 s; its 5 s grace keeps it open while the batch travels (the batch's
    // window is the last whole second), and a 200 ms tick closes it soon after.
    let merge = json!({"rules": {"temperature": {"windows": {"1s": {
        "lengthMs": 1000, "graceMs": 5000, "stats": ["count", "min", "max", "mean"],
    }}}}, "tickIntervalMs": 200});
    let deployment = json!({"components": {
        NAME: {"componentVersion": "0.1.0", "configurationUpdate": {"merge": merge.to_string()}},
        PUBLISHER: {"componentVersion": "1.0.0"},
    }});
    let deployment_path = dir.path().join("deployment.json");
    std::fs::write(&deployment_path, deployment.to_string()).unwrap();
    let config_path = dir.path().join("runtime.json");
    std::fs::write(
        &config_path,
        r#"{"thingName": "e2e-gateway", "region": "us-east-1"}"#,
    )
    .unwrap();
    let root = dir.path().join("root");
    let child = Command::new(gg_local_bin())
        .arg("run")
        .arg("--root")
        .arg(&root)
        .arg("--recipes")
        .arg(&recipes)
        .arg("--artifacts")
        .arg(dir.path().join("artifacts"))
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
    let deadline = Instant::now() + Duration::from_secs(60);
    while !result.exists() {
        let log = |c: &str| {
            std::fs::read_to_string(root.join(format!("logs/{c}.log"))).unwrap_or_default()
        };
        assert!(
            Instant::now() < deadline,
            "no result within 60 s.\nfilter log:\n{}\npublisher log:\n{}",
            log(NAME),
            log(PUBLISHER)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let got: Json = serde_json::from_str(&std::fs::read_to_string(&result).unwrap()).unwrap();
    assert_eq!(got.get("error"), None, "{got}");
    assert_eq!(got["filterLive"], true, "{got}");

    let values: Vec<f64> = got["filtered"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| {
            b["readings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["value"].as_f64().unwrap())
        })
        .collect();
    assert_eq!(
        values,
        [20.0, 21.0, 25.0],
        "deadband 0.5 under the runtime: {got}"
    );
    for batch in got["filtered"].as_array().unwrap() {
        crate::outputs::assert_schema(edge_model::MessageKind::Readings, batch);
        assert_eq!(batch["gatewayId"], "e2e-gateway");
    }

    let start = got["windowStartMs"].as_i64().unwrap();
    let aggregates: Vec<&Json> = got["agg"]
        .as_array()
        .unwrap()
        .iter()
        .inspect(|b| crate::outputs::assert_schema(edge_model::MessageKind::Aggregates, b))
        .flat_map(|b| b["aggregates"].as_array().unwrap())
        .collect();
    let window = aggregates
        .iter()
        .find(|a| a["window"]["startMs"] == start)
        .unwrap_or_else(|| panic!("no aggregate for the window at {start}: {got}"));
    assert_eq!(window["count"], 6, "the rejected 999.0 is not aggregated");
    assert_eq!(window["rule"], "temperature.1s");
    let mean = window["mean"].as_f64().unwrap();
    assert!((mean - (20.0 + 20.1 + 20.2 + 21.0 + 21.1 + 25.0) / 6.0).abs() < 1e-9);
    assert_eq!(
        (window["min"].as_f64(), window["max"].as_f64()),
        (Some(20.0), Some(25.0))
    );

    let reasons: Vec<&str> = got["dead"]
        .as_array()
        .unwrap()
        .iter()
        .inspect(|l| crate::outputs::assert_schema(edge_model::MessageKind::DeadLetter, l))
        .map(|l| l["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons.iter().any(|r| r.starts_with("malformed JSON")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("unsupported schemaVersion 2")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("999 above max 200")),
        "{reasons:?}"
    );
}
