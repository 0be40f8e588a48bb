//! A minimal Greengrass component on the component kit: it publishes simulated pump readings.
//! It exists to show the kit, the recipe layout and the local runtime end to end.

pub mod config;
pub mod sampler;

use component_kit::{Component, ConfigError, Ctx};
use tokio_util::sync::CancellationToken;

/// The component.
#[derive(Debug, Default)]
pub struct ExampleSensorComponent;

impl Component for ExampleSensorComponent {
    const NAME: &'static str = "com.smartfactory.ExampleSensor";
    type Config = config::ExampleSensorConfig;
    type Validated = config::ExampleSensor;

    fn validate(config: Self::Config) -> Result<Self::Validated, ConfigError> {
        config::validate(config)
    }

    fn run(
        &self,
        config: Self::Validated,
        ctx: Ctx,
        shutdown: CancellationToken,
    ) -> impl std::future::Future<Output = anyhow::Result<()>> + Send {
        sampler::sample(config, ctx, shutdown)
    }
}
