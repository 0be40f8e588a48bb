//! Windowed aggregates of data points, published together per device.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::kind::{AggregatesTag, VersionTag};
use crate::packer::{Packer, Refused};
use crate::{
    DeviceId, GatewayId, MAX_IPC_MESSAGE_BYTES, MessageKind, SCHEMA_VERSION, TimeWindow, finite,
};

/// The summary of one data point over one time window, computed by a filter rule.
///
/// JSON fields: `point`, `rule`, `window`, `count`, and the optional `unit`, `min`, `max`,
/// `mean`, `stddev` (population), `first`, `last` (by timestamp), `percentiles` (`"p95"` → value)
/// and `stateDurationsMs` (state name → milliseconds the point held it inside the window).
/// Only the statistics the rule asks for are present. Serializing fails on NaN or infinity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Aggregate {
    point: String,
    rule: String,
    window: TimeWindow,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unit: Option<String>,
    count: u64,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "finite::serialize_option"
    )]
    min: Option<f64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "finite::serialize_option"
    )]
    max: Option<f64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "finite::serialize_option"
    )]
    mean: Option<f64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "finite::serialize_option"
    )]
    stddev: Option<f64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "finite::serialize_option"
    )]
    first: Option<f64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "finite::serialize_option"
    )]
    last: Option<f64>,
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        serialize_with = "finite::serialize_map"
    )]
    percentiles: BTreeMap<String, f64>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    state_durations_ms: BTreeMap<String, i64>,
}

/// The statistics of an [`Aggregate`]; `None` leaves a field out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    /// How many values the window held.
    pub count: u64,
    /// Smallest value.
    pub min: Option<f64>,
    /// Largest value.
    pub max: Option<f64>,
    /// Arithmetic mean.
    pub mean: Option<f64>,
    /// Population standard deviation.
    pub stddev: Option<f64>,
    /// Value with the earliest timestamp.
    pub first: Option<f64>,
    /// Value with the latest timestamp.
    pub last: Option<f64>,
    /// Percentiles by name (`"p50"`, `"p99.9"`).
    pub percentiles: BTreeMap<String, f64>,
    /// Milliseconds spent in each state inside the window.
    pub state_durations_ms: BTreeMap<String, i64>,
}

impl Aggregate {
    /// The summary `stats` of `point` over `window`, computed by filter rule `rule`.
    pub fn new(
        point: impl Into<String>,
        rule: impl Into<String>,
        window: TimeWindow,
        stats: Stats,
    ) -> Self {
        Self {
            point: point.into(),
            rule: rule.into(),
            window,
            unit: None,
            count: stats.count,
            min: stats.min,
            max: stats.max,
            mean: stats.mean,
            stddev: stats.stddev,
            first: stats.first,
            last: stats.last,
            percentiles: stats.percentiles,
            state_durations_ms: stats.state_durations_ms,
        }
    }

    /// Sets the engineering unit of the values.
    #[must_use]
    pub fn with_unit(mut self, unit: impl Into<String>) -> Self {
        self.unit = Some(unit.into());
        self
    }

    /// The data point summarized.
    pub fn point(&self) -> &str {
        &self.point
    }

    /// The filter rule that computed it.
    pub fn rule(&self) -> &str {
        &self.rule
    }

    /// The window summarized; `endMs` is exclusive.
    pub fn window(&self) -> TimeWindow {
        self.window
    }

    /// The engineering unit, if known.
    pub fn unit(&self) -> Option<&str> {
        self.unit.as_deref()
    }

    /// The statistics.
    pub fn stats(&self) -> Stats {
        Stats {
            count: self.count,
            min: self.min,
            max: self.max,
            mean: self.mean,
            stddev: self.stddev,
            first: self.first,
            last: self.last,
            percentiles: self.percentiles.clone(),
            state_durations_ms: self.state_durations_ms.clone(),
        }
    }
}

/// Aggregates of one device, published together on its aggregates topic.
///
/// JSON fields: `schemaVersion`, `kind` (`"aggregates"`), `gatewayId`, `device`, `sequence`,
/// `aggregates`. Made by an [`AggregateBatchBuilder`], which keeps each one under its byte cap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AggregateBatch {
    schema_version: VersionTag,
    kind: AggregatesTag,
    gateway_id: GatewayId,
    device: DeviceId,
    sequence: u64,
    aggregates: Vec<Aggregate>,
}

impl AggregateBatch {
    /// Always [`SCHEMA_VERSION`].
    pub fn schema_version(&self) -> u32 {
        SCHEMA_VERSION
    }

    /// Always [`MessageKind::Aggregates`].
    pub fn kind(&self) -> MessageKind {
        MessageKind::Aggregates
    }

    /// The gateway that computed the aggregates.
    pub fn gateway_id(&self) -> &GatewayId {
        &self.gateway_id
    }

    /// The device all aggregates are about.
    pub fn device(&self) -> &DeviceId {
        &self.device
    }

    /// The batch's number; consecutive batches of one builder count up by one.
    pub fn sequence(&self) -> u64 {
        self.sequence
    }

    /// The aggregates, in the order they were pushed.
    pub fn aggregates(&self) -> &[Aggregate] {
        &self.aggregates
    }
}

