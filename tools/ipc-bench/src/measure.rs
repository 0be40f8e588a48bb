//! The measurement: subscribe to our own topic, publish N 200-byte messages with at most W in
//! flight, and time each from publish to delivery.

use ggipc::IpcClient;
use ggipc::model::{PublishMessage, ReceiveMode};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

pub const IMPLEMENTATION: &str = "rust-ggipc";
const PAYLOAD_BYTES: usize = 200;
const HEADER_BYTES: usize = 17;
const WARMUP: u64 = 100;

pub struct Args {
    pub result: String,
    count: u64,
    topic: String,
    window: usize,
}

impl Args {
    pub fn parse(mut it: impl Iterator<Item = String>) -> anyhow::Result<Self> {
        let result = it.next().ok_or_else(|| {
            anyhow::anyhow!("usage: ipc-bench RESULT.json [--count N] [--topic T] [--window W]")
        })?;
        let mut args = Self {
            result,
            count: 10_000,
            topic: "bench/ipc/rust".into(),
            window: 32,
        };
        while let Some(flag) = it.next() {
            let value = it
                .next()
                .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))?;
            match flag.as_str() {
                "--count" => args.count = value.parse()?,
                "--topic" => args.topic = value,
                "--window" => args.window = value.parse()?,
                other => anyhow::bail!("unknown option {other}"),
            }
        }
        Ok(args)
    }
}

/// Phase byte, sequence, nanoseconds since `epoch`; padded to 200 bytes.
fn payload(phase: u8, seq: u64, epoch: Instant) -> Vec<u8> {
    let mut p = Vec::with_capacity(PAYLOAD_BYTES);
    p.push(phase);
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(epoch.elapsed().as_nanos() as u64).to_be_bytes());
    p.resize(PAYLOAD_BYTES, 0x5a);
    p
}

/// CPU seconds this process has used (user + system), for the per-message CPU column.
fn own_cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some((fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?) / 100.0)
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() as f64 * q / 100.0).ceil() as usize).max(1);
    sorted[rank - 1]
}

async fn publish_all(
    ipc: &IpcClient,
    topic: &str,
    phase: u8,
    count: u64,
    window: usize,
    epoch: Instant,
) -> u64 {
    let slots = Arc::new(Semaphore::new(window));
    let mut tasks = tokio::task::JoinSet::new();
    for seq in 0..count {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            break;
        };
        let (ipc, topic) = (ipc.clone(), topic.to_owned());
        tasks.spawn(async move {
            let r = ipc
                .publish_to_topic(&topic, PublishMessage::binary(payload(phase, seq, epoch)))
                .await;
            drop(permit);
            r.is_err()
        });
        while let Some(done) = tasks.try_join_next() {
            let _ = done;
        }
    }
    let mut errors = 0;
    while let Some(done) = tasks.join_next().await {
        errors += u64::from(done.unwrap_or(true));
    }
    errors
}

pub async fn run(args: &Args) -> anyhow::Result<Value> {
    let epoch = Instant::now();
    let ipc = IpcClient::connect_from_env().await?;
    let mut sub = ipc
        .subscribe_to_topic(&args.topic, Some(ReceiveMode::ReceiveAllMessages))
        .await?;
    let count = args.count;
    let receiver = tokio::spawn(async move {
        let (mut warm, mut latencies, mut last) =
            (0u64, Vec::with_capacity(count as usize), Duration::ZERO);
        while let Ok(Some(Ok(event))) =
            tokio::time::timeout(Duration::from_secs(10), sub.next()).await
        {
            let now = epoch.elapsed();
            let Some(msg) = event.binary_message else {
                continue;
            };
            if msg.message.len() < HEADER_BYTES {
                continue;
            }
            let sent = u64::from_be_bytes(msg.message[9..17].try_into().unwrap_or_default());
            if msg.message[0] == 0 {
                warm += 1;
                continue;
            }
            latencies.push(now.as_nanos() as u64 - sent);
            last = now;
            if latencies.len() as u64 >= count {
                break;
            }
        }
        (warm, latencies, last)
    });
    publish_all(&ipc, &args.topic, 0, WARMUP, args.window, epoch).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let start = epoch.elapsed();
    let errors = publish_all(&ipc, &args.topic, 1, args.count, args.window, epoch).await;
    let (warm, latencies, last) = receiver.await?;
    let mut lat: Vec<f64> = latencies.iter().map(|ns| *ns as f64 / 1000.0).collect();
    lat.sort_by(f64::total_cmp);
    let received = lat.len() as u64;
    let elapsed = last.saturating_sub(start).as_secs_f64();
    let round = |v: f64| (v * 10.0).round() / 10.0;
    Ok(json!({
        "implementation": IMPLEMENTATION,
        "topic": args.topic,
        "count": args.count,
        "received": received,
        "lost": args.count - received,
        "publishErrors": errors,
        "warmedUp": warm >= WARMUP,
        "payloadBytes": PAYLOAD_BYTES,
        "window": args.window,
        "clientCpuS": own_cpu_secs(),
        "elapsedS": elapsed,
        "msgsPerSec": if elapsed > 0.0 { round(received as f64 / elapsed) } else { 0.0 },
        "latencyUs": {
            "min": lat.first().copied().map(round),
            "p50": round(percentile(&lat, 50.0)),
            "p99": round(percentile(&lat, 99.0)),
            "max": lat.last().copied().map(round),
            "mean": if lat.is_empty() { 0.0 } else { round(lat.iter().sum::<f64>() / lat.len() as f64) },
        },
    }))
}
