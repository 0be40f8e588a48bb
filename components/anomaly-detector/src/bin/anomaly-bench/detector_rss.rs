//! Memory of the real detector: the release `anomaly-detector` binary deployed under gg-local
//! (the local Greengrass runtime) with a model component, fed filtered readings for several
//! devices through IPC (baseline refit, then one scored window per step and device, with an
//! injected fault so alarms run too), and its VmRSS / VmHWM read from /proc.

use anomaly_detector::model::{MANIFEST_FILE, Model, ONNX_FILE};
use component_kit::process_stats::ProcessStats;
use edge_model::{BatchBuilder, DeviceId, GatewayId, Quality, Reading, Source};
use ggipc::model::PublishMessage;
use ggipc::{ConnectOptions, IpcClient};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const DETECTOR: &str = "com.smartfactory.AnomalyDetector";
const T0: i64 = 1_700_000_000_000;
/// The point ids the recipe's example device maps the SKAB features to.
const POINTS: [&str; 8] = [
    "accelerometer1Rms",
    "accelerometer2Rms",
    "current",
    "pressure",
    "temperature",
    "thermocouple",
    "voltage",
    "volumeFlowRateRms",
];

/// What one run measured.
#[derive(Debug)]
pub struct DetectorRss {
    /// VmRSS once the model is loaded and nothing was fed, KiB.
    pub idle_kib: u64,
    /// VmRSS after the load, KiB.
    pub after_kib: u64,
    /// VmHWM (peak RSS) over the whole run, KiB.
    pub peak_kib: u64,
    /// Devices fed.
    pub devices: usize,
    /// Steps fed per device.
    pub steps: usize,
    /// Anomaly events the detector published (scored windows).
    pub events: u64,
    /// Wall time from the first reading to the last event, s.
    pub seconds: f64,
}

/// The binaries the run needs: `anomaly-detector` and `gg-local` next to this benchmark (one
/// `cargo build --release -p anomaly-detector -p gg-local`), or `$GG_LOCAL_BIN`.
pub fn binaries() -> Result<(PathBuf, PathBuf), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let dir = exe.parent().ok_or("no folder for this binary")?;
    let detector = dir.join("anomaly-detector");
    let gg_local =
        std::env::var_os("GG_LOCAL_BIN").map_or_else(|| dir.join("gg-local"), PathBuf::from);
    for bin in [&detector, &gg_local] {
        if !bin.exists() {
            return Err(format!(
                "{} is missing: cargo build --release -p anomaly-detector -p gg-local",
                bin.display()
            ));
        }
    }
    let age = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if age(&detector) < age(&exe) {
        eprintln!(
            "note: {} is older than this benchmark; rebuild both with cargo build --release -p anomaly-detector",
            detector.display()
        );
    }
    Ok((detector, gg_local))
}

/// Deploys the detector with `model` under gg-local, feeds `devices` x `steps` and measures.
pub fn measure(
    model_dir: &Path,
    repo: &Path,
    devices: usize,
    steps: usize,
) -> Result<DetectorRss, String> {
    let (detector, gg_local) = binaries()?;
    let model = Model::load(model_dir).map_err(|e| e.to_string())?;
    let stage = Stage::new(&model, model_dir, repo, &detector, devices)?;
    let runtime = Runtime::start(&gg_local, repo, &stage)?;
    let pid = runtime.detector_pid(&stage, Duration::from_secs(120))?;
    let idle_kib = ProcessStats::of(pid).map_err(|e| e.to_string())?.rss_kib;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let (events, seconds) = rt.block_on(feed(&stage.root, &model, devices, steps))?;
    let stats = ProcessStats::of(pid).map_err(|e| format!("the detector exited: {e}"))?;
    Ok(DetectorRss {
        idle_kib,
        after_kib: stats.rss_kib,
        peak_kib: stats.peak_rss_kib,
        devices,
        steps,
        events,
        seconds,
    })
}

/// A temp folder laid out as gg-local wants it (as `scripts/stage-artifacts.sh` does).
struct Stage {
    dir: PathBuf,
    root: PathBuf,
    artifacts: PathBuf,
    deployment: PathBuf,
    config: PathBuf,
    detector_bin: PathBuf,
}

