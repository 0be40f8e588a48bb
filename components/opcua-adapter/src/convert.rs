//! OPC UA data values to readings: variant → value, status code → quality, timestamps kept.
//!
//! A status that is not good names itself in `qualityDetail` (`BadNodeIdUnknown`). A bad value
//! carries no value. Null, NaN and infinite values are kept as value-less readings whose detail
//! says which (JSON has no NaN). Arrays become their JSON text; DateTime values become epoch
//! milliseconds.

use crate::server::TimestampSource;
use edge_model::{Quality, Reading, Source, Value};
use opcua::types::{DataValue, DateTime, StatusCode, Variant};

/// Ticks (100 ns) between 1601-01-01 (OPC UA epoch) and 1970-01-01.
const UNIX_EPOCH_TICKS: i64 = 116_444_736_000_000_000;

/// Epoch milliseconds of an OPC UA time; `None` for the null time.
pub fn epoch_ms(t: &DateTime) -> Option<i64> {
    if t.is_null() {
        None
    } else {
        Some((t.checked_ticks() - UNIX_EPOCH_TICKS).div_euclid(10_000))
    }
}

/// The quality of a status code.
pub fn quality(status: StatusCode) -> Quality {
    if status.is_good() {
        Quality::Good
    } else if status.is_uncertain() {
        Quality::Uncertain
    } else {
        Quality::Bad
    }
}

/// What a variant turns into.
#[derive(Debug, Clone, PartialEq)]
pub enum Converted {
    /// A value.
    Value(Value),
    /// No usable value, and why (`null`, `NaN`, `unsupported type Guid`).
    Missing(String),
}

/// Converts a scalar or an array.
pub fn value(v: &Variant) -> Converted {
    let float = |x: f64| {
        if x.is_nan() {
            Converted::Missing("NaN".to_owned())
        } else if x.is_infinite() {
            Converted::Missing(if x > 0.0 { "+Infinity" } else { "-Infinity" }.to_owned())
        } else {
            Converted::Value(Value::Float(x))
        }
    };
    let int = |i: i64| Converted::Value(Value::Int(i));
    match v {
        Variant::Empty => Converted::Missing("null".to_owned()),
        Variant::Boolean(b) => Converted::Value(Value::Bool(*b)),
        Variant::SByte(i) => int(i64::from(*i)),
        Variant::Byte(i) => int(i64::from(*i)),
        Variant::Int16(i) => int(i64::from(*i)),
        Variant::UInt16(i) => int(i64::from(*i)),
        Variant::Int32(i) => int(i64::from(*i)),
        Variant::UInt32(i) => int(i64::from(*i)),
        Variant::Int64(i) => int(*i),
        Variant::UInt64(i) => match i64::try_from(*i) {
            Ok(i) => int(i),
            Err(_) => float(*i as f64),
        },
        Variant::Float(x) => float(f64::from(*x)),
        Variant::Double(x) => float(*x),
        Variant::String(s) => match s.value() {
            Some(s) => Converted::Value(Value::Text(s.clone())),
            None => Converted::Missing("null".to_owned()),
        },
        Variant::LocalizedText(t) => Converted::Value(Value::Text(t.text.to_string())),
        Variant::DateTime(t) => match epoch_ms(t) {
            Some(ms) => int(ms),
            None => Converted::Missing("null".to_owned()),
        },
        Variant::StatusCode(s) => Converted::Value(Value::Text(s.to_string())),
        Variant::NodeId(id) => Converted::Value(Value::Text(id.to_string())),
        Variant::QualifiedName(q) => Converted::Value(Value::Text(q.to_string())),
        Variant::Guid(g) => Converted::Value(Value::Text(g.to_string())),
        Variant::Variant(inner) => value(inner),
        Variant::Array(array) => {
            let items: Vec<serde_json::Value> = array
                .values
                .iter()
                .map(|item| match value(item) {
                    Converted::Value(v) => serde_json::to_value(v).unwrap_or_default(),
                    Converted::Missing(_) => serde_json::Value::Null,
                })
                .collect();
            Converted::Value(Value::Text(serde_json::Value::Array(items).to_string()))
        }
        other => Converted::Missing(format!("unsupported type {}", type_name(other))),
    }
}

fn type_name(v: &Variant) -> &'static str {
    match v {
        Variant::ByteString(_) => "ByteString",
        Variant::XmlElement(_) => "XmlElement",
        Variant::ExpandedNodeId(_) => "ExpandedNodeId",
        Variant::ExtensionObject(_) => "ExtensionObject",
        Variant::DataValue(_) => "DataValue",
        Variant::DiagnosticInfo(_) => "DiagnosticInfo",
        _ => "other",
    }
}

/// The reading of one data value of `source`, received at `gateway_ms`.
pub fn reading(
    source: Source,
    dv: &DataValue,
    timestamps: TimestampSource,
    unit: Option<&str>,
    gateway_ms: i64,
) -> Reading {
    let status = dv.status.unwrap_or(StatusCode::Good);
    let q = quality(status);
    let converted = match &dv.value {
        Some(v) => value(v),
        None => Converted::Missing("null".to_owned()),
    };
    let mut r = match (q, converted) {
        (Quality::Bad, _) => Reading::failed(source, status.to_string(), gateway_ms),
        (q, Converted::Value(v)) => {
            let r = Reading::new(source, v, q, gateway_ms);
            if q == Quality::Good {
                r
            } else {
                r.with_quality_detail(status.to_string())
            }
        }
        (q, Converted::Missing(why)) => {
            let detail = if q == Quality::Good {
                why
            } else {
                format!("{status}: {why}")
            };
            Reading::failed(source, detail, gateway_ms).with_quality(Quality::Uncertain)
        }
    };
    let device_ms = match timestamps {
        TimestampSource::Source => dv
            .source_timestamp
            .as_ref()
            .and_then(epoch_ms)
            .or_else(|| dv.server_timestamp.as_ref().and_then(epoch_ms)),
        TimestampSource::Server => dv.server_timestamp.as_ref().and_then(epoch_ms),
        TimestampSource::Gateway => None,
    };
    if let Some(ms) = device_ms {
        r = r.with_device_time_ms(ms);
    }
    match unit {
        Some(u) => r.with_unit(u),
        None => r,
    }
}

#[cfg(test)]
mod tests;
