//! The IPC side: subscribe to the raw topic, run each message through the pipeline, publish
//! what comes out, close windows on a tick.

use crate::decode::Event;
use crate::pipeline::{Message, Pipeline};
use crate::telemetry::Telemetry;
use crate::validate::FilterAggregator;
use component_kit::Ctx;
use component_kit::metrics::names;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Wait before retrying a refused subscription.
const RESUBSCRIBE_DELAY: Duration = Duration::from_secs(2);

/// Runs until `shutdown`; the pipeline (and its open windows) stays with the caller.
pub async fn serve(
    pipeline: &mut Pipeline,
    config: &FilterAggregator,
    ctx: &Ctx,
    shutdown: &CancellationToken,
) {
    let topic = config.input_topic.as_str();
    let mut telemetry = Telemetry::new(ctx.metrics().clone());
    let errors = ctx.metrics().counter(names::ERRORS_TOTAL);
    let mut tick = tokio::time::interval(Duration::from_millis(config.tick_interval_ms));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let idle_after = i64::try_from(config.idle_rule_warning_ms).unwrap_or(i64::MAX);
    'subscribe: loop {
        let mut subscription = match ctx.ipc().subscribe_to_topic(topic, None).await {
            Ok(s) => s,
            Err(e) => {
                errors.inc();
                tracing::error!(topic, error = %e, "Cannot subscribe to the input topic; retrying.");
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(RESUBSCRIBE_DELAY) => continue 'subscribe,
                }
            }
        };
        tracing::info!(topic, rules = config.rules.len(), "Filtering readings.");
        loop {
            let messages = tokio::select! {
                biased;
                () = shutdown.cancelled() => return,
                event = subscription.next_as::<Event>() => match event {
                    None => {
                        tracing::warn!(topic, "Input subscription closed; subscribing again.");
                        continue 'subscribe;
                    }
                    Some(Err(e)) => {
                        errors.inc();
                        tracing::warn!(topic, error = %e, "Bad subscription event.");
                        continue;
                    }
                    Some(Ok(message)) => {
                        let (from, incoming) = message.into_incoming(topic);
                        pipeline.on_message(&from, incoming, edge_model::time::now_epoch_ms())
                    }
                },
                _ = tick.tick() => {
                    let now = edge_model::time::now_epoch_ms();
                    for rule in pipeline.engine.newly_idle_rules(now, idle_after) {
                        if idle_after > 0 {
                            tracing::warn!(rule = &*rule, idle_ms = idle_after, "Rule selected no reading yet: check its devices and points patterns.");
                        }
                    }
                    // Slice by slice, each published before the next is built.
                    let mut from = 0;
                    loop {
                        let (messages, next) = pipeline.on_tick_slice(now, from);
                        let Some(next) = next else { break messages };
                        publish(ctx, messages, &errors).await;
                        from = next;
                    }
                }
            };
            publish(ctx, messages, &errors).await;
            telemetry.sync(&pipeline.engine);
        }
    }
}

async fn publish(ctx: &Ctx, messages: Vec<Message>, errors: &component_kit::Counter) {
    for (topic, body) in messages {
        if let Err(e) = ctx.ipc().publish_json(topic.as_str(), body).await {
            errors.inc();
            tracing::warn!(topic = topic.as_str(), error = %e, "Publish failed.");
        }
    }
}
