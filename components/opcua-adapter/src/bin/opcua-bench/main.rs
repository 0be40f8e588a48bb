//! Benchmark: 10,000 monitored items changing at 1 Hz on our asyncua simulator, found by one
//! browse rule. Prints the change rate delivered, the adapter's CPU % and RSS, and the latency
//! from the server's change (its source timestamp) to the reading leaving the adapter's outlet.
//! One table, then one JSON line.
//!
//! The adapter runs in this process with a channel outlet; the consumer that measures latency
//! runs on its own thread, whose CPU time is subtracted, so the CPU figure is the adapter's
//! (session, decoding, readings, batching, JSON). IPC framing and the socket write of a real
//! `PublishToTopic` are not included.
//!
//! `cargo run --release -p opcua-adapter --bin opcua-bench -- [seconds] [items]` (defaults 30,
//! 10000), after `scripts/setup-test-env.sh` (the simulator runs on `.peers/bin/python`, or
//! `$GG_TEST_PYTHON`).

use anyhow::{Context, bail};
use component_kit::outlet::ChannelOutlet;
use edge_model::{ComponentName, GatewayId, ReadingBatch};
use opcua_adapter::config::{ServerConfig, validate_server};
use opcua_adapter::identity::StaticSecrets;
use opcua_adapter::pki::{AppIdentity, prepare};
use opcua_adapter::runner::{ServerEnv, ServerMetrics, run_server};
use serde_json::json;
use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const PUBLISHING_INTERVAL_MS: u64 = 100;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(30);
    let items: usize = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(10_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run(seconds, items))
}

fn python() -> PathBuf {
    std::env::var_os("GG_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.peers/bin/python")
        })
}

/// The simulator process; killed on drop.
struct Sim(Child);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_sim(dir: &std::path::Path, items: usize) -> anyhow::Result<(Sim, u16)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/opcua_sim.py");
    let mut child = Command::new(python())
        .arg(script)
        .args(["--port", &port.to_string(), "--tags", &items.to_string()])
        .args(["--tag-period-ms", "1000", "--pki"])
        .arg(dir.join("server-pki"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("start the simulator (run scripts/setup-test-env.sh first)")?;
    let stdout = child.stdout.take().context("simulator stdout")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let sim = Sim(child);
    if !line.starts_with("ready") {
        bail!("the simulator did not start: {line:?}");
    }
    Ok((sim, port))
}

/// CPU seconds (user + system) from a `/proc/.../stat` line.
fn cpu_seconds(stat_path: &str) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(stat_path)?;
    let after = stat.rsplit_once(')').context("stat format")?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields.get(11).context("utime")?.parse::<f64>()?
        + fields.get(12).context("stime")?.parse::<f64>()?;
    Ok(ticks / 100.0)
}

/// (current RSS, peak RSS) in KiB.
fn rss_kib() -> anyhow::Result<(u64, u64)> {
    let s = component_kit::process_stats::ProcessStats::current()?;
    Ok((s.rss_kib, s.peak_rss_kib))
}

/// What the consumer thread saw.
#[derive(Debug, Default)]
struct Tally {
    readings: u64,
    messages: u64,
    max_bytes: usize,
    latencies_ms: Vec<i64>,
    inside_ms: Vec<i64>,
}

