//! A live subscription: typed events until the server ends the stream or the handle is dropped.

use super::streams::Outgoing;
use crate::error::IpcError;
use crate::rpc::{MessageType, RpcMessage};
use std::marker::PhantomData;
use tokio::sync::mpsc;

/// Events of one streaming operation. Dropping it closes the stream on the server.
#[derive(Debug)]
pub struct Subscription<T> {
    key: u64,
    events: mpsc::Receiver<RpcMessage>,
    outgoing: mpsc::Sender<Outgoing>,
    shape: &'static str,
    _event: PhantomData<fn() -> T>,
}

impl<T: serde::de::DeserializeOwned> Subscription<T> {
    pub(crate) fn new(
        key: u64,
        events: mpsc::Receiver<RpcMessage>,
        outgoing: mpsc::Sender<Outgoing>,
        shape: &'static str,
    ) -> Self {
        Self {
            key,
            events,
            outgoing,
            shape,
            _event: PhantomData,
        }
    }

    /// The next event; `None` once the stream has ended. A modelled error from the server ends
    /// the stream and is returned once.
    pub async fn next(&mut self) -> Option<Result<T, IpcError>> {
        self.next_as::<T>().await
    }

    /// The next event read as `U` instead of the operation's own event type: for a subscriber
    /// that wants part of an event, or wants it without a generic JSON tree. `None` and errors
    /// as [`Subscription::next`].
    pub async fn next_as<U: serde::de::DeserializeOwned>(&mut self) -> Option<Result<U, IpcError>> {
        let msg = self.events.recv().await?;
        if msg.message_type == MessageType::ApplicationError {
            return Some(Err(IpcError::from_error_payload(
                msg.model_type.as_deref(),
                &msg.payload,
            )));
        }
        Some(super::decode(self.shape, &msg.payload))
    }
}

impl<T> Drop for Subscription<T> {
    fn drop(&mut self) {
        // Best effort: if the driver's queue is full the stream ends when the connection does.
        let _ = self.outgoing.try_send(Outgoing::Close { key: self.key });
    }
}
