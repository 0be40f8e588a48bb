//! Local publish/subscribe with MQTT-style filters, as the nucleus's pubsub service.

use bytes::Bytes;
use edge_model::TopicFilter;
use ggipc::model::{PublishMessage, ReceiveMode};
use ggipc::server::EventSink;
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

    /// Delivers to every matching subscriber; returns how many received it.
    pub fn publish(
        &self,
        from: &str,
        topic: &str,
        message: &PublishMessage,
    ) -> Result<usize, PubSubError> {
        if topic.contains('+') || topic.contains('#') {
            return Err(PubSubError::WildcardPublish);
        }
        // Serialise once; every subscriber gets the same bytes.
        let event = Bytes::from(serde_json::to_vec(&message.with_topic(topic)).unwrap_or_default());
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
