//! The synchronous core: readings → windows → scores → anomaly and alarm events. No I/O; the
//! run loop feeds it from a thread that owns it (tract inference stays off the async runtime).

use crate::alarm::{AckError, Alarm, AlarmRules, Transition};
use crate::config::{AnomalyDetector, DeviceSpec};
use crate::drift::Tracker;
use crate::fit::refit;
use crate::model::{Model, ModelError};
use crate::score::WindowScore;
use crate::window::{Assembler, Emitted, Refused, Window, WindowSpec};
use edge_model::{
    AlarmEvent, AlarmState, AnomalyEvent, DeviceId, ModelRef, Quality, ReadingBatch, Severity,
    TimeWindow, Topic,
};
use std::collections::{BTreeMap, HashMap};

/// A message to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct Publish {
    /// Where.
    pub topic: Topic,
    /// What (an `AnomalyEvent` or `AlarmEvent` as JSON).
    pub body: serde_json::Value,
}

/// What one batch did, for logs and metrics.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Tally {
    /// Readings used.
    pub accepted: u64,
    /// Readings of points no model feature maps to (ignored).
    pub ignored: u64,
    /// Readings refused: late, non-numeric or not good quality.
    pub refused: u64,
    /// Windows scored.
    pub scored: u64,
    /// Windows that could not be scored: (device, point id, missing steps) per point.
    pub incomplete: Vec<(DeviceId, String, usize)>,
    /// Cells filled forward in scored windows.
    pub filled_cells: u64,
    /// Windows used for a device's baseline instead of being scored.
    pub baselined: u64,
    /// Devices whose baseline was fitted in this batch, with the fit's outcome.
    pub fitted: Vec<(DeviceId, Result<usize, String>)>,
}

/// The alarm id of the anomaly alarm of a model (one per device).
pub fn alarm_id(model: &str) -> String {
    format!("anomaly.{model}")
}

struct DeviceState {
    id: DeviceId,
    /// Point id → feature index.
    index: HashMap<String, usize>,
    /// Feature index → point id.
    points: Vec<String>,
    assembler: Assembler,
    alarm: Alarm,
    /// The shipped model, or the one refitted on this device's baseline once fitted, with the
    /// drift of this device's baseline.
    tracker: Tracker,
    /// Baseline rows by step start, while collecting.
    baseline: Option<BTreeMap<i64, Vec<f64>>>,
}

/// Scores the configured devices with one model.
pub struct Detector {
    model: Model,
    threshold: f64,
    severity: Severity,
    step_ms: i64,
    /// Steps a window adds to the previous one (the rows that update the baseline's drift).
    hop: usize,
    baseline_steps: usize,
    devices: BTreeMap<DeviceId, DeviceState>,
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detector")
            .field("model", &self.model.manifest().name)
            .field("devices", &self.devices.len())
            .finish()
    }
}

