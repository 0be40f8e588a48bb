//! A small in-test handler: enough semantics to drive the client and the protocol rules.

use ggipc::model::{PublishToTopicRequest, SubscribeToTopicRequest};
use ggipc::server::{Call, EventSink, Handler, HandlerFuture, Reply, Server, ServerLimits};
use ggipc::{ErrorKind, IpcError};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const TOKEN: &str = "GOODTOKEN0000001";

#[derive(Default)]
pub struct TestHandler {
    subscribers: Mutex<Vec<(String, EventSink)>>,
    pub states: Mutex<Vec<String>>,
}

impl Handler for TestHandler {
    fn authenticate(&self, token: &str) -> Option<Arc<str>> {
        (token == TOKEN).then(|| Arc::from("test.Component"))
    }

    fn handle(&self, call: Call) -> HandlerFuture {
        let result = self.dispatch(call);
        Box::pin(async move { result })
    }
}

impl TestHandler {
    fn dispatch(&self, call: Call) -> Result<Reply, IpcError> {
        let bad = |e: serde_json::Error| {
            IpcError::modelled(ErrorKind::InvalidArgumentsError, e.to_string())
        };
        match call.operation.as_str() {
            "PublishToTopic" => {
                let req: PublishToTopicRequest =
                    serde_json::from_slice(&call.payload).map_err(bad)?;
                let event = req.publish_message.with_topic(&req.topic);
                let subs = self.subscribers.lock().unwrap();
                for (topic, sink) in subs.iter() {
                    if *topic == req.topic {
                        sink.send("aws.greengrass#SubscriptionResponseMessage", &event);
                    }
                }
                Ok(Reply::Unary(json!({})))
            }
            "SubscribeToTopic" => {
                let req: SubscribeToTopicRequest =
                    serde_json::from_slice(&call.payload).map_err(bad)?;
                self.subscribers
                    .lock()
                    .unwrap()
                    .push((req.topic, call.events));
                Ok(Reply::Stream(json!({})))
            }
            "GetConfiguration" => Err(IpcError::modelled(
                ErrorKind::ResourceNotFoundError,
                "Key not found",
            )),
            "UpdateState" => {
                let v: serde_json::Value = serde_json::from_slice(&call.payload).map_err(bad)?;
                self.states
                    .lock()
                    .unwrap()
                    .push(v["state"].as_str().unwrap_or_default().to_owned());
                Ok(Reply::Unary(json!({})))
            }
            other => Err(IpcError::UnsupportedOperation(other.to_owned())),
        }
    }

    pub fn live_subscribers(&self) -> usize {
        self.subscribers
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, s)| !s.is_closed())
            .count()
    }
}

pub struct Running {
    pub _dir: tempfile::TempDir,
    pub path: PathBuf,
    pub handler: Arc<TestHandler>,
    pub _task: tokio::task::JoinHandle<()>,
}

pub fn limits() -> ServerLimits {
    ServerLimits {
        max_frame_bytes: 64 * 1024,
        handshake_timeout: Duration::from_millis(300),
        write_queue: 1024,
    }
}

pub fn start_at(path: &Path, handler: Arc<TestHandler>) -> tokio::task::JoinHandle<()> {
    start_stoppable(path, handler, std::future::pending())
}

pub fn start_stoppable(
    path: &Path,
    handler: Arc<TestHandler>,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    let server = Server::bind(path, limits()).unwrap();
    tokio::spawn(server.serve_until(handler, stop))
}

pub fn start() -> Running {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ipc.socket");
    let handler = Arc::new(TestHandler::default());
    let task = start_at(&path, handler.clone());
    Running {
        _dir: dir,
        path,
        handler,
        _task: task,
    }
}
