//! Metrics reach the CloudWatch component's topic in its input format.

use crate::probe::{NAME, Rig, THING, started};
use component_kit::CLOUDWATCH_METRIC_TOPIC;
use serde_json::{Value, json};
use std::time::{SystemTime, UNIX_EPOCH};

fn metric<'a>(messages: &'a [Value], name: &str) -> Option<&'a Value> {
    messages
        .iter()
        .find(|m| m["request"]["metricData"]["metricName"] == name)
}

#[tokio::test]
async fn metrics_are_published_in_the_cloudwatch_component_format() {
    let mut rig = Rig::start(json!({"intervalMs": 1, "metricsIntervalMs": "50"}));
    assert_eq!(rig.next_seen().await, started(1));
    rig.nucleus
        .gg
        .wait_until("received_total on the metrics topic", |gg| {
            metric(&gg.published_on(CLOUDWATCH_METRIC_TOPIC), "received_total").is_some()
        })
        .await;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let messages = rig.nucleus.gg.published_on(CLOUDWATCH_METRIC_TOPIC);
    let message = metric(&messages, "received_total").unwrap();
    let data = &message["request"]["metricData"];
    let timestamp = data["timestamp"].as_u64().unwrap();
    assert!(
        timestamp.abs_diff(now) <= 5,
        "timestamp {timestamp}, now {now}"
    );
    assert_eq!(
        message,
        &json!({
            "request": {
                "namespace": "SmartFactory/Edge",
                "metricData": {
                    "metricName": "received_total",
                    "dimensions": [
                        {"name": "Component", "value": NAME},
                        {"name": "ThingName", "value": THING}
                    ],
                    "value": 1.0,
                    "unit": "Count",
                    "timestamp": timestamp
                }
            }
        })
    );
    // The kit's own counters ride along, and so does the process's footprint.
    assert!(metric(&messages, "config_applied_total").is_some());
    let resident = metric(&messages, component_kit::footprint::RESIDENT_BYTES).unwrap();
    assert_eq!(resident["request"]["metricData"]["unit"], "Bytes");
    let bytes = resident["request"]["metricData"]["value"].as_f64().unwrap();
    assert!(bytes > 100_000.0, "resident {bytes} bytes");
    let dropped = metric(
        &messages,
        component_kit::footprint::IPC_EVENTS_DROPPED_TOTAL,
    )
    .unwrap();
    assert_eq!(dropped["request"]["metricData"]["value"], 0.0);
    rig.stop().await.unwrap();
}

#[tokio::test]
async fn zero_disables_metrics_publishing() {
    let mut rig = Rig::start(json!({"intervalMs": 1, "metricsIntervalMs": 0}));
    assert_eq!(rig.next_seen().await, started(1));
    rig.nucleus.gg.wait_states(&["RUNNING"]).await;
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    assert!(
        rig.nucleus
            .gg
            .published_on(CLOUDWATCH_METRIC_TOPIC)
            .is_empty()
    );
    rig.stop().await.unwrap();
}