/// Consumes batches until `stop`; latency is counted once `measuring` holds.
fn consume(
    mut rx: mpsc::UnboundedReceiver<(String, serde_json::Value)>,
    items: usize,
    ready: std::sync::mpsc::Sender<String>,
    measure_from: std::sync::Arc<std::sync::OnceLock<Instant>>,
) -> Tally {
    let mut tally = Tally::default();
    let mut points: HashSet<String> = HashSet::new();
    let mut announced = false;
    // `/proc/self/task/<tid>/stat` of this thread, so the main thread can read its CPU time.
    let own_stat = std::fs::read_link("/proc/thread-self")
        .map(|p| format!("/proc/{}/stat", p.display()))
        .unwrap_or_default();
    while let Some((topic, body)) = rx.blocking_recv() {
        if !topic.starts_with("factory/raw/") {
            continue;
        }
        let now = edge_model::time::now_ms() as i64;
        let Ok(batch) = serde_json::from_value::<ReadingBatch>(body) else {
            continue;
        };
        let measuring = measure_from.get().is_some_and(|t| Instant::now() >= *t);
        if measuring {
            tally.messages += 1;
            tally.max_bytes = tally
                .max_bytes
                .max(serde_json::to_vec(&batch).map(|b| b.len()).unwrap_or(0));
        }
        for r in batch.readings() {
            if !announced {
                points.insert(r.source().point().to_owned());
                if points.len() >= items {
                    announced = true;
                    let _ = ready.send(own_stat.clone());
                }
            }
            if measuring {
                tally.readings += 1;
                if let Some(t) = r.device_time_ms() {
                    tally.latencies_ms.push(now - t);
                }
                tally.inside_ms.push(now - r.gateway_time_ms());
            }
        }
    }
    tally
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn run(seconds: u64, items: usize) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("opcua-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let started = Instant::now();
    let (sim, port) = start_sim(&dir, items)?;
    let sim_ready_s = started.elapsed().as_secs_f64();
    let pki = dir.join("client-pki");
    let app = AppIdentity::for_thing("bench-gateway");
    prepare(&pki, &app).map_err(anyhow::Error::msg)?;
    let config: ServerConfig = serde_json::from_value(json!({
        "endpointUrl": format!("opc.tcp://localhost:{port}/factory/"),
        "publishingIntervalMs": PUBLISHING_INTERVAL_MS,
        "requestTimeoutMs": 30000,
        "maxItemsPerRequest": 1000,
        "sampling": {"samplingIntervalMs": 1000, "queueSize": 2},
        "browse": {"line": {"underNodeId": "ns=2;s=Line", "include": "Tag*", "maxDepth": 1}},
    }))?;
    let server = validate_server("bench", config).map_err(|e| anyhow::anyhow!("{e}"))?;
    let (tx, rx) = mpsc::unbounded_channel();
    let metrics = component_kit::Metrics::new();
    let env = ServerEnv {
        outlet: ChannelOutlet(tx),
        secrets: StaticSecrets::default(),
        component: ComponentName::new("com.smartfactory.OpcUaAdapter")?,
        gateway: GatewayId::new("bench-gateway")?,
        metrics: ServerMetrics::new(&metrics, "bench"),
        pki_dir: pki,
        app,
        first_retry: Duration::from_millis(500),
    };
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let measure_from = std::sync::Arc::new(std::sync::OnceLock::new());
    let consumer = {
        let measure_from = measure_from.clone();
        std::thread::spawn(move || consume(rx, items, ready_tx, measure_from))
    };
    let shutdown = CancellationToken::new();
    let connect_start = Instant::now();
    let task = tokio::spawn(run_server(server, env, shutdown.clone()));
    let waited =
        tokio::task::spawn_blocking(move || ready_rx.recv_timeout(Duration::from_secs(600)))
            .await?;
    let Ok(consumer_stat) = waited else {
        bail!("not every item reported within 600 s");
    };
    let all_reporting_s = connect_start.elapsed().as_secs_f64();
    // Settle, then measure.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let t0 = Instant::now();
    let _ = measure_from.set(t0);
    let cpu0 = cpu_seconds("/proc/self/stat")?;
    let consumer0 = cpu_seconds(&consumer_stat)?;
    let mut peak_rss = 0;
    let mut rss_samples = Vec::new();
    while t0.elapsed() < Duration::from_secs(seconds) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let (rss, _) = rss_kib()?;
        rss_samples.push(rss);
        peak_rss = peak_rss.max(rss);
    }
    let wall = t0.elapsed().as_secs_f64();
    let cpu_total = cpu_seconds("/proc/self/stat")? - cpu0;
    let consumer_cpu = cpu_seconds(&consumer_stat)? - consumer0;
    shutdown.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
    drop(sim);
    let tally = tokio::task::spawn_blocking(move || consumer.join())
        .await?
        .map_err(|_| anyhow::anyhow!("consumer thread panicked"))?;
    let (_, vm_hwm) = rss_kib()?;
    let _ = std::fs::remove_dir_all(&dir);

    let adapter_cpu_percent = 100.0 * (cpu_total - consumer_cpu).max(0.0) / wall;
    let consumer_cpu_percent = 100.0 * consumer_cpu / wall;
    let mut lat = tally.latencies_ms.clone();
    lat.sort_unstable();
    let mut inside = tally.inside_ms.clone();
    inside.sort_unstable();
    let rate = tally.readings as f64 / wall;
    let median_rss = {
        let mut s = rss_samples.clone();
        s.sort_unstable();
        s.get(s.len() / 2).copied().unwrap_or(0)
    };
    println!("| OpcUaAdapter benchmark | value |");
    println!("|---|---|");
    println!("| monitored items (one browse rule) | {items} |");
    println!("| server change rate asked | {items} changes/s (1 Hz each) |");
    println!("| readings delivered | {rate:.0}/s over {wall:.1} s |");
    println!("| adapter CPU (% of one core) | {adapter_cpu_percent:.1} |");
    println!("| measuring consumer thread CPU, subtracted (%) | {consumer_cpu_percent:.1} |");
    println!(
        "| RSS median / peak in window (MiB) | {:.1} / {:.1} |",
        median_rss as f64 / 1024.0,
        peak_rss as f64 / 1024.0
    );
    println!(
        "| RSS high-water mark, whole run (MiB) | {:.1} |",
        vm_hwm as f64 / 1024.0
    );
    println!(
        "| latency server change → outlet p50 / p95 / p99 / max (ms) | {} / {} / {} / {} |",
        percentile(&lat, 0.5),
        percentile(&lat, 0.95),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or(0)
    );
    println!(
        "| of which inside the adapter (receive → outlet) p50 / p99 / max (ms) | {} / {} / {} |",
        percentile(&inside, 0.5),
        percentile(&inside, 0.99),
        inside.last().copied().unwrap_or(0)
    );
    println!(
        "| messages / largest message (bytes) | {} / {} |",
        tally.messages, tally.max_bytes
    );
    println!(
        "| simulator ready / all items reporting (s) | {sim_ready_s:.1} / {all_reporting_s:.1} |"
    );
    println!(
        "{}",
        json!({
            "bench": "opcua-adapter",
            "items": items,
            "seconds": wall,
            "readingsPerSecond": rate,
            "adapterCpuPercent": adapter_cpu_percent,
            "consumerCpuPercent": consumer_cpu_percent,
            "rssMedianKiB": median_rss,
            "rssPeakKiB": peak_rss,
            "rssHighWaterKiB": vm_hwm,
            "latencyMs": {"p50": percentile(&lat, 0.5), "p95": percentile(&lat, 0.95),
                          "p99": percentile(&lat, 0.99), "max": lat.last().copied().unwrap_or(0)},
            "adapterInternalLatencyMs": {"p50": percentile(&inside, 0.5), "p99": percentile(&inside, 0.99),
                                         "max": inside.last().copied().unwrap_or(0)},
            "publishingIntervalMs": PUBLISHING_INTERVAL_MS,
            "messages": tally.messages,
            "largestMessageBytes": tally.max_bytes,
            "allItemsReportingAfterS": all_reporting_s,
        })
    );
    Ok(())
}
