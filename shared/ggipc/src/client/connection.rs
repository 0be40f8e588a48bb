//! One live socket: the CONNECT handshake, the reader that routes frames to their streams, and
//! the driver that owns the write half, numbers new streams and reconnects when the socket drops.

use super::streams::{Outgoing, Slot, StreamTable};
use crate::error::IpcError;
use crate::frame::{encode, read_frame};
use crate::rpc::{
    FLAG_CONNECTION_ACCEPTED, FLAG_TERMINATE_STREAM, MessageType, PROTOCOL_VERSION, RpcMessage,
};
use bytes::Bytes;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::UnixStream;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{mpsc, oneshot};

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// The IPC socket, possibly relative to the working directory (as the nucleus hands it out).
    pub socket_path: PathBuf,
    /// The component's SVCUID.
    pub auth_token: String,
    /// Largest frame accepted from the server.
    pub max_frame_bytes: usize,
    /// How long one call may wait for its answer, reconnection included.
    pub call_timeout: Duration,
    /// Upper bound of the reconnect backoff.
    pub max_reconnect_backoff: Duration,
}

impl ConnectOptions {
    /// Options for a socket and token, with defaults for the rest.
    pub fn new(socket_path: impl Into<PathBuf>, auth_token: impl Into<String>) -> Self {
        Self {
            socket_path: socket_path.into(),
            auth_token: auth_token.into(),
            max_frame_bytes: crate::frame::DEFAULT_MAX_FRAME_BYTES,
            call_timeout: Duration::from_secs(10),
            max_reconnect_backoff: Duration::from_secs(5),
        }
    }

    /// Reads `AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT` and `SVCUID`, as set by the
    /// nucleus for every component process.
    pub fn from_env() -> Result<Self, IpcError> {
        const SOCKET: &str = "AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT";
        let socket = std::env::var(SOCKET).map_err(|_| IpcError::MissingEnv(SOCKET))?;
        let token = std::env::var("SVCUID").map_err(|_| IpcError::MissingEnv("SVCUID"))?;
        Ok(Self::new(socket, token))
    }
}

/// The CONNECT payload, built the way the Python SDK builds it.
pub(crate) fn connect_payload(token: &str) -> Bytes {
    let quoted = serde_json::to_string(token).unwrap_or_else(|_| "\"\"".into());
    Bytes::from(format!("{{\"authToken\": {quoted}}}"))
}

/// The CONNECT message.
pub fn connect_message(token: &str) -> RpcMessage {
    RpcMessage {
        version: Some(PROTOCOL_VERSION.to_owned()),
        payload: connect_payload(token),
        ..RpcMessage::new(MessageType::Connect, 0, 0)
    }
}

pub(crate) async fn write(wr: &mut OwnedWriteHalf, msg: &RpcMessage) -> Result<(), IpcError> {
    let frame = encode(&msg.to_message()).map_err(|e| IpcError::Protocol(e.to_string()))?;
    wr.write_all(&frame).await?;
    Ok(())
}

/// Connects and completes the handshake.
pub(crate) async fn handshake(
    opts: &ConnectOptions,
) -> Result<(OwnedReadHalf, OwnedWriteHalf), IpcError> {
    let stream = UnixStream::connect(&opts.socket_path).await?;
    let (mut rd, mut wr) = stream.into_split();
    write(&mut wr, &connect_message(&opts.auth_token)).await?;
    let reply = tokio::time::timeout(opts.call_timeout, read_frame(&mut rd, opts.max_frame_bytes))
        .await
        .map_err(|_| IpcError::Timeout(opts.call_timeout))?
        .map_err(|e| IpcError::ConnectionLost(e.to_string()))?
        .ok_or_else(|| IpcError::ConnectionLost("closed before CONNECT_ACK".into()))?;
    let ack = RpcMessage::from_message(&reply).map_err(|e| IpcError::Protocol(e.to_string()))?;
    match ack.message_type {
        MessageType::ConnectAck if ack.flags & FLAG_CONNECTION_ACCEPTED != 0 => Ok((rd, wr)),
        MessageType::ConnectAck => Err(IpcError::AccessDenied),
        other => Err(IpcError::Protocol(format!(
            "expected CONNECT_ACK, got {other:?}: {}",
            String::from_utf8_lossy(&ack.payload)
        ))),
    }
}

