//! Dead letters: records that will never be delivered, published with their reason on
//! `factory/dead-letter/{component}` so nothing disappears silently.

use crate::export::envelope;
use crate::store::StoredRecord;
use edge_model::Topic;
use ggipc::IpcClient;
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// Where dead letters go.
#[derive(Debug, Clone)]
pub enum DeadLetters {
    /// Local pub/sub.
    Ipc(IpcClient, Topic),
    /// A channel (tests, tools).
    Channel(mpsc::UnboundedSender<Value>),
}

impl DeadLetters {
    /// Publishes one dead letter; a failure is logged (the record is gone either way).
    pub async fn send(&self, export: &str, store_id: &str, record: &StoredRecord, reason: &str) {
        let message: Value = serde_json::from_slice(&record.payload)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&record.payload).into()));
        let letter = json!({
            "export": export,
            "reason": reason,
            "recordId": envelope::record_id(store_id, record.seq),
            "topic": record.topic,
            "createdMs": record.created_ms,
            "message": message,
        });
        self.publish(letter).await;
    }

    /// Publishes a prepared dead letter (a message no route took).
    pub async fn publish(&self, letter: Value) {
        let result = match self {
            Self::Ipc(ipc, topic) => ipc
                .publish_json(topic.as_str(), letter.clone())
                .await
                .map_err(|e| e.to_string()),
            Self::Channel(tx) => tx.send(letter.clone()).map_err(|e| e.to_string()),
        };
        if let Err(e) = result {
            tracing::error!(error = %e, letter = %letter, "Dead letter could not be published.");
        }
    }
}
