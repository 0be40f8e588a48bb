//! One MQTT message → readings, for the `plain` and `json` formats (Sparkplug B is in
//! `sparkplug/`). Errors name what was wrong so the log line can name topic and subscription.

use crate::validate::{Payload, Subscription};
use edge_model::{DeviceId, Quality, Reading, Source, Value};
use serde_json::Value as Json;

/// Readings of one message; the error is a readable reason.
pub fn decode_message(
    sub: &Subscription,
    topic: &str,
    payload: &[u8],
    now_ms: i64,
) -> Result<Vec<Reading>, String> {
    let device = device_of(sub, topic)?;
    let point_id = |t: &crate::template::Template| {
        t.render(topic)
            .ok_or_else(|| format!("point template {t} needs more topic levels than {topic:?} has"))
    };
    match &sub.payload {
        Payload::Plain { point } => {
            let text =
                std::str::from_utf8(payload).map_err(|_| "payload is not UTF-8 text".to_owned())?;
            let value = scale(sub, plain_value(text.trim())?)?;
            Ok(vec![reading(
                sub,
                &device,
                point_id(point)?,
                value,
                &Ok(None),
                now_ms,
            )])
        }
        Payload::JsonValue { point, pointer } => {
            let doc = parse_json(payload)?;
            let value = scale(sub, json_value(&doc, pointer)?)?;
            let at = device_time(sub, &doc);
            Ok(vec![reading(
                sub,
                &device,
                point_id(point)?,
                value,
                &at,
                now_ms,
            )])
        }
        Payload::JsonFields(fields) => {
            let doc = parse_json(payload)?;
            let at = device_time(sub, &doc);
            // A field that is missing or unusable gives a BAD reading of its own; the other
            // fields of the message still publish.
            Ok(fields
                .iter()
                .map(|(point, pointer)| {
                    match json_value(&doc, pointer).and_then(|v| scale(sub, v)) {
                        Ok(v) => reading(sub, &device, point.clone(), v, &at, now_ms),
                        Err(why) => {
                            Reading::failed(Source::new(device.clone(), point), why, now_ms)
                        }
                    }
                })
                .collect())
        }
        Payload::SparkplugB => Err("Sparkplug B payloads are decoded elsewhere".to_owned()),
    }
}

/// The device id for `topic`.
pub fn device_of(sub: &Subscription, topic: &str) -> Result<DeviceId, String> {
    let id = sub.device.render(topic).ok_or_else(|| {
        format!(
            "device template {} needs more topic levels than {topic:?} has",
            sub.device
        )
    })?;
    DeviceId::new(id).map_err(|e| format!("device id from {topic:?}: {e}"))
}

fn reading(
    sub: &Subscription,
    device: &DeviceId,
    point: String,
    value: Value,
    device_time_ms: &Result<Option<i64>, String>,
    now_ms: i64,
) -> Reading {
    let mut r = Reading::new(
        Source::new(device.clone(), point),
        value,
        Quality::Good,
        now_ms,
    );
    match device_time_ms {
        Ok(Some(t)) => r = r.with_device_time_ms(*t),
        Ok(None) => {}
        Err(why) => {
            r = r
                .with_quality(Quality::Uncertain)
                .with_quality_detail(why.clone());
        }
    }
    match &sub.unit {
        Some(u) => r.with_unit(u),
        None => r,
    }
}

fn parse_json(payload: &[u8]) -> Result<Json, String> {
    serde_json::from_slice(payload).map_err(|e| format!("payload is not JSON: {e}"))
}

fn json_value(doc: &Json, pointer: &str) -> Result<Value, String> {
    match doc.pointer(pointer) {
        None => Err(format!("JSON pointer {pointer:?} finds nothing")),
        Some(Json::Bool(b)) => Ok(Value::Bool(*b)),
        Some(Json::String(s)) => Ok(Value::Text(s.clone())),
        Some(Json::Number(n)) => match n.as_i64() {
            Some(i) => Ok(Value::Int(i)),
            None => n
                .as_f64()
                .filter(|x| x.is_finite())
                .map(Value::Float)
                .ok_or_else(|| format!("{n} at {pointer:?} is not a usable number")),
        },
        Some(other) => Err(format!(
            "{pointer:?} holds {}, not a number, boolean or string",
            kind(other)
        )),
    }
}

fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
        _ => "a scalar",
    }
}

/// A plain payload: `true`/`false`, an integer, a finite number, or else text.
pub fn plain_value(text: &str) -> Result<Value, String> {
    if text.is_empty() {
        return Err("empty payload".to_owned());
    }
    if let Ok(b) = text.parse::<bool>() {
        return Ok(Value::Bool(b));
    }
    if let Ok(i) = text.parse::<i64>() {
        return Ok(Value::Int(i));
    }
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(Value::Float(x)),
        Ok(_) => Err(format!("{text:?} is not a finite number")),
        Err(_) => Ok(Value::Text(text.to_owned())),
    }
}

/// Applies the subscription's scale and offset to a number (other values pass unchanged).
pub fn scale(sub: &Subscription, value: Value) -> Result<Value, String> {
    let (Some((scale, offset)), Some(x)) = (sub.scaling, value.as_f64()) else {
        return Ok(value);
    };
    let y = x * scale + offset;
    if y.is_finite() {
        Ok(Value::Float(y))
    } else {
        Err("scaled value is not finite".to_owned())
    }
}

/// The device timestamp, when the subscription names one. `Err` carries why it is unusable: the
/// value still publishes, marked UNCERTAIN, since its time is the gateway's, not the device's.
fn device_time(sub: &Subscription, doc: &Json) -> Result<Option<i64>, String> {
    let Some(pointer) = &sub.timestamp_pointer else {
        return Ok(None);
    };
    let ms = match doc.pointer(pointer) {
        None => return Err(format!("no device timestamp at {pointer:?}")),
        Some(Json::Number(n)) => n.as_f64(),
        Some(Json::String(s)) => s.trim().parse::<f64>().ok(),
        Some(_) => None,
    };
    ms.filter(|x| x.is_finite() && *x >= 0.0)
        .map(|x| Some(x as i64))
        .ok_or_else(|| format!("timestamp at {pointer:?} is not epoch milliseconds"))
}

#[cfg(test)]
mod tests;
