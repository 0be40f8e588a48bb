//! Benchmark: 10,000 monitored items changing at 1 Hz on our asyncua simulator(s), found by one
//! browse rule per server. Prints the change rate the simulators reached and the rate delivered,
//! the adapter's CPU % and RSS next to the simulators' CPU, and the latency from the server's
//! change (its source timestamp) to the reading leaving the adapter's outlet. One table, then
//! one JSON line.
//!
//! The adapter runs in this process with a channel outlet; the consumer that measures latency
//! runs on its own thread, whose CPU time is subtracted, so the CPU figure is the adapter's
//! (session, decoding, readings, batching, JSON). IPC framing and the socket write of a real
//! `PublishToTopic` are not included.
//!
//! `cargo run --release -p opcua-adapter --bin opcua-bench -- [seconds] [items] [servers]`
//! (defaults 30, 10000, 1; the items are split over the servers, one session each), after
//! `scripts/setup-test-env.sh` (the simulator runs on `.peers/bin/python`, or `$GG_TEST_PYTHON`).

mod sim;
mod tally;

use anyhow::{Context, bail};
use component_kit::outlet::ChannelOutlet;
use component_kit::process_stats::ProcessStats;
use edge_model::{ComponentName, GatewayId};
use opcua_adapter::config::{ServerConfig, validate_server};
use opcua_adapter::identity::StaticSecrets;
use opcua_adapter::pki::{AppIdentity, prepare};
use opcua_adapter::runner::{ServerEnv, ServerMetrics, run_server};
use serde_json::json;
use sim::Sim;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tally::consume;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const PUBLISHING_INTERVAL_MS: u64 = 100;

fn main() -> anyhow::Result<()> {
    // The table goes to stdout too: the adapter's log only when asked for.
    if std::env::var_os("RUST_LOG").is_some() {
        component_kit::logging::init("opcua-bench");
    }
    let mut args = std::env::args().skip(1);
    let mut next = |default: u64| -> anyhow::Result<u64> {
        Ok(args
            .next()
            .map(|s| s.parse())
            .transpose()?
            .unwrap_or(default))
    };
    let seconds = next(30)?;
    let items = next(10_000)? as usize;
    let servers = next(1)?.max(1) as usize;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run(seconds, items, servers))
}

/// CPU seconds (user + system) of a thread, from its `/proc/.../stat` line.
fn thread_cpu_seconds(stat_path: &str) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(stat_path)?;
    let after = stat.rsplit_once(')').context("stat format")?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields.get(11).context("utime")?.parse::<f64>()?
        + fields.get(12).context("stime")?.parse::<f64>()?;
    Ok(ticks / 100.0)
}

fn sims_cpu_seconds(sims: &[Sim]) -> anyhow::Result<f64> {
    let mut total = 0.0;
    for sim in sims {
        total += ProcessStats::of(sim.pid())?.cpu_seconds;
    }
    Ok(total)
}

/// (writes, when) summed over the simulators; `when` is the latest report.
fn sims_writes(sims: &[Sim]) -> (u64, Option<Instant>) {
    sims.iter()
        .map(Sim::progress)
        .fold((0, None), |(w, at), p| (w + p.writes, at.max(p.at)))
}

/// (anonymous, file-backed) resident KiB of this process: heap and stacks vs mapped code.
fn rss_split_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (kib("RssAnon:"), kib("RssFile:"))
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

