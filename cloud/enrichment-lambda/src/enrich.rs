//! One reading batch plus its device's metadata → lake rows, SiteWise machine states, and the
//! readings that were rejected with the reason. No I/O.

use crate::metadata::{DeviceMeta, PointMeta};
use crate::row::ReadingRow;
use edge_model::{Quality, Reading, ReadingBatch, Value};

/// A value as SiteWise types it.
#[derive(Debug, Clone, PartialEq)]
pub enum SiteValue {
    /// `integerValue`.
    Integer(i64),
    /// `doubleValue`.
    Double(f64),
    /// `booleanValue`.
    Boolean(bool),
    /// `stringValue`.
    Text(String),
}

/// A machine-state reading for SiteWise.
#[derive(Debug, Clone, PartialEq)]
pub struct StateValue {
    /// The device.
    pub device: String,
    /// The point (`state`, `good_parts`, `total_parts`).
    pub point: String,
    /// The value.
    pub value: SiteValue,
    /// Epoch milliseconds.
    pub time_ms: i64,
    /// The reading's quality.
    pub quality: Quality,
}

/// A rejected reading.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    /// Short name of the check that failed (`range`, `unit`, `value`, `time`, `device`).
    pub rule: &'static str,
    /// Why, in words.
    pub reason: String,
    /// The reading as it arrived.
    pub reading: Reading,
}

/// What a batch turned into.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Enriched {
    /// Lake rows.
    pub rows: Vec<ReadingRow>,
    /// Machine states for SiteWise (only for batches from `factory/state/<device>`).
    pub states: Vec<StateValue>,
    /// Readings that failed a check.
    pub rejected: Vec<Rejection>,
}

/// Enriches every reading of `batch` (which came in record `record_id`).
pub fn enrich(
    batch: &ReadingBatch,
    record_id: &str,
    machine_state: bool,
    meta: &DeviceMeta,
) -> Enriched {
    let mut out = Enriched::default();
    let no_point = PointMeta::default();
    for reading in batch.readings() {
        let device = reading.source().device().as_str();
        if device != batch.device().as_str() {
            out.rejected.push(reject(
                reading,
                "device",
                format!(
                    "reading of device {device} in a batch of {}",
                    batch.device()
                ),
            ));
            continue;
        }
        let point_meta = meta
            .points
            .get(reading.source().point())
            .unwrap_or(&no_point);
        match checked_value(reading, point_meta) {
            Ok(value) => {
                let row = row(batch, reading, record_id, meta, point_meta, value.as_ref());
                if machine_state && let Some(value) = value {
                    out.states.push(StateValue {
                        device: row.device.clone(),
                        point: row.point.clone(),
                        value,
                        time_ms: row.time_ms(),
                        quality: reading.quality(),
                    });
                }
                out.rows.push(row);
            }
            Err((rule, reason)) => out.rejected.push(reject(reading, rule, reason)),
        }
    }
    out
}

fn reject(reading: &Reading, rule: &'static str, reason: String) -> Rejection {
    Rejection {
        rule,
        reason,
        reading: reading.clone(),
    }
}

/// The converted value (`None` when the reading has none), or the failed check and why.
fn checked_value(
    reading: &Reading,
    point: &PointMeta,
) -> Result<Option<SiteValue>, (&'static str, String)> {
    let time = reading
        .device_time_ms()
        .unwrap_or(reading.gateway_time_ms());
    if time < 0 {
        return Err(("time", format!("timestamp {time} ms is before 1970")));
    }
    let Some(value) = reading.value() else {
        return Ok(None);
    };
    let x = match value {
        Value::Bool(b) => return Ok(Some(SiteValue::Boolean(*b))),
        Value::Text(s) => return Ok(Some(SiteValue::Text(s.clone()))),
        Value::Float(x) => *x,
        Value::Int(i) => *i as f64,
    };
    if let (Some(expected), Some(got)) = (&point.source_unit, reading.unit())
        && expected != got
    {
        return Err((
            "unit",
            format!("arrived in {got}, device metadata expects {expected}"),
        ));
    }
    let converted = x * point.scale + point.offset;
    if !converted.is_finite() {
        return Err(("value", format!("{x} converts to a non-finite number")));
    }
    if reading.quality() != Quality::Bad {
        let unit = point.unit.as_deref().or(reading.unit()).unwrap_or("");
        if let Some(min) = point.min
            && converted < min
        {
            return Err((
                "range",
                format!("{converted} {unit} is below the minimum {min}"),
            ));
        }
        if let Some(max) = point.max
            && converted > max
        {
            return Err((
                "range",
                format!("{converted} {unit} is above the maximum {max}"),
            ));
        }
    }
    Ok(Some(match value {
        Value::Int(i) if !point.converts() => SiteValue::Integer(*i),
        _ => SiteValue::Double(converted),
    }))
}

