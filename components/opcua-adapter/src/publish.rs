//! The publisher of one server: drains the feed into batches below the IPC frame limit and
//! publishes them on `factory/raw/{server}`; also publishes the server's link status.

use component_kit::Counter;
use component_kit::outlet::Outlet;
use edge_model::{
    BatchBuilder, ComponentName, ComponentStatus, DeviceId, LinkState, Reading, Topic,
};
use tokio::sync::mpsc;

/// Most readings taken from the feed before a publish round (bounds the latency of the first).
const MAX_READINGS_PER_ROUND: usize = 2000;

/// Publishes every reading that arrives until all feeds are dropped. Readings that arrive
/// together go out together: a round drains what is queued, then publishes the batches.
pub async fn run<O: Outlet>(
    mut rx: mpsc::Receiver<Reading>,
    outlet: O,
    topic: Topic,
    mut batches: BatchBuilder,
    published: Counter,
) {
    let mut round = Vec::with_capacity(MAX_READINGS_PER_ROUND);
    while rx.recv_many(&mut round, MAX_READINGS_PER_ROUND).await > 0 {
        let mut full = Vec::new();
        for reading in round.drain(..) {
            match batches.push(reading) {
                Ok(Some(batch)) => full.push(batch),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "Reading dropped."),
            }
        }
        full.extend(batches.finish());
        for batch in full {
            let n = batch.readings().len() as u64;
            let sent = match serde_json::to_value(&batch) {
                Ok(body) => outlet.publish(topic.as_str(), body).await,
                Err(e) => Err(e.to_string()),
            };
            match sent {
                Ok(()) => published.add(n),
                Err(e) => tracing::warn!(topic = topic.as_str(), error = %e, "Publish failed."),
            }
        }
    }
}

/// Publishes the link state of `server` on `factory/status/{component}`.
pub async fn status<O: Outlet>(
    outlet: &O,
    component: &ComponentName,
    server: &DeviceId,
    state: LinkState,
    detail: Option<String>,
) {
    let now = edge_model::time::now_ms() as i64;
    let mut status =
        ComponentStatus::new(component.clone(), state, now).with_device(server.clone());
    if let Some(d) = detail {
        status = status.with_detail(d);
    }
    let topic = Topic::status(component);
    let sent = match serde_json::to_value(&status) {
        Ok(body) => outlet.publish(topic.as_str(), body).await,
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = sent {
        tracing::warn!(topic = topic.as_str(), error = %e, "Status publish failed.");
    }
}