/// Reads frames until the socket ends and routes each to its stream.
async fn read_loop(rd: OwnedReadHalf, table: Arc<StreamTable>, cap: usize) -> String {
    let mut rd = tokio::io::BufReader::with_capacity(16 * 1024, rd);
    loop {
        let frame = match read_frame(&mut rd, cap).await {
            Ok(Some(frame)) => frame,
            Ok(None) => return "server closed the connection".into(),
            Err(e) => return e.to_string(),
        };
        let msg = match RpcMessage::from_message(&frame) {
            Ok(msg) => msg,
            Err(e) => return format!("invalid message from server: {e}"),
        };
        match msg.message_type {
            MessageType::ProtocolError | MessageType::InternalError => {
                let text = String::from_utf8_lossy(&msg.payload).into_owned();
                tracing::error!(message = %text, "IPC server reported a protocol error.");
                return format!("server protocol error: {text}");
            }
            MessageType::Ping | MessageType::PingResponse | MessageType::ConnectAck => {}
            MessageType::Connect => return "server sent CONNECT".into(),
            MessageType::ApplicationMessage | MessageType::ApplicationError => {
                table.deliver(msg);
            }
        }
    }
}

/// Owns the connection for the client's lifetime: writes, numbers streams, reconnects.
pub(crate) async fn drive(
    opts: ConnectOptions,
    table: Arc<StreamTable>,
    mut outgoing: mpsc::Receiver<Outgoing>,
    first: (OwnedReadHalf, OwnedWriteHalf),
    reconnects: tokio::sync::watch::Sender<u64>,
) {
    let mut conn = Some(first);
    let mut backoff = Duration::from_millis(50);
    loop {
        let (rd, mut wr) = match conn.take() {
            Some(c) => c,
            None => match handshake(&opts).await {
                Ok(c) => {
                    tracing::info!(socket = %opts.socket_path.display(), "Reconnected to the IPC server.");
                    backoff = Duration::from_millis(50);
                    reconnects.send_modify(|n| *n += 1);
                    c
                }
                Err(e) => {
                    tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "IPC reconnect failed.");
                    tokio::time::sleep(jitter(backoff)).await;
                    backoff = (backoff * 2).min(opts.max_reconnect_backoff);
                    if outgoing.is_closed() {
                        return;
                    }
                    continue;
                }
            },
        };
        let (dead_tx, mut dead_rx) = oneshot::channel();
        let reader_table = table.clone();
        let cap = opts.max_frame_bytes;
        tokio::spawn(async move {
            let reason = read_loop(rd, reader_table, cap).await;
            let _ = dead_tx.send(reason);
        });
        let mut next_id: i32 = 1;
        let mut alive = true;
        let mut buf = Vec::with_capacity(16 * 1024);
        for (key, request) in table.subscriptions_to_reopen() {
            let id = next_id;
            next_id += 1;
            table.register(id, Slot::reopened(key));
            if write(&mut wr, &request.message(id)).await.is_err() {
                alive = false;
                break;
            }
        }
        let reason = loop {
            if !alive {
                break "write failed".to_owned();
            }
            tokio::select! {
                reason = &mut dead_rx => break reason.unwrap_or_default(),
                cmd = outgoing.recv() => match cmd {
                    None => {
                        let _ = wr.shutdown().await;
                        return;
                    }
                    Some(cmd) => {
                        // Coalesce queued commands into one write; ids stay in send order.
                        let mut next = Some(cmd);
                        while let Some(cmd) = next.take() {
                            if let Some(msg) = prepare(cmd, &table, &mut next_id) {
                                buf.extend_from_slice(&encode_frame(&msg));
                            }
                            if buf.len() < 64 * 1024 {
                                next = outgoing.try_recv().ok();
                            }
                        }
                        let written = wr.write_all(&buf).await;
                        buf.clear();
                        if let Err(e) = written {
                            break e.to_string();
                        }
                    }
                },
            }
        };
        tracing::warn!(reason = %reason, "IPC connection lost; reconnecting.");
        table.connection_lost(&reason);
    }
}

/// Turns a command into the message to send, registering new streams on the way.
fn prepare(cmd: Outgoing, table: &StreamTable, next_id: &mut i32) -> Option<RpcMessage> {
    match cmd {
        Outgoing::Open { request, slot } => {
            let id = *next_id;
            *next_id = next_id.saturating_add(1);
            table.register(id, slot);
            Some(request.message(id))
        }
        Outgoing::Close { key } => table
            .forget_subscription(key)
            .map(|id| RpcMessage::new(MessageType::ApplicationMessage, FLAG_TERMINATE_STREAM, id)),
    }
}

fn encode_frame(msg: &RpcMessage) -> Bytes {
    encode(&msg.to_message()).unwrap_or_default()
}

fn jitter(d: Duration) -> Duration {
    let ms = d.as_millis() as u64;
    Duration::from_millis(ms / 2 + fastrand_u64(ms / 2 + 1))
}

/// A tiny xorshift seeded from the clock: jitter needs spread, not quality.
fn fastrand_u64(bound: u64) -> u64 {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(1)
        | 1;
    let mut x = seed;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x % bound.max(1)
}
