//! One task per broker: connect (TLS, user name and password when configured), subscribe to the
//! broker's topic filters on every connection (so a broker restart never loses them), decode
//! each message by its subscription, and reconnect forever with capped, jittered backoff.

use crate::decode::decode_message;
use crate::sparkplug::{AliasTables, decode_sparkplug};
use crate::validate::{Broker, Payload, Subscription};
use component_kit::{Backoff, Counter, Metrics, Outlet};
use edge_model::{ComponentName, ComponentStatus, DeviceId, LinkState, Reading, Topic};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Per-broker counters (dimension `Broker`).
#[derive(Debug, Clone)]
pub struct BrokerMetrics {
    /// Messages received.
    pub messages: Counter,
    /// Messages (or Sparkplug metrics) that could not be decoded.
    pub decode_errors: Counter,
    /// Connections lost or refused.
    pub link_failures: Counter,
}

impl BrokerMetrics {
    /// Registers the counters of `broker`.
    pub fn new(metrics: &Metrics, broker: &str) -> Self {
        let dims = [("Broker", broker)];
        Self {
            messages: metrics.counter_with("MessagesReceived", &dims),
            decode_errors: metrics.counter_with("DecodeErrors", &dims),
            link_failures: metrics.counter_with("LinkFailures", &dims),
        }
    }
}

/// What a broker task needs besides its broker.
#[derive(Debug, Clone)]
pub struct BrokerEnv<O> {
    /// Where status messages go.
    pub outlet: O,
    /// This component (status topic).
    pub component: ComponentName,
    /// Default client id prefix: the thing name.
    pub thing_name: String,
    /// The password, read from Secrets Manager at start.
    pub password: Option<String>,
    /// Counters.
    pub metrics: BrokerMetrics,
    /// Reconnect delays.
    pub backoff: Backoff,
}

/// Runs `broker` until `shutdown`; decoded readings go to `readings`.
pub async fn run_broker<O: Outlet>(
    broker: Broker,
    subscriptions: Vec<Subscription>,
    env: BrokerEnv<O>,
    readings: mpsc::Sender<Reading>,
    shutdown: CancellationToken,
) {
    let options = match options(&broker, &env) {
        Ok(o) => o,
        Err(why) => {
            tracing::error!(broker = broker.id, error = %why, "Broker left out: its TLS settings are unusable.");
            status(&env, &broker.id, LinkState::Offline, Some(why)).await;
            return;
        }
    };
    let (client, mut events) = AsyncClient::new(options, 64);
    let mut session = Session {
        broker: &broker,
        subscriptions: &subscriptions,
        env: &env,
        aliases: AliasTables::default(),
        readings: &readings,
    };
    let mut backoff = env.backoff.clone();
    loop {
        let event = tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            e = events.poll() => e,
        };
        match event {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                backoff.reset();
                tracing::info!(
                    broker = broker.id,
                    host = broker.settings.host,
                    port = broker.settings.port,
                    "Broker connected."
                );
                status(&env, &broker.id, LinkState::Online, None).await;
                for sub in &subscriptions {
                    let qos = if sub.qos == 0 {
                        QoS::AtMostOnce
                    } else {
                        QoS::AtLeastOnce
                    };
                    if let Err(e) = client.try_subscribe(sub.filter.as_str(), qos) {
                        tracing::error!(broker = broker.id, subscription = sub.id, error = %e, "Subscribe request failed.");
                    }
                }
            }
            Ok(Event::Incoming(Packet::SubAck(ack))) => {
                let refused = ack
                    .return_codes
                    .iter()
                    .filter(|c| matches!(c, rumqttc::SubscribeReasonCode::Failure))
                    .count();
                if refused > 0 {
                    tracing::error!(
                        broker = broker.id,
                        refused,
                        "The broker refused subscriptions (check its ACL)."
                    );
                }
            }
            Ok(Event::Incoming(Packet::Publish(p))) => {
                session.handle(&p.topic, &p.payload).await;
            }
            Ok(_) => {}
            Err(e) => {
                env.metrics.link_failures.inc();
                let delay = backoff.next_delay();
                let why = e.to_string();
                tracing::warn!(broker = broker.id, error = %why, retry_ms = delay.as_millis() as u64, "Broker connection lost; reconnecting after a delay.");
                status(
                    &env,
                    &broker.id,
                    LinkState::Backoff,
                    Some(format!("{why}; retry in {} ms", delay.as_millis())),
                )
                .await;
                tokio::select! {
                    biased;
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(delay) => {}
                }
            }
        }
    }
    let _ = client.try_disconnect();
    status(
        &env,
        &broker.id,
        LinkState::Offline,
        Some("stopped".to_owned()),
    )
    .await;
}

