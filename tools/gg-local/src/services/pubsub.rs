//! Local publish/subscribe with MQTT-style filters, as the nucleus's pubsub service.

use bytes::Bytes;
use edge_model::TopicFilter;
use ggipc::model::ReceiveMode;
use ggipc::server::EventSink;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::sync::{Arc, Mutex};

/// Event shape of SubscribeToTopic.
pub const EVENT_SHAPE: &str = "aws.greengrass#SubscriptionResponseMessage";

#[derive(Debug)]
struct Subscriber {
    component: Arc<str>,
    filter: TopicFilter,
    mode: ReceiveMode,
    sink: EventSink,
}

/// The bus.
#[derive(Debug, Default)]
pub struct PubSub {
    subscribers: Mutex<Vec<Subscriber>>,
}

/// Why a publish or subscribe was refused.
#[derive(Debug, thiserror::Error)]
pub enum PubSubError {
    /// Publishing to a filter.
    #[error("Publish topic must not contain a wildcard.")]
    WildcardPublish,
    /// Not exactly one of jsonMessage / binaryMessage, or a binary message that is not base64.
    #[error("{0}")]
    BadMessage(&'static str),
    /// A filter that breaks MQTT rules.
    #[error("invalid topic filter {filter:?}: {reason}")]
    BadFilter {
        /// The filter.
        filter: String,
        /// Why.
        reason: String,
    },
}

impl PubSub {
    /// Adds a subscription; the default receive mode follows the nucleus (FROM_OTHERS for a
    /// wildcard filter, ALL otherwise).
    pub fn subscribe(
        &self,
        component: Arc<str>,
        filter: &str,
        mode: Option<ReceiveMode>,
        sink: EventSink,
    ) -> Result<(), PubSubError> {
        let parsed = TopicFilter::new(filter).map_err(|e| PubSubError::BadFilter {
            filter: filter.to_owned(),
            reason: e.to_string(),
        })?;
        let wildcard = filter.contains('+') || filter.contains('#');
        let mode = mode.unwrap_or(if wildcard {
            ReceiveMode::ReceiveMessagesFromOthers
        } else {
            ReceiveMode::ReceiveAllMessages
        });
        let mut subs = self.subscribers.lock().unwrap_or_else(|p| p.into_inner());
        subs.retain(|s| !s.sink.is_closed());
        subs.push(Subscriber {
            component,
            filter: parsed,
            mode,
            sink,
        });
        Ok(())
    }

    /// Delivers an event (see [`RawPublish::event`]) to every matching subscriber; returns how
    /// many received it.
    pub fn publish(&self, from: &str, topic: &str, event: Bytes) -> Result<usize, PubSubError> {
        if topic.contains('+') || topic.contains('#') {
            return Err(PubSubError::WildcardPublish);
        }
        let mut subs = self.subscribers.lock().unwrap_or_else(|p| p.into_inner());
        subs.retain(|s| !s.sink.is_closed());
        let mut delivered = 0;
        for sub in subs.iter() {
            let own = &*sub.component == from;
            if own && sub.mode == ReceiveMode::ReceiveMessagesFromOthers {
                continue;
            }
            if sub.filter.matches(topic) && sub.sink.send_raw(EVENT_SHAPE, event.clone()) {
                delivered += 1;
            }
        }
        Ok(delivered)
    }

    /// Live subscriptions (for status).
    pub fn subscription_count(&self) -> usize {
        let subs = self.subscribers.lock().unwrap_or_else(|p| p.into_inner());
        subs.iter().filter(|s| !s.sink.is_closed()).count()
    }
}

/// A PublishToTopic request as it arrived. The message is kept as raw JSON and forwarded as is:
/// no base64 decoding and re-encoding of binary payloads, no rebuilding of JSON documents.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawPublish<'a> {
    /// The topic.
    #[serde(borrow)]
    pub topic: Cow<'a, str>,
    #[serde(borrow)]
    publish_message: RawUnion<'a>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawUnion<'a> {
    #[serde(borrow, default)]
    json_message: Option<RawMember<'a>>,
    #[serde(borrow, default)]
    binary_message: Option<RawMember<'a>>,
}

#[derive(Debug, Deserialize)]
struct RawMember<'a> {
    #[serde(borrow, default)]
    message: Option<&'a RawValue>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    json_message: Option<MemberOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    binary_message: Option<MemberOut<'a>>,
}

