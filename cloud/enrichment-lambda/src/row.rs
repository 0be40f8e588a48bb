//! One enriched reading as a line of the Glue table `readings` (JSON, snake_case columns).

use serde::Serialize;

/// A row of `readings`. Column names and types follow `ReadingsTable` in main-stack.yaml.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReadingRow {
    /// The gateway that read the device.
    pub gateway_id: String,
    /// From device metadata.
    pub factory_id: String,
    /// From device metadata.
    pub line_id: Option<String>,
    /// From device metadata.
    pub machine_type: Option<String>,
    /// The device.
    pub device: String,
    /// The data point.
    pub point: String,
    /// Numeric value after conversion (booleans as 1 and 0).
    pub value_double: Option<f64>,
    /// Text value.
    pub value_string: Option<String>,
    /// Unit of `value_double`.
    pub unit: Option<String>,
    /// `good`, `uncertain` or `bad`.
    pub quality: &'static str,
    /// The device's timestamp, epoch milliseconds.
    pub device_time_ms: Option<i64>,
    /// The gateway's timestamp, epoch milliseconds.
    pub gateway_time_ms: i64,
    /// The uploader record the reading came in.
    pub record_id: String,
}

impl ReadingRow {
    /// When the value was taken: the device's clock if it gave one, else the gateway's.
    pub fn time_ms(&self) -> i64 {
        self.device_time_ms.unwrap_or(self.gateway_time_ms)
    }

    /// The `dt` partition (`YYYY-MM-DD`, UTC) of the row.
    pub fn dt(&self) -> String {
        dt_of(self.time_ms())
    }
}

/// The UTC date of an epoch-millisecond time, as `YYYY-MM-DD` (times before 1970 count as 1970).
pub fn dt_of(time_ms: i64) -> String {
    let ms = u64::try_from(time_ms).unwrap_or(0);
    edge_model::time::rfc3339_millis(ms)
        .chars()
        .take(10)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_partition_is_the_utc_date() {
        assert_eq!(dt_of(0), "1970-01-01");
        assert_eq!(dt_of(1_764_115_199_999), "2025-11-25");
        assert_eq!(dt_of(1_764_115_200_000), "2025-11-26");
    }
}
