//! Events derived from readings: anomaly scores and alarm state changes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::kind::{AlarmTag, AnomalyTag, VersionTag};
use crate::{DeviceId, MessageKind, SCHEMA_VERSION, TimeWindow, Value, finite};

/// The model that produced a score, written `{"name": …, "version": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ModelRef {
    name: String,
    version: String,
}

impl ModelRef {
    /// The model `name` at `version` (for example `"press-vibration"`, `"1.4.0"`).
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
        }
    }

    /// The model's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The model's version.
    pub fn version(&self) -> &str {
        &self.version
    }
}

/// The anomaly score of one device over one window of its readings.
///
/// JSON fields: `schemaVersion`, `kind` (`"anomaly"`), `device`, `model`, `window`, `score`,
/// `threshold`, `isAnomaly`, `contributions` (feature name → share of the score), and the optional
/// `filledCells` (cells of the window that were forward-filled rather than read).
/// Serializing fails if a float is NaN or infinite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnomalyEvent {
    schema_version: VersionTag,
    kind: AnomalyTag,
    device: DeviceId,
    model: ModelRef,
    window: TimeWindow,
    #[serde(serialize_with = "finite::serialize")]
    score: f64,
    #[serde(serialize_with = "finite::serialize")]
    threshold: f64,
    is_anomaly: bool,
    #[serde(default, serialize_with = "finite::serialize_map")]
    contributions: BTreeMap<String, f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    filled_cells: Option<u32>,
}

impl AnomalyEvent {
    /// The score `model` gave `device`'s readings in `window`; an anomaly when
    /// `score > threshold`. No contributions until [`with_contribution`](Self::with_contribution).
    pub fn new(
        device: DeviceId,
        model: ModelRef,
        window: TimeWindow,
        score: f64,
        threshold: f64,
    ) -> Self {
        Self {
            schema_version: VersionTag,
            kind: AnomalyTag::Anomaly,
            device,
            model,
            window,
            score,
            threshold,
            is_anomaly: score > threshold,
            contributions: BTreeMap::new(),
            filled_cells: None,
        }
    }

    /// Records how many cells of the window were forward-filled instead of read (missing data
    /// is reported, never hidden).
    #[must_use]
    pub fn with_filled_cells(mut self, filled_cells: u32) -> Self {
        self.filled_cells = Some(filled_cells);
        self
    }

    /// How many cells of the window were forward-filled, if reported.
    pub fn filled_cells(&self) -> Option<u32> {
        self.filled_cells
    }

    /// Records how much `feature` contributed to the score.
    #[must_use]
    pub fn with_contribution(mut self, feature: impl Into<String>, contribution: f64) -> Self {
        self.contributions.insert(feature.into(), contribution);
        self
    }

    /// Always [`SCHEMA_VERSION`].
    pub fn schema_version(&self) -> u32 {
        SCHEMA_VERSION
    }

    /// Always [`MessageKind::Anomaly`].
    pub fn kind(&self) -> MessageKind {
        MessageKind::Anomaly
    }

    /// The scored device.
    pub fn device(&self) -> &DeviceId {
        &self.device
    }

    /// The model that scored it.
    pub fn model(&self) -> &ModelRef {
        &self.model
    }

    /// The span of readings scored.
    pub fn window(&self) -> TimeWindow {
        self.window
    }

    /// The anomaly score.
    pub fn score(&self) -> f64 {
        self.score
    }

    /// The threshold above which a score is an anomaly.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// Whether the score is an anomaly.
    pub fn is_anomaly(&self) -> bool {
        self.is_anomaly
    }

    /// Each feature's contribution to the score, by feature name.
    pub fn contributions(&self) -> &BTreeMap<String, f64> {
        &self.contributions
    }
}

/// Where an alarm is in its life. Written in lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlarmState {
    /// The condition is not present.
    Normal,
    /// The condition is present but has not lasted long enough to raise the alarm.
    Pending,
    /// The alarm is raised and not yet acknowledged.
    Active,
    /// The alarm is raised and an operator has acknowledged it.
    Acknowledged,
}

/// How urgent an alarm is. Written in lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// For information; no action needed.
    Low,
    /// Needs attention within the shift.
    Medium,
    /// Needs prompt action.
    High,
    /// Needs immediate action.
    Critical,
}

/// A change in the state of one alarm of one device.
///
/// JSON fields: `schemaVersion`, `kind` (`"alarm"`), `alarmId`, `device`, `state`, `severity`,
/// `message`, `timeMs`, and the optional `activeSinceMs`, `point`, `value`.
/// Serializing fails if the value is a NaN or infinite float.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmEvent {
    schema_version: VersionTag,
    kind: AlarmTag,
    alarm_id: String,
    device: DeviceId,
    state: AlarmState,
    severity: Severity,
    message: String,
    time_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    active_since_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    point: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<Value>,
}

impl AlarmEvent {
    /// Alarm `alarm_id` of `device` entered `state` at `time_ms` (epoch milliseconds).
    pub fn new(
        alarm_id: impl Into<String>,
        device: DeviceId,
        state: AlarmState,
        severity: Severity,
        message: impl Into<String>,
        time_ms: i64,
    ) -> Self {
        Self {
            schema_version: VersionTag,
            kind: AlarmTag::Alarm,
            alarm_id: alarm_id.into(),
            device,
            state,
            severity,
            message: message.into(),
            time_ms,
            active_since_ms: None,
            point: None,
            value: None,
        }
    }

