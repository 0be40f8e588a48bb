//! The FilterAggregator's own process holding 100k active points under gg-local: the resident
//! set a gateway operator sees in `top`, binary, runtime, IPC buffers and allocator included.
//! A feeder component (this binary, in `feed` mode) reads the in-process phase's 100k points
//! with the same rules, in real time: every point once per period, in raw batches of 60
//! readings of one device; the bench samples the component's `/proc` counters meanwhile. The
//! feeder sums the component's own `received_total` metric, so a component that fell behind
//! (readings queued, not yet held) shows as processed < sent.

use crate::through_runtime::{launch, probe, run_dir, wait_for};
use component_kit::CLOUDWATCH_METRIC_TOPIC;
use component_kit::process_stats::{self, OwnMemory, ProcessStats};
use edge_model::{BatchBuilder, DeviceId, GatewayId, Reading};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The probe's device: no rule selects it, so its readings pass to its filtered topic.
const PROBE_DEVICE: &str = "bench-probe";

/// What the bench saw of the component's process.
#[derive(Debug)]
pub struct Memory {
    /// Its counters once it answered, before the first point.
    pub before: ProcessStats,
    /// Resident set after every point was read twice, KiB.
    pub two_rounds_kib: u64,
    /// Its counters after the last round, once it had taken in every reading (`peak_rss_kib`
    /// is the whole run's peak).
    pub end: ProcessStats,
    /// How much of that resident set is the process's own (the C library's pages are shared
    /// with every other process).
    pub end_own: OwnMemory,
    /// Readings fed, and readings the component counted as received.
    pub sent: u64,
    pub processed: u64,
    /// The component's CPU time over the feed's wall time, percent of one core.
    pub cpu_percent: f64,
    pub rounds: usize,
}

/// What the feeder reports.
#[derive(Debug, serde::Deserialize)]
struct Fed {
    sent: u64,
    processed: u64,
}

