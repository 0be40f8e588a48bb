//! Filter/aggregator: validates, converts, reduces and aggregates the readings of the adapters
//! so that only useful data leaves the gateway.

pub mod arena;
pub mod check;
pub mod config;
pub mod decode;
pub mod engine;
pub mod interner;
pub mod pipeline;
pub mod point_hash;
pub mod point_index;
pub mod reduce;
pub mod rule;
pub mod service;
pub mod stats;
pub mod telemetry;
pub mod units;
pub mod validate;
pub mod window;

use component_kit::{Component, ConfigError, Ctx};
use edge_model::{ComponentName, GatewayId};
use engine::Engine;
use pipeline::Pipeline;
use std::sync::Mutex;
use tokio_util::sync::CancellationToken;

/// The component. It keeps the pipeline between runs, so that a configuration reload (the kit
/// calls `run` again) keeps the open windows of unchanged rules.
#[derive(Debug, Default)]
pub struct FilterAggregatorComponent {
    kept: Mutex<Option<Pipeline>>,
}

impl Component for FilterAggregatorComponent {
    const NAME: &'static str = "com.smartfactory.FilterAggregator";
    const ONE_MALLOC_ARENA: bool = true;
    type Config = config::FilterAggregatorConfig;
    type Validated = validate::FilterAggregator;

    fn validate(config: Self::Config) -> Result<Self::Validated, ConfigError> {
        validate::validate(config)
    }

    async fn run(
        &self,
        config: Self::Validated,
        ctx: Ctx,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        for rejected in &config.rejected {
            tracing::error!(error = %rejected, "Rule left out: its configuration is invalid.");
        }
        let now = edge_model::time::now_epoch_ms();
        let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner()).take();
        let mut pipeline = match kept {
            Some(mut pipeline) => {
                let reload =
                    pipeline
                        .engine
                        .reload(config.rules.clone(), config.pass_unmatched, now);
                tracing::info!(
                    points_kept = reload.points_kept,
                    points_reset = reload.points_reset,
                    "Rules reloaded; unchanged rules keep their open windows."
                );
                pipeline
            }
            None => Pipeline::new(
                Engine::new(config.rules.clone(), config.pass_unmatched, now),
                ComponentName::new(Self::NAME)?,
                GatewayId::new(ctx.thing_name())?,
            ),
        };
        service::serve(&mut pipeline, &config, &ctx, &shutdown).await;
        *self.kept.lock().unwrap_or_else(|p| p.into_inner()) = Some(pipeline);
        Ok(())
    }
}
