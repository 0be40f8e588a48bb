//! Periodic work on the queue: enforce TTLs, refresh the depth and age gauges, give space back
//! once the queue is empty.

use crate::store::StoreHandle;
use crate::telemetry::{DropReason, ExportMetrics};
use std::collections::HashMap;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Runs every `interval` until `shutdown`.
pub async fn run(
    store: StoreHandle,
    metrics: HashMap<String, ExportMetrics>,
    interval: Duration,
    shutdown: CancellationToken,
) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        if let Err(e) = once(&store, &metrics).await {
            tracing::warn!(error = %e, "Queue housekeeping failed.");
        }
    }
}

/// One round: expire, measure, vacuum.
pub async fn once(
    store: &StoreHandle,
    metrics: &HashMap<String, ExportMetrics>,
) -> Result<(), crate::store::StoreError> {
    let now = edge_model::time::now_ms() as i64;
    for (export, n) in store.call(move |s| s.expire(now)).await? {
        tracing::info!(export = %export, records = n, "Records expired (TTL).");
        if let Some(m) = metrics.get(&export) {
            m.dropped(DropReason::Expired, n);
        }
    }
    for (export, m) in metrics {
        let id = export.clone();
        let depth = store.call(move |s| s.depth(&id)).await?;
        m.depth_records.set(depth.records as f64);
        m.depth_bytes.set(depth.bytes as f64);
        let age = depth.oldest_created_ms.map_or(0, |t| (now - t).max(0));
        m.oldest_age_ms.set(age as f64);
    }
    store.call(|s| s.vacuum_if_empty()).await?;
    Ok(())
}
