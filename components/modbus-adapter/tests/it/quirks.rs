//! Per-device workarounds against the real server: busy retries, one request per point,
//! 1-based addresses, 8-bit types, an inter-request delay, and closing the link after each poll.

use crate::peer::Peer;
use crate::proxy::FaultProxy;
use crate::{bounded, by_point, device};
use edge_model::{Quality, Value};
use modbus_adapter::cycle::run_cycle;
use modbus_adapter::link::connect;
use modbus_adapter::plan::plan;
use modbus_adapter::point::PollGroup;
use modbus_adapter::poller::poll_device;
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

fn word_points() -> serde_json::Value {
    json!({"word": {"address": 0, "type": "u16"}, "float": {"address": 30, "type": "f32"}})
}

#[tokio::test]
async fn busy_answers_are_retried_up_to_the_limit() {
    let peer = Peer::start();
    let proxy = FaultProxy::start(peer.port).await;
    let dev = device(
        proxy.port,
        json!({"busyRetries": 2, "busyRetryDelayMs": 20, "maxGap": 40}),
        word_points(),
    );
    bounded(async {
        let requests = plan(&dev.points, &dev.limits);
        assert_eq!(requests.len(), 1);
        let mut ctx = connect(&dev).await.expect("connects");

        proxy.busy_for(2);
        let out = run_cycle(&mut ctx, &dev, &requests, PollGroup::Fast, dev.timeout).await;
        assert_eq!(out.requests, 3, "two busy answers, then the real one");
        let got = by_point(out.readings);
        assert_eq!(got["word"].value(), Some(&Value::Int(0xBEEF)));

        proxy.busy_for(3);
        let out = run_cycle(&mut ctx, &dev, &requests, PollGroup::Fast, dev.timeout).await;
        assert_eq!(out.requests, 3, "the first try and two retries");
        assert_eq!(out.exceptions, 1);
        for r in &out.readings {
            assert_eq!(r.quality(), Quality::Bad);
            let detail = r.quality_detail().unwrap_or_default();
            assert!(detail.starts_with("modbus exception 6 "), "{detail}");
        }
    })
    .await;
}

#[tokio::test]
async fn one_request_per_point_one_based_addresses_and_byte_types() {
    let peer = Peer::start();
    let points = json!({
        "word": {"address": 2, "type": "i16"},
        "high": {"address": 1, "type": "u8h"},
        "lowSigned": {"address": 1, "type": "i8l"},
        "float": {"address": 31, "type": "f32"},
    });
    let dev = device(
        peer.port,
        json!({"oneRequestPerPoint": true, "addressBase": 1, "interRequestDelayMs": 50}),
        points,
    );
    bounded(async {
        let requests = plan(&dev.points, &dev.limits);
        assert_eq!(requests.len(), 4, "{requests:?}");
        let mut ctx = connect(&dev).await.expect("connects");
        let started = Instant::now();
        let out = run_cycle(&mut ctx, &dev, &requests, PollGroup::Fast, dev.timeout).await;
        assert!(
            started.elapsed() >= Duration::from_millis(150),
            "three pauses between four requests"
        );
        assert_eq!(out.requests, 4);
        let got = by_point(out.readings);
        // 1-based register 1 is protocol address 0 (0xBEEF), register 2 is address 1 (-1234).
        assert_eq!(got["word"].value(), Some(&Value::Int(-1234)));
        assert_eq!(got["high"].value(), Some(&Value::Int(0xBE)));
        assert_eq!(got["lowSigned"].value(), Some(&Value::Int(-17)));
        assert_eq!(got["float"].value(), Some(&Value::Float(21.5)));
    })
    .await;
}

#[tokio::test]
async fn close_after_poll_reconnects_for_every_cycle() {
    let peer = Peer::start();
    let proxy = FaultProxy::start(peer.port).await;
    let dev = device(
        proxy.port,
        json!({"closeAfterPoll": true, "pollIntervalMs": 50, "pauseAfterConnectMs": 10}),
        word_points(),
    );
    let (tx, mut rx) = mpsc::unbounded_channel();
    let metrics = component_kit::Metrics::new();
    let env = crate::test_env(tx, &metrics, "sim");
    let (_queue, writes) = mpsc::channel(1);
    let shutdown = CancellationToken::new();
    tokio::spawn(poll_device(dev, env, writes, shutdown.clone()));
    bounded(async {
        let mut batches = 0;
        while batches < 4 {
            let (topic, body) = rx.recv().await.expect("poller running");
            if topic == "factory/raw/sim" {
                let batch: edge_model::ReadingBatch =
                    serde_json::from_value(body).expect("a batch");
                assert!(
                    batch
                        .readings()
                        .iter()
                        .all(|r| r.quality() == Quality::Good)
                );
                batches += 1;
            }
        }
    })
    .await;
    shutdown.cancel();
    assert!(
        proxy.connections() >= 4,
        "one connection per cycle, saw {}",
        proxy.connections()
    );
}
