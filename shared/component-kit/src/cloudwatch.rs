//! Publishes the metrics registry to the `aws.greengrass.Cloudwatch` component: one local pub/sub
//! message per metric, in that component's input format
//! (`{"request": {"namespace", "metricData": {"metricName", "dimensions", "value", "unit",
//! "timestamp"}}}`, timestamp in epoch seconds). Counters are sent as the increase since the
//! last successful publish, so CloudWatch's `Sum` per period is the true count.

use crate::footprint::Footprint;
use crate::metrics::{Kind, MetricId, Metrics, Sample};
use ggipc::IpcClient;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

/// The local topic `aws.greengrass.Cloudwatch` listens on by default. The recipe's
/// `accessControl` must allow `aws.greengrass#PublishToTopic` on it.
pub const CLOUDWATCH_METRIC_TOPIC: &str = "cloudwatch/metric/put";
/// The CloudWatch namespace of every metric the kit publishes.
pub const METRIC_NAMESPACE: &str = "SmartFactory/Edge";
/// Dimension naming the Greengrass component.
pub const COMPONENT_DIMENSION: &str = "Component";
/// Dimension naming the core device.
pub const THING_NAME_DIMENSION: &str = "ThingName";

/// Builds one input message of `aws.greengrass.Cloudwatch`.
pub fn metric_message(
    sample_id: &MetricId,
    value: f64,
    unit: &str,
    component: &str,
    thing_name: &str,
    timestamp_secs: u64,
) -> Value {
    let mut dimensions = vec![
        json!({"name": COMPONENT_DIMENSION, "value": component}),
        json!({"name": THING_NAME_DIMENSION, "value": thing_name}),
    ];
    dimensions.extend(
        sample_id
            .dimensions()
            .iter()
            .filter(|(k, _)| k != COMPONENT_DIMENSION && k != THING_NAME_DIMENSION)
            .map(|(k, v)| json!({"name": k, "value": v})),
    );
    json!({
        "request": {
            "namespace": METRIC_NAMESPACE,
            "metricData": {
                "metricName": sample_id.name(),
                "dimensions": dimensions,
                "value": value,
                "unit": unit,
                "timestamp": timestamp_secs,
            }
        }
    })
}

/// Turns registry snapshots into messages and publishes them.
#[derive(Debug)]
pub struct MetricsPublisher {
    metrics: Metrics,
    component: &'static str,
    thing_name: String,
    /// Counter totals as of the last successful publish.
    published: HashMap<MetricId, f64>,
    failing: bool,
    /// The process's own footprint, refreshed before each publish, if registered.
    footprint: Option<Footprint>,
}

impl MetricsPublisher {
    /// A publisher for `metrics` of `component` on `thing_name`.
    pub fn new(metrics: Metrics, component: &'static str, thing_name: impl Into<String>) -> Self {
        Self {
            metrics,
            component,
            thing_name: thing_name.into(),
            published: HashMap::new(),
            failing: false,
            footprint: None,
        }
    }

    /// Also publishes the process's footprint (memory, CPU, dropped IPC events; see
    /// [`crate::footprint`]).
    pub fn with_footprint(mut self) -> Self {
        self.footprint = Some(Footprint::new(&self.metrics));
        self
    }

    fn value_to_send(&self, sample: &Sample) -> f64 {
        match sample.kind() {
            Kind::Gauge => sample.value(),
            Kind::Counter => {
                let before = self.published.get(sample.id()).copied().unwrap_or(0.0);
                (sample.value() - before).max(0.0)
            }
        }
    }

    /// The messages one publish would send now, without marking anything as sent.
    pub fn messages(&self, timestamp_secs: u64) -> Vec<Value> {
        self.metrics
            .snapshot()
            .iter()
            .map(|s| self.message(s, timestamp_secs))
            .collect()
    }

    fn message(&self, sample: &Sample, timestamp_secs: u64) -> Value {
        metric_message(
            sample.id(),
            self.value_to_send(sample),
            sample.unit().as_str(),
            self.component,
            &self.thing_name,
            timestamp_secs,
        )
    }

