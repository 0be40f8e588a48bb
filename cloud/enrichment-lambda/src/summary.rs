//! What one invocation did, counted; logged as one CloudWatch embedded-metric-format line, so
//! the counts become metrics without a PutMetricData call.

use serde::Serialize;
use std::collections::BTreeMap;

/// Namespace of the metrics.
pub const NAMESPACE: &str = "SmartFactory/Enrichment";

/// Counts of one invocation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Summary {
    /// Kinesis records in the event.
    pub records: u64,
    /// Uploader envelopes in them.
    pub envelopes: u64,
    /// Reading rows written to the lake.
    pub readings_written: u64,
    /// Machine states SiteWise accepted.
    pub states_sent: u64,
    /// Envelopes whose record id was processed before at another sequence number.
    pub duplicates: u64,
    /// Envelopes Kinesis delivered again after a partial failure (skipped silently).
    pub redelivered: u64,
    /// Envelopes of kinds this function does not enrich (aggregates, anomaly, alarm events).
    pub other_kinds: u64,
    /// Dead-letter lines written, all rules.
    pub dead_letters: u64,
    /// Records reported back for retry.
    pub failed_records: u64,
    /// Times the processed record ids could not be stored.
    pub dedup_mark_errors: u64,
    /// Dead letters by rule (not a metric; logged for reading).
    #[serde(skip)]
    pub dead_letters_by_rule: BTreeMap<String, u64>,
}

impl Summary {
    /// Counts one dead letter under `rule`.
    pub fn dead_letter(&mut self, rule: &str) {
        self.dead_letters += 1;
        *self
            .dead_letters_by_rule
            .entry(rule.to_owned())
            .or_default() += 1;
    }

    /// The embedded-metric-format line at `time_ms`.
    pub fn emf_line(&self, time_ms: u64) -> String {
        let mut body = serde_json::to_value(self).unwrap_or_default();
        let names: Vec<_> = body
            .as_object()
            .map(|o| {
                o.keys()
                    .map(|k| serde_json::json!({"Name": k, "Unit": "Count"}))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(o) = body.as_object_mut() {
            o.insert(
                "_aws".into(),
                serde_json::json!({"Timestamp": time_ms, "CloudWatchMetrics": [
                    {"Namespace": NAMESPACE, "Dimensions": [[]], "Metrics": names}]}),
            );
            o.insert(
                "DeadLettersByRule".into(),
                serde_json::to_value(&self.dead_letters_by_rule).unwrap_or_default(),
            );
        }
        body.to_string()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn the_line_declares_every_count_as_a_metric() {
        let mut s = Summary {
            records: 3,
            ..Summary::default()
        };
        s.dead_letter("range");
        let v: serde_json::Value = serde_json::from_str(&s.emf_line(1)).unwrap();
        assert_eq!(v["Records"], 3);
        assert_eq!(v["DeadLetters"], 1);
        assert_eq!(v["DeadLettersByRule"]["range"], 1);
        let metrics = v["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap();
        assert_eq!(metrics.len(), 10);
        assert_eq!(v["_aws"]["CloudWatchMetrics"][0]["Namespace"], NAMESPACE);
    }
}
