//! One client connection: handshake, stream bookkeeping, dispatch to the handler.

use super::{Call, EventSink, Handler, Reply, ServerLimits, ServerStats};
use crate::error::IpcError;
use crate::frame::{FrameError, encode, read_frame};
use crate::operation::{request_shape, response_shape};
use crate::rpc::{
    FLAG_CONNECTION_ACCEPTED, FLAG_TERMINATE_STREAM, MessageType, PROTOCOL_VERSION, RpcMessage,
};
use bytes::Bytes;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::io::AsyncWriteExt;
use tokio::net::UnixStream;
use tokio::sync::{mpsc, watch};

/// The AWS C server's text for anything before (or a second) CONNECT.
pub const CONNECT_REQUIRED: &str = "A CONNECT message must be received, and the CONNECT_ACK must be sent in response, before any other message-types can be sent on this connection. In addition, only one CONNECT message is allowed on a connection.";
const STREAM_ID_GAP: &str = "stream-id values must be monotonically incrementing. A new stream-id arrived that was incremented by more than 1.";
const NO_OPERATION: &str =
    "The first message for on a non-zero :stream-id must contain an operation header value.";

enum Outcome {
    Continue,
    Close(String),
}

pub(super) async fn serve<H: Handler>(
    stream: UnixStream,
    handler: Arc<H>,
    limits: ServerLimits,
    stats: Arc<ServerStats>,
    mut stop: watch::Receiver<bool>,
) {
    let (rd, mut wr) = stream.into_split();
    let mut rd = tokio::io::BufReader::with_capacity(16 * 1024, rd);
    let (tx, mut rx) = mpsc::channel::<RpcMessage>(limits.write_queue);
    let writer = tokio::spawn(async move {
        let mut buf = Vec::with_capacity(16 * 1024);
        'outer: while let Some(first) = rx.recv().await {
            // Coalesce whatever is already queued into one write: one syscall per burst.
            let mut next = Some(first);
            let mut last_word = false;
            while let Some(msg) = next.take() {
                if let Ok(frame) = encode(&msg.to_message()) {
                    buf.extend_from_slice(&frame);
                }
                // A protocol error is the last word on a connection.
                if msg.message_type == MessageType::ProtocolError {
                    last_word = true;
                    break;
                }
                if buf.len() < 64 * 1024 {
                    next = rx.try_recv().ok();
                }
            }
            if wr.write_all(&buf).await.is_err() {
                break 'outer;
            }
            buf.clear();
            if last_word {
                break;
            }
        }
        let _ = wr.shutdown().await;
    });
    let component = match handshake(&mut rd, &tx, &*handler, &limits).await {
        Ok(component) => component,
        Err(reason) => {
            tracing::debug!(reason = %reason, "IPC handshake failed.");
            ServerStats::bump(&stats.rejected_connects);
            drop(tx);
            let _ = writer.await;
            return;
        }
    };
    let mut conn = Connection {
        component,
        handler,
        tx: tx.clone(),
        streams: HashMap::new(),
        last_id: 0,
        stats: stats.clone(),
    };
    let reason = loop {
        let next = tokio::select! {
            next = read_frame(&mut rd, limits.max_frame_bytes) => next,
            _ = stop.wait_for(|stopped| *stopped) => break None,
        };
        let frame = match next {
            Ok(Some(frame)) => frame,
            Ok(None) => break None,
            Err(FrameError::Io(e)) => break Some(format!("socket error: {e}")),
            Err(e) => break Some(protocol_error(&tx, &e.to_string()).await),
        };
        let msg = match RpcMessage::from_message(&frame) {
            Ok(msg) => msg,
            Err(e) => break Some(protocol_error(&tx, &e.to_string()).await),
        };
        match conn.on_message(msg).await {
            Outcome::Continue => {}
            Outcome::Close(reason) => break Some(reason),
        }
    };
    if let Some(reason) = &reason {
        ServerStats::bump(&stats.protocol_errors);
        tracing::warn!(component = %conn.component, reason = %reason, "Closed an IPC connection after a protocol error.");
    }
    conn.close_all();
    drop(conn);
    drop(tx);
    let _ = writer.await;
}

