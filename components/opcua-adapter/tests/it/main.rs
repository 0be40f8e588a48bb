//! Integration tests of the OPC UA adapter against a real asyncua 2.1.0 server.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod peer;

mod connect;
mod data;
mod e2e;
mod failures;
mod policies;
mod recipe;
mod reconnect;

use component_kit::outlet::ChannelOutlet;
use edge_model::{ComponentStatus, LinkState, Reading, ReadingBatch};
use opcua_adapter::config::{ServerConfig, validate_server};
use opcua_adapter::identity::StaticSecrets;
use opcua_adapter::pki::{AppIdentity, prepare};
use opcua_adapter::runner::{ServerEnv, ServerMetrics, run_server};
use serde_json::{Value as Json, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// A wait for data ends after this; start-ups and reconnects on a loaded machine are slow.
const WAIT: Duration = Duration::from_secs(60);

/// The shared simulator (read-only tests), started once; it exits with the test process.
fn shared_sim() -> &'static peer::Sim {
    static SIM: OnceLock<peer::Sim> = OnceLock::new();
    SIM.get_or_init(|| peer::Sim::start(&tmp("shared-sim-pki"), &[]))
}

/// A folder under the target's temporary directory, emptied.
fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("opcua-it")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A fresh client PKI folder holding a copy of one client certificate (made once: key
/// generation is slow in a debug build).
fn client_pki(name: &str) -> PathBuf {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    let template = TEMPLATE.get_or_init(|| {
        let dir = tmp("client-template");
        prepare(&dir, &app()).unwrap();
        dir
    });
    let dir = tmp(name);
    for sub in ["own", "private"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
        for entry in std::fs::read_dir(template.join(sub)).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), dir.join(sub).join(entry.file_name())).unwrap();
        }
    }
    dir
}

fn app() -> AppIdentity {
    AppIdentity::for_thing("it-gateway")
}

fn secrets() -> StaticSecrets {
    StaticSecrets(Arc::new(HashMap::from([
        (
            "opcua/operator".to_owned(),
            r#"{"password":"operator-pw"}"#.to_owned(),
        ),
        ("opcua/wrong".to_owned(), "not-the-password".to_owned()),
    ])))
}

/// A server configuration on `url` with `extra` keys.
fn server_config(id: &str, url: &str, extra: Json) -> opcua_adapter::server::Server {
    let mut config = json!({
        "endpointUrl": url,
        "publishingIntervalMs": 100,
        "requestTimeoutMs": 5000,
        "reconnectMaxDelayMs": 1000,
        "sampling": {"samplingIntervalMs": 100},
    });
    if let (Some(c), Some(e)) = (config.as_object_mut(), extra.as_object()) {
        c.extend(e.clone());
    }
    let config: ServerConfig = serde_json::from_value(config).unwrap();
    validate_server(id, config).unwrap()
}

/// A running server task and what it publishes.
struct Running {
    rx: mpsc::UnboundedReceiver<(String, Json)>,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

fn run(server: opcua_adapter::server::Server, pki: &Path) -> Running {
    let (tx, rx) = mpsc::unbounded_channel();
    let metrics = component_kit::Metrics::new();
    let env = ServerEnv {
        outlet: ChannelOutlet(tx),
        secrets: secrets(),
        component: edge_model::ComponentName::new("com.smartfactory.OpcUaAdapter").unwrap(),
        gateway: edge_model::GatewayId::new("it-gateway").unwrap(),
        metrics: ServerMetrics::new(&metrics, server.id.as_str()),
        pki_dir: pki.to_path_buf(),
        app: app(),
        first_retry: Duration::from_millis(200),
    };
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(run_server(server, env, shutdown.clone()));
    Running { rx, shutdown, task }
}

/// What came out of a running server.
#[derive(Debug, Default)]
struct Seen {
    readings: Vec<Reading>,
    statuses: Vec<ComponentStatus>,
}

impl Seen {
    fn of(&self, server: &str, point: &str) -> Vec<&Reading> {
        self.readings
            .iter()
            .filter(|r| r.source().device().as_str() == server && r.source().point() == point)
            .collect()
    }

    fn good(&self, server: &str, point: &str) -> usize {
        self.of(server, point)
            .iter()
            .filter(|r| r.quality() == edge_model::Quality::Good)
            .count()
    }

    fn last_status(&self, server: &str) -> Option<&ComponentStatus> {
        self.statuses
            .iter()
            .rev()
            .find(|s| s.device().is_some_and(|d| d.as_str() == server))
    }
}

impl Running {
    /// Collects messages until `done(seen)` holds; panics with what was seen after [`WAIT`].
    async fn until(&mut self, seen: &mut Seen, what: &str, done: impl Fn(&Seen) -> bool) {
        let deadline = Instant::now() + WAIT;
        while !done(seen) {
            let next = tokio::time::timeout_at(deadline, self.rx.recv()).await;
            let Ok(Some((topic, body))) = next else {
                panic!(
                    "{what}: not seen within {WAIT:?}; {} readings, statuses {:?}",
                    seen.readings.len(),
                    seen.statuses
                        .iter()
                        .map(|s| (s.state(), s.detail().map(str::to_owned)))
                        .collect::<Vec<_>>()
                );
            };
            if topic.starts_with("factory/raw/") {
                let batch: ReadingBatch = serde_json::from_value(body).unwrap();
                seen.readings.extend(batch.into_readings());
            } else if topic.starts_with("factory/status/") {
                seen.statuses.push(serde_json::from_value(body).unwrap());
            }
        }
    }

    /// Collects everything for `span`.
    async fn during(&mut self, seen: &mut Seen, span: Duration) {
        let deadline = Instant::now() + span;
        while let Ok(Some((topic, body))) = tokio::time::timeout_at(deadline, self.rx.recv()).await
        {
            if topic.starts_with("factory/raw/") {
                let batch: ReadingBatch = serde_json::from_value(body).unwrap();
                assert!(serde_json::to_vec(&batch).unwrap().len() < 9000);
                seen.readings.extend(batch.into_readings());
            } else if topic.starts_with("factory/status/") {
                seen.statuses.push(serde_json::from_value(body).unwrap());
            }
        }
    }

    /// Stops the task (within 10 s) and checks it says offline last.
    async fn stop(mut self, seen: &mut Seen) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(10), &mut self.task)
            .await
            .expect("server task stops within 10 s")
            .unwrap();
        self.during(seen, Duration::from_millis(50)).await;
        assert!(
            seen.statuses
                .last()
                .is_some_and(|s| s.state() == LinkState::Offline)
        );
    }
}
