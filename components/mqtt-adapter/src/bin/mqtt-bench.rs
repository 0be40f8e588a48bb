//! Benchmark: messages/s from a local mosquitto through the adapter's real broker task, JSON
//! decoding and batch building (publishing to local pub/sub is replaced by a counting channel),
//! with the adapter's CPU and RSS; `mosquitto_sub` receiving the same messages is the reference.
//! One table, then one JSON line.
//!
//! `cargo run --release -p mqtt-adapter --bin mqtt-bench -- [messages]` (default 20000); needs
//! mosquitto and mosquitto-clients (scripts/setup-test-env.sh installs them).

use anyhow::{Context, bail};
use component_kit::process_stats::ProcessStats;
use component_kit::{Backoff, ChannelOutlet, Counter, Metrics};
use edge_model::{ComponentName, GatewayId};
use mqtt_adapter::batcher::publish_batches;
use mqtt_adapter::broker::{BrokerEnv, BrokerMetrics, run_broker};
use mqtt_adapter::config::MqttAdapterConfig;
use mqtt_adapter::validate::validate;
use serde_json::json;
use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const TOPIC: &str = "sensors/pump1/vibration";

fn main() -> anyhow::Result<()> {
    let messages: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(20_000);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(messages))
}

/// mosquitto on a free port, killed on drop.
struct Broker(Child, u16);

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_broker() -> anyhow::Result<Broker> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let dir = std::env::temp_dir().join(format!("mqtt-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let conf = dir.join("mosquitto.conf");
    std::fs::write(
        &conf,
        format!(
            "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\n"
        ),
    )?;
    let child = Command::new("mosquitto")
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("mosquitto is needed: run scripts/setup-test-env.sh")?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("mosquitto did not listen within 10 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(Broker(child, port))
}

/// Publishes `n` JSON messages with one `mosquitto_pub -l` (a line per message, QoS 1).
fn publish(port: u16, n: u64) -> anyhow::Result<()> {
    let mut publisher = Command::new("mosquitto_pub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-q",
            "1",
            "-t",
            TOPIC,
            "-l",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .context("mosquitto_pub is needed")?;
    let mut stdin = publisher.stdin.take().context("stdin")?;
    for i in 0..n {
        writeln!(
            stdin,
            r#"{{"value": {}.5, "ts": {}}}"#,
            i % 1000,
            1_700_000_000_000 + i
        )?;
    }
    drop(stdin);
    publisher.wait()?;
    Ok(())
}

async fn run(messages: u64) -> anyhow::Result<()> {
    let broker = start_broker()?;
    let config: MqttAdapterConfig = serde_json::from_value(json!({
        "brokers": {"local": {"port": broker.1}},
        "subscriptions": {"s": {"broker": "local", "topic": "sensors/+/+", "device": "{2}",
            "point": "{3}", "valuePointer": "/value", "timestampPointer": "/ts", "qos": 1}},
        "batchIntervalMs": 100,
    }))?;
    let mut valid = validate(config).map_err(|e| anyhow::anyhow!("{e}"))?;
    let (status_tx, _statuses) = mpsc::unbounded_channel();
    let (batch_tx, mut batches) = mpsc::unbounded_channel();
    let metrics = Metrics::new();
    let (readings_tx, readings_rx) = mpsc::channel(4096);
    let shutdown = CancellationToken::new();
    let env = BrokerEnv {
        outlet: ChannelOutlet(status_tx),
        component: ComponentName::new("com.smartfactory.MqttAdapter")?,
        thing_name: "bench".to_owned(),
        password: None,
        metrics: BrokerMetrics::new(&metrics, "local"),
        backoff: Backoff::default(),
    };
    let published: Counter = metrics.counter("PointsPublished");
    tokio::spawn(run_broker(
        valid.brokers.remove(0),
        valid.subscriptions,
        env,
        readings_tx,
        shutdown.clone(),
    ));
    tokio::spawn(publish_batches(
        ChannelOutlet(batch_tx),
        GatewayId::new("bench")?,
        valid.batch_interval,
        readings_rx,
        published.clone(),
        shutdown.clone(),
    ));
    tokio::time::sleep(Duration::from_millis(500)).await; // connected and subscribed

    // Reference: mosquitto_sub receiving the same messages.
    let reference = Command::new("mosquitto_sub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &broker.1.to_string(),
            "-q",
            "1",
            "-t",
            TOPIC,
        ])
        .args(["-C", &messages.to_string()])
        .stdout(Stdio::null())
        .spawn()
        .context("mosquitto_sub is needed")?;
    let reference_pid = reference.id();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let cpu0 = ProcessStats::current()?.cpu_seconds;
    let started = Instant::now();
    let port = broker.1;
    let publishing = tokio::task::spawn_blocking(move || publish(port, messages));
    let mut batch_count = 0u64;
    let mut largest_batch = 0usize;
    while published.get() < messages {
        match tokio::time::timeout(Duration::from_secs(30), batches.recv()).await {
            Ok(Some((_, body))) => {
                batch_count += 1;
                largest_batch = largest_batch.max(body.to_string().len());
            }
            _ => bail!(
                "only {} of {messages} readings within 30 s",
                published.get()
            ),
        }
    }
    let wall = started.elapsed().as_secs_f64();
    let ours = ProcessStats::current()?;
    let cpu = ours.cpu_seconds - cpu0;
    publishing.await??;
    let reference_cpu = ProcessStats::of(reference_pid)
        .map(|s| s.cpu_seconds)
        .unwrap_or(0.0);
    let mut reference = reference;
    // mosquitto_sub exits after the last message; a reference that lost messages is killed
    // instead of waited on forever.
    let deadline = Instant::now() + Duration::from_secs(10);
    let reference_complete = loop {
        if reference.try_wait()?.is_some() {
            break true;
        }
        if Instant::now() > deadline {
            let _ = reference.kill();
            let _ = reference.wait();
            break false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    shutdown.cancel();

    let rate = messages as f64 / wall;
    let per_10k = cpu / messages as f64 * 10_000.0 * 1000.0;
    println!("| measure | value |");
    println!("|---|---|");
    println!("| messages (QoS 1, JSON) | {messages} |");
    println!("| messages/s through the adapter | {rate:.0} |");
    println!("| adapter CPU per 10k messages | {per_10k:.1} ms |");
    println!("| batches published / largest | {batch_count} / {largest_batch} B |");
    println!(
        "| adapter RSS / peak | {:.1} / {:.1} MiB |",
        ours.rss_kib as f64 / 1024.0,
        ours.peak_rss_kib as f64 / 1024.0
    );
    println!(
        "| mosquitto_sub CPU, same messages | {:.0} ms (ours {:.0} ms){} |",
        reference_cpu * 1000.0,
        cpu * 1000.0,
        if reference_complete {
            ""
        } else {
            " (incomplete: it missed messages)"
        }
    );
    println!(
        "{}",
        json!({"bench": "mqtt-adapter", "messages": messages, "messages_per_s": rate.round(),
            "cpu_ms_per_10k": (per_10k * 10.0).round() / 10.0, "rss_mib": ours.rss_kib as f64 / 1024.0,
            "peak_rss_mib": ours.peak_rss_kib as f64 / 1024.0, "batches": batch_count,
            "largest_batch_bytes": largest_batch, "mosquitto_sub_cpu_ms": (reference_cpu * 1000.0).round(),
            "adapter_cpu_ms": (cpu * 1000.0).round(), "reference_complete": reference_complete})
    );
    Ok(())
}
