//! Configuration of the example sensor (the recipe's DefaultConfiguration mirrors `Default`).

use component_kit::{ConfigError, lenient};
use edge_model::DeviceId;
use serde::Deserialize;
use std::time::Duration;

/// As deserialized from the component configuration.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct ExampleSensorConfig {
    /// Device id used in topics and readings.
    pub device_id: String,
    /// Time between two samples, in milliseconds (≥ 10).
    #[serde(deserialize_with = "lenient::duration_ms")]
    pub sample_interval_ms: Duration,
    /// Mean temperature of the simulated pump, °C.
    #[serde(deserialize_with = "lenient::f64")]
    pub base_temperature_c: f64,
}

impl Default for ExampleSensorConfig {
    fn default() -> Self {
        Self {
            device_id: "sim-pump1".to_owned(),
            sample_interval_ms: Duration::from_millis(1000),
            base_temperature_c: 45.0,
        }
    }
}

/// The validated form.
#[derive(Debug, Clone)]
pub struct ExampleSensor {
    /// Validated device id.
    pub device: DeviceId,
    /// Sample period.
    pub interval: Duration,
    /// Mean temperature.
    pub base_temperature_c: f64,
}

/// Checks ranges; names the key on error.
pub fn validate(config: ExampleSensorConfig) -> Result<ExampleSensor, ConfigError> {
    let device =
        DeviceId::new(config.device_id).map_err(|e| ConfigError::new("deviceId", e.to_string()))?;
    if config.sample_interval_ms < Duration::from_millis(10) {
        return Err(ConfigError::new("sampleIntervalMs", "must be at least 10"));
    }
    if !config.base_temperature_c.is_finite() {
        return Err(ConfigError::new(
            "baseTemperatureC",
            "must be a finite number",
        ));
    }
    Ok(ExampleSensor {
        device,
        interval: config.sample_interval_ms,
        base_temperature_c: config.base_temperature_c,
    })
}