impl Stage {
    fn new(
        model: &Model,
        model_dir: &Path,
        repo: &Path,
        detector: &Path,
        devices: usize,
    ) -> Result<Self, String> {
        let m = model.manifest();
        let dir = std::env::temp_dir().join(format!(
            "anomaly-bench-rss-{}-{}",
            std::process::id(),
            m.name
        ));
        let artifacts = dir.join("artifacts");
        let bin_dir = artifacts.join(DETECTOR).join("0.1.0");
        // The recipe's hard dependency is staged as shipped; another model runs from its own
        // staged folder through `modelDir`.
        let pca_dir = artifacts.join("com.smartfactory.model.PcaT2q");
        let own_dir = dir.join("model").join(&m.name);
        let io = |e: std::io::Error| format!("staging in {}: {e}", dir.display());
        std::fs::create_dir_all(&bin_dir).map_err(io)?;
        std::fs::create_dir_all(&own_dir).map_err(io)?;
        let detector_bin = bin_dir.join(format!("anomaly-detector-{}", arch_suffix()));
        std::fs::copy(detector, &detector_bin).map_err(io)?;
        for f in [MANIFEST_FILE, ONNX_FILE] {
            std::fs::copy(model_dir.join(f), own_dir.join(f)).map_err(io)?;
        }
        let shipped_pca = repo.join("models/pca-t2q");
        let pca_version = Model::load(&shipped_pca)
            .map_err(|e| format!("{}: {e}", shipped_pca.display()))?
            .manifest()
            .version
            .clone();
        std::fs::create_dir_all(pca_dir.join(&pca_version)).map_err(io)?;
        for f in [MANIFEST_FILE, ONNX_FILE] {
            std::fs::copy(shipped_pca.join(f), pca_dir.join(&pca_version).join(f)).map_err(io)?;
        }
        let points: serde_json::Map<String, serde_json::Value> = m
            .features
            .iter()
            .zip(POINTS)
            .map(|(f, p)| (f.clone(), json!(p)))
            .collect();
        let device_map: serde_json::Map<String, serde_json::Value> = (0..devices)
            .map(|d| (device_name(d), json!({ "points": points })))
            .collect();
        let merge = json!({
            "modelDir": own_dir.display().to_string(),
            "baselineSteps": "400",
            "metricsIntervalMs": "5000",
            "devices": device_map,
        });
        let deployment = dir.join("deployment.json");
        let doc = json!({"components": {DETECTOR: {
            "componentVersion": "0.1.0",
            "configurationUpdate": {"merge": merge.to_string()},
        }}});
        std::fs::write(&deployment, doc.to_string()).map_err(io)?;
        let config = dir.join("runtime.json");
        std::fs::write(
            &config,
            r#"{"thingName": "bench-gateway", "region": "us-east-1"}"#,
        )
        .map_err(io)?;
        Ok(Self {
            root: dir.join("root"),
            dir,
            artifacts,
            deployment,
            config,
            detector_bin,
        })
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        let _ignored = std::fs::remove_dir_all(&self.dir);
    }
}

/// A running gg-local; SIGTERM on drop (it stops its components).
struct Runtime(Child);

