//! Configuration as deployed (recipe `DefaultConfiguration` merged per deployment) and its
//! validation. Every key here applies live: the kit restarts `run` with the new values, the
//! process keeps running.

use component_kit::ConfigError;
use component_kit::lenient::{self, option};
use edge_model::{DeviceId, Severity};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The environment variable the recipe sets to the model component's artifacts folder
/// (`{com.smartfactory.model.PcaT2q:artifacts:path}`); used when `modelDir` is empty.
pub const MODEL_DIR_ENV: &str = "ANOMALY_MODEL_DIR";

/// The component configuration.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct AnomalyDetectorConfig {
    /// Folder with `model.json` and `model.onnx`. Empty (default): `$ANOMALY_MODEL_DIR`.
    pub model_dir: String,
    /// Resampling period, ms. Absent or 0 (default): the model's `stepMs`.
    #[serde(deserialize_with = "option::u64")]
    pub step_ms: Option<u64>,
    /// A window is scored every this many steps (≥ 1). Default 1.
    #[serde(deserialize_with = "lenient::u64")]
    pub hop_steps: u64,
    /// Largest age, in steps, of a value that may fill an empty step. Default 5; 0 disables.
    #[serde(deserialize_with = "lenient::u64")]
    pub forward_fill_limit_steps: u64,
    /// How long a step waits for late or out-of-order readings, ms. Default 2000.
    #[serde(deserialize_with = "lenient::u64")]
    pub max_lateness_ms: u64,
    /// Score threshold; absent (default): the model's calibrated `threshold`.
    #[serde(deserialize_with = "option::f64")]
    pub threshold: Option<f64>,
    /// Steps of each device's own data to refit the model on before scoring (its normal
    /// baseline, as in SKAB's protocol); 0: score with the model as shipped. Default 400.
    #[serde(deserialize_with = "lenient::u64")]
    pub baseline_steps: u64,
    /// The alarm raised from the scores.
    pub alarm: AlarmConfig,
    /// Devices keyed by device id: which point feeds each model feature.
    pub devices: BTreeMap<String, DeviceConfig>,
}

impl Default for AnomalyDetectorConfig {
    fn default() -> Self {
        Self {
            model_dir: String::new(),
            step_ms: None,
            hop_steps: 1,
            forward_fill_limit_steps: 5,
            max_lateness_ms: 2000,
            threshold: None,
            baseline_steps: 400,
            alarm: AlarmConfig::default(),
            devices: BTreeMap::new(),
        }
    }
}

/// Alarm rules (see `alarm.rs`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct AlarmConfig {
    /// The condition clears below threshold × this (0 < ratio ≤ 1). Default 0.8.
    #[serde(deserialize_with = "lenient::f64")]
    pub clear_ratio: f64,
    /// How long the condition must hold before the alarm is raised, ms. Default 10000.
    #[serde(deserialize_with = "lenient::u64")]
    pub min_duration_ms: u64,
    /// Whether a raised alarm stays active until acknowledged. Default false.
    #[serde(deserialize_with = "lenient::bool")]
    pub latching: bool,
    /// `low`, `medium`, `high` or `critical`. Default `high`.
    pub severity: String,
}

impl Default for AlarmConfig {
    fn default() -> Self {
        Self {
            clear_ratio: 0.8,
            min_duration_ms: 10_000,
            latching: false,
            severity: "high".into(),
        }
    }
}

/// One device.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct DeviceConfig {
    /// Model feature name → point id of this device's filtered readings.
    pub points: BTreeMap<String, String>,
}

/// The validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct AnomalyDetector {
    /// Configured model folder; `None`: take it from [`MODEL_DIR_ENV`].
    pub model_dir: Option<PathBuf>,
    /// Resampling period override, ms.
    pub step_ms: Option<i64>,
    /// Steps between scored windows.
    pub hop_steps: usize,
    /// Forward-fill limit, steps.
    pub forward_fill_limit_steps: usize,
    /// Lateness allowance, ms.
    pub max_lateness_ms: i64,
    /// Threshold override.
    pub threshold: Option<f64>,
    /// Baseline steps per device (0: none).
    pub baseline_steps: usize,
    /// Alarm rules without the threshold (it comes from the model or the override).
    pub alarm: AlarmSettings,
    /// Devices.
    pub devices: Vec<DeviceSpec>,
}

/// Validated alarm settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlarmSettings {
    /// See [`AlarmConfig::clear_ratio`].
    pub clear_ratio: f64,
    /// See [`AlarmConfig::min_duration_ms`].
    pub min_duration_ms: i64,
    /// See [`AlarmConfig::latching`].
    pub latching: bool,
    /// See [`AlarmConfig::severity`].
    pub severity: Severity,
}

