//! From a pub/sub message to the readings it carries, or the reason it cannot be read.

use edge_model::{Reading, ReadingBatch};
use serde::Deserialize;

/// A message as it arrives on local pub/sub.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// A JSON message (already parsed by the IPC layer).
    Json(serde_json::Value),
    /// A binary message: should hold JSON text.
    Binary(Vec<u8>),
}

/// Why a message was not read, and its text for the dead letter.
#[derive(Debug, Clone, PartialEq)]
pub struct Unreadable {
    /// What is wrong, naming the field when serde says which.
    pub reason: String,
    /// The message as text (lossy for non-UTF-8 bytes).
    pub payload: String,
}

/// The readings of a reading batch.
///
/// # Errors
///
/// [`Unreadable`] for malformed JSON, a message that is not a reading batch, or one with
/// another schema version.
pub fn readings(message: Incoming) -> Result<Vec<Reading>, Unreadable> {
    let parsed = match &message {
        // Read from the parsed tree in place: a clone of it cost as much as the reading.
        Incoming::Json(value) => ReadingBatch::deserialize(value),
        Incoming::Binary(bytes) => serde_json::from_slice::<ReadingBatch>(bytes),
    };
    parsed.map(ReadingBatch::into_readings).map_err(|e| {
        let kind = if e.is_syntax() || e.is_eof() {
            "malformed JSON"
        } else {
            "not a reading batch of schema version 1"
        };
        Unreadable {
            reason: format!("{kind}: {e}"),
            payload: match message {
                Incoming::Json(value) => value.to_string(),
                Incoming::Binary(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            },
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn batch(version: u32) -> serde_json::Value {
        json!({"schemaVersion": version, "kind": "readings", "gatewayId": "gw", "device": "d",
            "sequence": 0, "readings": [{"source": {"device": "d", "point": "p"}, "value": 1.5,
            "quality": "good", "gatewayTimeMs": 5}]})
    }

    #[test]
    fn reads_json_and_binary_batches() {
        assert_eq!(readings(Incoming::Json(batch(1))).unwrap().len(), 1);
        let bytes = serde_json::to_vec(&batch(1)).unwrap();
        assert_eq!(readings(Incoming::Binary(bytes)).unwrap().len(), 1);
    }

    #[test]
    fn names_the_problem() {
        let err = readings(Incoming::Json(batch(2))).unwrap_err();
        assert!(
            err.reason.contains("unsupported schemaVersion 2"),
            "{}",
            err.reason
        );
        let err = readings(Incoming::Binary(b"{\"readings\": [NaN]}".to_vec())).unwrap_err();
        assert!(err.reason.starts_with("malformed JSON"), "{}", err.reason);
        assert_eq!(err.payload, "{\"readings\": [NaN]}");
    }
}
