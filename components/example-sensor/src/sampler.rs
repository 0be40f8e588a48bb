//! Produces one batch of simulated pump readings per tick and publishes it.

use crate::config::ExampleSensor;
use component_kit::Ctx;
use edge_model::{BatchBuilder, GatewayId, Quality, Reading, Source, Topic};
use tokio_util::sync::CancellationToken;

/// Samples until cancelled.
pub async fn sample(
    cfg: ExampleSensor,
    ctx: Ctx,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let topic = Topic::readings_raw(&cfg.device);
    let gateway = GatewayId::new(ctx.thing_name())?;
    let mut batches = BatchBuilder::new(gateway, cfg.device.clone(), 0);
    let published = ctx.metrics().counter("BatchesPublished");
    let failed = ctx.metrics().counter("PublishFailures");
    let mut tick = tokio::time::interval(cfg.interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut n: u64 = 0;
    loop {
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => return Ok(()),
            _ = tick.tick() => {}
        }
        n += 1;
        let t = edge_model::time::now_ms() as i64;
        let phase = n as f64 / 10.0;
        let source = |point: &str| Source::new(cfg.device.clone(), point);
        let readings = [
            Reading::new(
                source("temperature"),
                cfg.base_temperature_c + 2.0 * phase.sin(),
                Quality::Good,
                t,
            )
            .with_unit("degC"),
            Reading::new(
                source("vibration"),
                0.8 + 0.1 * (phase * 3.0).cos(),
                Quality::Good,
                t,
            )
            .with_unit("mm/s"),
            Reading::new(source("running"), true, Quality::Good, t),
            Reading::new(source("cycles"), n as i64, Quality::Good, t),
        ];
        for reading in readings {
            if let Some(full) = batches.push(reading)? {
                publish(&ctx, &topic, &full, &published, &failed).await;
            }
        }
        if let Some(batch) = batches.finish() {
            publish(&ctx, &topic, &batch, &published, &failed).await;
        }
    }
}

async fn publish(
    ctx: &Ctx,
    topic: &Topic,
    batch: &edge_model::ReadingBatch,
    published: &component_kit::metrics::Counter,
    failed: &component_kit::metrics::Counter,
) {
    let body = match serde_json::to_value(batch) {
        Ok(v) => v,
        Err(e) => {
            tracing::error!(error = %e, "Could not serialise a batch.");
            return;
        }
    };
    match ctx.ipc().publish_json(topic.as_str(), body).await {
        Ok(()) => published.inc(),
        Err(e) => {
            failed.inc();
            tracing::warn!(topic = topic.as_str(), error = %e, "Publish failed.");
        }
    }
}
