//! The JSON every destination receives for one record: the message plus the record id the
//! cloud side de-duplicates on (delivery is at least once).

use crate::store::StoredRecord;
use serde::Serialize;
use serde_json::value::RawValue;

/// `<store id>-<sequence>`: unique per record, the same on every retry.
pub fn record_id(store_id: &str, seq: i64) -> String {
    format!("{store_id}-{seq}")
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a> {
    record_id: String,
    topic: &'a str,
    created_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a RawValue>,
    /// A payload that is not JSON travels as text (lossy for non-UTF-8 bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    message_text: Option<String>,
}

/// The envelope of `record` as JSON bytes.
pub fn encode(store_id: &str, record: &StoredRecord) -> Vec<u8> {
    let message: Option<&RawValue> = serde_json::from_slice(&record.payload).ok();
    let envelope = Envelope {
        record_id: record_id(store_id, record.seq),
        topic: &record.topic,
        created_ms: record.created_ms,
        message,
        message_text: message
            .is_none()
            .then(|| String::from_utf8_lossy(&record.payload).into_owned()),
    };
    // Serializing these field types cannot fail.
    serde_json::to_vec(&envelope).unwrap_or_default()
}

/// The last level of the local topic (`factory/raw/plc1` → `plc1`): the device.
pub fn device_of(topic: &str) -> &str {
    topic.rsplit('/').next().unwrap_or(topic)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn record(payload: &[u8]) -> StoredRecord {
        StoredRecord {
            seq: 7,
            topic: "factory/agg/plc1".into(),
            payload: payload.to_vec(),
            created_ms: 11,
        }
    }

    #[test]
    fn a_json_message_is_embedded_as_is() {
        let bytes = encode("s1", &record(br#"{"a":[1,2]}"#));
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["recordId"], "s1-7");
        assert_eq!(v["topic"], "factory/agg/plc1");
        assert_eq!(v["createdMs"], 11);
        assert_eq!(v["message"]["a"][1], 2);
    }

    #[test]
    fn a_non_json_message_travels_as_text() {
        let v: serde_json::Value = serde_json::from_slice(&encode("s1", &record(b"hi {"))).unwrap();
        assert_eq!(v["messageText"], "hi {");
        assert!(v.get("message").is_none());
    }

    #[test]
    fn the_device_is_the_last_topic_level() {
        assert_eq!(device_of("factory/raw/plc1"), "plc1");
        assert_eq!(device_of("plain"), "plain");
    }
}
