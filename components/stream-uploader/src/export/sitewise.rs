//! SiteWise BatchPutAssetPropertyValue: each reading with a value becomes one entry (property
//! alias from the template), at most 10 entries per call. SiteWise's answer comes back per
//! entry (aws-edge merges an entry's errors): "try later" retries the record, a refusal for good
//! dead-letters it with the codes and messages.

use super::{Exporter, Outcome, classify};
use crate::store::StoredRecord;
use aws_edge::sitewise::{self, Put};
use aws_sdk_iotsitewise::types::{PutAssetPropertyValueEntry, Variant};
use edge_model::{Reading, ReadingBatch};

/// The SiteWise exporter.
#[derive(Debug, Clone)]
pub struct SiteWiseExporter {
    client: aws_sdk_iotsitewise::Client,
    alias_template: String,
}

impl SiteWiseExporter {
    /// An exporter with property aliases from `alias_template` (`{device}`, `{point}`).
    pub fn new(sdk: &aws_config::SdkConfig, alias_template: &str) -> Self {
        Self {
            client: aws_sdk_iotsitewise::Client::new(sdk),
            alias_template: alias_template.to_owned(),
        }
    }
}

/// The readings in a record: a reading batch or a single reading.
pub fn readings_of(payload: &[u8]) -> Result<Vec<Reading>, String> {
    if let Ok(batch) = serde_json::from_slice::<ReadingBatch>(payload) {
        return Ok(batch.into_readings());
    }
    serde_json::from_slice::<Reading>(payload)
        .map(|r| vec![r])
        .map_err(|e| format!("not a reading or reading batch: {e}"))
}

/// One SiteWise entry for a reading; `None` for a reading without a value (a failed read).
pub fn entry_of(
    reading: &Reading,
    alias_template: &str,
    entry_id: String,
) -> Option<Result<PutAssetPropertyValueEntry, String>> {
    let value = match reading.value()? {
        edge_model::Value::Float(f) => Variant::builder().double_value(*f).build(),
        edge_model::Value::Int(i) => sitewise::integer(*i),
        edge_model::Value::Bool(b) => Variant::builder().boolean_value(*b).build(),
        edge_model::Value::Text(s) => Variant::builder().string_value(s.clone()).build(),
    };
    let time_ms = reading
        .device_time_ms()
        .unwrap_or(reading.gateway_time_ms());
    let alias = alias_template
        .replace("{device}", reading.source().device().as_str())
        .replace("{point}", reading.source().point());
    Some(sitewise::entry(
        entry_id,
        alias,
        value,
        time_ms,
        sitewise::quality(reading.quality()),
    ))
}

impl Exporter for SiteWiseExporter {
    async fn send(&self, _store_id: &str, batch: &[StoredRecord]) -> Vec<Outcome> {
        let mut outcomes = vec![Outcome::Delivered; batch.len()];
        // (record index, entry)
        let mut entries = Vec::new();
        for (i, record) in batch.iter().enumerate() {
            let readings = match readings_of(&record.payload) {
                Ok(r) => r,
                Err(e) => {
                    outcomes[i] = Outcome::Reject(format!("SiteWise: {e}"));
                    continue;
                }
            };
            for (j, reading) in readings.iter().enumerate() {
                match entry_of(reading, &self.alias_template, format!("r{i}-{j}")) {
                    None => {}
                    Some(Ok(entry)) => entries.push((i, entry)),
                    Some(Err(e)) => outcomes[i] = Outcome::Reject(format!("SiteWise entry: {e}")),
                }
            }
        }
        let puts = sitewise::put(&self.client, &entries).await;
        for ((i, entry), put) in entries.iter().zip(puts) {
            let reason = |refusals| {
                format!(
                    "SiteWise entry {}: {}",
                    entry.entry_id(),
                    sitewise::reason(refusals)
                )
            };
            let outcome = match put {
                Put::Stored => continue,
                Put::CallFailed(e) => {
                    classify::call_failed("SiteWise BatchPutAssetPropertyValue", &e)
                }
                Put::Retry(refusals) => Outcome::Retry(reason(&refusals)),
                Put::Rejected(refusals) => Outcome::Reject(reason(&refusals)),
            };
            // A record has an entry per reading: a retry of any one wins over a rejection of
            // another, so the record stays queued.
            if outcomes[*i].is_final() {
                outcomes[*i] = outcome;
            }
        }
        outcomes
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use aws_sdk_iotsitewise::types::Quality;

    #[test]
    fn a_reading_becomes_an_entry_with_alias_quality_and_time() {
        let json = br#"{"source":{"device":"plc1","point":"temp"},"value":21.5,"quality":"good","gatewayTimeMs":1700000000123}"#;
        let readings = readings_of(json).unwrap();
        let entry = entry_of(&readings[0], "/f/{device}/{point}", "e1".into())
            .unwrap()
            .unwrap();
        assert_eq!(entry.property_alias(), Some("/f/plc1/temp"));
        let value = &entry.property_values()[0];
        assert_eq!(value.value().and_then(|v| v.double_value()), Some(21.5));
        let t = value.timestamp().unwrap();
        assert_eq!(
            (t.time_in_seconds(), t.offset_in_nanos()),
            (1_700_000_000, Some(123_000_000))
        );
        assert_eq!(value.quality(), Some(&Quality::Good));
    }

    #[test]
    fn something_else_is_not_a_reading() {
        assert!(readings_of(br#"{"alarm":true}"#).is_err());
    }
}
