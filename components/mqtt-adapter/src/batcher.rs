//! Collects readings per device for `batchIntervalMs` and publishes them as reading batches
//! (below 9 KB each) on `factory/raw/{device}`.

use component_kit::{Counter, Outlet};
use edge_model::{BatchBuilder, DeviceId, GatewayId, Reading, Topic};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Publishes what arrives on `readings` until the channel closes or `shutdown`; what is pending
/// then is published before returning.
pub async fn publish_batches<O: Outlet>(
    outlet: O,
    gateway: GatewayId,
    interval: Duration,
    mut readings: mpsc::Receiver<Reading>,
    published: Counter,
    shutdown: CancellationToken,
) {
    let mut builders: HashMap<DeviceId, BatchBuilder> = HashMap::new();
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            r = readings.recv() => match r {
                Some(reading) => {
                    let device = reading.source().device().clone();
                    let builder = builders
                        .entry(device.clone())
                        .or_insert_with(|| BatchBuilder::new(gateway.clone(), device.clone(), 0));
                    match builder.push(reading) {
                        Ok(Some(full)) => send(&outlet, &device, full, &published).await,
                        Ok(None) => {}
                        Err(e) => tracing::warn!(device = device.as_str(), error = %e, "Reading dropped."),
                    }
                }
                None => break,
            },
            _ = tick.tick() => flush(&outlet, &mut builders, &published).await,
        }
    }
    flush(&outlet, &mut builders, &published).await;
}

async fn flush<O: Outlet>(
    outlet: &O,
    builders: &mut HashMap<DeviceId, BatchBuilder>,
    published: &Counter,
) {
    for (device, builder) in builders.iter_mut() {
        if let Some(batch) = builder.finish() {
            send(outlet, device, batch, published).await;
        }
    }
}

async fn send<O: Outlet>(
    outlet: &O,
    device: &DeviceId,
    batch: edge_model::ReadingBatch,
    published: &Counter,
) {
    let topic = Topic::readings_raw(device);
    let n = batch.readings().len() as u64;
    let body = match serde_json::to_value(&batch) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(device = device.as_str(), error = %e, "Could not serialise a batch.");
            return;
        }
    };
    match outlet.publish(topic.as_str(), body).await {
        Ok(()) => published.add(n),
        Err(e) => tracing::warn!(topic = topic.as_str(), error = %e, "Publish failed."),
    }
}
