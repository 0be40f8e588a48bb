//! What the live view knows, built from the messages it sees. Pure: no I/O, so the rules
//! (what counts as a raised alarm, what the uploader's metrics add up to) are unit-tested.

use std::collections::BTreeMap;

use edge_model::{AlarmEvent, AlarmState, AnomalyEvent, ComponentStatus, ReadingBatch};
use serde::Serialize;
use serde_json::{Value, json};

use super::rate::Rate;

/// The pipeline's components, in flow order, as the view lists them.
pub const PIPELINE: [&str; 5] = [
    "com.smartfactory.ModbusAdapter",
    "com.smartfactory.OpcUaAdapter",
    "com.smartfactory.FilterAggregator",
    "com.smartfactory.AnomalyDetector",
    "com.smartfactory.StreamUploader",
];

const UPLOADER: &str = "com.smartfactory.StreamUploader";

/// One point's latest reading.
#[derive(Debug, Clone, Serialize)]
pub struct Latest {
    /// The value (absent when the read failed).
    pub value: Option<Value>,
    /// Its unit.
    pub unit: Option<String>,
    /// `good`, `uncertain` or `bad`.
    pub quality: String,
}

/// One device as its adapter reports it.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    /// Readings received.
    pub readings: u64,
    /// Readings per second, last 5 s.
    pub points_per_sec: f64,
    /// Link state from the adapter's status topic.
    pub link: Option<String>,
    /// The adapter that reads the device (from the adapter's configuration, or its status
    /// messages).
    pub adapter: Option<String>,
    /// Latest reading per point.
    pub latest: BTreeMap<String, Latest>,
    #[serde(skip)]
    rate: Rate,
}

/// The latest anomaly score of a device.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Score {
    /// Score.
    pub score: f64,
    /// Threshold.
    pub threshold: f64,
    /// Score above threshold.
    pub is_anomaly: bool,
}

/// An alarm that is raised now.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActiveAlarm {
    /// Device.
    pub device: String,
    /// Severity.
    pub severity: Value,
    /// Text.
    pub message: String,
    /// Active or acknowledged.
    pub state: AlarmState,
    /// When it went active, epoch ms.
    pub since_ms: i64,
}

/// The uploader's queue and totals, from its metrics.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Uploader {
    /// Records waiting, per export.
    pub queue_depth: BTreeMap<String, f64>,
    /// Age of the oldest waiting record, per export, ms.
    pub oldest_record_age_ms: BTreeMap<String, f64>,
    /// Records delivered.
    pub sent: f64,
    /// Records dropped, by reason.
    pub dropped: BTreeMap<String, f64>,
    /// Metrics messages seen.
    pub metric_messages: u64,
    /// S3 upload reports on the uploader's status topic: succeeded, failed.
    pub s3_uploads: (u64, u64),
}

/// Everything the view shows.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ViewState {
    /// Component name → lifecycle state, from the runtime.
    pub components: BTreeMap<String, String>,
    /// Devices by id.
    pub devices: BTreeMap<String, Device>,
    /// Raw readings received (all devices).
    pub raw_readings: u64,
    /// Filtered readings received.
    pub filtered_readings: u64,
    /// Aggregate messages received.
    pub aggregate_messages: u64,
    /// Anomaly events received.
    pub anomaly_events: u64,
    /// Anomaly events over threshold.
    pub anomalies_flagged: u64,
    /// Anomaly events (windows scored) before the view saw any fault act: the detector was
    /// judging normal data.
    pub anomaly_events_before_fault: u64,
    /// Highest score / threshold among those windows (below 1: no window over threshold).
    pub peak_score_ratio_before_fault: f64,
    /// Latest score per device.
    pub scores: BTreeMap<String, Score>,
    /// Alarms raised now, by alarm id.
    pub active_alarms: BTreeMap<String, ActiveAlarm>,
    /// Alarms that went active.
    pub alarms_raised: u64,
    /// Alarms that went active before the view saw any fault act: false alarms.
    pub alarms_before_fault: u64,
    /// When the first alarm went active (view clock), epoch ms.
    pub first_alarm_ms: Option<i64>,
    /// Component name → its resident memory, bytes, from its `process_resident_bytes`
    /// metric (every component reports its own; see component-kit's `footprint`).
    pub memory_bytes: BTreeMap<String, f64>,
    /// The uploader.
    pub uploader: Uploader,
    /// Records in the local IoT Core stand-in.
    pub cloud_records: u64,
    /// What landed in the local Kinesis/S3 folder.
    pub local_cloud: crate::cloud::Landed,
    /// The simulator's own status (`factory-sim ctl status`), when reachable.
    pub simulator: Option<Value>,
    /// When the view first saw a fault act in the simulator, epoch ms.
    pub first_fault_ms: Option<i64>,
    /// Messages the view could not read, by topic.
    pub unreadable: BTreeMap<String, u64>,
}

