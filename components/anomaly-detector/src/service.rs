//! The run loop: picks the model, subscribes to filtered readings and commands, feeds the
//! detector on its own thread and publishes what it returns.

use crate::alarm::Alarm;
use crate::commands::{self, Ack};
use crate::config::AnomalyDetector;
use crate::detector::{Detector, Publish, Tally};
use crate::model::Model;
use crate::model_store;
use component_kit::Ctx;
use component_kit::metrics::names;
use edge_model::{
    ComponentName, ComponentStatus, DeviceId, LinkState, ReadingBatch, Topic, TopicFilter,
};
use ggipc::model::{PublishMessage, ReportedState};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

/// What outlives one configuration: the last model that loaded and the alarm states.
#[derive(Debug, Default)]
pub struct Carry {
    /// The model that ran last.
    pub model: Option<Model>,
    /// Alarm states by device.
    pub alarms: HashMap<DeviceId, Alarm>,
}

enum Input {
    Batch(ReadingBatch),
    Ack(Ack, oneshot::Sender<(serde_json::Value, Option<Publish>)>),
}

/// Runs until `shutdown`.
pub async fn run(
    component: &'static str,
    config: AnomalyDetector,
    ctx: Ctx,
    carry: Arc<Mutex<Carry>>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let name = ComponentName::new(component)?;
    let previous = carry
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .model
        .take();
    let alarms = std::mem::take(
        &mut carry
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .alarms,
    );
    let work = ctx.work_dir().to_owned();
    let cfg = config.clone();
    let chosen = tokio::task::spawn_blocking(move || choose(&cfg, &work, previous, alarms)).await?;
    let detector = match chosen {
        Choice::Run { detector, problem } => {
            if let Some(problem) = &problem {
                report(&ctx, &name, problem, true).await;
            }
            detector
        }
        Choice::Idle { problem, alarms } => {
            report(&ctx, &name, &problem, false).await;
            if let Ok(mut c) = carry.lock() {
                c.alarms = alarms;
            }
            shutdown.cancelled().await;
            return Ok(());
        }
    };
    let m = detector.model().manifest();
    tracing::info!(model = %m.name, version = %m.version, features = m.features.len(), window = m.window_steps, devices = config.devices.len(), "Scoring windows.");
    if let Ok(mut c) = carry.lock() {
        c.model = Some(detector.model().clone());
    }
    let (input_tx, input_rx) = mpsc::channel::<Input>(64);
    let (out_tx, out_rx) = mpsc::channel::<(Vec<Publish>, Tally)>(64);
    let worker = std::thread::Builder::new()
        .name("anomaly-inference".into())
        .spawn(move || infer(detector, input_rx, out_tx))?;
    let result = pump(&ctx, &name, input_tx, out_rx, &shutdown).await;
    let alarms = tokio::task::spawn_blocking(move || worker.join())
        .await?
        .map_err(|_| anyhow::anyhow!("the inference thread panicked"))?;
    if let Ok(mut c) = carry.lock() {
        c.alarms = alarms;
    }
    result
}

/// The model to run with, and what went wrong on the way.
#[derive(Debug)]
pub enum Choice {
    /// Score with this detector; `problem` is set when it is a fallback.
    Run {
        /// The detector.
        detector: Detector,
        /// Why the configured model is not the one running, if it is not.
        problem: Option<String>,
    },
    /// Nothing usable: report ERRORED, wait for a new configuration.
    Idle {
        /// Why.
        problem: String,
        /// The alarm states, kept for the next configuration.
        alarms: HashMap<DeviceId, Alarm>,
    },
}