async fn protocol_error(tx: &mpsc::Sender<RpcMessage>, text: &str) -> String {
    let msg = RpcMessage::json(
        MessageType::ProtocolError,
        0,
        0,
        None,
        Bytes::from(json!({ "message": text }).to_string()),
    );
    let _ = tx.send(msg).await;
    text.to_owned()
}

async fn handshake<H: Handler, R: tokio::io::AsyncRead + Unpin>(
    rd: &mut R,
    tx: &mpsc::Sender<RpcMessage>,
    handler: &H,
    limits: &ServerLimits,
) -> Result<Arc<str>, String> {
    let first = tokio::time::timeout(
        limits.handshake_timeout,
        read_frame(rd, limits.max_frame_bytes),
    )
    .await
    .map_err(|_| "no CONNECT before the handshake timeout".to_owned())?;
    let frame = match first {
        Ok(Some(frame)) => frame,
        Ok(None) => return Err("closed before CONNECT".into()),
        Err(FrameError::Io(e)) => return Err(e.to_string()),
        Err(e) => return Err(protocol_error(tx, &e.to_string()).await),
    };
    let msg = RpcMessage::from_message(&frame).map_err(|e| e.to_string())?;
    if msg.message_type != MessageType::Connect {
        return Err(protocol_error(tx, CONNECT_REQUIRED).await);
    }
    let reject = |why: String| async move {
        let _ = tx
            .send(RpcMessage::new(MessageType::ConnectAck, 0, 0))
            .await;
        Err(why)
    };
    if msg.version.as_deref() != Some(PROTOCOL_VERSION) {
        return reject(format!("unsupported :version {:?}", msg.version)).await;
    }
    let token = serde_json::from_slice::<serde_json::Value>(&msg.payload)
        .ok()
        .and_then(|v| {
            v.get("authToken")
                .and_then(|t| t.as_str())
                .map(str::to_owned)
        });
    let Some(component) = token.as_deref().and_then(|t| handler.authenticate(t)) else {
        return reject("unknown or missing authToken".into()).await;
    };
    tx.send(RpcMessage::new(
        MessageType::ConnectAck,
        FLAG_CONNECTION_ACCEPTED,
        0,
    ))
    .await
    .map_err(|_| "writer gone".to_owned())?;
    Ok(component)
}

struct Connection<H> {
    component: Arc<str>,
    handler: Arc<H>,
    tx: mpsc::Sender<RpcMessage>,
    /// Open streams and the switch that tells their sinks they are closed.
    streams: HashMap<i32, Arc<watch::Sender<bool>>>,
    last_id: i32,
    stats: Arc<ServerStats>,
}

impl<H: Handler> Connection<H> {
    async fn on_message(&mut self, msg: RpcMessage) -> Outcome {
        if msg.stream_id == 0 {
            return match msg.message_type {
                MessageType::Ping => {
                    // Echo like the Java nucleus: the payload and every non-reserved header.
                    let mut pong = RpcMessage::new(MessageType::PingResponse, 0, 0);
                    pong.other_headers = msg.other_headers;
                    pong.payload = msg.payload;
                    let _ = self.tx.send(pong).await;
                    Outcome::Continue
                }
                MessageType::PingResponse => Outcome::Continue,
                MessageType::Connect => {
                    Outcome::Close(protocol_error(&self.tx, CONNECT_REQUIRED).await)
                }
                other => Outcome::Close(
                    protocol_error(&self.tx, &format!("unexpected {other:?} on stream 0")).await,
                ),
            };
        }
        if msg.stream_id < 0 {
            return Outcome::Close(protocol_error(&self.tx, "negative :stream-id").await);
        }
        if msg.stream_id > self.last_id {
            return self.open_stream(msg).await;
        }
        if let Some(closed) = self.streams.get(&msg.stream_id) {
            if msg.terminates() {
                let _ = closed.send(true);
                self.streams.remove(&msg.stream_id);
            }
            // Our operations take no further client messages; anything else is ignored.
            return Outcome::Continue;
        }
        if msg.terminates() {
            return Outcome::Continue;
        }
        Outcome::Close(
            protocol_error(
                &self.tx,
                &format!("message on closed stream {}", msg.stream_id),
            )
            .await,
        )
    }

