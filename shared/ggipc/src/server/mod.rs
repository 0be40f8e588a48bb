//! The IPC server the local runtime serves on its Unix socket. Protocol rules (handshake,
//! stream-id order, TERMINATE, ping echo, error shapes) follow the Java nucleus; what each
//! operation does is up to the [`Handler`].

mod connection;
mod sink;

pub use sink::EventSink;

use crate::error::IpcError;
use bytes::Bytes;
use serde_json::Value;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::net::UnixListener;

/// A boxed handler future.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<Reply, IpcError>> + Send + 'static>>;

/// One operation call from an authenticated component.
#[derive(Debug)]
pub struct Call {
    /// The caller, as resolved from its SVCUID.
    pub component: Arc<str>,
    /// Operation name without the `aws.greengrass#` prefix.
    pub operation: String,
    /// The request JSON.
    pub payload: Bytes,
    /// Where a streaming operation sends its events.
    pub events: EventSink,
}

/// What the handler answers.
#[derive(Debug)]
pub enum Reply {
    /// A unary response; the stream ends with it.
    Unary(Value),
    /// The response of a streaming operation; the stream stays open for events.
    Stream(Value),
}

/// Operation semantics, supplied by the runtime.
pub trait Handler: Send + Sync + 'static {
    /// Maps an `authToken` to a component name, or rejects it.
    fn authenticate(&self, token: &str) -> Option<Arc<str>>;
    /// Serves one call.
    fn handle(&self, call: Call) -> HandlerFuture;
}

/// Protocol limits of the server.
#[derive(Debug, Clone)]
pub struct ServerLimits {
    /// Largest frame accepted.
    pub max_frame_bytes: usize,
    /// A client that sends no CONNECT within this time is dropped.
    pub handshake_timeout: Duration,
    /// Frames queued per connection before events are dropped for that client.
    pub write_queue: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            max_frame_bytes: crate::frame::DEFAULT_MAX_FRAME_BYTES,
            handshake_timeout: Duration::from_secs(10),
            write_queue: 8192,
        }
    }
}

/// Counters for the runtime's metrics and status view.
#[derive(Debug, Default)]
pub struct ServerStats {
    /// Connections accepted.
    pub connections: AtomicU64,
    /// Connections closed for a protocol violation or malformed frame.
    pub protocol_errors: AtomicU64,
    /// CONNECTs rejected.
    pub rejected_connects: AtomicU64,
    /// Operations served.
    pub calls: AtomicU64,
}

impl ServerStats {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// A bound IPC server.
#[derive(Debug)]
pub struct Server {
    listener: UnixListener,
    path: PathBuf,
    limits: ServerLimits,
    stats: Arc<ServerStats>,
}

impl Server {
    /// Binds the socket, replacing a stale one left by a previous run.
    pub fn bind(path: &Path, limits: ServerLimits) -> std::io::Result<Self> {
        if path.exists() {
            std::fs::remove_file(path)?;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let listener = UnixListener::bind(path)?;
        Ok(Self {
            listener,
            path: path.to_owned(),
            limits,
            stats: Arc::new(ServerStats::default()),
        })
    }

    /// The socket path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Shared counters.
    pub fn stats(&self) -> Arc<ServerStats> {
        self.stats.clone()
    }

    /// Accepts connections forever; each runs on its own task so a broken client never
    /// affects another.
    pub async fn serve<H: Handler>(self, handler: Arc<H>) {
        self.serve_until(handler, std::future::pending()).await
    }

    /// Accepts connections until `stop` resolves, then closes every open connection.
    pub async fn serve_until<H: Handler>(
        self,
        handler: Arc<H>,
        stop: impl Future<Output = ()> + Send,
    ) {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        tokio::pin!(stop);
        loop {
            let accepted = tokio::select! {
                _ = &mut stop => break,
                accepted = self.listener.accept() => accepted,
            };
            match accepted {
                Ok((stream, _)) => {
                    ServerStats::bump(&self.stats.connections);
                    let handler = handler.clone();
                    let limits = self.limits.clone();
                    let stats = self.stats.clone();
                    let stop = stop_rx.clone();
                    tokio::spawn(connection::serve(stream, handler, limits, stats, stop));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "IPC accept failed.");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
        let _ = stop_tx.send(true);
        let _ = std::fs::remove_file(&self.path);
    }
}
