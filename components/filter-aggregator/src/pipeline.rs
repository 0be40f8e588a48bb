//! One message in, the messages to publish out: decoding, the engine, batching under the IPC
//! cap, and dead letters. No I/O, so it is tested without a nucleus.

use crate::decode::{self, Incoming};
use crate::engine::{Engine, Outputs};
use edge_model::{
    AggregateBatchBuilder, BatchBuilder, ComponentName, DeadLetter, DeviceId, GatewayId, Reading,
    Topic, Value,
};
use std::collections::HashMap;

/// A message to publish.
pub type Message = (Topic, serde_json::Value);

/// Points whose windows one tick slice closes: at a minute boundary all 100k points of a
/// gateway may close a window in the same tick, and their aggregates as JSON messages took
/// tens of MB at once. A slice's take about 200 KB (2,000 points per slice left 1.6 MiB more
/// resident with 100k points under gg-local than 250 do).
pub const TICK_SLICE: usize = 250;

/// The engine plus what turns its outputs into messages.
#[derive(Debug)]
pub struct Pipeline {
    /// The rule engine (kept across configuration reloads).
    pub engine: Engine,
    component: ComponentName,
    gateway: GatewayId,
    /// Next batch number per device, filtered readings and aggregates apart.
    filtered_seq: HashMap<DeviceId, u64>,
    aggregate_seq: HashMap<DeviceId, u64>,
    outputs: Outputs,
}

impl Pipeline {
    /// A pipeline around `engine`, publishing as `component` on gateway `gateway`.
    pub fn new(engine: Engine, component: ComponentName, gateway: GatewayId) -> Self {
        Self {
            engine,
            component,
            gateway,
            filtered_seq: HashMap::new(),
            aggregate_seq: HashMap::new(),
            outputs: Outputs::default(),
        }
    }

    /// Handles a message that arrived on `topic` at gateway time `now_ms`.
    pub fn on_message(&mut self, topic: &str, message: Incoming, now_ms: i64) -> Vec<Message> {
        match decode::readings(message) {
            Ok(readings) => self.on_readings(topic, readings, now_ms),
            Err(unreadable) => {
                tracing::warn!(topic, reason = %unreadable.reason, "Message sent to the dead-letter topic: it cannot be read.");
                let letter = DeadLetter::new(self.component.clone(), unreadable.reason, now_ms)
                    .with_topic(topic)
                    .with_payload(&unreadable.payload);
                self.letter(letter).into_iter().collect()
            }
        }
    }

    /// Handles readings that arrived on `topic` at gateway time `now_ms`.
    pub fn on_readings(
        &mut self,
        topic: &str,
        readings: Vec<Reading>,
        now_ms: i64,
    ) -> Vec<Message> {
        for reading in readings {
            self.engine.ingest(reading, now_ms, &mut self.outputs);
        }
        self.drain(Some(topic), now_ms)
    }

    /// Closes the windows that gateway time `now_ms` ends.
    pub fn on_tick(&mut self, now_ms: i64) -> Vec<Message> {
        self.engine.tick(now_ms, &mut self.outputs);
        self.drain(None, now_ms)
    }

    /// Closes the windows that gateway time `now_ms` ends for the points of one slice
    /// ([`TICK_SLICE`]) from point `from` on; returns their messages and the point the next
    /// slice starts at (`None`: the tick is done).
    pub fn on_tick_slice(&mut self, now_ms: i64, from: u32) -> (Vec<Message>, Option<u32>) {
        let next = self
            .engine
            .tick_points(now_ms, from, TICK_SLICE, &mut self.outputs);
        (self.drain(None, now_ms), next)
    }

    /// Closes every open window (tests, tools).
    pub fn flush(&mut self, now_ms: i64) -> Vec<Message> {
        self.engine.flush(&mut self.outputs);
        self.drain(None, now_ms)
    }

    fn drain(&mut self, topic: Option<&str>, now_ms: i64) -> Vec<Message> {
        let out = std::mem::take(&mut self.outputs);
        let mut messages = Vec::new();
        let mut letters = Vec::new();
        for (device, readings) in group(out.filtered, |r| r.source().device().clone()) {
            let seq = self.filtered_seq.entry(device.clone()).or_insert(0);
            let mut builder = BatchBuilder::new(self.gateway.clone(), device.clone(), *seq);
            for reading in readings {
                match builder.push(reading) {
                    Ok(closed) => {
                        messages.extend(closed.map(|b| json(Topic::readings_filtered(&device), &b)))
                    }
                    Err(e) => letters.push(
                        DeadLetter::new(
                            self.component.clone(),
                            format!("filtered reading not published: {e}"),
                            now_ms,
                        )
                        .with_reading(e.into_reading()),
                    ),
                }
            }
            messages.extend(
                builder
                    .finish()
                    .map(|b| json(Topic::readings_filtered(&device), &b)),
            );
            *seq = builder.next_sequence();
        }
        for (device, aggregates) in group(out.aggregates, |(d, _)| d.clone()) {
            let seq = self.aggregate_seq.entry(device.clone()).or_insert(0);
            let mut builder =
                AggregateBatchBuilder::new(self.gateway.clone(), device.clone(), *seq);
            for (_, aggregate) in aggregates {
                match builder.push(aggregate) {
                    Ok(closed) => {
                        messages.extend(closed.map(|b| json(Topic::aggregates(&device), &b)))
                    }
                    Err(e) => {
                        tracing::error!(device = device.as_str(), error = %e, "Aggregate not published.");
                    }
                }
            }
            messages.extend(
                builder
                    .finish()
                    .map(|b| json(Topic::aggregates(&device), &b)),
            );
            *seq = builder.next_sequence();
        }
        for rejection in out.rejected {
            let mut letter = DeadLetter::new(self.component.clone(), rejection.reason, now_ms)
                .with_rule(&*rejection.rule);
            if let Some(topic) = topic {
                letter = letter.with_topic(topic);
            }
            letters.push(with_reading(letter, rejection.reading));
        }
        messages.extend(letters.into_iter().filter_map(|l| self.letter(l)));
        messages
    }

    fn letter(&self, letter: DeadLetter) -> Option<Message> {
        match serde_json::to_value(&letter) {
            Ok(body) => Some((Topic::dead_letter(&self.component), body)),
            Err(e) => {
                tracing::error!(error = %e, reason = letter.reason(), "Dead letter cannot be written.");
                None
            }
        }
    }
}

/// Attaches the reading, or, when it cannot be written as JSON (a NaN value), its description.
fn with_reading(letter: DeadLetter, reading: Reading) -> DeadLetter {
    let writable = !matches!(reading.value(), Some(Value::Float(x)) if !x.is_finite());
    if writable {
        letter.with_reading(reading)
    } else {
        letter.with_payload(&format!("{reading:?}"))
    }
}

/// Groups items by key, keeping first-seen key order and item order.
fn group<T, K: PartialEq>(items: Vec<T>, key: impl Fn(&T) -> K) -> Vec<(K, Vec<T>)> {
    let mut groups: Vec<(K, Vec<T>)> = Vec::new();
    for item in items {
        let k = key(&item);
        match groups.iter_mut().find(|(g, _)| *g == k) {
            Some((_, members)) => members.push(item),
            None => groups.push((k, vec![item])),
        }
    }
    groups
}

fn json<T: serde::Serialize>(topic: Topic, message: &T) -> Message {
    // Batches passed the builder's own serialization, so this cannot fail.
    (topic, serde_json::to_value(message).unwrap_or_default())
}
