//! One registry of counters and gauges per component. Handles are cheap atomics: look one up
//! once (at start or per device), then bump it in the loop. The kit publishes the registry to
//! CloudWatch on an interval (see [`crate::cloudwatch`]).

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Metric names shared by every component (the component spec requires the first four).
pub mod names {
    /// Items taken in (readings polled, messages received).
    pub const RECEIVED_TOTAL: &str = "received_total";
    /// Items sent on (published, uploaded).
    pub const SENT_TOTAL: &str = "sent_total";
    /// Items dropped on purpose (filtered, over a limit, queue full).
    pub const DROPPED_TOTAL: &str = "dropped_total";
    /// Errors (bad frames, failed calls).
    pub const ERRORS_TOTAL: &str = "errors_total";
    /// Configurations rejected by the kit (type error or `validate`).
    pub const CONFIG_ERRORS_TOTAL: &str = "config_errors_total";
    /// Times the kit restarted `run` with a new configuration.
    pub const CONFIG_APPLIED_TOTAL: &str = "config_applied_total";
}

/// CloudWatch units the kit publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Unit {
    /// A count.
    Count,
    /// Seconds.
    Seconds,
    /// Milliseconds.
    Milliseconds,
    /// Microseconds.
    Microseconds,
    /// Bytes.
    Bytes,
    /// Percent.
    Percent,
    /// Count per second.
    #[serde(rename = "Count/Second")]
    CountPerSecond,
    /// Bytes per second.
    #[serde(rename = "Bytes/Second")]
    BytesPerSecond,
    /// No unit.
    None,
}

impl Unit {
    /// The CloudWatch spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Count => "Count",
            Self::Seconds => "Seconds",
            Self::Milliseconds => "Milliseconds",
            Self::Microseconds => "Microseconds",
            Self::Bytes => "Bytes",
            Self::Percent => "Percent",
            Self::CountPerSecond => "Count/Second",
            Self::BytesPerSecond => "Bytes/Second",
            Self::None => "None",
        }
    }
}

/// Whether a metric counts up or reports a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Monotonic; published as the increase since the last publish.
    Counter,
    /// A level; published as its current value.
    Gauge,
}

/// A monotonic counter. Clones share the value.
#[derive(Debug, Clone, Default)]
pub struct Counter(Arc<AtomicU64>);

impl Counter {
    /// Adds one.
    pub fn inc(&self) {
        self.add(1);
    }

    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    /// The total so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A level that goes up and down. Clones share the value.
#[derive(Debug, Clone, Default)]
pub struct Gauge(Arc<AtomicU64>);

impl Gauge {
    /// Sets the level.
    pub fn set(&self, value: f64) {
        self.0.store(value.to_bits(), Ordering::Relaxed);
    }

    /// The current level.
    pub fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }
}

/// A metric's identity: its name and its dimensions, sorted by name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MetricId {
    name: &'static str,
    dimensions: Vec<(String, String)>,
}

impl MetricId {
    pub(crate) fn new(name: &'static str, dimensions: &[(&str, &str)]) -> Self {
        let mut dimensions: Vec<(String, String)> = dimensions
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        dimensions.sort();
        dimensions.dedup_by(|a, b| a.0 == b.0);
        Self { name, dimensions }
    }

    /// The metric name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The dimensions, sorted by name.
    pub fn dimensions(&self) -> &[(String, String)] {
        &self.dimensions
    }
}

#[derive(Debug, Clone)]
enum Slot {
    Counter(Counter),
    Gauge(Gauge, Unit),
}

/// The component's metrics registry. Clones share the registry.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    slots: Arc<Mutex<BTreeMap<MetricId, Slot>>>,
}

impl Metrics {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, BTreeMap<MetricId, Slot>> {
        // A panic elsewhere while holding the lock leaves the map consistent: keep using it.
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The counter `name` with no dimensions beyond the component's own.
    pub fn counter(&self, name: &'static str) -> Counter {
        self.counter_with(name, &[])
    }

    /// The counter `name` with extra dimensions (for example `[("Device", "plc1")]`).
    pub fn counter_with(&self, name: &'static str, dimensions: &[(&str, &str)]) -> Counter {
        let id = MetricId::new(name, dimensions);
        let mut slots = self.slots();
        match slots
            .entry(id)
            .or_insert_with(|| Slot::Counter(Counter::default()))
        {
            Slot::Counter(c) => c.clone(),
            Slot::Gauge(..) => {
                tracing::warn!(
                    metric = name,
                    "Metric is a gauge, not a counter; this counter is not published."
                );
                Counter::default()
            }
        }
    }

    /// The gauge `name` in `unit`.
    pub fn gauge(&self, name: &'static str, unit: Unit) -> Gauge {
        self.gauge_with(name, unit, &[])
    }

