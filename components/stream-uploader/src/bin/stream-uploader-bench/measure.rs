//! The measurements. Rates use the real store (WAL, synchronous=FULL, one thread owning the
//! connection, group commit); the Kinesis figure uses the real drain loop and exporter.

use component_kit::process_stats::ProcessStats;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use stream_uploader::drain::{self, DrainEnv};
use stream_uploader::export::kinesis::KinesisExporter;
use stream_uploader::store::{self, DrainOrder, NewRecord, QueuePolicy, Store, StoreHandle};
use stream_uploader::validate::{Export, PartitionKey, validate};
use tokio_util::sync::CancellationToken;

pub(crate) const EXPORT: &str = "bench";
/// Concurrent producers in the append measurement (as several routes would be).
const PRODUCERS: u64 = 4;
/// Records per producer call.
const PRODUCER_BATCH: u64 = 250;

fn policy() -> QueuePolicy {
    QueuePolicy {
        max_bytes: 64 << 30,
        ..QueuePolicy::default()
    }
}

pub(crate) fn open(dir: &Path) -> anyhow::Result<StoreHandle> {
    let (store, _) = Store::open(
        &dir.join("queue.db"),
        &[(EXPORT.to_owned(), policy())],
        edge_model::time::now_ms() as i64,
    )?;
    Ok(store::spawn(store)?)
}

pub(crate) fn record(n: u64, pad: usize) -> NewRecord {
    let payload = format!(
        r#"{{"device":"plc{}","point":"temperature","value":{}.5,"quality":"good","gatewayTimeMs":{},"pad":"{}"}}"#,
        n % 16,
        n % 1000,
        1_795_000_000_000u64 + n,
        "f".repeat(pad)
    );
    NewRecord {
        export: EXPORT.into(),
        topic: format!("factory/agg/plc{}", n % 16),
        payload: payload.into_bytes(),
        created_ms: edge_model::time::now_ms() as i64,
    }
}

/// (VmRSS, VmHWM) of this process in MiB (the kernel's kB are KiB); zeros when /proc cannot
/// be read.
fn rss_mb() -> (f64, f64) {
    ProcessStats::current().map_or((0.0, 0.0), |s| {
        (s.rss_kib as f64 / 1024.0, s.peak_rss_kib as f64 / 1024.0)
    })
}

/// (RssAnon, RssFile) of this process in MiB: heap and stacks vs. mapped files (the binary's
/// code, shared libraries, the WAL index); zeros when /proc cannot be read.
fn rss_split_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse::<f64>().ok())
            .map_or(0.0, |kib| kib / 1024.0)
    };
    (field("RssAnon:"), field("RssFile:"))
}

/// User + system CPU seconds of this process.
fn cpu_secs() -> f64 {
    ProcessStats::current().map_or(0.0, |s| s.cpu_seconds)
}