/// Runs the component with `rules` under gg-local and feeds `points` points for `rounds`
/// rounds of `period_ms`.
pub fn measure(
    gg_local: &Path,
    component: &Path,
    rules: &serde_json::Value,
    points: usize,
    rounds: usize,
    period_ms: u64,
) -> anyhow::Result<Memory> {
    let dir = run_dir();
    let merge = json!({"rules": rules, "metricsIntervalMs": 2000});
    let runtime = launch(
        gg_local,
        component,
        &format!("feed {} {points} {rounds} {period_ms}", dir.display()),
        &[
            CLOUDWATCH_METRIC_TOPIC,
            &format!("factory/filtered/{PROBE_DEVICE}"),
        ],
        &merge,
    )?;
    wait_for(
        &dir.join("ready"),
        120,
        "the FilterAggregator did not answer",
    )?;
    let pid = process_stats::pid_running(|exe| exe == runtime.component)
        .ok_or_else(|| anyhow::anyhow!("no process runs {}", runtime.component.display()))?;
    let stats = || ProcessStats::of(pid);
    let before = stats()?;
    std::fs::write(dir.join("go"), "")?;
    let started = Instant::now();
    let deadline = started + Duration::from_millis(period_ms * rounds as u64 + 180_000);
    let (mut two_rounds, mut last_progress) = (None, 0);
    let result = dir.join("result.json");
    while !result.exists() {
        anyhow::ensure!(Instant::now() < deadline, "the feeder did not finish");
        let progress = std::fs::read_to_string(dir.join("progress"))
            .ok()
            .and_then(|s| s.trim().parse::<usize>().ok())
            .unwrap_or(0);
        if progress != last_progress {
            eprintln!("runtime memory: round {progress}/{rounds}");
            last_progress = progress;
        }
        if progress >= 2 && two_rounds.is_none() {
            two_rounds = Some(stats()?.rss_kib);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let end = stats()?;
    let end_own = OwnMemory::of(pid)?;
    let fed: Fed = serde_json::from_str(&std::fs::read_to_string(&result)?)?;
    Ok(Memory {
        before,
        two_rounds_kib: two_rounds.unwrap_or(0),
        end,
        end_own,
        sent: fed.sent,
        processed: fed.processed,
        cpu_percent: 100.0 * (end.cpu_seconds - before.cpu_seconds)
            / started.elapsed().as_secs_f64(),
        rounds,
    })
}

/// `feed DIR POINTS ROUNDS PERIOD_MS`: the feeder component's side.
pub async fn feed(dir: &Path, points: usize, rounds: usize, period_ms: u64) -> anyhow::Result<()> {
    let ipc = ggipc::IpcClient::connect_from_env().await?;
    let received = count_received(&ipc).await?;
    let device = DeviceId::new(PROBE_DEVICE)?;
    let mut answers = ipc
        .subscribe_to_topic(&format!("factory/filtered/{PROBE_DEVICE}"), None)
        .await?;
    probe(&ipc, &device, &mut answers).await?;
    // Probes published before the component subscribed were never received: the readings
    // counted from here on are the fed ones (metrics come every 2 s).
    tokio::time::sleep(Duration::from_millis(4_500)).await;
    let probes = received.load(Ordering::Relaxed);
    write_atomically(&dir.join("ready"), "")?;
    let go = dir.join("go");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !go.exists() {
        anyhow::ensure!(
            Instant::now() < deadline,
            "no go from the bench within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let gateway = GatewayId::new("bench-gateway")?;
    let devices: Vec<DeviceId> = (0..crate::DEVICES)
        .map(|d| DeviceId::new(format!("line1-press{d}")))
        .collect::<Result<_, _>>()?;
    let per_device = points / devices.len();
    // Each round's batches are spread evenly over the period, as devices polled on their own
    // schedules would publish them (a round in one burst would measure the queue of messages
    // waiting to be decoded, not the points).
    let batches_per_round = (devices.len() * per_device.div_ceil(crate::BATCH)).max(1) as u64;
    let gap = Duration::from_millis(period_ms) / u32::try_from(batches_per_round)?;
    let started = tokio::time::Instant::now();
    let (mut sent, mut published) = (0u64, 0u32);
    for round in 0..rounds {
        for device in &devices {
            let topic = format!("factory/raw/{}", device.as_str());
            let mut builder = BatchBuilder::new(gateway.clone(), device.clone(), 0);
            for first in (0..per_device).step_by(crate::BATCH) {
                tokio::time::sleep_until(started + gap * published).await;
                published += 1;
                let t = edge_model::time::now_epoch_ms();
                let readings: Vec<Reading> = (first..(first + crate::BATCH).min(per_device))
                    .map(|p| crate::reading(device, p, round as u64, t))
                    .collect();
                sent += readings.len() as u64;
                for batch in builder.split(readings)? {
                    ipc.publish_json(&topic, serde_json::to_value(batch)?)
                        .await?;
                }
            }
        }
        write_atomically(&dir.join("progress"), &(round + 1).to_string())?;
    }
    tokio::time::sleep_until(started + gap * published).await;
    // The component's metrics arrive every 2 s: wait until they count every reading.
    let expected = sent + probes;
    let deadline = Instant::now() + Duration::from_secs(60);
    while received.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let processed = received.load(Ordering::Relaxed).saturating_sub(probes);
    let out = json!({"sent": sent, "processed": processed});
    write_atomically(&dir.join("result.json"), &out.to_string())
}

/// Sums the component's `received_total` counter increases, as its metrics arrive.
async fn count_received(ipc: &ggipc::IpcClient) -> anyhow::Result<Arc<AtomicU64>> {
    let mut metrics = ipc
        .subscribe_to_topic(CLOUDWATCH_METRIC_TOPIC, None)
        .await?;
    let received = Arc::new(AtomicU64::new(0));
    let total = received.clone();
    tokio::spawn(async move {
        while let Some(Ok(message)) = metrics.next().await {
            let Some(body) = message.json_message.map(|j| j.message) else {
                continue;
            };
            let data = &body["request"]["metricData"];
            if data["metricName"] == component_kit::metrics::names::RECEIVED_TOTAL {
                let value = data["value"].as_f64().unwrap_or(0.0);
                total.fetch_add(value as u64, Ordering::Relaxed);
            }
        }
    });
    Ok(received)
}

fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let tmp: PathBuf = path.with_extension("tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(tmp, path)?;
    Ok(())
}
