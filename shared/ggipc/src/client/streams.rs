//! The client's table of open streams and live subscriptions. The reader delivers into it and the
//! driver registers into it; a std mutex is fine because it is never held across an await.

use crate::error::IpcError;
use crate::rpc::{MessageType, RpcMessage};
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{mpsc, oneshot};

type Reply = oneshot::Sender<Result<RpcMessage, IpcError>>;

/// The first message of a new stream, kept so a subscription can be reopened after a reconnect.
#[derive(Debug, Clone)]
pub(crate) struct OpenRequest {
    pub(crate) operation: String,
    pub(crate) model_type: String,
    pub(crate) payload: Bytes,
}

impl OpenRequest {
    pub(crate) fn message(&self, stream_id: i32) -> RpcMessage {
        RpcMessage {
            operation: Some(self.operation.clone()),
            ..RpcMessage::json(
                MessageType::ApplicationMessage,
                0,
                stream_id,
                Some(&self.model_type),
                self.payload.clone(),
            )
        }
    }
}

/// Work for the driver.
#[derive(Debug)]
pub(crate) enum Outgoing {
    Open { request: OpenRequest, slot: Slot },
    Close { key: u64 },
}

/// What waits on a stream id.
#[derive(Debug)]
pub(crate) enum Slot {
    Unary(Reply),
    Stream {
        key: u64,
        first: Option<Reply>,
        awaiting_response: bool,
    },
}

impl Slot {
    pub(crate) fn reopened(key: u64) -> Self {
        Slot::Stream {
            key,
            first: None,
            awaiting_response: true,
        }
    }
}

#[derive(Debug)]
struct SubscriptionRecord {
    request: OpenRequest,
    events: mpsc::Sender<RpcMessage>,
    stream_id: Option<i32>,
    opened: bool,
}

#[derive(Debug, Default)]
struct Inner {
    streams: HashMap<i32, Slot>,
    subscriptions: HashMap<u64, SubscriptionRecord>,
}

/// Shared between the API, the driver and the reader.
#[derive(Debug, Default)]
pub(crate) struct StreamTable {
    inner: Mutex<Inner>,
    next_key: AtomicU64,
    /// Events dropped because a subscriber did not keep up.
    pub(crate) dropped_events: AtomicU64,
}

impl StreamTable {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A poisoned lock only means another thread panicked mid-update; the maps stay usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn new_subscription(
        &self,
        request: OpenRequest,
        events: mpsc::Sender<RpcMessage>,
    ) -> u64 {
        let key = self.next_key.fetch_add(1, Ordering::Relaxed);
        self.lock().subscriptions.insert(
            key,
            SubscriptionRecord {
                request,
                events,
                stream_id: None,
                opened: false,
            },
        );
        key
    }

    pub(crate) fn register(&self, id: i32, slot: Slot) {
        let mut inner = self.lock();
        if let Slot::Stream { key, .. } = &slot
            && let Some(sub) = inner.subscriptions.get_mut(key)
        {
            sub.stream_id = Some(id);
            sub.opened = true;
        }
        inner.streams.insert(id, slot);
    }

    pub(crate) fn subscriptions_to_reopen(&self) -> Vec<(u64, OpenRequest)> {
        self.lock()
            .subscriptions
            .iter()
            .filter(|(_, s)| s.opened)
            .map(|(k, s)| (*k, s.request.clone()))
            .collect()
    }

    /// Removes a subscription; returns its stream id if one is open.
    pub(crate) fn forget_subscription(&self, key: u64) -> Option<i32> {
        let mut inner = self.lock();
        let id = inner.subscriptions.remove(&key)?.stream_id?;
        inner.streams.remove(&id);
        Some(id)
    }

    /// Fails every pending call; subscriptions that were open stay for reopening.
    pub(crate) fn connection_lost(&self, reason: &str) {
        let mut inner = self.lock();
        let streams = std::mem::take(&mut inner.streams);
        for slot in streams.into_values() {
            match slot {
                Slot::Unary(reply) => {
                    let _ = reply.send(Err(IpcError::ConnectionLost(reason.to_owned())));
                }
                Slot::Stream {
                    key,
                    first: Some(reply),
                    ..
                } => {
                    inner.subscriptions.remove(&key);
                    let _ = reply.send(Err(IpcError::ConnectionLost(reason.to_owned())));
                }
                Slot::Stream { key, .. } => {
                    if let Some(sub) = inner.subscriptions.get_mut(&key) {
                        sub.stream_id = None;
                    }
                }
            }
        }
    }

    /// Routes one message from the server to whoever waits on its stream.
    pub(crate) fn deliver(&self, msg: RpcMessage) {
        let mut inner = self.lock();
        let id = msg.stream_id;
        let Some(slot) = inner.streams.remove(&id) else {
            tracing::debug!(stream_id = id, "Ignoring a message for a closed stream.");
            return;
        };
        let is_error = msg.message_type == MessageType::ApplicationError;
        let (key, awaiting_response, first) = match slot {
            Slot::Unary(reply) => {
                let _ = reply.send(into_result(msg));
                return;
            }
            Slot::Stream {
                key,
                first,
                awaiting_response,
            } => (key, awaiting_response, first),
        };
        let ends = is_error || msg.terminates();
        if awaiting_response {
            // The first message answers the subscribe call (or a reopen after a reconnect).
            if let Some(reply) = first {
                let _ = reply.send(into_result(msg));
            } else if is_error {
                tracing::warn!(
                    stream_id = id,
                    "The server refused to reopen a subscription."
                );
            }
        } else if (is_error || !msg.payload.is_empty())
            && let Some(sub) = inner.subscriptions.get(&key)
            && sub.events.try_send(msg).is_err()
        {
            self.dropped_events.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                stream_id = id,
                "Subscriber is not keeping up; event dropped."
            );
        }
        if ends {
            inner.subscriptions.remove(&key);
        } else {
            inner.streams.insert(
                id,
                Slot::Stream {
                    key,
                    first: None,
                    awaiting_response: false,
                },
            );
        }
    }
}

fn into_result(msg: RpcMessage) -> Result<RpcMessage, IpcError> {
    if msg.message_type == MessageType::ApplicationError {
        Err(IpcError::from_error_payload(
            msg.model_type.as_deref(),
            &msg.payload,
        ))
    } else {
        Ok(msg)
    }
}
