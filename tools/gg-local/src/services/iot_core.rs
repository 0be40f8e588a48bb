//! PublishToIoTCore / SubscribeToIoTCore: bridged to a real MQTT broker over mutual TLS (as the
//! nucleus talks to AWS IoT Core), or to a local JSON-lines file when no broker is configured.

use anyhow::Context;
use edge_model::TopicFilter;
use ggipc::model::{IoTCoreMessage, MqttMessage, Qos};
use ggipc::server::EventSink;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// Event shape of SubscribeToIoTCore.
pub const EVENT_SHAPE: &str = "aws.greengrass#IoTCoreMessage";

/// Broker settings (`iotCore` in the runtime configuration).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BrokerConfig {
    /// Host name of the broker (`localhost` for mosquitto in tests).
    pub host: String,
    /// TLS port (8883).
    #[serde(default = "default_port")]
    pub port: u16,
    /// CA that signed the broker's certificate.
    pub ca_file: PathBuf,
    /// The device certificate.
    pub cert_file: PathBuf,
    /// The device key.
    pub key_file: PathBuf,
    /// MQTT client id; defaults to the thing name.
    #[serde(default)]
    pub client_id: Option<String>,
}

fn default_port() -> u16 {
    8883
}

#[derive(Debug)]
struct Watcher {
    filter: TopicFilter,
    sink: EventSink,
}

enum Backend {
    File(tokio::sync::Mutex<tokio::fs::File>, PathBuf),
    Mqtt(rumqttc::AsyncClient),
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Backend::File(_, p) => write!(f, "File({})", p.display()),
            Backend::Mqtt(_) => write!(f, "Mqtt"),
        }
    }
}

/// The IoT Core side of the runtime.
#[derive(Debug)]
pub struct IotCore {
    backend: Backend,
    watchers: Arc<Mutex<Vec<Watcher>>>,
    acks: Arc<Mutex<SubAcks>>,
}

/// How long SubscribeToIoTCore waits for the broker's SUBACK before answering anyway (offline:
/// the subscription is made when the connection comes back).
const SUBACK_WAIT: Duration = Duration::from_secs(5);

/// Matches SUBACKs to SubscribeToIoTCore calls. rumqttc numbers packets itself and reports each
/// outgoing SUBSCRIBE in request order, so requests queue here until their packet id is known.
#[derive(Debug, Default)]
struct SubAcks {
    /// One entry per `subscribe` handed to rumqttc, in order; `None` for our own resubscribes.
    queued: std::collections::VecDeque<Option<tokio::sync::oneshot::Sender<bool>>>,
    by_packet: std::collections::HashMap<u16, tokio::sync::oneshot::Sender<bool>>,
}

impl SubAcks {
    fn sent(&mut self, packet_id: u16) {
        if let Some(Some(waiter)) = self.queued.pop_front() {
            self.by_packet.insert(packet_id, waiter);
        }
    }

    fn acked(&mut self, ack: &rumqttc::SubAck) {
        if let Some(waiter) = self.by_packet.remove(&ack.pkid) {
            let granted = ack
                .return_codes
                .iter()
                .all(|c| !matches!(c, rumqttc::SubscribeReasonCode::Failure));
            let _ = waiter.send(granted);
        }
    }

    /// A dropped connection loses in-flight packets; waiters fall back to the timeout path.
    fn reset(&mut self) {
        self.queued.clear();
        self.by_packet.clear();
    }
}

fn qos(q: Qos) -> rumqttc::QoS {
    match q {
        Qos::AtMostOnce => rumqttc::QoS::AtMostOnce,
        Qos::AtLeastOnce => rumqttc::QoS::AtLeastOnce,
    }
}