async fn run(seconds: u64, items: usize, servers: usize) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("opcua-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let started = Instant::now();
    let mut sims = Vec::new();
    for s in 0..servers {
        let tags = items * (s + 1) / servers - items * s / servers;
        sims.push(Sim::start(&dir.join(format!("server-pki-{s}")), tags)?);
    }
    let sim_ready_s = started.elapsed().as_secs_f64();
    let pki = dir.join("client-pki");
    let app = AppIdentity::for_thing("bench-gateway");
    prepare(&pki, &app).map_err(anyhow::Error::msg)?;
    let (tx, rx) = mpsc::unbounded_channel();
    let metrics = component_kit::Metrics::new();
    let shutdown = CancellationToken::new();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let measure_from = Arc::new(OnceLock::new());
    let consumer = {
        let measure_from = measure_from.clone();
        std::thread::spawn(move || consume(rx, items, ready_tx, measure_from))
    };
    let connect_start = Instant::now();
    let mut tasks = Vec::new();
    for (s, sim) in sims.iter().enumerate() {
        let id = format!("bench{s}");
        let config: ServerConfig = serde_json::from_value(json!({
            "endpointUrl": format!("opc.tcp://localhost:{}/factory/", sim.port),
            "publishingIntervalMs": PUBLISHING_INTERVAL_MS,
            "requestTimeoutMs": 30000,
            "maxItemsPerRequest": 1000,
            "sampling": {"samplingIntervalMs": 1000, "queueSize": 2},
            "browse": {"line": {"underNodeId": "ns=2;s=Line", "include": "Cell*.Tag*", "maxDepth": 2}},
        }))?;
        let server = validate_server(&id, config).map_err(|e| anyhow::anyhow!("{e}"))?;
        let env = ServerEnv {
            outlet: ChannelOutlet(tx.clone()),
            secrets: StaticSecrets::default(),
            component: ComponentName::new("com.smartfactory.OpcUaAdapter")?,
            gateway: GatewayId::new("bench-gateway")?,
            metrics: ServerMetrics::new(&metrics, &id),
            pki_dir: pki.clone(),
            app: app.clone(),
            first_retry: Duration::from_millis(500),
        };
        tasks.push(tokio::spawn(run_server(server, env, shutdown.clone())));
    }
    drop(tx);
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
    let cpu0 = ProcessStats::current()?.cpu_seconds;
    let consumer0 = thread_cpu_seconds(&consumer_stat)?;
    let sims_cpu0 = sims_cpu_seconds(&sims)?;
    let writes0 = sims_writes(&sims);
    sims.iter().for_each(Sim::reset_behind);
    let mut peak_rss = 0;
    let mut rss_samples = Vec::new();
    while t0.elapsed() < Duration::from_secs(seconds) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let rss = ProcessStats::current()?.rss_kib;
        rss_samples.push(rss);
        peak_rss = peak_rss.max(rss);
    }
    let wall = t0.elapsed().as_secs_f64();
    let cpu_total = ProcessStats::current()?.cpu_seconds - cpu0;
    let consumer_cpu = thread_cpu_seconds(&consumer_stat)? - consumer0;
    let sims_cpu = sims_cpu_seconds(&sims)? - sims_cpu0;
    let writes1 = sims_writes(&sims);
    let sims_behind_ms = sims.iter().map(|s| s.progress().worst_behind_ms).max();
    let load = load_average();
    let (rss_anon, rss_file) = rss_split_kib();
    shutdown.cancel();
    for task in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
    }
    drop(sims);
    let tally = tokio::task::spawn_blocking(move || consumer.join())
        .await?
        .map_err(|_| anyhow::anyhow!("consumer thread panicked"))?;
    let vm_hwm = ProcessStats::current()?.peak_rss_kib;
    let _ = std::fs::remove_dir_all(&dir);

    let server_rate = match (writes0.1, writes1.1) {
        (Some(a), Some(b)) if b > a => (writes1.0 - writes0.0) as f64 / (b - a).as_secs_f64(),
        _ => 0.0,
    };
    let adapter_cpu_percent = 100.0 * (cpu_total - consumer_cpu).max(0.0) / wall;
    let consumer_cpu_percent = 100.0 * consumer_cpu / wall;
    let sims_cpu_percent = 100.0 * sims_cpu / wall;
    let (lat, inside) = (&tally.latency, &tally.inside);
    let rate = tally.readings as f64 / wall;
    let median_rss = {
        let mut s = rss_samples.clone();
        s.sort_unstable();
        s.get(s.len() / 2).copied().unwrap_or(0)
    };
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!("| OpcUaAdapter benchmark | value |");
    println!("|---|---|");
    println!("| monitored items (one browse rule per server) | {items} on {servers} server(s) |");
    println!("| server change rate asked / reached | {items} / {server_rate:.0} changes/s |");
    println!(
        "| worst overrun of a simulator write slice past its slot (ms) | {} |",
        sims_behind_ms.unwrap_or(0)
    );
    println!("| readings delivered | {rate:.0}/s over {wall:.1} s |");
    println!("| adapter CPU (% of one core) | {adapter_cpu_percent:.1} |");
    println!("| simulator(s) CPU, same window (% of one core) | {sims_cpu_percent:.1} |");
    println!("| measuring consumer thread CPU, subtracted (%) | {consumer_cpu_percent:.1} |");
    println!(
        "| RSS median / peak in window (MiB) | {:.1} / {:.1} |",
        mib(median_rss),
        mib(peak_rss)
    );
    println!(
        "| RSS high-water mark, whole run (MiB) | {:.1} |",
        mib(vm_hwm)
    );
    println!(
        "| RSS at the end: heap and stacks / mapped files (MiB) | {:.1} / {:.1} |",
        mib(rss_anon),
        mib(rss_file)
    );
    println!(
        "| latency server change → outlet p50 / p95 / p99 / max (ms) | {} / {} / {} / {} |",
        lat.quantile(0.5),
        lat.quantile(0.95),
        lat.quantile(0.99),
        lat.max()
    );
    println!(
        "| of which inside the adapter (receive → outlet) p50 / p99 / max (ms) | {} / {} / {} |",
        inside.quantile(0.5),
        inside.quantile(0.99),
        inside.max()
    );
    println!(
        "| messages / largest message (bytes) | {} / {} |",
        tally.messages, tally.max_bytes
    );
    println!(
        "| simulator ready / all items reporting (s) | {sim_ready_s:.1} / {all_reporting_s:.1} |"
    );
    println!("| machine load average at the end (1/5/15 min) | {load} |");
    println!(
        "{}",
        json!({
            "bench": "opcua-adapter",
            "items": items,
            "servers": servers,
            "seconds": wall,
            "serverChangesPerSecond": server_rate,
            "simulatorWorstBehindMs": sims_behind_ms,
            "readingsPerSecond": rate,
            "adapterCpuPercent": adapter_cpu_percent,
            "simulatorCpuPercent": sims_cpu_percent,
            "consumerCpuPercent": consumer_cpu_percent,
            "rssMedianKiB": median_rss,
            "rssPeakKiB": peak_rss,
            "rssHighWaterKiB": vm_hwm,
            "rssAnonKiB": rss_anon,
            "rssFileKiB": rss_file,
            "latencyMs": {"p50": lat.quantile(0.5), "p95": lat.quantile(0.95),
                          "p99": lat.quantile(0.99), "max": lat.max()},
            "adapterInternalLatencyMs": {"p50": inside.quantile(0.5), "p99": inside.quantile(0.99),
                                         "max": inside.max()},
            "publishingIntervalMs": PUBLISHING_INTERVAL_MS,
            "messages": tally.messages,
            "largestMessageBytes": tally.max_bytes,
            "allItemsReportingAfterS": all_reporting_s,
            "loadAverage": load,
        })
    );
    Ok(())
}
