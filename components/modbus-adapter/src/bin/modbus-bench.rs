//! Benchmark: 10 devices × 100 points against our pymodbus simulator. Prints requests per cycle
//! (ours, naive one-per-point, optimum), points/s sustained, CPU % and RSS of this process (the
//! adapter's pollers, decoding and batch serialisation), and a pymodbus client doing the same reads
//! as a reference. One table, then one JSON line.
//!
//! `cargo run --release -p modbus-adapter --bin modbus-bench -- [seconds]` (default 10), after
//! `scripts/setup-test-env.sh` (the simulator runs on `.peers/bin/python`, or `$GG_TEST_PYTHON`).

use anyhow::{Context, bail};
use component_kit::backoff::Backoff;
use component_kit::outlet::ChannelOutlet;
use component_kit::process_stats::ProcessStats;
use edge_model::{ComponentName, GatewayId};
use modbus_adapter::config::{DeviceConfig, validate_device};
use modbus_adapter::device::Device;
use modbus_adapter::plan::{Span, optimal_request_count, plan};
use modbus_adapter::poller::{DeviceMetrics, PollerEnv, poll_device};
use serde_json::json;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const DEVICES: usize = 10;
const POINTS_PER_DEVICE: usize = 100;
const INTERVAL_MS: u64 = 1000;

fn main() -> anyhow::Result<()> {
    let seconds: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(10);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run(seconds))
}

/// 100 holding-register points of mixed widths with gaps of 0..20 registers (deterministic).
fn points() -> serde_json::Value {
    let (types, gaps) = (
        ["u16", "i16", "u32", "f32", "f64", "u16", "i32"],
        [0u32, 0, 1, 2, 5, 20, 0, 3],
    );
    let mut address = 0u32;
    let mut map = serde_json::Map::new();
    for i in 0..POINTS_PER_DEVICE {
        let t = types[(i * 7 + 3) % types.len()];
        address += gaps[(i * 5 + 1) % gaps.len()];
        map.insert(format!("p{i:03}"), json!({"address": address, "type": t}));
        address += match t {
            "u32" | "i32" | "f32" => 2,
            "f64" => 4,
            _ => 1,
        };
    }
    serde_json::Value::Object(map)
}

fn python() -> PathBuf {
    std::env::var_os("GG_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.peers/bin/python")
        })
}

fn peers_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers")
}