impl Detector {
    /// A detector; fails when a device's points do not match the model's features.
    /// `alarms` carries alarm states over from a previous configuration.
    pub fn new(
        model: Model,
        config: &AnomalyDetector,
        mut alarms: HashMap<DeviceId, Alarm>,
    ) -> Result<Self, ModelError> {
        let m = model.manifest();
        let threshold = config.threshold.unwrap_or(m.threshold);
        let rules = AlarmRules {
            threshold,
            clear_ratio: config.alarm.clear_ratio,
            min_duration_ms: config.alarm.min_duration_ms,
            latching: config.alarm.latching,
        };
        let spec = WindowSpec {
            step_ms: config.step_ms.unwrap_or(m.step_ms as i64),
            window: m.window_steps,
            hop: config.hop_steps,
            ffill_limit: config.forward_fill_limit_steps,
            max_lateness_ms: config.max_lateness_ms,
        };
        let mut devices = BTreeMap::new();
        for DeviceSpec { id, points } in &config.devices {
            let configured: Vec<String> = points.keys().cloned().collect();
            let mut wanted = m.features.clone();
            wanted.sort();
            if configured != wanted {
                return Err(ModelError::Shape(format!(
                    "device {id}: the model {} {} takes features {:?}, devices.{id}.points maps {:?}",
                    m.name, m.version, m.features, configured
                )));
            }
            let by_feature: Vec<String> = m.features.iter().map(|f| points[f].clone()).collect();
            let index = by_feature
                .iter()
                .enumerate()
                .map(|(i, p)| (p.clone(), i))
                .collect();
            let mut alarm = alarms.remove(id).unwrap_or_else(|| Alarm::new(rules));
            alarm.set_rules(rules);
            devices.insert(
                id.clone(),
                DeviceState {
                    id: id.clone(),
                    index,
                    points: by_feature,
                    assembler: Assembler::new(spec, m.features.len()),
                    alarm,
                    tracker: Tracker::new(model.clone())?,
                    baseline: (config.baseline_steps > 0).then(BTreeMap::new),
                },
            );
        }
        Ok(Self {
            threshold,
            severity: config.alarm.severity,
            step_ms: spec.step_ms,
            hop: spec.hop,
            baseline_steps: config.baseline_steps,
            model,
            devices,
        })
    }

    /// The model in use.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Gives back the alarm states (to carry over a configuration change).
    pub fn into_alarms(self) -> HashMap<DeviceId, Alarm> {
        self.devices
            .into_iter()
            .map(|(id, d)| (id, d.alarm))
            .collect()
    }

    /// Handles one batch of filtered readings; returns the messages to publish.
    pub fn ingest(&mut self, batch: &ReadingBatch) -> Result<(Vec<Publish>, Tally), ModelError> {
        let mut tally = Tally::default();
        let Some(device) = self.devices.get_mut(batch.device()) else {
            tally.ignored = batch.readings().len() as u64;
            return Ok((Vec::new(), tally));
        };
        let mut emitted = Vec::new();
        for r in batch.readings() {
            let Some(&ix) = device.index.get(r.source().point()) else {
                tally.ignored += 1;
                continue;
            };
            let value = r.value().and_then(edge_model::Value::as_f64);
            let (Some(value), Quality::Good) = (value, r.quality()) else {
                tally.refused += 1;
                continue;
            };
            let time = r.device_time_ms().unwrap_or(r.gateway_time_ms());
            match device.assembler.push(ix, time, value, &mut emitted) {
                Ok(()) => tally.accepted += 1,
                Err(Refused::Late | Refused::NotANumber | Refused::UnknownPoint) => {
                    tally.refused += 1;
                }
            }
        }
        let mut windows: Vec<Window> = Vec::new();
        for e in emitted {
            match e {
                Emitted::Complete(w) => windows.push(w),
                Emitted::Incomplete { missing, .. } => {
                    for (ix, n) in missing {
                        tally
                            .incomplete
                            .push((device.id.clone(), device.points[ix].clone(), n));
                    }
                }
            }
        }
        if device.baseline.is_some() {
            let f = device.points.len();
            let mut used = 0;
            for w in &windows {
                let Some(rows) = device.baseline.as_mut() else {
                    break;
                };
                used += 1;
                tally.baselined += 1;
                for (i, row) in w.values.chunks(f).enumerate() {
                    let start = w.start_ms + i as i64 * self.step_ms;
                    rows.insert(start, row.iter().map(|&v| f64::from(v)).collect());
                }
                if rows.len() >= self.baseline_steps {
                    let rows: Vec<Vec<f64>> =
                        rows.values().take(self.baseline_steps).cloned().collect();
                    let fitted = refit(&self.model, &rows);
                    tally.fitted.push((
                        device.id.clone(),
                        fitted
                            .as_ref()
                            .map(|_| rows.len())
                            .map_err(ToString::to_string),
                    ));
                    // A failed fit leaves the device on the shipped model rather than never
                    // scoring.
                    if let Ok(m) = fitted {
                        device.tracker = Tracker::new(m)?;
                    }
                    device.baseline = None;
                }
            }
            windows.drain(..used);
        }
        if windows.is_empty() {
            return Ok((Vec::new(), tally));
        }
        let values: Vec<f32> = windows
            .iter()
            .flat_map(|w| w.values.iter().copied())
            .collect();
        let scores = device.tracker.score(&values, self.hop)?;
        let mut out = Vec::new();
        let model_ref = ModelRef::new(&self.model.manifest().name, &self.model.manifest().version);
        let alarm_id = alarm_id(&self.model.manifest().name);
        for (w, s) in windows.iter().zip(&scores) {
            tally.scored += 1;
            tally.filled_cells += w.filled_cells as u64;
            out.push(anomaly_event(
                &device.id,
                &model_ref,
                &self.model.manifest().features,
                w,
                s,
                self.threshold,
            )?);
            if let Some(t) = device.alarm.observe(s.score, w.end_ms) {
                out.push(alarm_event(&alarm_id, &device.id, self.severity, &t));
            }
        }
        Ok((out, tally))
    }

