//! From a pub/sub message to the readings it carries, or the reason it cannot be read.

use edge_model::{Reading, ReadingBatch};
use ggipc::model::{BinaryMessage, MessageContext};
use serde::Deserialize;
use serde_json::value::RawValue;

/// A local pub/sub event as the service reads it: a JSON message is kept as its text, so that
/// a reading batch is parsed once, straight into readings, without a generic JSON tree in
/// between (a tree of every reading's fields cost as much CPU as the rules, and its many
/// small blocks fragmented the heap).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    #[serde(default)]
    json_message: Option<JsonText>,
    #[serde(default)]
    binary_message: Option<BinaryMessage>,
}

/// The JSON member of an [`Event`].
#[derive(Debug, Deserialize)]
struct JsonText {
    #[serde(default)]
    message: Option<Box<RawValue>>,
    #[serde(default)]
    context: Option<MessageContext>,
}

impl Event {
    /// The topic it arrived on (`filter` if the nucleus did not say) and its body.
    pub fn into_incoming(self, filter: &str) -> (String, Incoming) {
        let topic = |context: Option<MessageContext>| {
            context
                .and_then(|c| c.topic)
                .unwrap_or_else(|| filter.to_owned())
        };
        match (self.json_message, self.binary_message) {
            (Some(json), _) => (
                topic(json.context),
                json.message
                    .map_or(Incoming::Json(serde_json::Value::Null), Incoming::Text),
            ),
            (None, Some(binary)) => (topic(binary.context), Incoming::Binary(binary.message)),
            (None, None) => (filter.to_owned(), Incoming::Binary(Vec::new())),
        }
    }
}

/// A message as it arrives on local pub/sub.
#[derive(Debug, Clone)]
pub enum Incoming {
    /// A JSON message (already parsed by the IPC layer).
    Json(serde_json::Value),
    /// A JSON message as its text, parsed here straight into readings.
    Text(Box<RawValue>),
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
        Incoming::Text(text) => serde_json::from_str::<ReadingBatch>(text.get()),
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
                Incoming::Text(text) => text.get().to_owned(),
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

    /// `message` as a subscription event on `topic`, in ggipc's own wire shape.
    fn event(message: ggipc::model::PublishMessage) -> Event {
        serde_json::from_value(serde_json::to_value(message).unwrap()).unwrap()
    }

    fn context(topic: &str) -> Option<MessageContext> {
        Some(MessageContext {
            topic: Some(topic.to_owned()),
        })
    }

    #[test]
    fn an_event_keeps_its_json_message_as_text_and_names_its_topic() {
        let mut json_event = ggipc::model::PublishMessage::json(batch(1));
        if let Some(j) = &mut json_event.json_message {
            j.context = context("factory/raw/d");
        }
        let (topic, incoming) = event(json_event).into_incoming("factory/raw/+");
        assert_eq!(topic, "factory/raw/d");
        assert!(matches!(incoming, Incoming::Text(_)), "{incoming:?}");
        let read = readings(incoming).unwrap();
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].source().point(), "p");
        // As text or as a tree, the same readings.
        assert_eq!(read, readings(Incoming::Json(batch(1))).unwrap());

        let wrong = event(ggipc::model::PublishMessage::json(batch(2)));
        let (topic, incoming) = wrong.into_incoming("factory/raw/+");
        assert_eq!(topic, "factory/raw/+", "no context: the filter");
        let err = readings(incoming).unwrap_err();
        assert!(
            err.reason.contains("unsupported schemaVersion 2"),
            "{}",
            err.reason
        );
        assert!(
            err.payload.contains("\"schemaVersion\":2"),
            "{}",
            err.payload
        );

        let empty: Event = serde_json::from_value(json!({"jsonMessage": {}})).unwrap();
        let err = readings(empty.into_incoming("t").1).unwrap_err();
        assert!(
            err.reason.starts_with("not a reading batch"),
            "{}",
            err.reason
        );

        let binary = ggipc::model::PublishMessage {
            json_message: None,
            binary_message: Some(BinaryMessage {
                message: serde_json::to_vec(&batch(1)).unwrap(),
                context: context("factory/raw/b"),
            }),
        };
        let (topic, incoming) = event(binary).into_incoming("factory/raw/+");
        assert_eq!(topic, "factory/raw/b");
        assert_eq!(readings(incoming).unwrap().len(), 1);
    }
}