/// The simulator; killed on drop.
struct Sim(Child);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_sim() -> anyhow::Result<(Sim, u16)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new(python())
        .arg(peers_dir().join("modbus_sim.py"))
        .args(["127.0.0.1", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("start the simulator (run scripts/setup-test-env.sh first)")?;
    let sim = Sim(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("the simulator did not listen within 10 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok((sim, port))
}

async fn run(seconds: u64) -> anyhow::Result<()> {
    let (_sim, port) = start_sim()?;
    let mut devices: Vec<Device> = Vec::new();
    for d in 0..DEVICES {
        let config: DeviceConfig = serde_json::from_value(json!({
            "transport": {"type": "tcp", "host": "127.0.0.1", "port": port},
            "pollIntervalMs": INTERVAL_MS,
            "points": points(),
        }))?;
        devices.push(
            validate_device(&format!("bench-{d}"), config).map_err(|e| anyhow::anyhow!("{e}"))?,
        );
    }
    let naive: usize = devices.iter().map(|d| d.points.len()).sum();
    let ours: usize = devices
        .iter()
        .map(|d| plan(&d.points, &d.limits).len())
        .sum();
    let optimum: usize = devices
        .iter()
        .map(|d| {
            let spans: Vec<Span> = d
                .points
                .iter()
                .map(|p| Span {
                    unit: p.unit_id,
                    table: p.table,
                    group: p.group,
                    start: u32::from(p.address),
                    end: p.end(),
                })
                .collect();
            optimal_request_count(&spans, &d.limits)
        })
        .sum();
    let reference_plan: Vec<(String, u16, u16)> = plan(&devices[0].points, &devices[0].limits)
        .iter()
        .map(|r| (r.table.as_str().to_owned(), r.start, r.count))
        .collect();

    let (tx, mut rx) = mpsc::unbounded_channel::<(String, serde_json::Value)>();
    let metrics = component_kit::Metrics::new();
    let shutdown = CancellationToken::new();
    let mut queues = Vec::new();
    for device in devices {
        let env = PollerEnv {
            outlet: ChannelOutlet(tx.clone()),
            component: ComponentName::new("com.smartfactory.ModbusAdapter")?,
            gateway: GatewayId::new("bench-gateway")?,
            metrics: DeviceMetrics::new(&metrics, device.id.as_str()),
            backoff: Backoff::default(),
        };
        let (queue, writes) = mpsc::channel(1);
        queues.push(queue);
        tokio::spawn(poll_device(device, env, writes, shutdown.child_token()));
    }
    drop(tx);
    let counter = tokio::spawn(async move {
        let (mut readings, mut good) = (0u64, 0u64);
        while let Some((topic, body)) = rx.recv().await {
            if !topic.starts_with("factory/raw/") {
                continue;
            }
            for r in body["readings"].as_array().into_iter().flatten() {
                readings += 1;
                good += u64::from(r["quality"] == "good");
            }
        }
        (readings, good)
    });
    // Warm up: connections and the first cycle.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (cpu0, wall0) = (ProcessStats::current()?.cpu_seconds, Instant::now());
    let published0 = published(&metrics);
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let after = ProcessStats::current()?;
    let (cpu, wall) = (after.cpu_seconds - cpu0, wall0.elapsed().as_secs_f64());
    let points_per_sec = (published(&metrics) - published0) as f64 / wall;
    let (rss, peak) = (after.rss_kib, after.peak_rss_kib);
    shutdown.cancel();
    drop(queues);
    let (readings, good) = counter.await?;
    let cpu_percent = 100.0 * cpu / wall;

    // The same reads from a pymodbus client, for a reference ratio.
    let spec = std::env::temp_dir().join(format!("modbus-bench-{}.json", std::process::id()));
    std::fs::write(
        &spec,
        json!({"devices": DEVICES, "intervalMs": INTERVAL_MS, "requests": reference_plan})
            .to_string(),
    )?;
    let out = Command::new(python())
        .arg(peers_dir().join("modbus_ref_client.py"))
        .args([&port.to_string(), &seconds.to_string()])
        .arg(&spec)
        .output()?;
    let _ = std::fs::remove_file(&spec);
    let reference: serde_json::Value = serde_json::from_slice(&out.stdout)
        .with_context(|| format!("reference client: {}", String::from_utf8_lossy(&out.stderr)))?;
    let ref_cpu_percent = 100.0 * reference["cpuSeconds"].as_f64().unwrap_or(0.0)
        / reference["wallSeconds"].as_f64().unwrap_or(1.0);

    println!("| measure | value |");
    println!("|---|---|");
    println!("| devices × points | {DEVICES} × {POINTS_PER_DEVICE} |");
    println!("| requests per cycle: ours / optimum / naive | {ours} / {optimum} / {naive} |");
    println!("| points/s sustained ({seconds} s) | {points_per_sec:.0} |");
    println!("| readings seen / good | {readings} / {good} |");
    println!("| adapter CPU (% of one core) | {cpu_percent:.2} |");
    println!(
        "| adapter RSS / peak (MiB) | {:.1} / {:.1} |",
        rss as f64 / 1024.0,
        peak as f64 / 1024.0
    );
    println!("| pymodbus client, same reads: CPU % | {ref_cpu_percent:.2} |");
    println!(
        "| CPU ratio pymodbus / adapter | {:.1} |",
        if cpu_percent > 0.0 {
            ref_cpu_percent / cpu_percent
        } else {
            f64::INFINITY
        }
    );
    println!(
        "{}",
        json!({
            "bench": "modbus-adapter",
            "devices": DEVICES,
            "points": DEVICES * POINTS_PER_DEVICE,
            "requestsPerCycle": {"ours": ours, "optimum": optimum, "naive": naive},
            "pointsPerSecond": points_per_sec,
            "cpuPercent": cpu_percent,
            "rssKiB": rss,
            "peakRssKiB": peak,
            "pymodbusClientCpuPercent": ref_cpu_percent,
            "seconds": seconds,
        })
    );
    Ok(())
}

fn published(metrics: &component_kit::Metrics) -> u64 {
    metrics
        .snapshot()
        .iter()
        .filter(|s| s.name() == "PointsPublished")
        .map(|s| s.value() as u64)
        .sum()
}
