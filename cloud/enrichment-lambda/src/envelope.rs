//! What one Kinesis record carries: the StreamUploader envelope
//! (`{"recordId","topic","createdMs","message"|"messageText"}`, from its `kinesis` export), or
//! the IoT telemetry rule's `SELECT *` of one `iotCore` export message
//! (`{"records":[envelope…],"gatewayId","kind","device","ingestMs"}`).

use edge_model::ReadingBatch;
use serde::Deserialize;
use serde_json::Value;

/// One uploader record.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// `<store id>-<sequence>`: the same on every retry of the gateway, the key of de-duplication.
    pub record_id: String,
    /// The local topic (`factory/raw/<device>`).
    pub topic: String,
    /// When the gateway queued it, epoch milliseconds.
    #[serde(default)]
    pub created_ms: i64,
    /// The message, when it was JSON.
    #[serde(default)]
    pub message: Option<Value>,
    /// The message as text, when it was not JSON.
    #[serde(default)]
    pub message_text: Option<String>,
}

/// A part of a record that cannot be read, with the reason and the start of its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Malformed {
    /// Why.
    pub reason: String,
    /// The start of what could not be read.
    pub payload: String,
    /// The record id, if it could be read.
    pub record_id: Option<String>,
    /// The topic, if it could be read.
    pub topic: Option<String>,
}

/// Longest payload excerpt kept in a dead letter.
const EXCERPT_CHARS: usize = 2048;

fn excerpt(text: &str) -> String {
    text.chars().take(EXCERPT_CHARS).collect()
}

fn malformed(reason: impl Into<String>, payload: &str) -> Malformed {
    Malformed {
        reason: reason.into(),
        payload: excerpt(payload),
        record_id: None,
        topic: None,
    }
}

/// The envelopes in one record's bytes; each element that cannot be read is an `Err`.
pub fn decode(data: &[u8]) -> Vec<Result<Envelope, Malformed>> {
    let text = String::from_utf8_lossy(data);
    let value: Value = match serde_json::from_slice(data) {
        Ok(v) => v,
        Err(e) => return vec![Err(malformed(format!("record is not JSON: {e}"), &text))],
    };
    match value.get("records") {
        Some(Value::Array(items)) => {
            if items.is_empty() {
                return vec![Err(malformed("record holds an empty records list", &text))];
            }
            items.iter().map(envelope_of).collect()
        }
        Some(_) => vec![Err(malformed("records is not a list", &text))],
        None => vec![envelope_of(&value)],
    }
}

fn envelope_of(value: &Value) -> Result<Envelope, Malformed> {
    let envelope: Envelope = serde_json::from_value(value.clone())
        .map_err(|e| malformed(format!("not an uploader envelope: {e}"), &value.to_string()))?;
    if envelope.record_id.is_empty() {
        return Err(malformed(
            "envelope has an empty recordId",
            &value.to_string(),
        ));
    }
    Ok(envelope)
}

/// What an envelope's message is, for this function.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    /// A reading batch; `machine_state` when it came on `factory/state/<device>`.
    Readings {
        /// The batch.
        batch: ReadingBatch,
        /// Whether its readings are machine states and counters for SiteWise.
        machine_state: bool,
    },
    /// A message of another kind (aggregates, anomaly and alarm events): not this function's job.
    Other(String),
}

impl Envelope {
    /// The message's content, or why it cannot be used.
    pub fn content(&self) -> Result<Content, Malformed> {
        let fail = |reason: String, payload: String| Malformed {
            reason,
            payload: excerpt(&payload),
            record_id: Some(self.record_id.clone()),
            topic: Some(self.topic.clone()),
        };
        let Some(message) = &self.message else {
            let text = self.message_text.clone().unwrap_or_default();
            return Err(fail("message is not JSON".into(), text));
        };
        let kind = message.get("kind").and_then(Value::as_str);
        match kind {
            Some("readings") => match serde_json::from_value::<ReadingBatch>(message.clone()) {
                Ok(batch) => Ok(Content::Readings {
                    batch,
                    machine_state: topic_kind(&self.topic) == Some("state"),
                }),
                Err(e) => Err(fail(
                    format!("malformed reading batch: {e}"),
                    message.to_string(),
                )),
            },
            Some(other) => Ok(Content::Other(other.to_owned())),
            None => Err(fail("message has no kind".into(), message.to_string())),
        }
    }
}

/// The second level of a local topic (`factory/state/pump-1` → `state`).
fn topic_kind(topic: &str) -> Option<&str> {
    topic.split('/').nth(1)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use serde_json::json;

    fn batch() -> Value {
        json!({"schemaVersion": 1, "kind": "readings", "gatewayId": "gw-1", "device": "pump-1",
               "sequence": 3, "readings": [{"source": {"device": "pump-1", "point": "temp"},
               "value": 71.5, "unit": "degC", "quality": "good", "gatewayTimeMs": 1_700_000_000_000_i64}]})
    }

    #[test]
    fn a_kinesis_export_record_is_one_envelope() {
        let data = json!({"recordId": "s-1", "topic": "factory/raw/pump-1", "createdMs": 5, "message": batch()});
        let out = decode(data.to_string().as_bytes());
        assert_eq!(out.len(), 1);
        let env = out[0].as_ref().unwrap();
        assert_eq!(env.record_id, "s-1");
        let Content::Readings {
            batch,
            machine_state,
        } = env.content().unwrap()
        else {
            panic!("not readings")
        };
        assert!(!machine_state);
        assert_eq!(batch.readings().len(), 1);
    }

    #[test]
    fn a_rule_batch_yields_each_envelope_and_flags_the_bad_one() {
        let data = json!({"records": [
            {"recordId": "s-1", "topic": "factory/state/pump-1", "createdMs": 5, "message": batch()},
            {"topic": "factory/raw/pump-1"},
        ], "gatewayId": "gw-1", "kind": "state", "device": "pump-1", "ingestMs": 9});
        let out = decode(data.to_string().as_bytes());
        assert_eq!(out.len(), 2);
        assert!(matches!(
            out[0].as_ref().unwrap().content().unwrap(),
            Content::Readings {
                machine_state: true,
                ..
            }
        ));
        assert!(out[1].as_ref().unwrap_err().reason.contains("recordId"));
    }

    #[test]
    fn garbage_and_broken_batches_say_why() {
        let out = decode(b"\x00not json");
        assert!(out[0].as_ref().unwrap_err().reason.contains("not JSON"));
        let mut bad = batch();
        bad["readings"][0]["quality"] = json!("excellent");
        let env = json!({"recordId": "s-2", "topic": "factory/raw/pump-1", "message": bad});
        let out = decode(env.to_string().as_bytes());
        let err = out[0].as_ref().unwrap().content().unwrap_err();
        assert!(
            err.reason.contains("malformed reading batch"),
            "{}",
            err.reason
        );
        assert_eq!(err.record_id.as_deref(), Some("s-2"));
        let text = json!({"recordId": "s-3", "topic": "factory/raw/x", "messageText": "hi {"});
        let out = decode(text.to_string().as_bytes());
        assert_eq!(
            out[0].as_ref().unwrap().content().unwrap_err().payload,
            "hi {"
        );
    }

    #[test]
    fn other_kinds_pass_as_other() {
        let env = json!({"recordId": "s-4", "topic": "factory/alarm/pump-1",
                         "message": {"kind": "alarm", "schemaVersion": 1}});
        let out = decode(env.to_string().as_bytes());
        assert_eq!(
            out[0].as_ref().unwrap().content().unwrap(),
            Content::Other("alarm".into())
        );
    }
}
