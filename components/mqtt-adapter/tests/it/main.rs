//! Integration tests of the MQTT adapter against a real mosquitto broker, with mosquitto_pub as
//! the sensor.
#![allow(clippy::unwrap_used, reason = "tests")]

mod e2e;
mod mosquitto;
mod recipe;
mod sparkplug;
mod sparkplug_wire;

use component_kit::{Backoff, ChannelOutlet, Metrics};
use edge_model::{ComponentName, Quality, Reading, Value};
use mosquitto::{Mosquitto, Security};
use mqtt_adapter::broker::{BrokerEnv, BrokerMetrics, run_broker};
use mqtt_adapter::config::MqttAdapterConfig;
use mqtt_adapter::validate::validate;
use serde_json::{Value as Json, json};
use std::future::Future;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Every test ends within this.
const TEST_DEADLINE: Duration = Duration::from_secs(40);

async fn bounded<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(TEST_DEADLINE, f)
        .await
        .expect("test ran past its deadline")
}

/// The adapter's broker task on `config` (one broker), its readings and statuses.
struct Rig {
    readings: mpsc::Receiver<Reading>,
    statuses: mpsc::UnboundedReceiver<(String, Json)>,
    metrics: Metrics,
    shutdown: CancellationToken,
}

impl Rig {
    fn start(config: Json, password: Option<&str>) -> Self {
        let config: MqttAdapterConfig = serde_json::from_value(config).expect("config parses");
        let mut valid = validate(config).expect("config is valid");
        assert!(valid.rejected.is_empty(), "{:?}", valid.rejected);
        let broker = valid.brokers.remove(0);
        let (tx, readings) = mpsc::channel(1024);
        let (status_tx, statuses) = mpsc::unbounded_channel();
        let metrics = Metrics::new();
        let env = BrokerEnv {
            outlet: ChannelOutlet(status_tx),
            component: ComponentName::new("com.smartfactory.MqttAdapter").unwrap(),
            thing_name: "test-gateway".to_owned(),
            password: password.map(str::to_owned),
            metrics: BrokerMetrics::new(&metrics, &broker.id),
            backoff: Backoff::new(Duration::from_millis(100), Duration::from_millis(500)),
        };
        let shutdown = CancellationToken::new();
        tokio::spawn(run_broker(
            broker,
            valid.subscriptions,
            env,
            tx,
            shutdown.clone(),
        ));
        Self {
            readings,
            statuses,
            metrics,
            shutdown,
        }
    }

    /// Publishes with `publish` every 300 ms until a reading of `point` arrives; returns it.
    async fn publish_until(&mut self, point: &str, publish: impl Fn()) -> Reading {
        loop {
            publish();
            let wait = tokio::time::sleep(Duration::from_millis(300));
            tokio::pin!(wait);
            loop {
                tokio::select! {
                    r = self.readings.recv() => {
                        let r = r.expect("broker task running");
                        if r.source().point() == point {
                            return r;
                        }
                    }
                    () = &mut wait => break,
                }
            }
        }
    }