    async fn open_stream(&mut self, msg: RpcMessage) -> Outcome {
        if msg.stream_id != self.last_id + 1 {
            return Outcome::Close(protocol_error(&self.tx, STREAM_ID_GAP).await);
        }
        let Some(operation) = msg.operation.clone() else {
            return Outcome::Close(protocol_error(&self.tx, NO_OPERATION).await);
        };
        if msg.message_type != MessageType::ApplicationMessage {
            return Outcome::Close(
                protocol_error(
                    &self.tx,
                    "a new stream must start with an APPLICATION_MESSAGE",
                )
                .await,
            );
        }
        self.last_id = msg.stream_id;
        let id = msg.stream_id;
        if self.streams.len() >= 64 && self.streams.len().is_power_of_two() {
            // Unary streams close themselves; forget them so long-lived connections stay small.
            self.streams.retain(|_, closed| !*closed.borrow());
        }
        let (closed_tx, closed_rx) = watch::channel(false);
        let closed_tx = Arc::new(closed_tx);
        self.streams.insert(id, closed_tx.clone());
        let sink = EventSink::new(id, self.tx.clone(), closed_rx);
        let tx = self.tx.clone();
        let short = operation.strip_prefix("aws.greengrass#").map(str::to_owned);
        let Some(short) = short else {
            send_unsupported(&tx, id, &operation).await;
            self.streams.remove(&id);
            return Outcome::Continue;
        };
        if let Some(model) = &msg.model_type
            && *model != request_shape(&short)
        {
            {
                let err = IpcError::modelled(
                    crate::ErrorKind::InvalidArgumentsError,
                    format!(
                        "service-model-type {model} does not match operation {operation} (expected {})",
                        request_shape(&short)
                    ),
                );
                send_error(&tx, id, &err).await;
                self.streams.remove(&id);
                return Outcome::Continue;
            }
        }
        ServerStats::bump(&self.stats.calls);
        let call = Call {
            component: self.component.clone(),
            operation: short.clone(),
            payload: msg.payload,
            events: sink.clone(),
        };
        let future = self.handler.handle(call);
        tokio::spawn(async move {
            match future.await {
                Ok(Reply::Unary(value)) => {
                    let body = Bytes::from(value.to_string());
                    let reply = RpcMessage::json(
                        MessageType::ApplicationMessage,
                        FLAG_TERMINATE_STREAM,
                        id,
                        Some(&response_shape(&short)),
                        body,
                    );
                    let _ = tx.send(reply).await;
                    let _ = closed_tx.send(true);
                }
                Ok(Reply::Stream(value)) => {
                    let body = Bytes::from(value.to_string());
                    let reply = RpcMessage::json(
                        MessageType::ApplicationMessage,
                        0,
                        id,
                        Some(&response_shape(&short)),
                        body,
                    );
                    let _ = tx.send(reply).await;
                    sink.activate();
                }
                Err(IpcError::UnsupportedOperation(_)) => {
                    send_unsupported(&tx, id, &operation).await;
                    let _ = closed_tx.send(true);
                }
                Err(err) => {
                    send_error(&tx, id, &err).await;
                    let _ = closed_tx.send(true);
                }
            }
        });
        Outcome::Continue
    }

    fn close_all(&mut self) {
        for (_, closed) in self.streams.drain() {
            let _ = closed.send(true);
        }
    }
}

async fn send_unsupported(tx: &mpsc::Sender<RpcMessage>, id: i32, operation: &str) {
    let body = json!({
        "error": "Unsupported Operation",
        "message": format!("{operation} is an unsupported operation."),
    });
    let msg = RpcMessage::json(
        MessageType::ApplicationError,
        FLAG_TERMINATE_STREAM,
        id,
        None,
        Bytes::from(body.to_string()),
    );
    let _ = tx.send(msg).await;
}

async fn send_error(tx: &mpsc::Sender<RpcMessage>, id: i32, err: &IpcError) {
    let (kind, message, fields) = match err {
        IpcError::Modelled {
            kind,
            message,
            fields,
        } => (*kind, message.clone(), fields.clone()),
        other => (
            crate::ErrorKind::ServiceError,
            other.to_string(),
            serde_json::Map::new(),
        ),
    };
    let body = IpcError::to_payload(kind, &message, &fields);
    let msg = RpcMessage::json(
        MessageType::ApplicationError,
        FLAG_TERMINATE_STREAM,
        id,
        Some(&kind.model_type()),
        Bytes::from(body.to_string()),
    );
    let _ = tx.send(msg).await;
}