impl ViewState {
    /// Takes in one pub/sub message.
    pub fn ingest(&mut self, topic: &str, msg: &Value, now_ms: i64) {
        let levels: Vec<&str> = topic.split('/').collect();
        let ok = match levels.as_slice() {
            ["factory", "raw", _] => self.raw(msg, now_ms),
            ["factory", "filtered", _] => {
                self.filtered_readings += readings_in(msg);
                true
            }
            ["factory", "agg", _] => {
                self.aggregate_messages += 1;
                true
            }
            ["factory", "anomaly", _] => self.anomaly(msg),
            ["factory", "alarm", _] => self.alarm(msg, now_ms),
            ["factory", "status", _] => self.status(msg),
            ["cloudwatch", "metric", "put"] => self.metric(msg),
            _ => true,
        };
        if !ok {
            *self.unreadable.entry(topic.to_owned()).or_default() += 1;
        }
    }

    fn raw(&mut self, msg: &Value, now_ms: i64) -> bool {
        let Ok(batch) = serde_json::from_value::<ReadingBatch>(msg.clone()) else {
            return false;
        };
        let dev = self
            .devices
            .entry(batch.device().as_str().to_owned())
            .or_default();
        let n = batch.readings().len() as u64;
        dev.readings += n;
        dev.rate.add(now_ms, n);
        for r in batch.readings() {
            dev.latest.insert(
                r.source().point().to_owned(),
                Latest {
                    value: r.value().map(|v| json!(v)),
                    unit: r.unit().map(str::to_owned),
                    quality: json!(r.quality()).as_str().unwrap_or("?").to_owned(),
                },
            );
        }
        self.raw_readings += n;
        true
    }

    fn anomaly(&mut self, msg: &Value) -> bool {
        let Ok(ev) = serde_json::from_value::<AnomalyEvent>(msg.clone()) else {
            return false;
        };
        self.anomaly_events += 1;
        if self.first_fault_ms.is_none() {
            self.anomaly_events_before_fault += 1;
            if ev.threshold() > 0.0 {
                self.peak_score_ratio_before_fault = self
                    .peak_score_ratio_before_fault
                    .max(ev.score() / ev.threshold());
            }
        }
        if ev.is_anomaly() {
            self.anomalies_flagged += 1;
        }
        self.scores.insert(
            ev.device().as_str().to_owned(),
            Score {
                score: ev.score(),
                threshold: ev.threshold(),
                is_anomaly: ev.is_anomaly(),
            },
        );
        true
    }

    fn alarm(&mut self, msg: &Value, now_ms: i64) -> bool {
        let Ok(ev) = serde_json::from_value::<AlarmEvent>(msg.clone()) else {
            return false;
        };
        let id = format!("{}/{}", ev.device().as_str(), ev.alarm_id());
        match ev.state() {
            AlarmState::Active | AlarmState::Acknowledged => {
                if !self.active_alarms.contains_key(&id) {
                    self.alarms_raised += 1;
                    if self.first_fault_ms.is_none() {
                        self.alarms_before_fault += 1;
                    }
                    self.first_alarm_ms.get_or_insert(now_ms);
                }
                self.active_alarms.insert(
                    id,
                    ActiveAlarm {
                        device: ev.device().as_str().to_owned(),
                        severity: json!(ev.severity()),
                        message: ev.message().to_owned(),
                        state: ev.state(),
                        since_ms: ev.active_since_ms().unwrap_or(ev.time_ms()),
                    },
                );
            }
            AlarmState::Normal => {
                self.active_alarms.remove(&id);
            }
            AlarmState::Pending => {}
        }
        true
    }

    fn status(&mut self, msg: &Value) -> bool {
        // The uploader reports each S3 upload on its status topic, in its own shape.
        if msg["export"] == "s3" && msg["key"].is_string() {
            match msg["status"].as_str() {
                Some("Success") => self.uploader.s3_uploads.0 += 1,
                Some("Failure") => self.uploader.s3_uploads.1 += 1,
                _ => return false,
            }
            return true;
        }
        let Ok(st) = serde_json::from_value::<ComponentStatus>(msg.clone()) else {
            return false;
        };
        if let Some(d) = st.device() {
            let dev = self.devices.entry(d.as_str().to_owned()).or_default();
            dev.link = Some(json!(st.state()).as_str().unwrap_or("?").to_owned());
            dev.adapter = Some(st.component().as_str().to_owned());
        }
        true
    }

