//! A tiny nucleus: a configuration store, an UpdateState recorder and a pub/sub recorder.

use ggipc::IpcError;
use ggipc::server::{Call, EventSink, Handler, HandlerFuture, Reply, Server, ServerLimits};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How long any wait in these tests may take before it counts as a failure.
pub const WAIT: Duration = Duration::from_secs(5);

#[derive(Debug, Default)]
struct State {
    config: Value,
    reads: usize,
    states: Vec<String>,
    published: Vec<(String, Value)>,
    sinks: Vec<EventSink>,
}

/// The fake nucleus, shared between the server task and the test.
#[derive(Debug)]
pub struct Gg {
    component: &'static str,
    state: Mutex<State>,
    bump: watch::Sender<u64>,
}

impl Gg {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    fn touched(&self) {
        self.bump.send_modify(|n| *n += 1);
    }

    /// Replaces the configuration without telling anyone.
    pub fn set_config(&self, value: Value) {
        self.lock().config = value;
    }

    /// Replaces the configuration and sends an update event to every subscriber.
    pub fn update_config(&self, value: Value) {
        self.set_config(value);
        self.notify();
    }

    /// Sends a configuration update event without changing anything.
    pub fn notify(&self) {
        let event =
            json!({"configurationUpdateEvent": {"componentName": self.component, "keyPath": []}});
        for sink in &self.lock().sinks {
            sink.send("aws.greengrass#ConfigurationUpdateEvents", &event);
        }
    }

    /// How many times the configuration was read.
    pub fn reads(&self) -> usize {
        self.lock().reads
    }

    /// Every state reported so far, in order.
    pub fn states(&self) -> Vec<String> {
        self.lock().states.clone()
    }

    /// Every message published on `topic` so far.
    pub fn published_on(&self, topic: &str) -> Vec<Value> {
        self.lock()
            .published
            .iter()
            .filter(|(t, _)| t == topic)
            .map(|(_, m)| m.clone())
            .collect()
    }

    /// Waits until `check` holds, or panics after [`WAIT`] naming `what`.
    pub async fn wait_until(&self, what: &str, check: impl Fn(&Gg) -> bool) {
        let mut rx = self.bump.subscribe();
        let deadline = tokio::time::Instant::now() + WAIT;
        while !check(self) {
            if tokio::time::timeout_at(deadline, rx.changed())
                .await
                .is_err()
            {
                panic!("timed out waiting for {what}; states: {:?}", self.states());
            }
        }
    }

    /// Waits until the reported states are exactly `want`.
    pub async fn wait_states(&self, want: &[&str]) {
        self.wait_until(&format!("states {want:?}"), |gg| gg.states() == want)
            .await;
    }

    fn serve(&self, call: Call) -> Result<Reply, IpcError> {
        let body: Value = serde_json::from_slice(&call.payload).unwrap_or(Value::Null);
        let reply = match call.operation.as_str() {
            "GetConfiguration" => {
                let mut state = self.lock();
                state.reads += 1;
                Reply::Unary(
                    json!({"componentName": self.component, "value": state.config.clone()}),
                )
            }
            "SubscribeToConfigurationUpdate" => {
                self.lock().sinks.push(call.events);
                Reply::Stream(json!({}))
            }
            "UpdateState" => {
                let state = body["state"].as_str().unwrap_or("?").to_owned();
                self.lock().states.push(state);
                Reply::Unary(json!({}))
            }
            "PublishToTopic" => {
                let topic = body["topic"].as_str().unwrap_or("?").to_owned();
                let message = body["publishMessage"]["jsonMessage"]["message"].clone();
                self.lock().published.push((topic, message));
                Reply::Unary(json!({}))
            }
            other => return Err(IpcError::UnsupportedOperation(other.to_owned())),
        };
        Ok(reply)
    }
}

/// Adapter so the server can hold the shared `Gg`.
struct Shared(Arc<Gg>);

impl Handler for Shared {
    fn authenticate(&self, _token: &str) -> Option<Arc<str>> {
        Some(Arc::from(self.0.component))
    }

    fn handle(&self, call: Call) -> HandlerFuture {
        let result = self.0.serve(call);
        self.0.touched();
        Box::pin(async move { result })
    }
}

/// A running fake nucleus on a socket in a temp dir.
#[derive(Debug)]
pub struct Nucleus {
    pub gg: Arc<Gg>,
    pub socket: PathBuf,
    _dir: tempfile::TempDir,
    server: JoinHandle<()>,
}

impl Nucleus {
    /// The component's work folder (the temp folder that also holds the socket).
    pub fn work_dir(&self) -> PathBuf {
        self._dir.path().to_owned()
    }

    /// Binds the socket and serves `component` with `config`.
    pub fn start(component: &'static str, config: Value) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("ipc.socket");
        let server = Server::bind(&socket, ServerLimits::default()).unwrap();
        let gg = Arc::new(Gg {
            component,
            state: Mutex::new(State {
                config,
                ..State::default()
            }),
            bump: watch::channel(0).0,
        });
        let server = tokio::spawn(server.serve(Arc::new(Shared(gg.clone()))));
        Self {
            gg,
            socket,
            _dir: dir,
            server,
        }
    }
}

impl Drop for Nucleus {
    fn drop(&mut self) {
        self.server.abort();
    }
}