    fn counter(&self, name: &str) -> u64 {
        self.metrics
            .snapshot()
            .iter()
            .filter(|m| m.name() == name)
            .map(|m| m.value() as u64)
            .sum()
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

fn broker_config(b: &Mosquitto, extra: Json) -> Json {
    let mut broker = json!({"host": "127.0.0.1", "port": b.port});
    if let (Some(o), Some(e)) = (broker.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    broker
}

#[tokio::test]
async fn json_readings_with_device_time_arrive_and_bad_messages_do_not_stop_the_flow() {
    let b = Mosquitto::start(Security::Open);
    let mut rig = Rig::start(
        json!({
            "brokers": {"line1": broker_config(&b, json!({}))},
            "subscriptions": {"sensors": {"broker": "line1", "topic": "sensors/+/+",
                "device": "{2}", "valuePointer": "/value", "timestampPointer": "/ts", "unit": "bar"}},
        }),
        None,
    );
    bounded(async {
        let r = rig
            .publish_until("pressure", || {
                b.publish(
                    "sensors/pump1/pressure",
                    br#"{"value": 4.25, "ts": 1700000000000}"#,
                )
            })
            .await;
        assert_eq!(r.source().device().as_str(), "pump1");
        assert_eq!(r.value(), Some(&Value::Float(4.25)));
        assert_eq!(r.unit(), Some("bar"));
        assert_eq!(r.device_time_ms(), Some(1_700_000_000_000));

        b.publish("sensors/pump1/pressure", b"{garbage");
        b.publish("sensors/pump1/pressure", br#"{"other": 1}"#);
        let r = rig
            .publish_until("flow", || {
                b.publish("sensors/pump1/flow", br#"{"value": 12}"#)
            })
            .await;
        assert_eq!(r.value(), Some(&Value::Int(12)));
        assert_eq!(r.quality(), Quality::Uncertain, "no device timestamp");
        assert!(rig.counter("DecodeErrors") >= 2, "bad messages are counted");
    })
    .await;
}

#[tokio::test]
async fn mutual_tls_with_plain_payloads() {
    let b = Mosquitto::start(Security::MutualTls);
    let pki = b.pki();
    let tls = json!({"tls": {
        "caFile": mosquitto::path_str(&pki.join("ca.crt")),
        "certFile": mosquitto::path_str(&pki.join("sensor-gw.crt")),
        "keyFile": mosquitto::path_str(&pki.join("sensor-gw.key")),
    }});
    let mut rig = Rig::start(
        json!({
            "brokers": {"secure": broker_config(&b, tls)},
            "subscriptions": {"plain": {"broker": "secure", "topic": "plc/+/state",
                "format": "plain", "device": "{2}", "point": "state"}},
        }),
        None,
    );
    bounded(async {
        let r = rig
            .publish_until("state", || b.publish("plc/press7/state", b"RUNNING"))
            .await;
        assert_eq!(r.source().device().as_str(), "press7");
        assert_eq!(r.value(), Some(&Value::from("RUNNING")));
        assert_eq!(r.quality(), Quality::Good);
    })
    .await;
}

#[tokio::test]
async fn user_and_password_and_a_wrong_password_is_reported() {
    let b = Mosquitto::start(Security::Password);
    let config = json!({
        "brokers": {"auth": broker_config(&b, json!({"username": mosquitto::USER, "passwordSecretId": "mqtt-password"}))},
        "subscriptions": {"s": {"broker": "auth", "topic": "t/+", "format": "plain", "device": "dev"}},
    });
    let mut rig = Rig::start(config.clone(), Some(mosquitto::PASSWORD));
    bounded(async {
        let r = rig.publish_until("x", || b.publish("t/x", b"7")).await;
        assert_eq!(r.value(), Some(&Value::Int(7)));
    })
    .await;

    let mut wrong = Rig::start(config, Some("not-the-password"));
    bounded(async {
        loop {
            let (_, status) = wrong.statuses.recv().await.expect("statuses");
            if status["state"] == "backoff" {
                let detail = status["detail"].as_str().unwrap_or_default().to_owned();
                assert!(
                    detail.to_lowercase().contains("refused")
                        || detail.contains("NotAuthorized")
                        || detail.contains("BadUserNamePassword"),
                    "{detail}"
                );
                assert_eq!(status["device"], "auth", "the status names the broker");
                break;
            }
        }
    })
    .await;
}

#[tokio::test]
async fn a_broker_restart_resubscribes_and_data_resumes() {
    let mut b = Mosquitto::start(Security::Open);
    let mut rig = Rig::start(
        json!({
            "brokers": {"line1": broker_config(&b, json!({}))},
            "subscriptions": {"s": {"broker": "line1", "topic": "s/+", "format": "plain", "device": "d"}},
        }),
        None,
    );
    bounded(async {
        rig.publish_until("before", || b.publish("s/before", b"1"))
            .await;
        b.restart();
        let r = rig
            .publish_until("after", || b.publish("s/after", b"2"))
            .await;
        assert_eq!(r.value(), Some(&Value::Int(2)));
        assert!(rig.counter("LinkFailures") >= 1, "the outage is counted");
    })
    .await;
    drop(b);
}