    /// Publishes every metric once; returns how many messages the nucleus accepted. A failed
    /// counter keeps its increase for the next publish.
    pub async fn publish_once(&mut self, ipc: &IpcClient) -> usize {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        if let Some(footprint) = &mut self.footprint {
            footprint.refresh(ipc.dropped_events());
        }
        let mut sent = 0;
        for sample in self.metrics.snapshot() {
            let message = self.message(&sample, now);
            match ipc.publish_json(CLOUDWATCH_METRIC_TOPIC, message).await {
                Ok(()) => {
                    sent += 1;
                    if sample.kind() == Kind::Counter {
                        self.published.insert(sample.id().clone(), sample.value());
                    }
                    if self.failing {
                        self.failing = false;
                        tracing::info!("Publishing metrics works again.");
                    }
                }
                Err(e) => {
                    if !self.failing {
                        self.failing = true;
                        tracing::warn!(error = %e, topic = CLOUDWATCH_METRIC_TOPIC, "Could not publish metrics; will retry next interval.");
                    }
                    break;
                }
            }
        }
        sent
    }

    /// Publishes every `interval` (read from the watch; `None` pauses) until `shutdown`.
    pub async fn run(
        mut self,
        ipc: IpcClient,
        mut interval: watch::Receiver<Option<Duration>>,
        shutdown: CancellationToken,
    ) {
        loop {
            let period = *interval.borrow_and_update();
            let Some(period) = period.filter(|p| !p.is_zero()) else {
                tokio::select! {
                    biased;
                    () = shutdown.cancelled() => return,
                    changed = interval.changed() => if changed.is_err() { return },
                }
                continue;
            };
            let mut ticker = tokio::time::interval_at(Instant::now() + period, period);
            ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    biased;
                    () = shutdown.cancelled() => return,
                    changed = interval.changed() => {
                        if changed.is_err() {
                            return;
                        }
                        break;
                    }
                    _ = ticker.tick() => {
                        let sent = self.publish_once(&ipc).await;
                        tracing::debug!(sent, "Published metrics.");
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Unit, names};

    #[test]
    fn message_follows_the_cloudwatch_component_input_format() {
        let m = Metrics::new();
        m.counter_with(names::SENT_TOTAL, &[("Device", "plc1")])
            .add(3);
        let p = MetricsPublisher::new(m, "acme.Sensor", "gw-1");
        let msgs = p.messages(1_700_000_000);
        assert_eq!(
            msgs,
            vec![json!({
                "request": {
                    "namespace": "SmartFactory/Edge",
                    "metricData": {
                        "metricName": "sent_total",
                        "dimensions": [
                            {"name": "Component", "value": "acme.Sensor"},
                            {"name": "ThingName", "value": "gw-1"},
                            {"name": "Device", "value": "plc1"}
                        ],
                        "value": 3.0,
                        "unit": "Count",
                        "timestamp": 1_700_000_000u64
                    }
                }
            })]
        );
    }

    #[test]
    fn counters_are_sent_as_increases_and_gauges_as_levels() {
        let m = Metrics::new();
        let c = m.counter(names::RECEIVED_TOTAL);
        let g = m.gauge("queue_bytes", Unit::Bytes);
        c.add(5);
        g.set(10.0);
        let mut p = MetricsPublisher::new(m, "acme.Sensor", "gw-1");
        let value_of = |msgs: &[Value], name: &str| {
            msgs.iter()
                .find(|v| v["request"]["metricData"]["metricName"] == name)
                .map(|v| v["request"]["metricData"]["value"].clone())
        };
        assert_eq!(value_of(&p.messages(0), "received_total"), Some(json!(5.0)));
        // As if the publish succeeded.
        p.published
            .insert(MetricId::new(names::RECEIVED_TOTAL, &[]), 5.0);
        c.add(2);
        let msgs = p.messages(0);
        assert_eq!(value_of(&msgs, "received_total"), Some(json!(2.0)));
        assert_eq!(value_of(&msgs, "queue_bytes"), Some(json!(10.0)));
        assert_eq!(msgs[0]["request"]["metricData"]["unit"], "Bytes");
    }
}
