//! Readings per second end to end through gg-local: a publisher component (this binary, in
//! `publish` mode) sends raw batches over IPC, the FilterAggregator (deployed from the
//! repository's recipe) filters them, and the publisher counts the filtered readings that come
//! back. Both directions cross the IPC socket, which is the limit.

use edge_model::{BatchBuilder, DeviceId, GatewayId, Quality, Reading, Source};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NAME: &str = "com.smartfactory.FilterAggregator";
const PUBLISHER: &str = "com.smartfactory.bench.RawPublisher";
const READINGS_PER_BATCH: usize = 60;

/// What the publisher measured.
#[derive(Debug, serde::Deserialize)]
pub struct Measured {
    /// Readings published.
    pub sent: u64,
    /// Filtered readings received back.
    pub received: u64,
    /// From the first publish to the last reading back, seconds.
    pub secs: f64,
}

/// The runtime process and its folder: SIGTERM (the runtime stops its components), then the
/// folder goes.
pub struct Runtime {
    child: Child,
    /// The run's folder: recipes, artifacts, the runtime's root, the publisher's result.
    pub base: PathBuf,
    /// The FilterAggregator binary as staged (its processes run this file).
    pub component: PathBuf,
}

impl Drop for Runtime {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

/// Starts gg-local with the FilterAggregator binary `component` (the repository's recipe,
/// `merge` merged into its configuration) and a bench component that runs this binary with
/// `args`, allowed to publish raw readings and to subscribe to `subscribes`.
pub fn launch(
    gg_local: &Path,
    component: &Path,
    args: &str,
    subscribes: &[&str],
    merge: &serde_json::Value,
) -> anyhow::Result<Runtime> {
    let base = run_dir();
    let _ = std::fs::remove_dir_all(&base);
    let recipes = base.join("recipes");
    std::fs::create_dir_all(&recipes)?;
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::copy(
        repo.join(format!("recipes/{NAME}.yaml")),
        recipes.join(format!("{NAME}.yaml")),
    )?;
    let run = format!("{} {args}", std::env::current_exe()?.display());
    let recipe = json!({
        "RecipeFormatVersion": "2020-01-25", "ComponentName": PUBLISHER, "ComponentVersion": "1.0.0",
        "ComponentConfiguration": {"DefaultConfiguration": {"accessControl": {"aws.greengrass.ipc.pubsub": {
            "pub": {"operations": ["aws.greengrass#PublishToTopic"], "resources": ["factory/raw/*"]},
            "sub": {"operations": ["aws.greengrass#SubscribeToTopic"], "resources": subscribes},
        }}}},
        "Manifests": [{"Platform": {"os": "linux", "runtime": "*"}, "Lifecycle": {"Run": run}}],
    });
    std::fs::write(
        recipes.join(format!("{PUBLISHER}.json")),
        recipe.to_string(),
    )?;
    let arch = match std::env::consts::ARCH {
        "aarch64" => "aarch64",
        "arm" => "armv7",
        _ => "x86_64",
    };
    let artifacts = base.join(format!("artifacts/{NAME}/0.1.0"));
    std::fs::create_dir_all(&artifacts)?;
    let staged = artifacts.join(format!("filter-aggregator-{arch}"));
    std::fs::copy(component, &staged)?;
    let deployment = json!({"components": {
        NAME: {"componentVersion": "0.1.0", "configurationUpdate": {"merge": merge.to_string()}},
        PUBLISHER: {"componentVersion": "1.0.0"},
    }});
    std::fs::write(base.join("deployment.json"), deployment.to_string())?;
    std::fs::write(
        base.join("runtime.json"),
        r#"{"thingName": "bench-gateway", "region": "us-east-1"}"#,
    )?;
    let child = Command::new(gg_local)
        .arg("run")
        .arg("--root")
        .arg(base.join("root"))
        .arg("--recipes")
        .arg(&recipes)
        .arg("--artifacts")
        .arg(base.join("artifacts"))
        .arg("--deployment")
        .arg(base.join("deployment.json"))
        .arg("--config")
        .arg(base.join("runtime.json"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    Ok(Runtime {
        child,
        base,
        component: staged,
    })
}

/// The run's folder (one run at a time per bench process).
pub fn run_dir() -> PathBuf {
    std::env::temp_dir().join(format!("fabench-{}", std::process::id()))
}

/// Waits up to `secs` for `path` to exist.
pub fn wait_for(path: &Path, secs: u64, what: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !path.exists() {
        anyhow::ensure!(Instant::now() < deadline, "{what} within {secs} s");
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

/// Runs gg-local with the FilterAggregator binary `component` and the publisher, and waits for
/// the publisher's result.
pub fn measure(gg_local: &Path, component: &Path, batches: usize) -> anyhow::Result<Measured> {
    // Every bench reading is validated and aggregated; none is held back by a deadband, so
    // each one comes back on the filtered topic.
    let merge = json!({"rules": {"bench": {"priority": 1, "points": "p*",
        "validate": {"type": "number", "min": -1e6, "max": 1e6},
        "windows": {"10s": {"lengthMs": 10000, "stats": ["count", "min", "max", "mean"]}}}}});
    let result = run_dir().join("result.json");
    let _runtime = launch(
        gg_local,
        component,
        &format!("publish {} {batches}", result.display()),
        &["factory/filtered/*"],
        &merge,
    )?;
    wait_for(&result, 180, "no result from the publisher")?;
    Ok(serde_json::from_str(&std::fs::read_to_string(&result)?)?)
}

/// `publish RESULT BATCHES`: the publisher component's side.
pub async fn publish(result: &Path, batches: usize) -> anyhow::Result<()> {
    let ipc = ggipc::IpcClient::connect_from_env().await?;
    let mut sub = ipc
        .subscribe_to_topic("factory/filtered/bench", None)
        .await?;
    let device = DeviceId::new("bench")?;
    let gateway = GatewayId::new("bench-gateway")?;
    let mut builder = BatchBuilder::new(gateway, device.clone(), 0);
    let mut batch = |n: usize, k: usize| {
        let now = edge_model::time::now_epoch_ms();
        let readings = (0..k).map(|i| {
            Reading::new(
                Source::new(device.clone(), format!("p{i}")),
                (n * k + i) as f64,
                Quality::Good,
                now,
            )
        });
        builder.split(readings).map(|b| {
            b.into_iter()
                .filter_map(|b| serde_json::to_value(b).ok())
                .collect::<Vec<_>>()
        })
    };
    probe(&ipc, &device, &mut sub).await?;
    // Drain late probe answers.
    while tokio::time::timeout(Duration::from_millis(500), sub.next())
        .await
        .is_ok()
    {}
    let sent = (batches * READINGS_PER_BATCH) as u64;
    let counter = tokio::spawn(async move {
        let mut received = 0u64;
        while received < sent {
            match tokio::time::timeout(Duration::from_secs(10), sub.next()).await {
                Ok(Some(Ok(message))) => {
                    received += message
                        .json_message
                        .and_then(|j| j.message["readings"].as_array().map(|r| r.len() as u64))
                        .unwrap_or(0);
                }
                _ => break,
            }
        }
        (received, Instant::now())
    });
    let started = Instant::now();
    for n in 0..batches {
        for body in batch(n + 1, READINGS_PER_BATCH)? {
            ipc.publish_json("factory/raw/bench", body).await?;
        }
    }
    let (received, finished) = counter.await?;
    let secs = finished.duration_since(started).as_secs_f64();
    let out = json!({"sent": sent, "received": received, "secs": secs});
    let tmp = result.with_extension("tmp");
    std::fs::write(&tmp, out.to_string())?;
    std::fs::rename(tmp, result)?;
    Ok(())
}

/// Publishes a reading of `device` until the FilterAggregator is subscribed and `answers` (a
/// subscription to the device's filtered topic; no rule may hold the reading back) receives it.
pub async fn probe(
    ipc: &ggipc::IpcClient,
    device: &DeviceId,
    answers: &mut ggipc::Subscription<ggipc::model::SubscriptionResponseMessage>,
) -> anyhow::Result<()> {
    let mut builder = BatchBuilder::new(GatewayId::new("bench-gateway")?, device.clone(), 0);
    let topic = format!("factory/raw/{}", device.as_str());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the FilterAggregator never answered"
        );
        let reading = Reading::new(
            Source::new(device.clone(), "p0"),
            0.0,
            Quality::Good,
            edge_model::time::now_epoch_ms(),
        );
        for batch in builder.split([reading])? {
            ipc.publish_json(&topic, serde_json::to_value(batch)?)
                .await?;
        }
        if tokio::time::timeout(Duration::from_millis(300), answers.next())
            .await
            .is_ok()
        {
            return Ok(());
        }
    }
}
