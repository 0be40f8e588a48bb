//! A rejected record or reading as one JSON line under the dead-letter prefix: the edge
//! model's [`DeadLetter`] (reason, rule, topic, reading or payload) plus where it came from in
//! the stream, so it can be found and replayed.

use edge_model::{ComponentName, DeadLetter};
use serde::Serialize;

/// The `component` every letter of this function names.
pub const COMPONENT: &str = "EnrichmentLambda";

/// One dead-letter line.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetterLine {
    /// The letter itself (its fields are written at the top level).
    #[serde(flatten)]
    pub letter: DeadLetter,
    /// The uploader record id, when it could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<String>,
    /// The Kinesis sequence number of the record.
    pub sequence_number: String,
    /// The shard it came from.
    pub shard_id: String,
}

/// A letter from this function with `reason` under `rule`, at `time_ms`.
pub fn letter(rule: &str, reason: &str, time_ms: i64) -> DeadLetter {
    // "EnrichmentLambda" is a valid component name: non-empty, no topic characters.
    let component = ComponentName::new(COMPONENT).unwrap_or_else(|_| unreachable!());
    DeadLetter::new(component, reason, time_ms).with_rule(rule)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn the_line_is_a_dead_letter_plus_the_stream_position() {
        let line = DeadLetterLine {
            letter: letter("duplicate", "record id seen before", 7).with_topic("factory/raw/p"),
            record_id: Some("s-1".into()),
            sequence_number: "42".into(),
            shard_id: "shardId-0".into(),
        };
        let v = serde_json::to_value(&line).unwrap();
        assert_eq!(v["kind"], "dead-letter");
        assert_eq!(v["component"], COMPONENT);
        assert_eq!(v["rule"], "duplicate");
        assert_eq!(v["recordId"], "s-1");
        assert_eq!(v["sequenceNumber"], "42");
        assert_eq!(v["topic"], "factory/raw/p");
    }
}
