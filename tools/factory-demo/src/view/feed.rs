//! Feeds the view: local pub/sub through the runtime's IPC socket (authenticated with the CLI
//! token, as `gg-local sub` does), component states through `ListComponents`, the simulator's
//! status through its control port, and the record count of the local IoT Core stand-in.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::Context;
use ggipc::model::ReceiveMode;
use ggipc::operation::Operation;
use ggipc::{ConnectOptions, IpcClient};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::ViewState;

/// The view state shared by the feeds and the renderers.
#[derive(Debug, Clone, Default)]
pub struct Shared(Arc<Mutex<ViewState>>);

impl Shared {
    /// Locks the state; a poisoned lock still holds usable counts.
    pub fn lock(&self) -> MutexGuard<'_, ViewState> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Where each adapter's configuration lists the devices it reads, keyed by device id. The
/// view asks the runtime rather than waiting for the adapters' status messages: an adapter
/// publishes a link's status only when it changes, usually before the view has subscribed.
const ADAPTER_DEVICES: [(&str, &str); 2] = [
    ("com.smartfactory.ModbusAdapter", "devices"),
    ("com.smartfactory.OpcUaAdapter", "servers"),
];

/// Seconds between readings of the adapters' configurations while the component list stays
/// the same.
const ADAPTER_REREAD_TICKS: u64 = 10;

struct ListComponents;
impl Operation for ListComponents {
    const NAME: &'static str = "ListComponents";
    type Request = Value;
    type Response = Value;
}

/// Connects to the runtime under `root`, waiting for it (the token appears once it is ready).
pub async fn connect(root: &Path, cancel: &CancellationToken) -> anyhow::Result<IpcClient> {
    let token_path = root.join("cli.token");
    let mut warned = false;
    loop {
        if let Ok(token) = std::fs::read_to_string(&token_path) {
            let opts = ConnectOptions::new(root.join("ipc.socket"), token.trim());
            match IpcClient::connect(opts).await {
                Ok(c) => return Ok(c),
                Err(e) if !warned => {
                    eprintln!(
                        "factory-demo: waiting for the runtime in {}: {e}",
                        root.display()
                    );
                    warned = true;
                }
                Err(_) => {}
            }
        }
        tokio::select! {
            () = cancel.cancelled() => anyhow::bail!("stopped before the runtime was ready"),
            () = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
    }
}

/// Subscribes to `filter` and feeds every message into the state until `cancel`.
pub async fn subscribe(
    client: &IpcClient,
    filter: &str,
    shared: Shared,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let mut sub = client
        .subscribe_to_topic(filter, Some(ReceiveMode::ReceiveAllMessages))
        .await
        .with_context(|| format!("cannot subscribe to {filter}"))?;
    loop {
        let event = tokio::select! {
            () = cancel.cancelled() => return Ok(()),
            e = sub.next() => e,
        };
        let Some(event) = event else {
            anyhow::bail!("the runtime closed the subscription to {filter}");
        };
        let event = event?;
        let topic = event.topic().unwrap_or_default().to_owned();
        let body = match (event.json_message, event.binary_message) {
            (Some(j), _) => j.message,
            (_, Some(b)) => serde_json::from_slice(&b.message).unwrap_or(Value::Null),
            _ => Value::Null,
        };
        shared
            .lock()
            .ingest(&topic, &body, edge_model::time::now_epoch_ms());
    }
}

/// Every second: component states, the simulator's status, the cloud stand-ins' record counts
/// and the per-device rates.
pub async fn poll(
    client: &IpcClient,
    sim_control: SocketAddr,
    outbox: PathBuf,
    cloud_dir: PathBuf,
    shared: Shared,
    cancel: CancellationToken,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut last_components = None;
    let mut ticks: u64 = 0;
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        let components = client
            .call::<ListComponents>(&Value::Object(Default::default()))
            .await
            .ok();
        // Adapter configurations change with deployments: read them again when the component
        // list changes, and every ADAPTER_REREAD_TICKS for a configuration-only deployment.
        let changed = components != last_components;
        let adapters = if changed || ticks.is_multiple_of(ADAPTER_REREAD_TICKS) {
            adapter_devices(client).await
        } else {
            Vec::new()
        };
        ticks += 1;
        last_components.clone_from(&components);
        let sim = factory_sim::control::send(sim_control, "status")
            .await
            .ok()
            .and_then(|s| serde_json::from_str::<Value>(&s).ok());
        let records = count_lines(&outbox).await;
        let dir = cloud_dir.clone();
        let landed = tokio::task::spawn_blocking(move || crate::cloud::count(&dir))
            .await
            .unwrap_or_default();
        let now = edge_model::time::now_epoch_ms();
        let mut st = shared.lock();
        if let Some(list) = components {
            st.components = list["components"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| {
                    Some((
                        c["componentName"].as_str()?.to_owned(),
                        c["state"].as_str()?.to_owned(),
                    ))
                })
                .collect();
        }
        for (component, devices) in &adapters {
            st.set_adapter_devices(component, devices);
        }
        st.set_simulator(sim, now);
        st.cloud_records = records;
        st.local_cloud = landed;
        st.refresh_rates(now);
    }
}

/// The devices of each deployed adapter, from its configuration in the runtime; an adapter
/// that is not deployed (the runtime has no configuration for it) is left out.
async fn adapter_devices(client: &IpcClient) -> Vec<(&'static str, Vec<String>)> {
    let mut found = Vec::new();
    for (component, key) in ADAPTER_DEVICES {
        if let Ok(reply) = client.get_configuration(Some(component), &[key]).await
            && let Some(devices) = reply.value.as_object()
        {
            found.push((component, devices.keys().cloned().collect()));
        }
    }
    found
}

async fn count_lines(path: &Path) -> u64 {
    tokio::fs::read(path)
        .await
        .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count() as u64)
}