fn options<O>(broker: &Broker, env: &BrokerEnv<O>) -> Result<MqttOptions, String> {
    let s = &broker.settings;
    let client_id = s
        .client_id
        .clone()
        .unwrap_or_else(|| format!("{}-mqtt-adapter-{}", env.thing_name, broker.id));
    let mut options = MqttOptions::new(client_id, s.host.clone(), s.port);
    options.set_keep_alive(s.keep_alive_secs);
    options.set_clean_session(true);
    if let Some(user) = &s.username {
        options.set_credentials(user.clone(), env.password.clone().unwrap_or_default());
    }
    if let Some(tls) = &s.tls {
        let config = crate::tls::client_config(tls)?;
        options.set_transport(rumqttc::Transport::tls_with_config(
            rumqttc::TlsConfiguration::Rustls(Arc::new(config)),
        ));
    }
    Ok(options)
}

/// Decoding state of one broker connection.
struct Session<'a, O> {
    broker: &'a Broker,
    subscriptions: &'a [Subscription],
    env: &'a BrokerEnv<O>,
    aliases: AliasTables,
    readings: &'a mpsc::Sender<Reading>,
}

impl<O: Outlet> Session<'_, O> {
    /// Decodes one message with every subscription whose filter matches its topic.
    async fn handle(&mut self, topic: &str, payload: &[u8]) {
        self.env.metrics.messages.inc();
        let now = edge_model::time::now_ms() as i64;
        for sub in self
            .subscriptions
            .iter()
            .filter(|s| s.filter.matches(topic))
        {
            let decoded = match sub.payload {
                Payload::SparkplugB => {
                    decode_sparkplug(&mut self.aliases, sub, topic, payload, now).map(
                        |(readings, unknown)| {
                            for why in unknown {
                                self.decode_error(sub, topic, &why);
                            }
                            readings
                        },
                    )
                }
                _ => decode_message(sub, topic, payload, now),
            };
            match decoded {
                Ok(readings) => {
                    for r in readings {
                        // Backpressure: a full channel waits rather than dropping data.
                        if self.readings.send(r).await.is_err() {
                            return;
                        }
                    }
                }
                Err(why) => self.decode_error(sub, topic, &why),
            }
        }
    }

    fn decode_error(&self, sub: &Subscription, topic: &str, why: &str) {
        self.env.metrics.decode_errors.inc();
        tracing::warn!(
            broker = self.broker.id,
            subscription = sub.id,
            topic,
            error = why,
            "Message not decoded."
        );
    }
}

async fn status<O: Outlet>(
    env: &BrokerEnv<O>,
    broker: &str,
    state: LinkState,
    detail: Option<String>,
) {
    let mut status = ComponentStatus::new(
        env.component.clone(),
        state,
        edge_model::time::now_ms() as i64,
    );
    if let Ok(device) = DeviceId::new(broker) {
        status = status.with_device(device);
    }
    if let Some(d) = detail {
        status = status.with_detail(d);
    }
    let topic = Topic::status(&env.component);
    match serde_json::to_value(&status) {
        Ok(body) => {
            if let Err(e) = env.outlet.publish(topic.as_str(), body).await {
                tracing::warn!(topic = topic.as_str(), error = %e, "Status publish failed.");
            }
        }
        Err(e) => tracing::error!(error = %e, "Could not serialise a status."),
    }
}
