//! Sparkplug B messages → readings, with the alias tables that BIRTH messages fill.

use super::proto::{Metric, Payload, metric};
use super::topic::{MessageType, SparkplugTopic};
use crate::decode::scale;
use crate::validate::Subscription;
use edge_model::{DeviceId, Quality, Reading, Source, Value};
use prost::Message;
use std::collections::HashMap;

/// (group, edge node, device) → alias → (metric name, data type).
type Key = (String, String, Option<String>);

/// The aliases declared by the BIRTH messages seen so far.
#[derive(Debug, Default)]
pub struct AliasTables {
    tables: HashMap<Key, HashMap<u64, (String, Option<u32>)>>,
}

impl AliasTables {
    fn forget_node(&mut self, group: &str, edge: &str) {
        self.tables
            .retain(|(g, e, _), _| !(g == group && e == edge));
    }
}

/// Readings of one Sparkplug B message. The device id is the Sparkplug device id, or the edge
/// node id for node metrics; point ids are metric names. A DATA metric with an alias no BIRTH
/// declared is skipped and named in the error list (second value); it never stops the others.
pub fn decode_sparkplug(
    tables: &mut AliasTables,
    sub: &Subscription,
    topic: &str,
    bytes: &[u8],
    now_ms: i64,
) -> Result<(Vec<Reading>, Vec<String>), String> {
    let Some(t) = SparkplugTopic::parse(topic)? else {
        return Ok((Vec::new(), Vec::new()));
    };
    let payload =
        Payload::decode(bytes).map_err(|e| format!("Sparkplug B payload does not parse: {e}"))?;
    let key: Key = (t.group.clone(), t.edge_node.clone(), t.device.clone());
    match t.kind {
        MessageType::NodeBirth => {
            // A new session of the edge node: its and its devices' aliases start over.
            tables.forget_node(&t.group, &t.edge_node);
            learn(tables, key.clone(), &payload.metrics);
        }
        MessageType::DeviceBirth => {
            tables.tables.remove(&key);
            learn(tables, key.clone(), &payload.metrics);
        }
        MessageType::NodeDeath => {
            tables.forget_node(&t.group, &t.edge_node);
            return Ok((Vec::new(), Vec::new()));
        }
        MessageType::DeviceDeath => {
            tables.tables.remove(&key);
            return Ok((Vec::new(), Vec::new()));
        }
        MessageType::NodeData | MessageType::DeviceData => {}
    }
    let device_name = t.device.as_deref().unwrap_or(&t.edge_node);
    let device =
        DeviceId::new(device_name).map_err(|e| format!("device id from {topic:?}: {e}"))?;
    let table = tables.tables.get(&key);
    let mut readings = Vec::new();
    let mut unknown = Vec::new();
    for m in &payload.metrics {
        let declared = m.alias.and_then(|a| table.and_then(|t| t.get(&a)));
        let name = match (&m.name, declared) {
            (Some(n), _) => n.clone(),
            (None, Some((n, _))) => n.clone(),
            (None, None) => {
                unknown.push(match m.alias {
                    Some(a) => format!("alias {a} was not declared by a BIRTH message"),
                    None => "a metric with neither name nor alias".to_owned(),
                });
                continue;
            }
        };
        let datatype = m.datatype.or(declared.and_then(|(_, d)| *d));
        let at = m.timestamp.or(payload.timestamp).map(|t| t as i64);
        let source = Source::new(device.clone(), name);
        let mut reading = match value_of(m, datatype).and_then(|v| scale(sub, v)) {
            Ok(v) => Reading::new(source, v, Quality::Good, now_ms),
            Err(why) => Reading::failed(source, why, now_ms),
        };
        if let Some(at) = at {
            reading = reading.with_device_time_ms(at);
        }
        if let Some(u) = &sub.unit {
            reading = reading.with_unit(u);
        }
        readings.push(reading);
    }
    Ok((readings, unknown))
}

fn learn(tables: &mut AliasTables, key: Key, metrics: &[Metric]) {
    let table = tables.tables.entry(key).or_default();
    for m in metrics {
        if let (Some(name), Some(alias)) = (&m.name, m.alias) {
            table.insert(alias, (name.clone(), m.datatype));
        }
    }
}

/// The metric's value, read by its data type: signed types are sign-extended from their width.
fn value_of(m: &Metric, datatype: Option<u32>) -> Result<Value, String> {
    if m.is_null == Some(true) {
        return Err("null value".to_owned());
    }
    let value = m.value.as_ref().ok_or("no value")?;
    Ok(match (value, datatype) {
        (metric::Value::IntValue(v), Some(1)) => Value::Int(i64::from(*v as u8 as i8)),
        (metric::Value::IntValue(v), Some(2)) => Value::Int(i64::from(*v as u16 as i16)),
        (metric::Value::IntValue(v), Some(3)) => Value::Int(i64::from(*v as i32)),
        (metric::Value::IntValue(v), _) => Value::Int(i64::from(*v)),
        (metric::Value::LongValue(v), Some(4)) => Value::Int(*v as i64),
        (metric::Value::LongValue(v), _) => Value::Int(
            i64::try_from(*v).map_err(|_| format!("{v} does not fit a signed 64-bit integer"))?,
        ),
        (metric::Value::FloatValue(x), _) => finite(f64::from(*x))?,
        (metric::Value::DoubleValue(x), _) => finite(*x)?,
        (metric::Value::BooleanValue(b), _) => Value::Bool(*b),
        (metric::Value::StringValue(s), _) => Value::Text(s.clone()),
    })
}

fn finite(x: f64) -> Result<Value, String> {
    if x.is_finite() {
        Ok(Value::Float(x))
    } else {
        Err("value is not a finite number".to_owned())
    }
}