/// A validated device.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceSpec {
    /// The device id.
    pub id: DeviceId,
    /// Feature name → point id.
    pub points: BTreeMap<String, String>,
}

/// Checks ranges and builds the validated form; each error names its key.
pub fn validate(c: AnomalyDetectorConfig) -> Result<AnomalyDetector, ConfigError> {
    if c.hop_steps == 0 || c.hop_steps > 3600 {
        return Err(ConfigError::new("hopSteps", "must be 1..=3600"));
    }
    if c.step_ms.is_some_and(|s| s > 3_600_000) {
        return Err(ConfigError::new(
            "stepMs",
            "must be at most 3600000 (0 = the model's)",
        ));
    }
    if c.forward_fill_limit_steps > 3600 {
        return Err(ConfigError::new(
            "forwardFillLimitSteps",
            "must be 0..=3600",
        ));
    }
    if c.baseline_steps > 100_000 {
        return Err(ConfigError::new("baselineSteps", "must be at most 100000"));
    }
    if c.max_lateness_ms > 600_000 {
        return Err(ConfigError::new("maxLatenessMs", "must be at most 600000"));
    }
    if let Some(t) = c.threshold
        && !(t.is_finite() && t > 0.0)
    {
        return Err(ConfigError::new("threshold", "must be a positive number"));
    }
    let a = &c.alarm;
    if !(a.clear_ratio > 0.0 && a.clear_ratio <= 1.0) {
        return Err(ConfigError::new("alarm.clearRatio", "must be in (0, 1]"));
    }
    let severity: Severity =
        serde_json::from_value(serde_json::Value::String(a.severity.to_ascii_lowercase()))
            .map_err(|_| {
                ConfigError::new("alarm.severity", "must be low, medium, high or critical")
            })?;
    if c.devices.is_empty() {
        return Err(ConfigError::new("devices", "at least one device is needed"));
    }
    let mut devices = Vec::new();
    for (id, d) in &c.devices {
        let key = format!("devices.{id}");
        let device = DeviceId::new(id).map_err(|e| ConfigError::new(&key, e.to_string()))?;
        if d.points.is_empty() {
            return Err(ConfigError::new(format!("{key}.points"), "no points"));
        }
        if let Some((f, _)) = d.points.iter().find(|(_, p)| p.trim().is_empty()) {
            return Err(ConfigError::new(
                format!("{key}.points.{f}"),
                "empty point id",
            ));
        }
        devices.push(DeviceSpec {
            id: device,
            points: d.points.clone(),
        });
    }
    Ok(AnomalyDetector {
        model_dir: (!c.model_dir.trim().is_empty()).then(|| PathBuf::from(c.model_dir.trim())),
        step_ms: c.step_ms.filter(|&s| s > 0).map(|s| s as i64),
        hop_steps: c.hop_steps as usize,
        forward_fill_limit_steps: c.forward_fill_limit_steps as usize,
        max_lateness_ms: c.max_lateness_ms as i64,
        threshold: c.threshold,
        baseline_steps: c.baseline_steps as usize,
        alarm: AlarmSettings {
            clear_ratio: a.clear_ratio,
            min_duration_ms: a.min_duration_ms as i64,
            latching: a.latching,
            severity,
        },
        devices,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: serde_json::Value) -> AnomalyDetectorConfig {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn numbers_as_strings_are_accepted() {
        let c = parse(json!({
            "hopSteps": "5", "maxLatenessMs": 1000.0, "threshold": "3.5",
            "alarm": {"minDurationMs": "0", "latching": "true"},
            "devices": {"pump-1": {"points": {"Current": "current"}}}
        }));
        let v = validate(c).unwrap();
        assert_eq!(
            (v.hop_steps, v.max_lateness_ms, v.threshold),
            (5, 1000, Some(3.5))
        );
        assert!(v.alarm.latching);
    }

    #[test]
    fn errors_name_the_key() {
        let base = json!({"devices": {"pump-1": {"points": {"Current": "current"}}}});
        let mut bad = base.clone();
        bad["hopSteps"] = json!(0);
        assert_eq!(validate(parse(bad)).unwrap_err().path(), "hopSteps");
        let mut bad = base.clone();
        bad["alarm"] = json!({"severity": "apocalyptic"});
        assert_eq!(validate(parse(bad)).unwrap_err().path(), "alarm.severity");
        let mut bad = base.clone();
        bad["devices"]["pump-1"]["points"]["Current"] = json!(" ");
        assert_eq!(
            validate(parse(bad)).unwrap_err().path(),
            "devices.pump-1.points.Current"
        );
        assert_eq!(validate(parse(json!({}))).unwrap_err().path(), "devices");
    }
}
