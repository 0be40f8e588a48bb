//! A server that disappears and comes back: offline (then backoff), then online again.

use crate::peer::Peer;
use crate::{bounded, device};
use edge_model::{LinkState, ReadingBatch};
use modbus_adapter::poller::poll_device;
use serde_json::{Value as Json, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const NAME: &str = "com.smartfactory.ModbusAdapter";

/// Waits for the next status with `state`, skipping other messages; counts batches seen.
async fn next_status(
    rx: &mut mpsc::UnboundedReceiver<(String, Json)>,
    state: LinkState,
    batches: &mut usize,
) -> Json {
    loop {
        let (topic, body) = rx.recv().await.expect("poller still running");
        if topic.starts_with("factory/raw/") {
            let batch: ReadingBatch = serde_json::from_value(body).expect("a reading batch");
            assert_eq!(batch.device().as_str(), "sim");
            *batches += 1;
            continue;
        }
        assert_eq!(topic, format!("factory/status/{NAME}"));
        let s: edge_model::ComponentStatus =
            serde_json::from_value(body.clone()).expect("a status");
        if s.state() == state {
            return body;
        }
    }
}

#[tokio::test]
async fn a_server_that_disappears_and_comes_back_goes_offline_then_online() {
    let mut peer = Peer::start();
    let port = peer.port;
    let dev = device(
        port,
        json!({"timeoutMs": 500}),
        json!({"a": {"address": 0}}),
    );
    let (tx, mut rx) = mpsc::unbounded_channel();
    let metrics = component_kit::Metrics::new();
    let env = crate::test_env(tx, &metrics, "sim");
    let shutdown = CancellationToken::new();
    let (_writes, queue) = mpsc::channel(1);
    let task = tokio::spawn(poll_device(dev, env, queue, shutdown.clone()));
    bounded(async {
        let mut batches = 0;
        next_status(&mut rx, LinkState::Online, &mut batches).await;
        while batches < 2 {
            let (topic, _) = rx.recv().await.expect("running");
            batches += usize::from(topic.starts_with("factory/raw/"));
        }
        peer.stop();
        let offline = next_status(&mut rx, LinkState::Offline, &mut batches).await;
        assert_eq!(offline["device"], "sim");
        next_status(&mut rx, LinkState::Backoff, &mut batches).await;
        let _peer = Peer::start_on(port);
        next_status(&mut rx, LinkState::Online, &mut batches).await;
        let before = batches;
        while batches < before + 2 {
            let (topic, _) = rx.recv().await.expect("running");
            batches += usize::from(topic.starts_with("factory/raw/"));
        }
        shutdown.cancel();
        task.await.expect("poller ends cleanly");
    })
    .await;
    let samples = metrics.snapshot();
    let failures = samples
        .iter()
        .find(|s| s.name() == "LinkFailures")
        .map(|s| s.value())
        .unwrap_or_default();
    assert!(failures >= 1.0);
}