    /// Acknowledges `device`'s alarm `alarm` at `time_ms`.
    pub fn acknowledge(
        &mut self,
        device: &str,
        alarm: &str,
        time_ms: i64,
    ) -> Result<(AlarmState, Publish), String> {
        let expected = alarm_id(&self.model.manifest().name);
        if alarm != expected {
            return Err(format!(
                "unknown alarm {alarm:?} (this detector raises {expected:?})"
            ));
        }
        let d = self
            .devices
            .iter_mut()
            .find(|(id, _)| id.as_str() == device)
            .map(|(_, d)| d)
            .ok_or_else(|| format!("unknown device {device:?}"))?;
        let t = d
            .alarm
            .acknowledge(time_ms)
            .map_err(|e: AckError| e.to_string())?;
        Ok((t.state, alarm_event(&expected, &d.id, self.severity, &t)))
    }
}

fn anomaly_event(
    device: &DeviceId,
    model: &ModelRef,
    features: &[String],
    w: &Window,
    s: &WindowScore,
    threshold: f64,
) -> Result<Publish, ModelError> {
    let window = TimeWindow::new(w.start_ms, w.end_ms)
        .map_err(|e| ModelError::Run(format!("window {}..{}: {e}", w.start_ms, w.end_ms)))?;
    let mut event = AnomalyEvent::new(device.clone(), model.clone(), window, s.score, threshold)
        .with_filled_cells(u32::try_from(w.filled_cells).unwrap_or(u32::MAX));
    for (f, c) in features.iter().zip(&s.contributions) {
        event = event.with_contribution(f, *c);
    }
    let body = serde_json::to_value(&event)
        .map_err(|e| ModelError::Run(format!("non-finite score or contribution: {e}")))?;
    Ok(Publish {
        topic: Topic::anomaly(device),
        body,
    })
}

fn alarm_event(alarm_id: &str, device: &DeviceId, severity: Severity, t: &Transition) -> Publish {
    let message = match t.state {
        AlarmState::Normal => "Anomaly score back to normal.".to_owned(),
        AlarmState::Pending => format!("Anomaly score {:.3} above threshold; pending.", t.score),
        AlarmState::Active => format!(
            "Anomaly score {:.3} held above threshold; alarm raised.",
            t.score
        ),
        AlarmState::Acknowledged => "Alarm acknowledged by an operator.".to_owned(),
    };
    let mut event = AlarmEvent::new(
        alarm_id,
        device.clone(),
        t.state,
        severity,
        message,
        t.time_ms,
    );
    if let Some(since) = t.active_since_ms {
        event = event.with_active_since_ms(since);
    }
    if t.score.is_finite() {
        event = event.with_value(t.score);
    }
    let body = serde_json::to_value(&event).unwrap_or_default();
    Publish {
        topic: Topic::alarm(device),
        body,
    }
}
