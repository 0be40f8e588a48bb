//! The configuration keys every component has and the kit itself reads: `logLevel` and
//! `metricsIntervalMs`. A component's recipe lists them in its `DefaultConfiguration`.

use crate::config::{ConfigError, from_value};
use serde::Deserialize;
use serde_json::Value;
use std::time::Duration;

/// Key of the log level (`TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR`, any case; or a tracing
/// filter directive such as `info,ggipc=debug`). `RUST_LOG`, when set, wins.
pub const LOG_LEVEL_KEY: &str = "logLevel";
/// Key of the metrics publishing period in milliseconds; 0 disables publishing.
pub const METRICS_INTERVAL_KEY: &str = "metricsIntervalMs";
/// Default metrics period: one minute, CloudWatch's standard resolution.
pub const DEFAULT_METRICS_INTERVAL: Duration = Duration::from_secs(60);

/// The kit's own settings, read from the top level of the component's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KitSettings {
    log_filter: Option<String>,
    metrics_interval: Option<Duration>,
}

impl Default for KitSettings {
    fn default() -> Self {
        Self {
            log_filter: None,
            metrics_interval: Some(DEFAULT_METRICS_INTERVAL),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    #[serde(default)]
    log_level: Option<String>,
    #[serde(default, deserialize_with = "crate::lenient::option::u64")]
    metrics_interval_ms: Option<u64>,
}

impl KitSettings {
    /// Reads the kit's keys; other keys are left to the component.
    pub fn from_value(value: &Value) -> Result<Self, ConfigError> {
        let raw: Raw = from_value(value)?.config;
        let log_filter = raw
            .log_level
            .map(|level| log_filter(&level).ok_or(level))
            .transpose()
            .map_err(|level| {
                ConfigError::new(
                    LOG_LEVEL_KEY,
                    format!(
                        "invalid value: string {level:?}, expected one of TRACE, DEBUG, INFO, WARN, ERROR or a tracing filter"
                    ),
                )
            })?;
        let metrics_interval = match raw.metrics_interval_ms {
            None => Some(DEFAULT_METRICS_INTERVAL),
            Some(0) => None,
            Some(ms) => Some(Duration::from_millis(ms)),
        };
        Ok(Self {
            log_filter,
            metrics_interval,
        })
    }

    /// The tracing filter from `logLevel`, if set (`DEBUG` becomes `debug`).
    pub fn log_filter(&self) -> Option<&str> {
        self.log_filter.as_deref()
    }

    /// How often metrics are published; `None` when disabled.
    pub fn metrics_interval(&self) -> Option<Duration> {
        self.metrics_interval
    }
}

/// Maps a Greengrass-style level to a tracing filter; `None` if it is neither a level nor a
/// valid filter.
fn log_filter(level: &str) -> Option<String> {
    let text = level.trim();
    let plain = match text.to_ascii_uppercase().as_str() {
        "TRACE" => Some("trace"),
        "DEBUG" => Some("debug"),
        "INFO" => Some("info"),
        "WARN" | "WARNING" => Some("warn"),
        "ERROR" => Some("error"),
        "OFF" => Some("off"),
        _ => None,
    };
    match plain {
        Some(p) => Some(p.to_owned()),
        None if text.contains('=') => text
            .parse::<tracing_subscriber::filter::Targets>()
            .ok()
            .map(|_| text.to_owned()),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_when_absent() {
        let s = KitSettings::from_value(&json!({"other": 1})).unwrap();
        assert_eq!(s, KitSettings::default());
        assert_eq!(s.metrics_interval(), Some(Duration::from_secs(60)));
        assert_eq!(s.log_filter(), None);
    }

    #[test]
    fn greengrass_levels_and_directives() {
        let s = KitSettings::from_value(&json!({"logLevel": "DEBUG"})).unwrap();
        assert_eq!(s.log_filter(), Some("debug"));
        let s = KitSettings::from_value(&json!({"logLevel": "info,ggipc=trace"})).unwrap();
        assert_eq!(s.log_filter(), Some("info,ggipc=trace"));
    }

    #[test]
    fn a_bad_level_names_the_key() {
        let err = KitSettings::from_value(&json!({"logLevel": "LOUD"})).unwrap_err();
        assert_eq!(err.path(), "logLevel");
        assert!(err.to_string().contains("\"LOUD\""), "{err}");
    }

    #[test]
    fn metrics_interval_is_lenient_and_zero_disables() {
        let s = KitSettings::from_value(&json!({"metricsIntervalMs": "1500.0"})).unwrap();
        assert_eq!(s.metrics_interval(), Some(Duration::from_millis(1500)));
        let s = KitSettings::from_value(&json!({"metricsIntervalMs": 0})).unwrap();
        assert_eq!(s.metrics_interval(), None);
        let err = KitSettings::from_value(&json!({"metricsIntervalMs": 1.5})).unwrap_err();
        assert_eq!(err.path(), "metricsIntervalMs");
    }
}
