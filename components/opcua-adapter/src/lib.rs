//! OPC UA adapter: reads OPC UA servers (subscriptions and polling, every security policy and
//! mode, anonymous, user name or certificate login) and publishes readings on local pub/sub.
//! Each server reconnects forever and rebuilds its session, nodes and subscription after a
//! loss.

pub mod config;
pub mod convert;
pub mod driver;
pub mod errors;
pub mod feed;
pub mod identity;
pub mod node;
pub mod pki;
pub mod poll;
pub mod publish;
pub mod resolve;
pub mod runner;
pub mod security;
pub mod server;
pub mod subscribe;
pub mod validate;

use component_kit::{Component, ConfigError, Ctx, IpcOutlet};
use edge_model::{ComponentName, GatewayId};
use runner::{ServerEnv, ServerMetrics, run_server};
use tokio_util::sync::CancellationToken;

/// The component.
#[derive(Debug, Default)]
pub struct OpcUaAdapterComponent;

impl Component for OpcUaAdapterComponent {
    const NAME: &'static str = "com.smartfactory.OpcUaAdapter";
    type Config = config::OpcUaAdapterConfig;
    type Validated = config::OpcUaAdapter;

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
            tracing::error!(error = %rejected, "Server left out: its configuration is invalid.");
        }
        let component = ComponentName::new(Self::NAME)?;
        let gateway = GatewayId::new(ctx.thing_name())?;
        let pki_dir = ctx.work_dir().join(&config.pki_dir);
        let app = pki::AppIdentity::for_thing(ctx.thing_name());
        let (dir, who) = (pki_dir.clone(), app.clone());
        tokio::task::spawn_blocking(move || pki::prepare(&dir, &who))
            .await?
            .map_err(anyhow::Error::msg)?;
        let mut tasks = tokio::task::JoinSet::new();
        for server in config.servers {
            let env = ServerEnv {
                outlet: IpcOutlet(ctx.clone()),
                secrets: identity::IpcSecrets(ctx.clone()),
                component: component.clone(),
                gateway: gateway.clone(),
                metrics: ServerMetrics::new(ctx.metrics(), server.id.as_str()),
                pki_dir: pki_dir.clone(),
                app: app.clone(),
                first_retry: component_kit::backoff::FIRST_RETRY,
            };
            tasks.spawn(run_server(server, env, shutdown.child_token()));
        }
        while let Some(done) = tasks.join_next().await {
            if let Err(e) = done {
                tracing::error!(error = %e, "A server task failed.");
            }
        }
        Ok(())
    }
}