fn row(
    batch: &ReadingBatch,
    reading: &Reading,
    record_id: &str,
    meta: &DeviceMeta,
    point: &PointMeta,
    value: Option<&SiteValue>,
) -> ReadingRow {
    let (value_double, value_string) = match value {
        None => (None, None),
        Some(SiteValue::Integer(i)) => (Some(*i as f64), None),
        Some(SiteValue::Double(x)) => (Some(*x), None),
        Some(SiteValue::Boolean(b)) => (Some(if *b { 1.0 } else { 0.0 }), None),
        Some(SiteValue::Text(s)) => (None, Some(s.clone())),
    };
    ReadingRow {
        gateway_id: batch.gateway_id().as_str().to_owned(),
        factory_id: meta.factory_id.clone(),
        line_id: meta.line_id.clone(),
        machine_type: meta.machine_type.clone(),
        device: batch.device().as_str().to_owned(),
        point: reading.source().point().to_owned(),
        value_double,
        value_string,
        unit: point
            .unit
            .clone()
            .or_else(|| reading.unit().map(str::to_owned)),
        quality: match reading.quality() {
            Quality::Good => "good",
            Quality::Uncertain => "uncertain",
            Quality::Bad => "bad",
        },
        device_time_ms: reading.device_time_ms(),
        gateway_time_ms: reading.gateway_time_ms(),
        record_id: record_id.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use serde_json::json;

    fn batch(readings: serde_json::Value) -> ReadingBatch {
        serde_json::from_value(
            json!({"schemaVersion": 1, "kind": "readings", "gatewayId": "gw-1",
            "device": "pump-1", "sequence": 0, "readings": readings}),
        )
        .unwrap()
    }

    fn meta() -> DeviceMeta {
        let mut m = DeviceMeta {
            factory_id: "factory-1".into(),
            machine_type: Some("centrifugal-pump".into()),
            ..DeviceMeta::default()
        };
        m.points.insert(
            "temp".into(),
            PointMeta {
                unit: Some("degC".into()),
                source_unit: Some("degF".into()),
                scale: 5.0 / 9.0,
                offset: -32.0 * 5.0 / 9.0,
                min: Some(-20.0),
                max: Some(150.0),
            },
        );
        m.points.insert(
            "state".into(),
            PointMeta {
                min: Some(0.0),
                max: Some(3.0),
                ..PointMeta::default()
            },
        );
        m
    }

    fn r(point: &str, value: serde_json::Value, unit: Option<&str>) -> serde_json::Value {
        let mut v = json!({"source": {"device": "pump-1", "point": point}, "value": value,
                           "quality": "good", "gatewayTimeMs": 1_764_115_200_000_i64});
        if let Some(u) = unit {
            v["unit"] = json!(u);
        }
        v
    }

    #[test]
    fn converts_units_and_enriches_with_the_device() {
        let out = enrich(
            &batch(json!([
                r("temp", json!(212.0), Some("degF")),
                r("speed", json!(1450), None)
            ])),
            "s-1",
            false,
            &meta(),
        );
        assert!(out.rejected.is_empty(), "{:?}", out.rejected);
        assert!(out.states.is_empty());
        let temp = &out.rows[0];
        assert!((temp.value_double.unwrap() - 100.0).abs() < 1e-9);
        assert_eq!(temp.unit.as_deref(), Some("degC"));
        assert_eq!(temp.factory_id, "factory-1");
        assert_eq!(temp.machine_type.as_deref(), Some("centrifugal-pump"));
        assert_eq!(temp.dt(), "2025-11-26");
        assert_eq!(out.rows[1].value_double, Some(1450.0));
    }

    #[test]
    fn out_of_range_and_wrong_unit_are_rejected_with_the_reason() {
        let out = enrich(
            &batch(json!([
                r("temp", json!(400.0), Some("degF")),
                r("temp", json!(20.0), Some("degC")),
                r("state", json!(7), None)
            ])),
            "s-1",
            true,
            &meta(),
        );
        assert!(out.rows.is_empty());
        let rules: Vec<_> = out.rejected.iter().map(|x| x.rule).collect();
        assert_eq!(rules, ["range", "unit", "range"]);
        assert!(
            out.rejected[0].reason.contains("above the maximum 150"),
            "{}",
            out.rejected[0].reason
        );
    }

    #[test]
    fn machine_states_keep_their_integer_type_for_sitewise() {
        let out = enrich(
            &batch(json!([r("state", json!(1), None)])),
            "s-1",
            true,
            &meta(),
        );
        assert_eq!(out.states.len(), 1);
        assert_eq!(out.states[0].value, SiteValue::Integer(1));
        assert_eq!(out.states[0].point, "state");
    }

    #[test]
    fn a_bad_reading_without_value_is_kept_as_data() {
        let bad = json!({"source": {"device": "pump-1", "point": "temp"}, "quality": "bad",
                         "qualityDetail": "timeout", "gatewayTimeMs": 5});
        let out = enrich(&batch(json!([bad])), "s-1", true, &meta());
        assert_eq!(out.rows.len(), 1);
        assert_eq!(out.rows[0].value_double, None);
        assert_eq!(out.rows[0].quality, "bad");
        assert!(out.states.is_empty());
    }
}