    /// One message in the input format of `aws.greengrass.Cloudwatch`; only each component's
    /// resident memory and the uploader's queue and delivery metrics are kept.
    fn metric(&mut self, msg: &Value) -> bool {
        let data = &msg["request"]["metricData"];
        let (Some(name), Some(value)) = (data["metricName"].as_str(), data["value"].as_f64())
        else {
            return false;
        };
        let dims: BTreeMap<&str, &str> = data["dimensions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| Some((d["name"].as_str()?, d["value"].as_str()?)))
            .collect();
        if name == "process_resident_bytes"
            && let Some(component) = dims.get("Component")
        {
            self.memory_bytes.insert((*component).to_owned(), value);
            return true;
        }
        if dims.get("Component") != Some(&UPLOADER) {
            return true;
        }
        let u = &mut self.uploader;
        u.metric_messages += 1;
        let export = dims.get("Export").copied().unwrap_or("all").to_owned();
        match name {
            "queue_depth_records" => {
                u.queue_depth.insert(export, value);
            }
            "oldest_record_age_ms" => {
                u.oldest_record_age_ms.insert(export, value);
            }
            // Counters arrive as the increase since the last publish.
            "sent_total" => u.sent += value,
            "dropped_total" => {
                let reason = dims.get("Reason").copied().unwrap_or("unknown").to_owned();
                *u.dropped.entry(reason).or_default() += value;
            }
            _ => {}
        }
        true
    }

    /// `component` reads `devices` (ids as in topics and readings), as its configuration says.
    pub fn set_adapter_devices(&mut self, component: &str, devices: &[String]) {
        for id in devices {
            self.devices.entry(id.clone()).or_default().adapter = Some(component.to_owned());
        }
    }

    /// Updates per-device rates to `now_ms`.
    pub fn refresh_rates(&mut self, now_ms: i64) {
        for d in self.devices.values_mut() {
            d.points_per_sec = d.rate.per_second(now_ms);
        }
    }

    /// The simulator's status; the first time it reports a fault, notes when.
    pub fn set_simulator(&mut self, status: Option<Value>, now_ms: i64) {
        if let Some(s) = &status
            && s["faults"].as_array().is_some_and(|f| !f.is_empty())
        {
            self.first_fault_ms.get_or_insert(now_ms);
        }
        self.simulator = status;
    }

    /// Points per second per adapter (devices whose adapter is not known yet count as `?`).
    pub fn adapter_rates(&self) -> BTreeMap<String, f64> {
        self.sum_per_adapter(|d| d.points_per_sec)
    }

    /// Readings received per adapter (devices whose adapter is not known yet count as `?`).
    pub fn adapter_readings(&self) -> BTreeMap<String, u64> {
        self.sum_per_adapter(|d| d.readings)
    }

    fn sum_per_adapter<T: Default + std::ops::AddAssign>(
        &self,
        of: impl Fn(&Device) -> T,
    ) -> BTreeMap<String, T> {
        let mut sums = BTreeMap::new();
        for d in self.devices.values() {
            let name = d.adapter.as_deref().unwrap_or("?");
            *sums
                .entry(name.trim_start_matches("com.smartfactory.").to_owned())
                .or_default() += of(d);
        }
        sums
    }

    /// Lifecycle state of `component`, or `not deployed`.
    pub fn component_state(&self, component: &str) -> &str {
        self.components
            .get(component)
            .map_or("not deployed", String::as_str)
    }

    /// The resident memory `component` last reported, MiB.
    pub fn component_memory_mib(&self, component: &str) -> Option<f64> {
        self.memory_bytes
            .get(component)
            .map(|b| b / (1024.0 * 1024.0))
    }

    /// Records dropped by the uploader, all reasons.
    pub fn uploader_dropped(&self) -> f64 {
        self.uploader.dropped.values().fold(0.0, |a, b| a + b)
    }
}

/// Readings in a batch-shaped message (0 when it has none).
fn readings_in(msg: &Value) -> u64 {
    msg["readings"].as_array().map_or(0, |r| r.len() as u64)
}

#[cfg(test)]
mod tests;
