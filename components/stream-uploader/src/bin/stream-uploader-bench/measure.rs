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
    ProcessStats::current().map_or((0.0, 0.0), |s| {
        (
            s.rss_anon_kib as f64 / 1024.0,
            s.rss_file_kib as f64 / 1024.0,
        )
    })
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

    // 5. CPU per record sent to Kinesis on moto.
    let mut kinesis = None;
    if let Some(url) = moto_url {
        let k = kinesis_cpu(&url, kinesis_records, scratch.path()).await?;
        rows.push((
            "Kinesis (moto): process CPU per delivered record, minus the bench's waiting thread"
                .into(),
            k.cpu_us_per_record,
            "µs".into(),
        ));
        rows.push((
            "… the same as % of one core at 1k rec/s".into(),
            k.cpu_us_per_record / 10.0,
            "%".into(),
        ));
        rows.push((
            "… records per PutRecords call (calls / failed sends)".into(),
            k.records_per_call,
            format!("rec ({} / {})", k.calls, k.failed_sends),
        ));
        rows.push((
            "… drain rate through moto (same 2 cores)".into(),
            k.rate,
            "rec/s".into(),
        ));
        for (thread, us) in &k.by_thread {
            rows.push((
                format!("… of which on threads named `{thread}` (on-CPU, live threads)"),
                *us,
                "µs/rec".into(),
            ));
        }
        kinesis = Some(k);
    }

    println!("| metric | value | unit |");
    println!("|---|---|---|");
    for (name, value, unit) in &rows {
        println!("| {name} | {value:.2} | {unit} |");
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
        "kinesis_cpu_us_per_rec": kinesis.as_ref().map(|k| (k.cpu_us_per_record * 100.0).round() / 100.0),
        "kinesis_cpu_pct_per_1k_rec_s": kinesis.as_ref().map(|k| (k.cpu_us_per_record * 10.0).round() / 100.0),
        "kinesis_records_per_call": kinesis.as_ref().map(|k| (k.records_per_call * 10.0).round() / 10.0),
        "kinesis_rec_per_s": kinesis.as_ref().map(|k| k.rate.round()),
        "kinesis_cpu_us_per_rec_by_thread": kinesis.as_ref().map(|k| k.by_thread.iter()
            .map(|(t, us)| (t.clone(), serde_json::json!((us * 100.0).round() / 100.0)))
            .collect::<serde_json::Map<_, _>>()),
        "vm_hwm_mib": (rss_mb().1 * 10.0).round() / 10.0,
    });
    println!("{json}");
    Ok(())
}

/// What the Kinesis phase measured.
struct KinesisCost {
    cpu_us_per_record: f64,
    records_per_call: f64,
    calls: u64,
    failed_sends: u64,
    rate: f64,
    /// µs of on-CPU time per record by thread name (threads alive at both ends).
    by_thread: Vec<(String, f64)>,
}

/// On-CPU seconds of the main thread, which runs the bench's waiting, not the upload.
fn bench_thread_secs() -> f64 {
    std::fs::read_to_string(format!("/proc/self/task/{}/schedstat", std::process::id()))
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |ns| ns / 1e9)
}

/// On-CPU nanoseconds of this process's live threads, summed by thread name
/// (`/proc/self/task/*/schedstat`: ns resolution, where `/proc/self/stat` counts 10 ms ticks).
fn thread_cpu_ns() -> std::collections::BTreeMap<String, u64> {
    let mut by_name = std::collections::BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return by_name;
    };
    for task in tasks.flatten() {
        let path = task.path();
        let name = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        let ns = std::fs::read_to_string(path.join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok());
        if let Some(ns) = ns {
            *by_name.entry(name.trim().to_owned()).or_insert(0) += ns;
        }
    }
    by_name
}

/// Sends `n` queued records to a Kinesis stream on moto through the component's drain loop
/// and exporter. Counts only the delivered records, and fails if they are not all delivered
/// in time: a run where the sends failed (no credentials: the default chain has none outside
/// Greengrass) measured idle retries, not uploads.
async fn kinesis_cpu(url: &str, n: u64, dir: &Path) -> anyhow::Result<KinesisCost> {
    let settings = stream_uploader::validate::AwsSettings {
        region: Some("us-east-1".into()),
        endpoint_url: Some(url.to_owned()),
        force_path_style: false,
    };
    // The component's SDK set-up (HTTP client, region, endpoint), with the dummy key moto
    // accepts instead of the default chain.
    let sdk = stream_uploader::export::aws_client::load(&settings)
        .await
        .to_builder()
        .credentials_provider(aws_sdk_kinesis::config::SharedCredentialsProvider::new(
            aws_sdk_kinesis::config::Credentials::new("testing", "testing", None, None, "moto"),
        ))
        .build();
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
    let counters = env.metrics.clone();
    let exporter = KinesisExporter::new(&sdk, "bench", PartitionKey::Device, "bench");
    let stop = CancellationToken::new();
    let (cpu0, bench0, threads0, t) = (
        cpu_secs(),
        bench_thread_secs(),
        thread_cpu_ns(),
        Instant::now(),
    );
    let task = tokio::spawn(drain::run(export, exporter, env, stop.clone()));
    // The drain's own counter, an atomic read: no queue look-up counted as upload CPU.
    let deadline = t + Duration::from_secs(300);
    while counters.sent.get() < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let wall = t.elapsed().as_secs_f64();
    // The main thread only runs this waiting loop (the drain runs on the runtime's workers).
    let cpu = cpu_secs() - cpu0 - (bench_thread_secs() - bench0);
    let threads1 = thread_cpu_ns();
    stop.cancel();
    task.await?;
    let by_thread = threads1
        .iter()
        .map(|(name, ns)| {
            let before = threads0.get(name).copied().unwrap_or(0);
            (
                name.clone(),
                ns.saturating_sub(before) as f64 / 1e3 / n as f64,
            )
        })
        .filter(|(_, us)| *us > 0.0)
        .collect();
    let (sent, calls, failed) = (
        counters.sent.get(),
        counters.batches.get(),
        counters.errors.get(),
    );
    anyhow::ensure!(
        sent == n,
        "Kinesis phase: {sent} of {n} records delivered in {wall:.0} s ({calls} sends, {failed} failed)"
    );
    Ok(KinesisCost {
        cpu_us_per_record: cpu / n as f64 * 1e6,
        records_per_call: n as f64 / calls.max(1) as f64,
        calls,
        failed_sends: failed,
        rate: n as f64 / wall,
        by_thread,
    })
}