/// Why an aggregate could not be put in a batch; hands the aggregate back.
#[derive(Debug, Error)]
pub enum AggregateBatchError {
    /// The aggregate alone, in an otherwise empty batch, is larger than the cap.
    #[error(
        "a batch holding only this aggregate is {bytes} bytes, more than the cap of {max_bytes}"
    )]
    TooLarge {
        /// Size of the one-aggregate batch, in bytes.
        bytes: usize,
        /// The builder's cap.
        max_bytes: usize,
        /// The refused aggregate.
        aggregate: Box<Aggregate>,
    },
    /// The aggregate cannot be written as JSON (a NaN or infinite statistic).
    #[error("aggregate cannot be serialized: {source}")]
    Serialize {
        /// What serde_json reported.
        source: serde_json::Error,
        /// The refused aggregate.
        aggregate: Box<Aggregate>,
    },
}

/// Packs the aggregates of one device into [`AggregateBatch`]es whose JSON is at most
/// `max_bytes` long (default [`MAX_IPC_MESSAGE_BYTES`]), numbered consecutively.
#[derive(Debug, Clone)]
pub struct AggregateBatchBuilder {
    gateway_id: GatewayId,
    device: DeviceId,
    packer: Packer<Aggregate>,
}

impl AggregateBatchBuilder {
    /// A builder for `device`'s aggregates whose first batch gets number `first_sequence`.
    pub fn new(gateway_id: GatewayId, device: DeviceId, first_sequence: u64) -> Self {
        Self {
            gateway_id,
            device,
            packer: Packer::new(MAX_IPC_MESSAGE_BYTES, first_sequence),
        }
    }

    /// Sets the cap on a batch's JSON, in bytes.
    #[must_use]
    pub fn with_max_bytes(mut self, max_bytes: usize) -> Self {
        self.packer.max_bytes = max_bytes;
        self
    }

    /// The number the next batch will get.
    pub fn next_sequence(&self) -> u64 {
        self.packer.next_sequence
    }

    /// Adds `aggregate`; when it does not fit, closes and returns the open batch and starts
    /// the next one with it.
    ///
    /// # Errors
    ///
    /// An [`AggregateBatchError`] holding `aggregate`; the builder is then unchanged.
    pub fn push(
        &mut self,
        aggregate: Aggregate,
    ) -> Result<Option<AggregateBatch>, AggregateBatchError> {
        let (gateway_id, device) = (&self.gateway_id, &self.device);
        let empty = |sequence| {
            serde_json::to_vec(&envelope(gateway_id, device, sequence, Vec::new()))
                .map_or(usize::MAX, |json| json.len())
        };
        match self.packer.push(aggregate, empty) {
            Ok(closed) => Ok(closed.map(|(sequence, items)| self.batch(sequence, items))),
            Err((Refused::Serialize(source), aggregate)) => Err(AggregateBatchError::Serialize {
                source,
                aggregate: Box::new(aggregate),
            }),
            Err((Refused::TooLarge { bytes }, aggregate)) => Err(AggregateBatchError::TooLarge {
                bytes,
                max_bytes: self.packer.max_bytes,
                aggregate: Box::new(aggregate),
            }),
        }
    }

    /// Closes and returns the open batch, if it holds any aggregate.
    pub fn finish(&mut self) -> Option<AggregateBatch> {
        let (sequence, aggregates) = self.packer.finish()?;
        Some(self.batch(sequence, aggregates))
    }

    fn batch(&self, sequence: u64, aggregates: Vec<Aggregate>) -> AggregateBatch {
        envelope(&self.gateway_id, &self.device, sequence, aggregates)
    }
}

fn envelope(
    gateway_id: &GatewayId,
    device: &DeviceId,
    sequence: u64,
    aggregates: Vec<Aggregate>,
) -> AggregateBatch {
    AggregateBatch {
        schema_version: VersionTag,
        kind: AggregatesTag::Aggregates,
        gateway_id: gateway_id.clone(),
        device: device.clone(),
        sequence,
        aggregates,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aggregate(point: &str) -> Aggregate {
        let stats = Stats {
            count: 3,
            min: Some(1.0),
            max: Some(3.0),
            mean: Some(2.0),
            ..Stats::default()
        };
        Aggregate::new(point, "temps", TimeWindow::new(0, 60_000).unwrap(), stats)
    }

    fn builder() -> AggregateBatchBuilder {
        AggregateBatchBuilder::new(
            GatewayId::new("gw").unwrap(),
            DeviceId::new("press-1").unwrap(),
            0,
        )
    }

    #[test]
    fn writes_only_the_statistics_asked_for() {
        let json = serde_json::to_value(aggregate("oilTemp").with_unit("degC")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "point": "oilTemp", "rule": "temps", "window": {"startMs": 0, "endMs": 60000},
                "unit": "degC", "count": 3, "min": 1.0, "max": 3.0, "mean": 2.0,
            })
        );
    }

    #[test]
    fn packs_under_the_cap_and_counts_batches() {
        let mut builder = builder().with_max_bytes(600);
        let mut batches = Vec::new();
        for i in 0..20 {
            batches.extend(builder.push(aggregate(&format!("p{i}"))).unwrap());
        }
        batches.extend(builder.finish());
        assert!(batches.len() > 1);
        let mut total = 0;
        for (i, batch) in batches.iter().enumerate() {
            assert!(serde_json::to_vec(batch).unwrap().len() <= 600);
            assert_eq!(batch.sequence(), i as u64);
            total += batch.aggregates().len();
        }
        assert_eq!(total, 20);
    }

    #[test]
    fn a_nan_statistic_is_refused() {
        let mut bad = aggregate("p");
        bad.mean = Some(f64::NAN);
        assert!(matches!(
            builder().push(bad),
            Err(AggregateBatchError::Serialize { .. })
        ));
    }
}
