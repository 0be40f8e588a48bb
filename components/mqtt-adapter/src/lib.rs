//! MQTT adapter: subscribes to sensors on the factory's MQTT brokers (JSON, plain and
//! Sparkplug B payloads) and publishes typed readings on local pub/sub, like the other adapters.

pub mod batcher;
pub mod broker;
pub mod config;
pub mod decode;
pub mod secret;
pub mod sparkplug;
pub mod template;
pub mod tls;
pub mod validate;

use broker::{BrokerEnv, BrokerMetrics, run_broker};
use component_kit::{Backoff, Component, ConfigError, Ctx, IpcOutlet};
use edge_model::{ComponentName, GatewayId};
use tokio_util::sync::CancellationToken;

/// Readings buffered between the broker tasks and the batcher; a full buffer slows the
/// brokers' reading rather than dropping data.
const READING_BUFFER: usize = 4096;

/// The component.
#[derive(Debug, Default)]
pub struct MqttAdapterComponent;

impl Component for MqttAdapterComponent {
    const NAME: &'static str = "com.smartfactory.MqttAdapter";
    type Config = config::MqttAdapterConfig;
    type Validated = config::MqttAdapter;

    fn validate(config: Self::Config) -> Result<Self::Validated, ConfigError> {
        config::validate(config)
    }

    async fn run(
        &self,
        config: Self::Validated,
        ctx: Ctx,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        for rejected in &config.rejected {
            tracing::error!(error = %rejected, "Left out: its configuration is invalid.");
        }
        let component = ComponentName::new(Self::NAME)?;
        let gateway = GatewayId::new(ctx.thing_name())?;
        let (readings, queue) = tokio::sync::mpsc::channel(READING_BUFFER);
        let mut tasks = tokio::task::JoinSet::new();
        for broker in config.brokers {
            let password = match &broker.settings.password_secret_id {
                Some(id) => match secret::read_password(&ctx, id).await {
                    Ok(p) => Some(p),
                    Err(why) => {
                        tracing::error!(broker = broker.id, error = %why, "Broker left out: no password.");
                        continue;
                    }
                },
                None => None,
            };
            let subscriptions = config
                .subscriptions
                .iter()
                .filter(|s| s.broker == broker.id)
                .cloned()
                .collect();
            let env = BrokerEnv {
                outlet: IpcOutlet(ctx.clone()),
                component: component.clone(),
                thing_name: ctx.thing_name().to_owned(),
                password,
                metrics: BrokerMetrics::new(ctx.metrics(), &broker.id),
                backoff: Backoff::default(),
            };
            tasks.spawn(run_broker(
                broker,
                subscriptions,
                env,
                readings.clone(),
                shutdown.child_token(),
            ));
        }
        drop(readings);
        let published = ctx.metrics().counter("PointsPublished");
        tasks.spawn(batcher::publish_batches(
            IpcOutlet(ctx.clone()),
            gateway,
            config.batch_interval,
            queue,
            published,
            shutdown.child_token(),
        ));
        while let Some(done) = tasks.join_next().await {
            if let Err(e) = done {
                tracing::error!(error = %e, "A task failed.");
            }
        }
        Ok(())
    }
}
