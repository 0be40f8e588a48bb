//! The server side of one open stream: where a handler sends events, and how it learns the
//! client has closed the stream.

use crate::rpc::{MessageType, RpcMessage};
use bytes::Bytes;
use serde::Serialize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, watch};

/// Sends events on one stream. Clone freely; all clones see the same close.
#[derive(Debug, Clone)]
pub struct EventSink {
    stream_id: i32,
    writer: mpsc::Sender<RpcMessage>,
    closed: watch::Receiver<bool>,
    state: Arc<SinkState>,
}

#[derive(Debug, Default)]
struct SinkState {
    /// Events are held back until the stream's response has been queued, so none overtakes it.
    ready: AtomicBool,
    pending: Mutex<Vec<RpcMessage>>,
    dropped: AtomicU64,
}

impl EventSink {
    pub(crate) fn new(
        stream_id: i32,
        writer: mpsc::Sender<RpcMessage>,
        closed: watch::Receiver<bool>,
    ) -> Self {
        Self {
            stream_id,
            writer,
            closed,
            state: Arc::new(SinkState::default()),
        }
    }

    /// The stream id on its connection.
    pub fn stream_id(&self) -> i32 {
        self.stream_id
    }

    /// True once the client closed the stream or the connection dropped.
    pub fn is_closed(&self) -> bool {
        *self.closed.borrow() || self.writer.is_closed()
    }

    /// Resolves when the stream closes.
    pub async fn closed(&self) {
        let mut rx = self.closed.clone();
        let _ = rx.wait_for(|closed| *closed).await;
    }

    /// Events dropped because the client did not read fast enough.
    pub fn dropped(&self) -> u64 {
        self.state.dropped.load(Ordering::Relaxed)
    }

    /// Sends one event of shape `model_type`. Returns false if the stream is closed or the
    /// event was dropped because the connection's queue is full.
    pub fn send<T: Serialize>(&self, model_type: &str, event: &T) -> bool {
        let Ok(payload) = serde_json::to_vec(event) else {
            return false;
        };
        self.send_raw(model_type, Bytes::from(payload))
    }

    /// Sends an already serialised event.
    pub fn send_raw(&self, model_type: &str, payload: Bytes) -> bool {
        if self.is_closed() {
            return false;
        }
        let msg = RpcMessage::json(
            MessageType::ApplicationMessage,
            0,
            self.stream_id,
            Some(model_type),
            payload,
        );
        if !self.state.ready.load(Ordering::Acquire) {
            let mut pending = self.state.pending.lock().unwrap_or_else(|p| p.into_inner());
            if !self.state.ready.load(Ordering::Acquire) {
                pending.push(msg);
                return true;
            }
        }
        self.push(msg)
    }

    fn push(&self, msg: RpcMessage) -> bool {
        match self.writer.try_send(msg) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                let n = self.state.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                if n.is_power_of_two() {
                    tracing::warn!(
                        stream_id = self.stream_id,
                        dropped = n,
                        "IPC client is not reading; events dropped."
                    );
                }
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    /// Called by the connection once the response is queued: flushes held-back events.
    pub(crate) fn activate(&self) {
        let mut pending = self.state.pending.lock().unwrap_or_else(|p| p.into_inner());
        for msg in pending.drain(..) {
            self.push(msg);
        }
        self.state.ready.store(true, Ordering::Release);
    }
}
