//! One reading of one data point of one device.

use serde::{Deserialize, Serialize};

use crate::{DeviceId, Value};

/// Where a reading comes from: a device and one of its data points.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    device: DeviceId,
    point: String,
}

impl Source {
    /// A data point `point` (a register name, an OPC UA node name) of `device`.
    pub fn new(device: DeviceId, point: impl Into<String>) -> Self {
        Self {
            device,
            point: point.into(),
        }
    }

    /// The device the reading comes from.
    pub fn device(&self) -> &DeviceId {
        &self.device
    }

    /// The data point on that device.
    pub fn point(&self) -> &str {
        &self.point
    }
}

/// How far a reading can be trusted. Written `"good"`, `"uncertain"` or `"bad"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Quality {
    /// The device answered and the value is valid.
    Good,
    /// The value may be wrong: stale, out of range, or flagged by the device.
    Uncertain,
    /// No valid value: the device answered with an error, or the value could not be decoded.
    Bad,
}

/// One reading of one data point, as adapters publish it inside a
/// [`ReadingBatch`](crate::ReadingBatch).
///
/// JSON fields: `source`, `value` (absent when none could be read), `unit`, `quality`,
/// `qualityDetail`, `deviceTimeMs`, `gatewayTimeMs`; absent optional fields are omitted.
/// A `"good"` reading always has a value; reading JSON that breaks this rule fails.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "ReadingWire")]
pub struct Reading {
    source: Source,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit: Option<String>,
    quality: Quality,
    #[serde(skip_serializing_if = "Option::is_none")]
    quality_detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    device_time_ms: Option<i64>,
    gateway_time_ms: i64,
}

impl Reading {
    /// A reading of `value` with `quality`, taken at `gateway_time_ms` (epoch milliseconds,
    /// gateway clock).
    pub fn new(
        source: Source,
        value: impl Into<Value>,
        quality: Quality,
        gateway_time_ms: i64,
    ) -> Self {
        Self {
            source,
            value: Some(value.into()),
            unit: None,
            quality,
            quality_detail: None,
            device_time_ms: None,
            gateway_time_ms,
        }
    }

    /// A [`Quality::Bad`] reading without a value, because the read failed; `detail` says why
    /// (for example a Modbus exception code).
    pub fn failed(source: Source, detail: impl Into<String>, gateway_time_ms: i64) -> Self {
        Self {
            source,
            value: None,
            unit: None,
            quality: Quality::Bad,
            quality_detail: Some(detail.into()),
            device_time_ms: None,
            gateway_time_ms,
        }
    }

    /// Replaces the value (a filter converting units or clamping to a range).
    #[must_use]
    pub fn with_value(mut self, value: impl Into<Value>) -> Self {
        self.value = Some(value.into());
        self
    }

    /// Replaces the quality. A reading without a value cannot become good: it stays as is.
    #[must_use]
    pub fn with_quality(mut self, quality: Quality) -> Self {
        if self.value.is_some() || quality != Quality::Good {
            self.quality = quality;
        }
        self
    }

    /// Sets the engineering unit, such as `"degC"` or `"bar"`.
    #[must_use]
    pub fn with_unit(mut self, unit: impl Into<String>) -> Self {
        self.unit = Some(unit.into());
        self
    }

    /// Sets the detail that explains the quality.
    #[must_use]
    pub fn with_quality_detail(mut self, detail: impl Into<String>) -> Self {
        self.quality_detail = Some(detail.into());
        self
    }

    /// Sets the time the device stamped on the value (epoch milliseconds, device clock).
    #[must_use]
    pub fn with_device_time_ms(mut self, device_time_ms: i64) -> Self {
        self.device_time_ms = Some(device_time_ms);
        self
    }

    /// Where the reading comes from.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// The value, absent when none could be read.
    pub fn value(&self) -> Option<&Value> {
        self.value.as_ref()
    }

    /// The engineering unit, if known.
    pub fn unit(&self) -> Option<&str> {
        self.unit.as_deref()
    }