    /// Sets when the alarm's condition became active, epoch milliseconds.
    #[must_use]
    pub fn with_active_since_ms(mut self, active_since_ms: i64) -> Self {
        self.active_since_ms = Some(active_since_ms);
        self
    }

    /// Sets the data point that triggered the alarm.
    #[must_use]
    pub fn with_point(mut self, point: impl Into<String>) -> Self {
        self.point = Some(point.into());
        self
    }

    /// Sets the value that triggered the alarm.
    #[must_use]
    pub fn with_value(mut self, value: impl Into<Value>) -> Self {
        self.value = Some(value.into());
        self
    }

    /// Always [`SCHEMA_VERSION`].
    pub fn schema_version(&self) -> u32 {
        SCHEMA_VERSION
    }

    /// Always [`MessageKind::Alarm`].
    pub fn kind(&self) -> MessageKind {
        MessageKind::Alarm
    }

    /// The alarm's id, stable across its state changes.
    pub fn alarm_id(&self) -> &str {
        &self.alarm_id
    }

    /// The device the alarm is about.
    pub fn device(&self) -> &DeviceId {
        &self.device
    }

    /// The state the alarm entered.
    pub fn state(&self) -> AlarmState {
        self.state
    }

    /// How urgent the alarm is.
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// A message for the operator.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// When the alarm entered its state, epoch milliseconds.
    pub fn time_ms(&self) -> i64 {
        self.time_ms
    }

    /// When the alarm's condition became active, epoch milliseconds, if known.
    pub fn active_since_ms(&self) -> Option<i64> {
        self.active_since_ms
    }

    /// The data point that triggered the alarm, if any.
    pub fn point(&self) -> Option<&str> {
        self.point.as_deref()
    }

    /// The value that triggered the alarm, if any.
    pub fn value(&self) -> Option<&Value> {
        self.value.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn device() -> DeviceId {
        DeviceId::new("press-1").unwrap()
    }

    #[test]
    fn an_anomaly_is_a_score_above_the_threshold() {
        let window = TimeWindow::new(0, 60_000).unwrap();
        let model = ModelRef::new("vib", "1.0.0");
        assert!(AnomalyEvent::new(device(), model.clone(), window, 0.91, 0.8).is_anomaly());
        assert!(!AnomalyEvent::new(device(), model, window, 0.8, 0.8).is_anomaly());
    }

    #[test]
    fn writes_an_anomaly_event_in_camel_case() {
        let event = AnomalyEvent::new(
            device(),
            ModelRef::new("vib", "1.0.0"),
            TimeWindow::new(1000, 2000).unwrap(),
            0.9,
            0.5,
        )
        .with_contribution("rms", 0.75);
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            json!({
                "schemaVersion": 1,
                "kind": "anomaly",
                "device": "press-1",
                "model": {"name": "vib", "version": "1.0.0"},
                "window": {"startMs": 1000, "endMs": 2000},
                "score": 0.9,
                "threshold": 0.5,
                "isAnomaly": true,
                "contributions": {"rms": 0.75},
            })
        );
    }

    #[test]
    fn filled_cells_are_written_only_when_reported() {
        let window = TimeWindow::new(0, 1).unwrap();
        let event = AnomalyEvent::new(device(), ModelRef::new("m", "1"), window, 0.1, 1.0);
        assert!(
            serde_json::to_value(&event)
                .unwrap()
                .get("filledCells")
                .is_none()
        );
        let value = serde_json::to_value(event.with_filled_cells(3)).unwrap();
        assert_eq!(value["filledCells"], json!(3));
        let back: AnomalyEvent = serde_json::from_value(value).unwrap();
        assert_eq!(back.filled_cells(), Some(3));
    }

    #[test]
    fn a_nan_score_or_contribution_fails_to_serialize() {
        let window = TimeWindow::new(0, 1).unwrap();
        let event = AnomalyEvent::new(device(), ModelRef::new("m", "1"), window, f64::NAN, 1.0);
        assert!(serde_json::to_string(&event).is_err());
        let event = AnomalyEvent::new(device(), ModelRef::new("m", "1"), window, 0.0, 1.0)
            .with_contribution("x", f64::INFINITY);
        assert!(serde_json::to_string(&event).is_err());
    }

    #[test]
    fn writes_an_alarm_event_in_camel_case() {
        let event = AlarmEvent::new(
            "oil-overtemp",
            device(),
            AlarmState::Active,
            Severity::High,
            "Oil temperature above 80 degC.",
            5000,
        )
        .with_active_since_ms(4000)
        .with_point("oilTemp")
        .with_value(83.2);
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            json!({
                "schemaVersion": 1,
                "kind": "alarm",
                "alarmId": "oil-overtemp",
                "device": "press-1",
                "state": "active",
                "severity": "high",
                "message": "Oil temperature above 80 degC.",
                "timeMs": 5000,
                "activeSinceMs": 4000,
                "point": "oilTemp",
                "value": 83.2,
            })
        );
    }

    #[test]
    fn severities_are_ordered_by_urgency() {
        assert!(Severity::Low < Severity::Medium);
        assert!(Severity::High < Severity::Critical);
    }
}