async fn append_all(store: &StoreHandle, total: u64, pad: usize) -> anyhow::Result<()> {
    let mut tasks = Vec::new();
    for p in 0..PRODUCERS {
        let store = store.clone();
        // Producer p appends records p, p + PRODUCERS, … in batches, making each batch as it
        // goes (a list of all its numbers up front would be bench memory counted as RSS).
        tasks.push(tokio::spawn(async move {
            let mut next = p;
            while next < total {
                let batch: Vec<NewRecord> = (next..total)
                    .step_by(PRODUCERS as usize)
                    .take(PRODUCER_BATCH as usize)
                    .map(|i| record(i, pad))
                    .collect();
                next += PRODUCERS * batch.len() as u64;
                store.append(batch).await?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(())
}

async fn drain_all(store: &StoreHandle) -> anyhow::Result<u64> {
    let mut n = 0;
    loop {
        let peeked = store
            .call(|s| s.peek(EXPORT, DrainOrder::OldestFirst, 500, u64::MAX))
            .await?;
        if peeked.records.is_empty() {
            return Ok(n);
        }
        n += peeked.records.len() as u64;
        let seqs: Vec<i64> = peeked.records.iter().map(|r| r.seq).collect();
        store.call(move |s| s.ack(EXPORT, &seqs)).await?;
    }
}

fn disk_mb(dir: &Path) -> f64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len() as f64)
                .sum::<f64>()
                / 1e6
        })
        .unwrap_or(0.0)
}

/// A scratch folder removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new(parent: PathBuf) -> std::io::Result<Self> {
        let dir = parent.join(format!("su-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ignored = std::fs::remove_dir_all(&self.0);
    }
}

/// The `writer` mode: appends to the queue in `dir` until killed.
pub async fn writer(dir: PathBuf) -> anyhow::Result<()> {
    let store = open(&dir)?;
    println!("OPEN");
    for round in 0..1_000_000u64 {
        let batch = (0..PRODUCER_BATCH)
            .map(|i| record(round * 1000 + i, 800))
            .collect();
        store.append(batch).await?;
    }
    Ok(())
}

/// Runs every measurement and prints the table and the JSON line.
pub async fn all(
    records: u64,
    backlog_mb: u64,
    moto_url: Option<String>,
    kinesis_records: u64,
    dir: Option<PathBuf>,
) -> anyhow::Result<()> {
    let scratch = Scratch::new(dir.unwrap_or_else(|| PathBuf::from("/tmp")))?;
    let mut rows: Vec<(String, f64, String)> = Vec::new();

    // 1. Durable append and drain, 200-byte class records.
    let rates = scratch.path().join("rates");
    std::fs::create_dir_all(&rates)?;
    let store = open(&rates)?;
    let (t, cpu0) = (Instant::now(), cpu_secs());
    append_all(&store, records, 60).await?;
    let append_rate = records as f64 / t.elapsed().as_secs_f64();
    let append_cpu_us = (cpu_secs() - cpu0) / records as f64 * 1e6;
    rows.push((
        format!("durable append, store API ({PRODUCERS} producers × {PRODUCER_BATCH}, each awaits its commit)"),
        append_rate,
        "rec/s".into(),
    ));
    rows.push((
        "… process CPU per appended record (user + system, all threads)".into(),
        append_cpu_us,
        "µs".into(),
    ));
    let (t, cpu0) = (Instant::now(), cpu_secs());
    let drained = drain_all(&store).await?;
    let drain_rate = drained as f64 / t.elapsed().as_secs_f64();
    let drain_cpu_us = (cpu_secs() - cpu0) / drained.max(1) as f64 * 1e6;
    rows.push((
        "drain (peek 500 + durable ack)".into(),
        drain_rate,
        "rec/s".into(),
    ));
    rows.push((
        "… process CPU per drained record".into(),
        drain_cpu_us,
        "µs".into(),
    ));
    drop(store);
    // 2. RSS while a backlog of `backlog_mb` builds up and drains (about 1 KB records).
    let big = scratch.path().join("backlog");
    std::fs::create_dir_all(&big)?;
    let store = open(&big)?;
    let per_step = backlog_mb * 1000 / 4;
    let mut rss_samples = vec![rss_mb().0];
    let t = Instant::now();
    for _ in 0..4 {
        append_all(&store, per_step, 800).await?;
        rss_samples.push(rss_mb().0);
    }
    let fill_secs = t.elapsed().as_secs_f64();
    let backlog_disk = disk_mb(&big);
    for _ in 0..40 {
        let peeked = store
            .call(|s| s.peek(EXPORT, DrainOrder::OldestFirst, 500, u64::MAX))
            .await?;
        let seqs: Vec<i64> = peeked.records.iter().map(|r| r.seq).collect();
        store.call(move |s| s.ack(EXPORT, &seqs)).await?;
    }
    rss_samples.push(rss_mb().0);
    let (rss_anon, rss_file) = rss_split_mib();
    let hwm_backlog = rss_mb().1;
    drop(store);
    let rss_max = rss_samples.iter().copied().fold(0.0, f64::max);
    rows.push((
        format!("RSS, backlog 0 → {backlog_disk:.0} MB on disk (max of 6 samples)"),
        rss_max,
        "MiB".into(),
    ));
    rows.push((
        "RSS samples 0/25/50/75/100 %/after drain, MiB".into(),
        0.0,
        rss_samples
            .iter()
            .map(|r| format!("{r:.1}"))
            .collect::<Vec<_>>()
            .join(" / "),
    ));
    rows.push((
        "… of which RssAnon / RssFile after drain (heap + stacks / code, libraries, WAL index)"
            .into(),
        rss_anon,
        format!("/ {rss_file:.1} MiB"),
    ));
    rows.push((
        "VmHWM at the end of the backlog phase (includes the rate phase before it)".into(),
        hwm_backlog,
        "MiB".into(),
    ));
    rows.push((
        "backlog fill rate (1 KB records)".into(),
        (backlog_mb * 1000) as f64 / fill_secs,
        "rec/s".into(),
    ));

    // 3. Recovery: a writer appends to the big queue, is killed with SIGKILL, the queue reopens.
    let mut child = std::process::Command::new(std::env::current_exe()?)
        .args(["writer", "--dir"])
        .arg(&big)
        .stdout(std::process::Stdio::null())
        .spawn()?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    child.kill()?;
    child.wait()?;
    let t = Instant::now();
    let (mut reopened, report) = Store::open(
        &big.join("queue.db"),
        &[(EXPORT.to_owned(), policy())],
        edge_model::time::now_ms() as i64,
    )?;
    let first = reopened.peek(EXPORT, DrainOrder::OldestFirst, 500, u64::MAX)?;
    let recovery_ms = t.elapsed().as_secs_f64() * 1000.0;
    rows.push((
        format!(
            "reopen after kill -9 + first batch ({} records waiting, warm page cache)",
            report.backlog_records
        ),
        recovery_ms,
        "ms".into(),
    ));
    assert_eq!(first.records.len(), 500);
    drop(reopened);

    // 4. Durable append through the input path (after the RSS figures, which it would raise).
    let ingest = scratch.path().join("ingest");
    std::fs::create_dir_all(&ingest)?;
    let cpu0 = cpu_secs();
    let ingest_rate = crate::ingest_rate::ingest_rate(&ingest, records).await?;
    let ingest_cpu_us = (cpu_secs() - cpu0) / records as f64 * 1e6;
    rows.push((
        "durable append, input path (4 publishers → route → appender → group commit)".into(),
        ingest_rate,
        "rec/s".into(),
    ));
    rows.push((
        "… process CPU per appended record".into(),
        ingest_cpu_us,
        "µs".into(),
    ));

    // 5. CPU per 1k rec/s to Kinesis on moto.
    let mut kinesis = None;
    if let Some(url) = moto_url {
        kinesis = Some(kinesis_cpu(&url, kinesis_records, scratch.path()).await?);
        if let Some((cpu_pct, rate)) = kinesis {
            rows.push((
                "CPU at 1k rec/s to Kinesis (moto), % of one core".into(),
                cpu_pct,
                "%".into(),
            ));
            rows.push((
                "Kinesis drain rate (moto on the same 2 cores)".into(),
                rate,
                "rec/s".into(),
            ));
        }
    }

    println!("| metric | value | unit |");
    println!("|---|---|---|");
    for (name, value, unit) in &rows {
        println!("| {name} | {value:.1} | {unit} |");
    }
    let json = serde_json::json!({
        "bench": "stream-uploader",
        "append_rec_per_s": append_rate.round(),
        "ingest_append_rec_per_s": ingest_rate.round(),
        "append_cpu_us_per_rec": (append_cpu_us * 100.0).round() / 100.0,
        "ingest_cpu_us_per_rec": (ingest_cpu_us * 100.0).round() / 100.0,
        "drain_cpu_us_per_rec": (drain_cpu_us * 100.0).round() / 100.0,
        "drain_rec_per_s": drain_rate.round(),
        "backlog_disk_mb": backlog_disk.round(),
        "rss_max_mib_with_backlog": (rss_max * 10.0).round() / 10.0,
        "rss_samples_mib": rss_samples.iter().map(|r| (r * 10.0).round() / 10.0).collect::<Vec<_>>(),
        "rss_anon_file_mib": [(rss_anon * 10.0).round() / 10.0, (rss_file * 10.0).round() / 10.0],
        "vm_hwm_backlog_mib": (hwm_backlog * 10.0).round() / 10.0,
        "recovery_ms_after_kill9": (recovery_ms * 10.0).round() / 10.0,
        "kinesis_cpu_pct_per_1k_rec_s": kinesis.map(|k| (k.0 * 100.0).round() / 100.0),
        "kinesis_rec_per_s": kinesis.map(|k| k.1.round()),
        "vm_hwm_mib": (rss_mb().1 * 10.0).round() / 10.0,
    });
    println!("{json}");
    Ok(())
}

/// Sends `n` records to a Kinesis stream on moto; returns (% of one core at 1k rec/s, rec/s).
async fn kinesis_cpu(url: &str, n: u64, dir: &Path) -> anyhow::Result<(f64, f64)> {
    let settings = stream_uploader::validate::AwsSettings {
        region: Some("us-east-1".into()),
        endpoint_url: Some(url.to_owned()),
        force_path_style: false,
    };
    let sdk = stream_uploader::export::aws_client::load(&settings).await;
    let client = aws_sdk_kinesis::Client::new(&sdk);
    let _exists = client
        .create_stream()
        .stream_name("bench")
        .shard_count(4)
        .send()
        .await;
    let kdir = dir.join("kinesis");
    std::fs::create_dir_all(&kdir)?;
    let store = open(&kdir)?;
    append_all(&store, n, 60).await?;
    let config = serde_json::json!({"exports": {EXPORT: {"type": "kinesis", "streamName": "bench",
        "batchIntervalMs": 0}}});
    let export: Export = validate(serde_json::from_value(config)?)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .exports
        .remove(0);
    let metrics = component_kit::Metrics::new();
    let (env, _dead) = DrainEnv::standalone(store.clone(), &metrics, EXPORT);
    let exporter = KinesisExporter::new(&sdk, "bench", PartitionKey::Device, "bench");
    let stop = CancellationToken::new();
    let (cpu0, t) = (cpu_secs(), Instant::now());
    let task = tokio::spawn(drain::run(export, exporter, env, stop.clone()));
    // Polled slowly: each look at the queue costs this process CPU that is not the upload's.
    for _ in 0..1_200 {
        if store.call(|s| s.depth(EXPORT)).await?.records == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let (cpu, wall) = (cpu_secs() - cpu0, t.elapsed().as_secs_f64());
    stop.cancel();
    task.await?;
    // CPU seconds per record × 1000 records per second = cores used at 1k rec/s.
    Ok((cpu / n as f64 * 1000.0 * 100.0, n as f64 / wall))
}