    /// How far the reading can be trusted.
    pub fn quality(&self) -> Quality {
        self.quality
    }

    /// Why the quality is what it is, if said.
    pub fn quality_detail(&self) -> Option<&str> {
        self.quality_detail.as_deref()
    }

    /// The device's own timestamp, epoch milliseconds, if the device gives one.
    pub fn device_time_ms(&self) -> Option<i64> {
        self.device_time_ms
    }

    /// When the gateway took the reading, epoch milliseconds.
    pub fn gateway_time_ms(&self) -> i64 {
        self.gateway_time_ms
    }
}

/// The JSON form of a [`Reading`], before the good-has-a-value rule is checked.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReadingWire {
    source: Source,
    value: Option<Value>,
    unit: Option<String>,
    quality: Quality,
    quality_detail: Option<String>,
    device_time_ms: Option<i64>,
    gateway_time_ms: i64,
}

impl TryFrom<ReadingWire> for Reading {
    type Error = &'static str;

    fn try_from(wire: ReadingWire) -> Result<Self, Self::Error> {
        if wire.value.is_none() && wire.quality == Quality::Good {
            return Err("a reading of good quality must have a value");
        }
        Ok(Self {
            source: wire.source,
            value: wire.value,
            unit: wire.unit,
            quality: wire.quality,
            quality_detail: wire.quality_detail,
            device_time_ms: wire.device_time_ms,
            gateway_time_ms: wire.gateway_time_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn source() -> Source {
        Source::new(DeviceId::new("press-1").unwrap(), "oilTemp")
    }

    #[test]
    fn writes_camel_case_fields_and_omits_absent_ones() {
        let reading = Reading::new(source(), 71.5, Quality::Good, 1_700_000_000_123)
            .with_unit("degC")
            .with_device_time_ms(1_700_000_000_100);
        assert_eq!(
            serde_json::to_value(&reading).unwrap(),
            json!({
                "source": {"device": "press-1", "point": "oilTemp"},
                "value": 71.5,
                "unit": "degC",
                "quality": "good",
                "deviceTimeMs": 1_700_000_000_100_i64,
                "gatewayTimeMs": 1_700_000_000_123_i64,
            })
        );
    }

    #[test]
    fn a_failed_read_is_bad_without_value_and_says_why() {
        let reading = Reading::failed(source(), "modbus exception 0x02", 5);
        assert_eq!(reading.quality(), Quality::Bad);
        assert_eq!(reading.value(), None);
        assert_eq!(
            serde_json::to_value(&reading).unwrap(),
            json!({
                "source": {"device": "press-1", "point": "oilTemp"},
                "quality": "bad",
                "qualityDetail": "modbus exception 0x02",
                "gatewayTimeMs": 5,
            })
        );
    }

    #[test]
    fn a_good_reading_without_value_is_refused() {
        let text = r#"{"source":{"device":"d","point":"p"},"quality":"good","gatewayTimeMs":1}"#;
        let err = serde_json::from_str::<Reading>(text).unwrap_err();
        assert!(err.to_string().contains("must have a value"));
    }

    #[test]
    fn a_value_less_reading_cannot_become_good() {
        let failed = Reading::failed(source(), "timeout", 1).with_quality(Quality::Good);
        assert_eq!(failed.quality(), Quality::Bad);
        let clamped = Reading::new(source(), 250.0, Quality::Good, 1)
            .with_value(200.0)
            .with_quality(Quality::Uncertain);
        assert_eq!(clamped.value(), Some(&Value::Float(200.0)));
        assert_eq!(clamped.quality(), Quality::Uncertain);
    }

    #[test]
    fn round_trips_through_json() {
        let reading =
            Reading::new(source(), 3_i64, Quality::Uncertain, 9).with_quality_detail("stale");
        let text = serde_json::to_string(&reading).unwrap();
        assert_eq!(serde_json::from_str::<Reading>(&text).unwrap(), reading);
    }
}
