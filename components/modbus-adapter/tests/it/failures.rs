//! Link failures: a device that never answers, and a bad serial device next to a good device.

use crate::peer::Peer;
use crate::{bounded, device};
use edge_model::{LinkState, Quality};
use modbus_adapter::config::{DeviceConfig, validate_device};
use modbus_adapter::cycle::run_cycle;
use modbus_adapter::link::connect;
use modbus_adapter::plan::plan;
use modbus_adapter::point::PollGroup;
use modbus_adapter::poller::poll_device;
use serde_json::json;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn a_device_that_never_answers_times_out_and_marks_the_cycle_bad() {
    // Accepts connections and reads requests, but never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let dev = device(
        port,
        json!({"timeoutMs": 200}),
        json!({"a": {"address": 0}, "b": {"address": 500}, "c": {"table": "coil", "address": 0, "type": "bool"}}),
    );
    bounded(async {
        let mut ctx = connect(&dev).await.expect("connects");
        let requests = plan(&dev.points, &dev.limits);
        let out = run_cycle(&mut ctx, &dev, &requests, PollGroup::Fast, dev.timeout).await;
        assert_eq!(out.link_error.as_deref(), Some("no answer within 200 ms"));
        assert_eq!(out.requests, 1, "the cycle stops at the first timeout");
        assert_eq!(out.readings.len(), 3, "every point still gets a reading");
        for r in &out.readings {
            assert_eq!(r.quality(), Quality::Bad);
            assert!(
                r.quality_detail()
                    .unwrap_or_default()
                    .starts_with("link down: "),
                "{r:?}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_bad_serial_device_backs_off_while_the_good_device_publishes() {
    let peer = Peer::start();
    let good = device(peer.port, json!({}), json!({"a": {"address": 0}}));
    let bad_config: DeviceConfig = serde_json::from_value(json!({
        "transport": {"type": "rtu", "serialPort": "/dev/does-not-exist-ttyX", "baudRate": 9600},
        "points": {"a": {"address": 0}},
    }))
    .expect("parses");
    let bad = validate_device("serial-plc", bad_config)
        .expect("valid config; the path fails at run time");
    let (tx, mut rx) = mpsc::unbounded_channel();
    let metrics = component_kit::Metrics::new();
    let shutdown = CancellationToken::new();
    let mut queues = Vec::new();
    for dev in [good, bad] {
        let env = crate::test_env(tx.clone(), &metrics, dev.id.as_str());
        let (queue, writes) = mpsc::channel(1);
        queues.push(queue);
        tokio::spawn(poll_device(dev, env, writes, shutdown.child_token()));
    }
    bounded(async {
        let (mut backoff_detail, mut good_batches) = (None, 0);
        while backoff_detail.is_none() || good_batches < 2 {
            let (topic, body) = rx.recv().await.expect("pollers running");
            if topic == "factory/raw/sim" {
                good_batches += 1;
            } else if body["device"] == "serial-plc" && body["state"] == json!(LinkState::Backoff) {
                backoff_detail = body["detail"].as_str().map(str::to_owned);
            }
            assert_ne!(topic, "factory/raw/serial-plc", "no link, no readings");
        }
        let detail = backoff_detail.unwrap_or_default();
        assert!(detail.contains("/dev/does-not-exist-ttyX"), "{detail}");
    })
    .await;
    shutdown.cancel();
}