/// The configured model, else the previous one, else the saved copy; each checked against the
/// configured points.
pub fn choose(
    config: &AnomalyDetector,
    work: &std::path::Path,
    previous: Option<Model>,
    alarms: HashMap<DeviceId, Alarm>,
) -> Choice {
    let configured = model_store::model_dir(config).and_then(|dir| {
        model_store::load_and_keep(&dir, work).map_err(|e| format!("model {}: {e}", dir.display()))
    });
    let problem = match configured {
        Ok(model) => match Detector::new(model, config, alarms.clone()) {
            Ok(detector) => {
                return Choice::Run {
                    detector,
                    problem: None,
                };
            }
            Err(e) => e.to_string(),
        },
        Err(e) => e,
    };
    let fallback = previous.or_else(|| model_store::last_good(work));
    if let Some(model) = fallback {
        let label = format!("{} {}", model.manifest().name, model.manifest().version);
        match Detector::new(model, config, alarms.clone()) {
            Ok(detector) => {
                return Choice::Run {
                    detector,
                    problem: Some(format!(
                        "{problem}; still running the previous model {label}"
                    )),
                };
            }
            Err(e) => {
                return Choice::Idle {
                    problem: format!(
                        "{problem}; the previous model {label} does not fit either: {e}"
                    ),
                    alarms,
                };
            }
        }
    }
    Choice::Idle {
        problem: format!("{problem}; no previous model to fall back on, nothing is scored"),
        alarms,
    }
}

/// Logs the problem, publishes it on the status topic and, when nothing runs, reports ERRORED.
async fn report(ctx: &Ctx, name: &ComponentName, problem: &str, running: bool) {
    tracing::error!(error = problem, "Model not usable.");
    ctx.metrics().counter(names::ERRORS_TOTAL).inc();
    let state = if running {
        LinkState::Online
    } else {
        LinkState::Offline
    };
    let status = ComponentStatus::new(name.clone(), state, edge_model::time::now_epoch_ms())
        .with_detail(problem);
    if let Ok(body) = serde_json::to_value(&status)
        && let Err(e) = ctx
            .ipc()
            .publish_json(Topic::status(name).as_str(), body)
            .await
    {
        tracing::warn!(error = %e, "Status not published.");
    }
    if !running && let Err(e) = ctx.ipc().update_state(ReportedState::Errored).await {
        tracing::warn!(error = %e, "UpdateState ERRORED failed.");
    }
}

/// The inference thread: owns the detector and its tract plan.
fn infer(
    mut detector: Detector,
    mut input: mpsc::Receiver<Input>,
    out: mpsc::Sender<(Vec<Publish>, Tally)>,
) -> HashMap<DeviceId, Alarm> {
    while let Some(msg) = input.blocking_recv() {
        match msg {
            Input::Batch(batch) => match detector.ingest(&batch) {
                Ok(result) => {
                    if out.blocking_send(result).is_err() {
                        break;
                    }
                }
                Err(e) => {
                    tracing::error!(device = %batch.device(), error = %e, "Windows not scored.")
                }
            },
            Input::Ack(ack, reply) => {
                let result = detector.acknowledge(
                    &ack.device,
                    &ack.alarm_id,
                    edge_model::time::now_epoch_ms(),
                );
                let (state, publish) = match result {
                    Ok((s, p)) => (Ok(s), Some(p)),
                    Err(e) => (Err(e), None),
                };
                let _ignored = reply.send((commands::response(&ack, state), publish));
            }
        }
    }
    detector.into_alarms()
}

