//! A message a component could not handle, with the reason, for later inspection.

use serde::{Deserialize, Serialize};

use crate::kind::{DeadLetterTag, VersionTag};
use crate::{ComponentName, MessageKind, Reading, SCHEMA_VERSION};

/// Longest `payload` text kept in a dead letter, in bytes; keeps the letter under the IPC cap.
pub const MAX_DEAD_PAYLOAD_BYTES: usize = 4096;

/// One rejected message or reading, published on `factory/dead-letter/{component}`.
///
/// JSON fields: `schemaVersion`, `kind` (`"dead-letter"`), `component`, `reason`, `timeMs`,
/// and the optional `topic` it arrived on, `rule` that rejected it, `reading` (when one reading
/// was rejected) and `payload` (the start of a message that could not be read, as text).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    schema_version: VersionTag,
    kind: DeadLetterTag,
    component: ComponentName,
    reason: String,
    time_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    topic: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reading: Option<Reading>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    payload: Option<String>,
}

impl DeadLetter {
    /// `component` could not handle something at `time_ms` (epoch milliseconds) because of
    /// `reason`.
    pub fn new(component: ComponentName, reason: impl Into<String>, time_ms: i64) -> Self {
        Self {
            schema_version: VersionTag,
            kind: DeadLetterTag::DeadLetter,
            component,
            reason: reason.into(),
            time_ms,
            topic: None,
            rule: None,
            reading: None,
            payload: None,
        }
    }

    /// Sets the topic the message arrived on.
    #[must_use]
    pub fn with_topic(mut self, topic: impl Into<String>) -> Self {
        self.topic = Some(topic.into());
        self
    }

    /// Sets the rule that rejected it.
    #[must_use]
    pub fn with_rule(mut self, rule: impl Into<String>) -> Self {
        self.rule = Some(rule.into());
        self
    }

    /// Sets the rejected reading.
    #[must_use]
    pub fn with_reading(mut self, reading: Reading) -> Self {
        self.reading = Some(reading);
        self
    }

    /// Sets the unreadable message, cut to [`MAX_DEAD_PAYLOAD_BYTES`] on a character boundary.
    #[must_use]
    pub fn with_payload(mut self, payload: &str) -> Self {
        let mut end = payload.len().min(MAX_DEAD_PAYLOAD_BYTES);
        while !payload.is_char_boundary(end) {
            end -= 1;
        }
        self.payload = payload.get(..end).map(str::to_owned);
        self
    }

    /// Always [`SCHEMA_VERSION`].
    pub fn schema_version(&self) -> u32 {
        SCHEMA_VERSION
    }

    /// Always [`MessageKind::DeadLetter`].
    pub fn kind(&self) -> MessageKind {
        MessageKind::DeadLetter
    }

    /// The component that gave up on it.
    pub fn component(&self) -> &ComponentName {
        &self.component
    }

    /// Why.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// When, epoch milliseconds.
    pub fn time_ms(&self) -> i64 {
        self.time_ms
    }

    /// The topic it arrived on, if known.
    pub fn topic(&self) -> Option<&str> {
        self.topic.as_deref()
    }

    /// The rule that rejected it, if any.
    pub fn rule(&self) -> Option<&str> {
        self.rule.as_deref()
    }

    /// The rejected reading, if one was.
    pub fn reading(&self) -> Option<&Reading> {
        self.reading.as_ref()
    }

    /// The start of the unreadable message, if one was.
    pub fn payload(&self) -> Option<&str> {
        self.payload.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_payload_is_cut_on_a_character_boundary() {
        let text = "é".repeat(MAX_DEAD_PAYLOAD_BYTES);
        let letter =
            DeadLetter::new(ComponentName::new("c").unwrap(), "bad json", 1).with_payload(&text);
        let kept = letter.payload().unwrap();
        assert!(kept.len() <= MAX_DEAD_PAYLOAD_BYTES);
        assert!(text.starts_with(kept));
    }

    #[test]
    fn writes_kind_and_omits_absent_fields() {
        let letter = DeadLetter::new(ComponentName::new("c").unwrap(), "why", 5).with_rule("r");
        assert_eq!(
            serde_json::to_value(&letter).unwrap(),
            serde_json::json!({"schemaVersion": 1, "kind": "dead-letter", "component": "c",
                "reason": "why", "timeMs": 5, "rule": "r"})
        );
    }
}