impl Runtime {
    fn start(gg_local: &Path, repo: &Path, stage: &Stage) -> Result<Self, String> {
        Command::new(gg_local)
            .arg("run")
            .arg("--root")
            .arg(&stage.root)
            .arg("--recipes")
            .arg(repo.join("recipes"))
            .arg("--artifacts")
            .arg(&stage.artifacts)
            .arg("--deployment")
            .arg(&stage.deployment)
            .arg("--config")
            .arg(&stage.config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map(Self)
            .map_err(|e| format!("{}: {e}", gg_local.display()))
    }

    /// The detector's pid once its log says it scores windows (model loaded, subscribed).
    fn detector_pid(&self, stage: &Stage, within: Duration) -> Result<u32, String> {
        let log = stage.root.join("logs").join(format!("{DETECTOR}.log"));
        let deadline = Instant::now() + within;
        loop {
            let ready = std::fs::read_to_string(&log).is_ok_and(|l| l.contains("Scoring windows"));
            if ready && let Some(pid) = pid_of(&stage.detector_bin) {
                return Ok(pid);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the detector did not start within {within:?}; its log:\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        let _ignored = Command::new("kill").arg(self.0.id().to_string()).status();
        let _ignored = self.0.wait();
    }
}

/// The process running `bin` (its /proc/<pid>/exe).
fn pid_of(bin: &Path) -> Option<u32> {
    let bin = bin.canonicalize().ok()?;
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        (std::fs::read_link(e.path().join("exe")).ok()? == bin).then_some(pid)
    })
}

/// Publishes `steps` rows per device (5 steps per batch, devices interleaved), then waits until
/// the detector's anomaly events stop. Returns (events, seconds).
async fn feed(
    root: &Path,
    model: &Model,
    devices: usize,
    steps: usize,
) -> Result<(u64, f64), String> {
    let token = std::fs::read_to_string(root.join("cli.token")).map_err(|e| e.to_string())?;
    let client = IpcClient::connect(ConnectOptions::new(root.join("ipc.socket"), token.trim()))
        .await
        .map_err(|e| format!("connecting to gg-local: {e}"))?;
    let mut events = client
        .subscribe_to_topic("factory/anomaly/+", None)
        .await
        .map_err(|e| e.to_string())?;
    let (fed_tx, fed) = tokio::sync::watch::channel(false);
    // Counts events until, with everything fed, none came for 3 s (bounded: 10 minutes).
    let counter = tokio::spawn(async move {
        let (mut n, mut last) = (0u64, Instant::now());
        let deadline = Instant::now() + Duration::from_secs(600);
        while Instant::now() < deadline {
            match tokio::time::timeout(Duration::from_secs(3), events.next()).await {
                Ok(Some(Ok(_))) => {
                    n += 1;
                    last = Instant::now();
                }
                Ok(_) => break,
                Err(_) if *fed.borrow() => break,
                Err(_) => {}
            }
        }
        (n, last)
    });
    let started = Instant::now();
    let gateway = GatewayId::new("bench-gateway").map_err(|e| e.to_string())?;
    let mut builders = (0..devices)
        .map(|d| {
            DeviceId::new(device_name(d))
                .map(|id| (id.clone(), BatchBuilder::new(gateway.clone(), id, 0)))
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let levels = levels(model);
    let mut noise = Noise(0x2545_f491_4f6c_dd1d);
    for step in 0..steps {
        let t = T0 + step as i64 * model.manifest().step_ms as i64;
        // A 60-step fault (shifted levels) on every device after the baseline: alarms run.
        let fault = if (900..960).contains(&step) { 1.3 } else { 1.0 };
        for (device, builder) in &mut builders {
            for (i, (point, level)) in POINTS.iter().zip(&levels).enumerate() {
                let v = level * (1.0 + 0.01 * noise.next()) * if i % 3 == 0 { fault } else { 1.0 };
                let r = Reading::new(Source::new(device.clone(), *point), v, Quality::Good, t)
                    .with_device_time_ms(t);
                if let Some(b) = builder.push(r).map_err(|e| e.to_string())? {
                    publish(&client, device, &b).await?;
                }
            }
            if step % 5 == 4
                && let Some(b) = builder.finish()
            {
                publish(&client, device, &b).await?;
            }
        }
    }
    for (device, builder) in &mut builders {
        if let Some(b) = builder.finish() {
            publish(&client, device, &b).await?;
        }
    }
    let _ignored = fed_tx.send(true);
    let (n, last) = counter.await.map_err(|e| e.to_string())?;
    Ok((n, last.duration_since(started).as_secs_f64()))
}

async fn publish(
    client: &IpcClient,
    device: &DeviceId,
    batch: &edge_model::ReadingBatch,
) -> Result<(), String> {
    let body = serde_json::to_value(batch).map_err(|e| e.to_string())?;
    client
        .publish_to_topic(
            &format!("factory/filtered/{device}"),
            PublishMessage::json(body),
        )
        .await
        .map_err(|e| format!("publishing readings: {e}"))
}

fn device_name(d: usize) -> String {
    format!("bench-{d:02}")
}

/// SKAB-like levels in the model's feature order (the recipe's order matches SKAB's columns).
fn levels(model: &Model) -> Vec<f64> {
    let skab = [0.027, 0.04, 1.0, 0.07, 70.0, 25.0, 230.0, 32.0];
    (0..model.features())
        .map(|i| skab[i % skab.len()])
        .collect()
}

/// Deterministic noise in [-0.5, 0.5).
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    }
}

/// The artifact suffix the recipes use for this machine (as `gg_local::testing::arch_suffix`,
/// which is a test-only dependency of this crate).
fn arch_suffix() -> &'static str {
    match std::env::consts::ARCH {
        "aarch64" => "aarch64",
        "arm" => "armv7",
        _ => "x86_64",
    }
}