#[derive(Serialize)]
struct MemberOut<'a> {
    message: &'a RawValue,
    context: ContextOut<'a>,
}

#[derive(Serialize)]
struct ContextOut<'a> {
    topic: &'a str,
}

fn is_base64(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=')
}

impl<'a> RawPublish<'a> {
    fn member<'s>(&'s self, m: &'s Option<RawMember<'a>>) -> Option<MemberOut<'s>> {
        m.as_ref().map(|m| MemberOut {
            message: m.message.unwrap_or(RawValue::NULL),
            context: ContextOut { topic: &self.topic },
        })
    }

    /// The SubscriptionResponseMessage subscribers get: the same member with `context.topic`.
    pub fn event(&self) -> Result<Bytes, PubSubError> {
        let union = &self.publish_message;
        let out = match (&union.json_message, &union.binary_message) {
            (Some(_), None) => EventOut {
                json_message: self.member(&union.json_message),
                binary_message: None,
            },
            (None, Some(b)) => {
                let text = b.message.map(|m| serde_json::from_str::<&str>(m.get()));
                if !matches!(text, Some(Ok(t)) if is_base64(t)) {
                    return Err(PubSubError::BadMessage(
                        "binaryMessage.message must be a base64 string",
                    ));
                }
                EventOut {
                    json_message: None,
                    binary_message: self.member(&union.binary_message),
                }
            }
            _ => {
                return Err(PubSubError::BadMessage(
                    "publishMessage must set exactly one of jsonMessage and binaryMessage",
                ));
            }
        };
        serde_json::to_vec(&out)
            .map(Bytes::from)
            .map_err(|_| PubSubError::BadMessage("message could not be serialised"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(request: &str) -> Result<serde_json::Value, PubSubError> {
        let raw: RawPublish<'_> = serde_json::from_str(request).unwrap();
        raw.event().map(|b| serde_json::from_slice(&b).unwrap())
    }

    #[test]
    fn json_and_binary_messages_are_forwarded_with_their_topic() {
        let e =
            event(r#"{"topic":"a/b","publishMessage":{"jsonMessage":{"message":{"v":[1,2.5]}}}}"#)
                .unwrap();
        assert_eq!(
            e,
            serde_json::json!({"jsonMessage": {"message": {"v": [1, 2.5]}, "context": {"topic": "a/b"}}})
        );
        let e = event(r#"{"topic":"a/b","publishMessage":{"binaryMessage":{"message":"aGk="}}}"#)
            .unwrap();
        assert_eq!(
            e,
            serde_json::json!({"binaryMessage": {"message": "aGk=", "context": {"topic": "a/b"}}})
        );
    }

    #[test]
    fn a_union_with_both_or_no_member_is_refused() {
        assert!(event(r#"{"topic":"t","publishMessage":{}}"#).is_err());
        assert!(event(r#"{"topic":"t","publishMessage":{"jsonMessage":{"message":1},"binaryMessage":{"message":"aGk="}}}"#).is_err());
    }

    #[test]
    fn a_binary_message_that_is_not_base64_is_refused() {
        assert!(
            event(r#"{"topic":"t","publishMessage":{"binaryMessage":{"message":"not base64!"}}}"#)
                .is_err()
        );
        assert!(
            event(r#"{"topic":"t","publishMessage":{"binaryMessage":{"message":12}}}"#).is_err()
        );
    }
}
