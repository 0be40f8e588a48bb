//! Durable append through the component's own input path: publishers hand single messages to
//! the ingest channel (as the IPC subscriptions do), the appender routes them and the store
//! commits them in group transactions. The clock stops when the appender has seen every commit,
//! and the queue depth is checked afterwards, so only durable records are counted.

use crate::measure::{EXPORT, open, record};
use component_kit::Metrics;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use stream_uploader::ingest::{Appender, INGEST_CHANNEL, Incoming, append_loop};
use stream_uploader::route::Router;
use stream_uploader::validate::validate;
use tokio::sync::mpsc;

/// Publishing tasks (as several subscriptions would be).
const PUBLISHERS: u64 = 4;
/// The component's default `maxAppendBatch`.
const MAX_APPEND_BATCH: usize = 1000;

/// Appends `total` records of about 200 bytes through the input path; returns rec/s.
pub async fn ingest_rate(dir: &Path, total: u64) -> anyhow::Result<f64> {
    let store = open(dir)?;
    let config = serde_json::from_value(serde_json::json!({
        "routes": {"agg": {"topicFilter": "factory/agg/+", "exports": {EXPORT: true}}},
        "exports": {EXPORT: {"type": "iotCore"}},
    }))?;
    let validated = validate(config).map_err(|e| anyhow::anyhow!("{e}"))?;
    let metrics = Metrics::new();
    // Dead letters go to `_dead`, kept open until the end.
    let (appender, _dead) = Appender::standalone(
        store.clone(),
        Arc::new(Router::new(validated.routes)),
        &metrics,
        &[EXPORT],
        MAX_APPEND_BATCH,
    );
    let (tx, rx) = mpsc::channel(INGEST_CHANNEL);
    let t = Instant::now();
    let appending = tokio::spawn(append_loop(appender, rx));
    let mut publishers = Vec::new();
    for p in 0..PUBLISHERS {
        let tx = tx.clone();
        publishers.push(tokio::spawn(async move {
            for i in (p..total).step_by(PUBLISHERS as usize) {
                let r = record(i, 60);
                let message = Incoming {
                    topic: r.topic,
                    payload: r.payload,
                    received_ms: r.created_ms,
                };
                if tx.send(message).await.is_err() {
                    break;
                }
            }
        }));
    }
    drop(tx);
    for p in publishers {
        p.await?;
    }
    appending.await?;
    let rate = total as f64 / t.elapsed().as_secs_f64();
    let stored = store.call(|s| s.depth(EXPORT)).await?.records;
    anyhow::ensure!(
        stored == total,
        "ingest path stored {stored} of {total} records"
    );
    Ok(rate)
}
