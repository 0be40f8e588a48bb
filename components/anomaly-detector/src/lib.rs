//! Anomaly detector: assembles fixed-rate windows from filtered readings, scores them with an
//! ONNX model through tract, publishes anomaly events and runs alarm state machines.

pub mod alarm;
pub mod commands;
pub mod config;
pub mod detector;
pub mod drift;
pub mod eigen;
pub mod fit;
mod graph_rewrite;
pub mod manifest;
pub mod model;
pub mod model_store;
pub mod score;
pub mod service;
pub mod window;

use component_kit::{Component, ConfigError, Ctx};
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

/// The component.
#[derive(Debug, Default)]
pub struct AnomalyDetectorComponent {
    carry: Arc<Mutex<service::Carry>>,
}

impl Component for AnomalyDetectorComponent {
    const NAME: &'static str = "com.smartfactory.AnomalyDetector";
    type Config = config::AnomalyDetectorConfig;
    type Validated = config::AnomalyDetector;

    fn validate(config: Self::Config) -> Result<Self::Validated, ConfigError> {
        config::validate(config)
    }

    async fn run(
        &self,
        config: Self::Validated,
        ctx: Ctx,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        service::run(Self::NAME, config, ctx, self.carry.clone(), shutdown).await
    }
}
