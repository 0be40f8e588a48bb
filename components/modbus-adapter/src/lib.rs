//! Modbus adapter: polls Modbus TCP, RTU and RTU-over-TCP devices and publishes typed, scaled
//! readings on local pub/sub.

pub mod commands;
pub mod config;
pub mod cycle;
pub mod decode;
pub mod device;
pub mod encode;
pub mod f16;
pub mod link;
pub mod listen;
pub mod plan;
pub mod point;
pub mod poller;
pub mod validate;
pub mod write;

use component_kit::IpcOutlet;
use component_kit::{Component, ConfigError, Ctx};
use edge_model::{ComponentName, GatewayId};
use poller::{DeviceMetrics, PollerEnv, poll_device};
use tokio_util::sync::CancellationToken;

/// Added to twice the slowest device timeout to bound how long a command waits for its write.
const WRITE_REPLY_SLACK: std::time::Duration = std::time::Duration::from_secs(1);

/// The component.
#[derive(Debug, Default)]
pub struct ModbusAdapterComponent;

impl Component for ModbusAdapterComponent {
    const NAME: &'static str = "com.smartfactory.ModbusAdapter";
    type Config = config::ModbusAdapterConfig;
    type Validated = config::ModbusAdapter;

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
            tracing::error!(error = %rejected, "Device left out: its configuration is invalid.");
        }
        let component = ComponentName::new(Self::NAME)?;
        let gateway = GatewayId::new(ctx.thing_name())?;
        let mut tasks = tokio::task::JoinSet::new();
        let mut routes = std::collections::HashMap::new();
        let mut slowest = std::time::Duration::ZERO;
        for device in config.devices {
            let (queue, writes) = tokio::sync::mpsc::channel(16);
            routes.insert(device.id.as_str().to_owned(), queue);
            slowest = slowest.max(device.timeout);
            let env = PollerEnv {
                outlet: IpcOutlet(ctx.clone()),
                component: component.clone(),
                gateway: gateway.clone(),
                metrics: DeviceMetrics::new(ctx.metrics(), device.id.as_str()),
                backoff: component_kit::Backoff::default(),
            };
            tasks.spawn(poll_device(device, env, writes, shutdown.child_token()));
        }
        if config.writes_enabled {
            let router = commands::Router::new(true, routes, slowest * 2 + WRITE_REPLY_SLACK);
            tasks.spawn(listen::commands(
                ctx.clone(),
                component.clone(),
                router,
                shutdown.child_token(),
            ));
        } else {
            drop(routes);
        }
        while let Some(done) = tasks.join_next().await {
            if let Err(e) = done {
                tracing::error!(error = %e, "A device task failed.");
            }
        }
        Ok(())
    }
}
