//! Writes through the command router to a real server, and the refusals.

use crate::peer::Peer;
use crate::{bounded, device};
use edge_model::Value;
use modbus_adapter::commands::Router;
use modbus_adapter::poller::poll_device;
use serde_json::{Value as Json, json};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// A poller on a fresh server, its router (writes `enabled` or not) and its message stream.
pub(crate) struct Rig {
    pub(crate) router: Router,
    messages: mpsc::UnboundedReceiver<(String, Json)>,
    shutdown: CancellationToken,
    _peer: Peer,
}

pub(crate) fn rig(enabled: bool) -> Rig {
    let peer = Peer::start();
    let points = json!({
        "setpoint": {"address": 30, "type": "f32", "writable": true},
        "scaled": {"address": 76, "type": "i16", "scale": 0.1, "offset": -40, "writable": true},
        "readOnly": {"address": 0, "type": "u16"},
        "missing": {"address": 5000, "type": "u16", "writable": true},
        "coil": {"table": "coil", "address": 1, "type": "bool", "writable": true},
        "half": {"address": 74, "type": "f16", "writable": true},
        "bit1": {"address": 75, "type": "bit", "bit": 1, "writable": true},
        "bit15": {"address": 75, "type": "bit", "bit": 15, "writable": true},
        "bit0": {"address": 75, "type": "bit", "bit": 0},
        "bit2": {"address": 75, "type": "bit", "bit": 2},
    });
    let dev = device(peer.port, json!({"pollIntervalMs": 50}), points);
    let (tx, messages) = mpsc::unbounded_channel();
    let metrics = component_kit::Metrics::new();
    let env = crate::test_env(tx, &metrics, "sim");
    let (queue, writes) = mpsc::channel(4);
    let shutdown = CancellationToken::new();
    tokio::spawn(poll_device(dev, env, writes, shutdown.clone()));
    let routes = HashMap::from([("sim".to_owned(), queue)]);
    Rig {
        router: Router::new(enabled, routes, Duration::from_secs(5)),
        messages,
        shutdown,
        _peer: peer,
    }
}

impl Rig {
    async fn write(&self, point: &str, value: Json) -> Json {
        let command = json!({"requestId": "r1", "action": "write", "device": "sim", "point": point, "value": value});
        let reply = self.router.handle(command).await;
        crate::schemas::assert_response_valid(&reply);
        reply
    }

    /// The next published value of `point`.
    async fn next_value(&mut self, point: &str) -> Option<Value> {
        loop {
            let (topic, body) = self.messages.recv().await.expect("poller running");
            if !topic.starts_with("factory/raw/") {
                continue;
            }
            let batch: edge_model::ReadingBatch = serde_json::from_value(body).expect("batch");
            if let Some(r) = batch
                .readings()
                .iter()
                .find(|r| r.source().point() == point)
            {
                return r.value().cloned();
            }
        }
    }

    /// Waits until `point` reads `want`.
    async fn wait_for(&mut self, point: &str, want: Value) {
        while self.next_value(point).await != Some(want.clone()) {}
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

#[tokio::test]
async fn a_write_reaches_the_device_and_reads_back() {
    let mut rig = rig(true);
    bounded(async {
        rig.wait_for("setpoint", Value::Float(21.5)).await;
        let reply = rig.write("setpoint", json!(99.25)).await;
        assert_eq!(reply["ok"], true, "{reply}");
        assert_eq!(reply["requestId"], "r1");
        rig.wait_for("setpoint", Value::Float(99.25)).await;
        let reply = rig.write("coil", json!(true)).await;
        assert_eq!(reply["ok"], true, "{reply}");
        rig.wait_for("coil", Value::Bool(true)).await;
        let reply = rig.write("scaled", json!(25.3)).await;
        assert_eq!(reply["ok"], true, "{reply}");
        let Some(Value::Float(x)) = rig.next_value("scaled").await else {
            panic!("a float")
        };
        assert!((x - 25.3).abs() < 1e-9, "{x}");
    })
    .await;
}

#[tokio::test]
async fn f16_and_bit_in_register_writes_change_only_their_own_bits() {
    let mut rig = rig(true);
    bounded(async {
        rig.wait_for("half", Value::Float(21.5)).await;
        let reply = rig.write("half", json!(-3.25)).await;
        assert_eq!(reply["ok"], true, "{reply}");
        rig.wait_for("half", Value::Float(-3.25)).await;

        // Register 75 holds 0xA005: bits 0, 2 and 15 set, bit 1 clear.
        rig.wait_for("bit1", Value::Bool(false)).await;
        let reply = rig.write("bit1", json!(true)).await;
        assert_eq!(reply["ok"], true, "{reply}");
        rig.wait_for("bit1", Value::Bool(true)).await;
        let reply = rig.write("bit15", json!(false)).await;
        assert_eq!(reply["ok"], true, "{reply}");
        rig.wait_for("bit15", Value::Bool(false)).await;
        for (bit, want) in [("bit0", true), ("bit1", true), ("bit2", true)] {
            assert_eq!(rig.next_value(bit).await, Some(Value::Bool(want)), "{bit}");
        }

        let reply = rig.write("half", json!(1e6)).await;
        assert_eq!(reply["ok"], false, "beyond the f16 range: {reply}");
    })
    .await;
}

#[tokio::test]
async fn writes_to_unlisted_or_read_only_points_are_refused_and_exceptions_reported() {
    let rig = rig(true);
    bounded(async {
        let reply = rig.write("readOnly", json!(1)).await;
        assert_eq!(reply["ok"], false);
        assert!(
            reply["error"]
                .as_str()
                .unwrap_or_default()
                .starts_with("refused: "),
            "{reply}"
        );
        let reply = rig.write("nope", json!(1)).await;
        assert!(
            reply["error"]
                .as_str()
                .unwrap_or_default()
                .contains("unknown point"),
            "{reply}"
        );
        let reply = rig.write("setpoint", json!("text")).await;
        assert!(
            reply["error"]
                .as_str()
                .unwrap_or_default()
                .starts_with("refused: "),
            "{reply}"
        );
        let reply = rig.write("missing", json!(1)).await;
        assert_eq!(reply["ok"], false);
        assert!(
            reply["error"]
                .as_str()
                .unwrap_or_default()
                .starts_with("modbus exception 2 "),
            "{reply}"
        );
        let other =
            json!({"action": "write", "device": "elsewhere", "point": "setpoint", "value": 1});
        let reply = rig.router.handle(other).await;
        assert!(
            reply["error"]
                .as_str()
                .unwrap_or_default()
                .contains("unknown device"),
            "{reply}"
        );
    })
    .await;
}

#[tokio::test]
async fn writes_are_refused_when_disabled() {
    let mut rig = rig(false);
    bounded(async {
        let reply = rig.write("setpoint", json!(5.0)).await;
        assert_eq!(reply["ok"], false);
        assert!(
            reply["error"]
                .as_str()
                .unwrap_or_default()
                .contains("writesEnabled"),
            "{reply}"
        );
        rig.wait_for("setpoint", Value::Float(21.5)).await;
    })
    .await;
}
