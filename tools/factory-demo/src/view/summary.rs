//! The summary printed when the demo stops, and its JSON form for tests and CI.

use serde_json::{Value, json};

use super::ViewState;
use super::state::PIPELINE;

/// The summary as JSON: counts per stage, alarm timing, uploader losses, components.
pub fn summary_json(v: &ViewState, seconds: f64) -> Value {
    let deployed = |c: &str| v.components.contains_key(c);
    let filter = "com.smartfactory.FilterAggregator";
    json!({
        "seconds": seconds,
        "components": PIPELINE.iter().map(|c| (c.to_string(), json!(v.component_state(c)))).collect::<serde_json::Map<_, _>>(),
        "rawReadings": v.raw_readings,
        "readingsByAdapter": v.adapter_readings(),
        "filteredReadings": v.filtered_readings,
        "filteredAway": deployed(filter).then(|| v.raw_readings.saturating_sub(v.filtered_readings)),
        "aggregateMessages": v.aggregate_messages,
        "anomalyEvents": v.anomaly_events,
        "anomaliesFlagged": v.anomalies_flagged,
        "alarmsRaised": v.alarms_raised,
        "alarmsBeforeFault": v.alarms_before_fault,
        "anomalyEventsBeforeFault": v.anomaly_events_before_fault,
        "peakScoreRatioBeforeFault": v.peak_score_ratio_before_fault,
        "firstFaultMs": v.first_fault_ms,
        "firstAlarmMs": v.first_alarm_ms,
        "faultToAlarmMs": match (v.first_fault_ms, v.first_alarm_ms) {
            (Some(f), Some(a)) if a >= f => Some(a - f),
            _ => None,
        },
        "uploaderSent": v.uploader.sent,
        "uploaderDropped": v.uploader_dropped(),
        "uploaderMetricMessages": v.uploader.metric_messages,
        "cloudRecords": v.cloud_records,
        "kinesisRecords": v.local_cloud.kinesis_records,
        "s3Objects": v.local_cloud.s3_objects,
        "s3Records": v.local_cloud.s3_records,
        "s3UploadsReported": v.uploader.s3_uploads.0,
        "s3UploadFailures": v.uploader.s3_uploads.1,
        "unreadableByTopic": v.unreadable,
        "unreadableMessages": v.unreadable.values().sum::<u64>(),
        "simulator": v.simulator,
    })
}

/// The summary as text.
pub fn summary_text(s: &Value) -> String {
    let n = |k: &str| {
        s[k].as_f64()
            .map_or("n/a".to_owned(), |x| format!("{x:.0}"))
    };
    let or_na = |k: &str, why: &str| {
        if s[k].is_null() {
            format!("n/a ({why})")
        } else {
            n(k)
        }
    };
    format!(
        "Demo summary ({:.0} s)\n  readings collected     {}\n  filtered away          {}\n  \
         aggregates             {}\n  anomaly events         {} ({} over threshold; {} before any fault, \
         peak score {:.2} x threshold)\n  \
         alarms raised          {}{}{}\n  uploaded (sent)        {}\n  dropped by uploader    {}\n  \
         records in local cloud {} (IoT Core outbox)\n  \
         local Kinesis/S3       {} Kinesis records, {} S3 objects ({} records){}",
        s["seconds"].as_f64().unwrap_or(0.0),
        n("rawReadings"),
        or_na("filteredAway", "FilterAggregator not deployed"),
        n("aggregateMessages"),
        n("anomalyEvents"),
        n("anomaliesFlagged"),
        n("anomalyEventsBeforeFault"),
        s["peakScoreRatioBeforeFault"].as_f64().unwrap_or(0.0),
        n("alarmsRaised"),
        match s["alarmsBeforeFault"].as_u64() {
            Some(0) | None => String::new(),
            Some(k) => format!(" ({k} before any fault: false alarms)"),
        },
        s["faultToAlarmMs"]
            .as_i64()
            .map_or(String::new(), |ms| format!(
                " (first {:.1} s after the fault)",
                ms as f64 / 1000.0
            )),
        n("uploaderSent"),
        n("uploaderDropped"),
        n("cloudRecords"),
        n("kinesisRecords"),
        n("s3Objects"),
        n("s3Records"),
        s["localCloudDir"]
            .as_str()
            .map_or(String::new(), |d| format!(" under {d}")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filtered_away_is_na_without_the_filter() {
        let mut v = ViewState {
            raw_readings: 100,
            ..ViewState::default()
        };
        let s = summary_json(&v, 10.0);
        assert!(s["filteredAway"].is_null());
        assert!(summary_text(&s).contains("n/a (FilterAggregator not deployed)"));
        v.components
            .insert("com.smartfactory.FilterAggregator".into(), "RUNNING".into());
        v.filtered_readings = 30;
        let s = summary_json(&v, 10.0);
        assert_eq!(s["filteredAway"], 70);
        assert!(summary_text(&s).contains("readings collected     100"));
    }
}