    /// The gauge `name` in `unit` with extra dimensions.
    pub fn gauge_with(&self, name: &'static str, unit: Unit, dimensions: &[(&str, &str)]) -> Gauge {
        let id = MetricId::new(name, dimensions);
        let mut slots = self.slots();
        match slots
            .entry(id)
            .or_insert_with(|| Slot::Gauge(Gauge::default(), unit))
        {
            Slot::Gauge(g, _) => g.clone(),
            Slot::Counter(_) => {
                tracing::warn!(
                    metric = name,
                    "Metric is a counter, not a gauge; this gauge is not published."
                );
                Gauge::default()
            }
        }
    }

    /// Every metric's current value, sorted by name then dimensions.
    pub fn snapshot(&self) -> Vec<Sample> {
        self.slots()
            .iter()
            .map(|(id, slot)| match slot {
                Slot::Counter(c) => Sample {
                    id: id.clone(),
                    kind: Kind::Counter,
                    unit: Unit::Count,
                    value: c.get() as f64,
                },
                Slot::Gauge(g, unit) => Sample {
                    id: id.clone(),
                    kind: Kind::Gauge,
                    unit: *unit,
                    value: g.get(),
                },
            })
            .collect()
    }

    /// The snapshot as JSON, for tests and status views:
    /// `[{"name": "sent_total", "dimensions": {"Device": "plc1"}, "kind": "counter", "unit": "Count", "value": 3.0}]`.
    pub fn snapshot_json(&self) -> Value {
        serde_json::to_value(self.snapshot()).unwrap_or(Value::Null)
    }
}

/// One metric's value at snapshot time.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    id: MetricId,
    kind: Kind,
    unit: Unit,
    value: f64,
}

impl Sample {
    /// Name and dimensions.
    pub fn id(&self) -> &MetricId {
        &self.id
    }

    /// The metric name.
    pub fn name(&self) -> &'static str {
        self.id.name
    }

    /// Counter or gauge.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The unit.
    pub fn unit(&self) -> Unit {
        self.unit
    }

    /// The counter total or the gauge level.
    pub fn value(&self) -> f64 {
        self.value
    }
}

impl Serialize for Sample {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Dimensions<'a>(&'a [(String, String)]);
        impl Serialize for Dimensions<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut map = s.serialize_map(Some(self.0.len()))?;
                for (k, v) in self.0 {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
        let mut map = s.serialize_map(Some(5))?;
        map.serialize_entry("name", self.id.name)?;
        map.serialize_entry("dimensions", &Dimensions(&self.id.dimensions))?;
        map.serialize_entry("kind", &self.kind)?;
        map.serialize_entry("unit", &self.unit)?;
        map.serialize_entry("value", &self.value)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counters_and_gauges_share_values_by_identity() {
        let m = Metrics::new();
        let a = m.counter(names::SENT_TOTAL);
        let b = m.counter(names::SENT_TOTAL);
        a.inc();
        b.add(2);
        assert_eq!(a.get(), 3);
        let d1 = m.counter_with(names::SENT_TOTAL, &[("Device", "plc1")]);
        d1.inc();
        let g = m.gauge("queue_depth", Unit::Count);
        g.set(4.5);
        assert_eq!(m.gauge("queue_depth", Unit::Count).get(), 4.5);
        assert_eq!(m.snapshot().len(), 3);
    }

    #[test]
    fn dimension_order_does_not_matter() {
        let m = Metrics::new();
        m.counter_with("x", &[("B", "2"), ("A", "1")]).inc();
        m.counter_with("x", &[("A", "1"), ("B", "2")]).inc();
        let snap = m.snapshot();
        assert_eq!(snap.len(), 1);
        assert_eq!(snap[0].value(), 2.0);
    }

    #[test]
    fn a_kind_clash_returns_a_detached_handle() {
        let m = Metrics::new();
        m.counter("x").inc();
        let g = m.gauge("x", Unit::Count);
        g.set(9.0);
        assert_eq!(m.snapshot()[0].value(), 1.0);
    }

    #[test]
    fn snapshot_json_shape() {
        let m = Metrics::new();
        m.counter_with(names::ERRORS_TOTAL, &[("Device", "plc1")])
            .add(2);
        m.gauge("lag_ms", Unit::Milliseconds).set(1.5);
        assert_eq!(
            m.snapshot_json(),
            json!([
                {"name": "errors_total", "dimensions": {"Device": "plc1"}, "kind": "counter", "unit": "Count", "value": 2.0},
                {"name": "lag_ms", "dimensions": {}, "kind": "gauge", "unit": "Milliseconds", "value": 1.5}
            ])
        );
    }
}