/// Moves messages between IPC and the inference thread until `shutdown`.
async fn pump(
    ctx: &Ctx,
    name: &ComponentName,
    input: mpsc::Sender<Input>,
    mut outputs: mpsc::Receiver<(Vec<Publish>, Tally)>,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let readings_filter = TopicFilter::all_readings_filtered();
    let mut readings = ctx
        .ipc()
        .subscribe_to_topic(readings_filter.as_str(), None)
        .await?;
    let command_topic = Topic::command(name);
    let response_topic = Topic::command_response(name);
    let mut commands_sub = ctx
        .ipc()
        .subscribe_to_topic(command_topic.as_str(), None)
        .await?;
    let metrics = ctx.metrics();
    let (received, sent, dropped, errors) = (
        metrics.counter(names::RECEIVED_TOTAL),
        metrics.counter(names::SENT_TOTAL),
        metrics.counter(names::DROPPED_TOTAL),
        metrics.counter(names::ERRORS_TOTAL),
    );
    let scored = metrics.counter("windows_scored_total");
    let incomplete = metrics.counter("windows_incomplete_total");
    let filled = metrics.counter("cells_filled_total");
    loop {
        tokio::select! {
            biased;
            () = shutdown.cancelled() => return Ok(()),
            Some((publishes, tally)) = outputs.recv() => {
                scored.add(tally.scored);
                filled.add(tally.filled_cells);
                dropped.add(tally.refused);
                for (device, fitted) in &tally.fitted {
                    match fitted {
                        Ok(rows) => tracing::info!(device = %device, rows, "Baseline fitted: the model is refitted on this device's own data; scoring starts."),
                        Err(e) => {
                            errors.inc();
                            tracing::error!(device = %device, error = %e, "Baseline fit failed; scoring with the model as shipped.");
                        }
                    }
                }
                for (device, point, missing) in &tally.incomplete {
                    incomplete.inc();
                    tracing::warn!(device = %device, point = %point, missing_steps = missing, "Window not scored: point missing beyond the forward-fill limit.");
                }
                for p in publishes {
                    match ctx.ipc().publish_json(p.topic.as_str(), p.body).await {
                        Ok(()) => sent.inc(),
                        Err(e) => {
                            errors.inc();
                            tracing::warn!(topic = p.topic.as_str(), error = %e, "Event not published.");
                        }
                    }
                }
            }
            event = readings.next() => {
                let Some(event) = event else { anyhow::bail!("the readings subscription closed") };
                let batch = match event.map_err(|e| e.to_string()).and_then(json_of).and_then(|v| serde_json::from_value::<ReadingBatch>(v).map_err(|e| e.to_string())) {
                    Ok(b) => b,
                    Err(e) => {
                        errors.inc();
                        tracing::warn!(error = %e, "Bad reading batch ignored.");
                        continue;
                    }
                };
                received.add(batch.readings().len() as u64);
                if input.send(Input::Batch(batch)).await.is_err() {
                    anyhow::bail!("the inference thread stopped");
                }
            }
            event = commands_sub.next() => {
                let Some(event) = event else { anyhow::bail!("the command subscription closed") };
                let body = match event.map_err(|e| e.to_string()).and_then(json_of) {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::warn!(error = %e, "Bad command ignored.");
                        continue;
                    }
                };
                let response = match commands::parse(body) {
                    Err(refusal) => refusal,
                    Ok(ack) => {
                        tracing::info!(device = %ack.device, alarm = %ack.alarm_id, user = ack.user.as_deref().unwrap_or("-"), "Acknowledgement received.");
                        let (tx, rx) = oneshot::channel();
                        if input.send(Input::Ack(ack, tx)).await.is_err() {
                            anyhow::bail!("the inference thread stopped");
                        }
                        let (response, publish) = rx.await?;
                        if let Some(p) = publish && let Err(e) = ctx.ipc().publish_json(p.topic.as_str(), p.body).await {
                            tracing::warn!(error = %e, "Alarm event not published.");
                        }
                        response
                    }
                };
                if let Err(e) = ctx.ipc().publish_json(response_topic.as_str(), response).await {
                    tracing::warn!(error = %e, "Command response not published.");
                }
            }
        }
    }
}

fn json_of(m: PublishMessage) -> Result<serde_json::Value, String> {
    if let Some(j) = m.json_message {
        return Ok(j.message);
    }
    if let Some(b) = m.binary_message {
        return serde_json::from_slice(&b.message)
            .map_err(|e| format!("binary message is not JSON: {e}"));
    }
    Err("empty message".into())
}
