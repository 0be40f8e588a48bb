//! Feeds the detector under gg-local: filtered readings for several devices over IPC, and
//! counts its anomaly events.

use anomaly_detector::model::Model;
use edge_model::{BatchBuilder, DeviceId, GatewayId, Quality, Reading, Source};
use ggipc::model::PublishMessage;
use ggipc::{ConnectOptions, IpcClient};
use std::path::Path;
use std::time::{Duration, Instant};

const T0: i64 = 1_700_000_000_000;

/// Publishes `steps` rows per device (5 steps per batch, devices interleaved), a step every
/// `gap` (or as fast as IPC goes when zero), then waits until the detector's anomaly events
/// stop; `points` are the point ids of the model's features, in its order. Returns (events,
/// seconds).
pub async fn feed(
    root: &Path,
    model: &Model,
    points: &[String],
    devices: usize,
    steps: usize,
    gap: Duration,
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
        if !gap.is_zero() {
            tokio::time::sleep_until(
                (started + gap * u32::try_from(step).unwrap_or(u32::MAX)).into(),
            )
            .await;
        }
        let t = T0 + step as i64 * model.manifest().step_ms as i64;
        // A 60-step fault (shifted levels) on every device after the baseline: alarms run.
        let fault = if (900..960).contains(&step) { 1.3 } else { 1.0 };
        for (device, builder) in &mut builders {
            for (i, (point, level)) in points.iter().zip(&levels).enumerate() {
                let v = level * (1.0 + 0.01 * noise.next()) * if i % 3 == 0 { fault } else { 1.0 };
                let r = Reading::new(
                    Source::new(device.clone(), point.as_str()),
                    v,
                    Quality::Good,
                    t,
                )
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

/// The name of device `d` (0-based).
pub fn device_name(d: usize) -> String {
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