fn tls_config(cfg: &BrokerConfig) -> anyhow::Result<rustls::ClientConfig> {
    let read = |p: &Path| std::fs::read(p).with_context(|| format!("cannot read {}", p.display()));
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut read(&cfg.ca_file)?.as_slice()) {
        roots
            .add(cert.with_context(|| format!("bad PEM in {}", cfg.ca_file.display()))?)
            .with_context(|| format!("unusable CA in {}", cfg.ca_file.display()))?;
    }
    let chain = rustls_pemfile::certs(&mut read(&cfg.cert_file)?.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("bad PEM in {}", cfg.cert_file.display()))?;
    let key = rustls_pemfile::private_key(&mut read(&cfg.key_file)?.as_slice())
        .with_context(|| format!("bad PEM in {}", cfg.key_file.display()))?
        .with_context(|| format!("no private key in {}", cfg.key_file.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .context("device certificate and key do not match")
}

impl IotCore {
    /// Appends every publish to `path` (one JSON object per line).
    pub async fn file_sink(path: &Path) -> anyhow::Result<Self> {
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        let file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .await
            .with_context(|| format!("cannot open IoT Core sink {}", path.display()))?;
        Ok(Self {
            backend: Backend::File(tokio::sync::Mutex::new(file), path.to_owned()),
            watchers: Arc::default(),
            acks: Arc::default(),
        })
    }

    /// Connects to a broker with mutual TLS; the connection is retried forever in the
    /// background, as the nucleus does for IoT Core.
    pub fn mqtt(cfg: &BrokerConfig, thing_name: &str) -> anyhow::Result<Self> {
        let client_id = cfg
            .client_id
            .clone()
            .unwrap_or_else(|| thing_name.to_owned());
        let mut opts = rumqttc::MqttOptions::new(client_id, cfg.host.clone(), cfg.port);
        opts.set_keep_alive(Duration::from_secs(30));
        opts.set_max_packet_size(132_000, 132_000);
        opts.set_transport(rumqttc::Transport::tls_with_config(
            rumqttc::TlsConfiguration::Rustls(Arc::new(tls_config(cfg)?)),
        ));
        let (client, mut events) = rumqttc::AsyncClient::new(opts, 1024);
        let watchers: Arc<Mutex<Vec<Watcher>>> = Arc::default();
        let acks: Arc<Mutex<SubAcks>> = Arc::default();
        let deliver_to = watchers.clone();
        let resubscribe = client.clone();
        let loop_acks = acks.clone();
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(100);
            loop {
                match events.poll().await {
                    Ok(rumqttc::Event::Incoming(rumqttc::Packet::Publish(p))) => {
                        deliver(&deliver_to, &p.topic, p.payload.to_vec(), p.retain);
                    }
                    Ok(rumqttc::Event::Incoming(rumqttc::Packet::ConnAck(_))) => {
                        tracing::info!("Connected to the IoT Core broker.");
                        backoff = Duration::from_millis(100);
                        resubscribe_all(&deliver_to, &resubscribe, &loop_acks);
                    }
                    Ok(rumqttc::Event::Outgoing(rumqttc::Outgoing::Subscribe(packet_id))) => {
                        lock(&loop_acks).sent(packet_id);
                    }
                    Ok(rumqttc::Event::Incoming(rumqttc::Packet::SubAck(ack))) => {
                        lock(&loop_acks).acked(&ack);
                    }
                    Ok(_) => {}
                    Err(e) => {
                        lock(&loop_acks).reset();
                        tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "IoT Core broker connection failed.");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(30));
                    }
                }
            }
        });
        Ok(Self {
            backend: Backend::Mqtt(client),
            watchers,
            acks,
        })
    }

    /// PublishToIoTCore.
    pub async fn publish(
        &self,
        topic: &str,
        q: Qos,
        payload: &[u8],
        retain: bool,
    ) -> anyhow::Result<()> {
        match &self.backend {
            Backend::Mqtt(client) => client
                .publish(topic, qos(q), retain, payload.to_vec())
                .await
                .context("IoT Core publish queue closed"),
            Backend::File(file, path) => {
                let line = serde_json::json!({
                    "topic": topic,
                    "qos": if q == Qos::AtMostOnce { 0 } else { 1 },
                    "retain": retain,
                    "payload": String::from_utf8_lossy(payload),
                    "payloadBase64": ggipc::model::blob::encode(payload),
                    "timeMs": edge_model::time::now_ms(),
                });
                let mut file = file.lock().await;
                file.write_all(format!("{line}\n").as_bytes())
                    .await
                    .with_context(|| format!("cannot write IoT Core sink {}", path.display()))?;
                file.flush().await?;
                Ok(())
            }
        }
    }

    /// SubscribeToIoTCore: answers once the broker granted the subscription (or after
    /// [`SUBACK_WAIT`] while offline); a refusal (for example the broker's ACL) is an error.
    pub async fn subscribe(&self, filter: &str, q: Qos, sink: EventSink) -> anyhow::Result<()> {
        let parsed = TopicFilter::new(filter)
            .map_err(|e| anyhow::anyhow!("invalid topic filter {filter:?}: {e}"))?;
        // Registered first: retained messages arrive right after the SUBACK.
        {
            let mut watchers = lock(&self.watchers);
            watchers.retain(|w| !w.sink.is_closed());
            watchers.push(Watcher {
                filter: parsed,
                sink,
            });
        }
        if let Backend::Mqtt(client) = &self.backend {
            let (tx, rx) = tokio::sync::oneshot::channel();
            {
                // Queue and hand over together, so the order matches rumqttc's packet order.
                let mut acks = lock(&self.acks);
                acks.queued.push_back(Some(tx));
                if client.try_subscribe(filter, qos(q)).is_err() {
                    acks.queued.pop_back();
                    anyhow::bail!("IoT Core subscribe queue is full; try again");
                }
            }
            match tokio::time::timeout(SUBACK_WAIT, rx).await {
                // The IPC stream closes with the error, which drops the watcher with it.
                Ok(Ok(false)) => anyhow::bail!("the broker refused the subscription to {filter}"),
                Ok(Ok(true)) => {}
                _ => tracing::warn!(
                    filter,
                    "No SUBACK yet (broker offline?); the subscription is made when it connects."
                ),
            }
        }
        Ok(())
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn resubscribe_all(
    watchers: &Mutex<Vec<Watcher>>,
    client: &rumqttc::AsyncClient,
    acks: &Mutex<SubAcks>,
) {
    let filters: Vec<String> = lock(watchers)
        .iter()
        .filter(|w| !w.sink.is_closed())
        .map(|w| w.filter.to_string())
        .collect();
    for f in filters {
        // A placeholder keeps the SUBACK bookkeeping in step with rumqttc's packet order.
        lock(acks).queued.push_back(None);
        if client.try_subscribe(f, rumqttc::QoS::AtLeastOnce).is_err() {
            lock(acks).queued.pop_back();
        }
    }
}

fn deliver(watchers: &Mutex<Vec<Watcher>>, topic: &str, payload: Vec<u8>, retain: bool) {
    let event = IoTCoreMessage {
        message: Some(MqttMessage {
            topic_name: topic.to_owned(),
            payload: Some(payload),
            retain: Some(retain),
        }),
    };
    let mut w = watchers.lock().unwrap_or_else(|p| p.into_inner());
    w.retain(|w| !w.sink.is_closed());
    for watcher in w.iter().filter(|w| w.filter.matches(topic)) {
        watcher.sink.send(EVENT_SHAPE, &event);
    }
}
