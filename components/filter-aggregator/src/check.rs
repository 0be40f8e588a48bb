//! The validation stage: type, range and timestamp checks, and unit conversion. A reading that
//! fails comes back with the reason, for the dead-letter topic.

use crate::rule::{Checks, Convert, ValueKind};
use crate::units::Conversion;
use edge_model::{Quality, Reading, Value};

/// A reading refused by a check, with the reason (boxed: refusals are rare, readings large).
pub type Refusal = Box<(String, Reading)>;

/// The timestamp windows and checks use: the device's own, else the gateway's.
pub fn event_time(reading: &Reading) -> i64 {
    reading
        .device_time_ms()
        .unwrap_or(reading.gateway_time_ms())
}

/// Applies `checks` at gateway time `now_ms`: passes the reading (perhaps clamped) or refuses
/// it with the reason.
pub fn check(checks: &Checks, reading: Reading, now_ms: i64) -> Result<Reading, Refusal> {
    let t = event_time(&reading);
    if let Some(max_age) = checks.max_age_ms
        && now_ms.saturating_sub(t) > max_age
    {
        let age = now_ms.saturating_sub(t);
        return Err(Box::new((
            format!("timestamp {t} is {age} ms old, more than maxAgeMs {max_age}"),
            reading,
        )));
    }
    if let Some(max_future) = checks.max_future_ms
        && t.saturating_sub(now_ms) > max_future
    {
        let ahead = t.saturating_sub(now_ms);
        return Err(Box::new((
            format!(
                "timestamp {t} is {ahead} ms ahead of the gateway clock, more than maxFutureMs {max_future}"
            ),
            reading,
        )));
    }
    let Some(value) = reading.value() else {
        // A failed read has no value to check; the quality filter decides about it.
        return Ok(reading);
    };
    if let Value::Float(x) = value
        && !x.is_finite()
    {
        return Err(Box::new((
            format!("value {x} is not a finite number"),
            reading,
        )));
    }
    if !kind_matches(checks.kind, value) {
        return Err(Box::new((
            format!(
                "expected a {} value, got {}",
                kind_name(checks.kind),
                value_kind(value)
            ),
            reading,
        )));
    }
    let Some(x) = value.as_f64() else {
        return Ok(reading);
    };
    let bound = match (checks.min, checks.max) {
        (Some(min), _) if x < min => Some(("below min", min)),
        (_, Some(max)) if x > max => Some(("above max", max)),
        _ => None,
    };
    match bound {
        None => Ok(reading),
        Some((what, limit)) if checks.clamp => {
            let clamped = if matches!(value, Value::Int(_)) && limit.fract() == 0.0 {
                Value::Int(limit as i64)
            } else {
                Value::Float(limit)
            };
            let detail = format!("clamped: {x} {what} {limit}");
            Ok(reading
                .with_value(clamped)
                .with_quality(Quality::Uncertain)
                .with_quality_detail(detail))
        }
        Some((what, limit)) => Err(Box::new((format!("value {x} {what} {limit}"), reading))),
    }
}

/// The source units a rule has seen and their conversions, so that the unit table is searched
/// once per unit rather than once per reading.
pub type ConversionCache = Vec<(Box<str>, Conversion)>;

/// Converts a numeric reading to the rule's unit; other readings pass unchanged.
pub fn convert(
    convert: &Convert,
    reading: Reading,
    cache: &mut ConversionCache,
) -> Result<Reading, Refusal> {
    let Some(x) = reading.value().and_then(Value::as_f64) else {
        return Ok(reading);
    };
    let conversion = match (reading.unit(), &convert.from_conversion) {
        (Some(unit), _) if unit == convert.to => return Ok(reading),
        (Some(unit), _) => match cache.iter().find(|(u, _)| **u == *unit) {
            Some((_, c)) => *c,
            None => match Conversion::between(unit, convert.to) {
                Ok(c) => {
                    cache.push((Box::from(unit), c));
                    c
                }
                Err(e) => return Err(Box::new((e.to_string(), reading))),
            },
        },
        (None, Some(c)) => *c,
        (None, None) => {
            return Err(Box::new((
                format!(
                    "the reading names no unit to convert to {} from, and the rule sets no convert.from",
                    convert.to
                ),
                reading,
            )));
        }
    };
    let converted = conversion.apply(x);
    Ok(reading
        .with_value(converted)
        .with_unit(conversion.to_unit()))
}

fn kind_matches(kind: ValueKind, value: &Value) -> bool {
    match kind {
        ValueKind::Any => true,
        ValueKind::Number => matches!(value, Value::Float(_) | Value::Int(_)),
        ValueKind::Integer => matches!(value, Value::Int(_)),
        ValueKind::Bool => matches!(value, Value::Bool(_)),
        ValueKind::Text => matches!(value, Value::Text(_)),
    }
}

fn kind_name(kind: ValueKind) -> &'static str {
    match kind {
        ValueKind::Any => "any",
        ValueKind::Number => "number",
        ValueKind::Integer => "integer",
        ValueKind::Bool => "bool",
        ValueKind::Text => "string",
    }
}

fn value_kind(value: &Value) -> &'static str {
    match value {
        Value::Float(_) => "a float",
        Value::Int(_) => "an integer",
        Value::Bool(_) => "a bool",
        Value::Text(_) => "a string",
    }
}
