//! Where a component's messages go: Greengrass local pub/sub in production, a channel in tests
//! and benchmarks.

use crate::Ctx;
use std::future::Future;
use tokio::sync::mpsc;

/// A publisher of JSON messages on local topics.
pub trait Outlet: Clone + Send + Sync + 'static {
    /// Publishes `body` on `topic`; the error is a readable reason.
    fn publish(
        &self,
        topic: &str,
        body: serde_json::Value,
    ) -> impl Future<Output = Result<(), String>> + Send;
}

/// Greengrass IPC `PublishToTopic`.
#[derive(Debug, Clone)]
pub struct IpcOutlet(pub Ctx);

impl Outlet for IpcOutlet {
    async fn publish(&self, topic: &str, body: serde_json::Value) -> Result<(), String> {
        self.0
            .ipc()
            .publish_json(topic, body)
            .await
            .map_err(|e| e.to_string())
    }
}

/// Sends every message to a channel (tests, tools).
#[derive(Debug, Clone)]
pub struct ChannelOutlet(pub mpsc::UnboundedSender<(String, serde_json::Value)>);

impl Outlet for ChannelOutlet {
    async fn publish(&self, topic: &str, body: serde_json::Value) -> Result<(), String> {
        self.0
            .send((topic.to_owned(), body))
            .map_err(|_| "receiver closed".to_owned())
    }
}
