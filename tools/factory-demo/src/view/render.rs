//! The terminal dashboard: plain text, redrawn in place with ANSI codes.

use std::fmt::Write as _;

use serde_json::Value;

use super::ViewState;
use super::state::PIPELINE;

/// Clears the screen and homes the cursor.
pub const CLEAR: &str = "\x1b[H\x1b[2J";

/// The dashboard as text, at most about 40 lines.
pub fn dashboard(v: &ViewState, web_url: &str, elapsed_s: u64) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Smart factory demo — {elapsed_s}s — web view {web_url} — Ctrl-C stops"
    );
    let _ = writeln!(o);
    let _ = writeln!(o, "COMPONENTS");
    for c in PIPELINE {
        let short = c.trim_start_matches("com.smartfactory.");
        let memory = v
            .component_memory_mib(c)
            .map_or(String::new(), |m| format!("  {m:.1} MiB resident"));
        let _ = writeln!(o, "  {short:<18} {:<9}{memory}", v.component_state(c));
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "SIMULATOR  {}", simulator_line(v.simulator.as_ref()));
    for (adapter, rate) in v.adapter_rates() {
        let _ = writeln!(o, "ADAPTER    {adapter}: {rate:.1} points/s");
    }
    for (id, d) in &v.devices {
        let link = d.link.as_deref().unwrap_or("-");
        let _ = writeln!(
            o,
            "DEVICE {id}  link {link}  {:.1} points/s  {} readings",
            d.points_per_sec, d.readings
        );
        let mut line = String::from(" ");
        for (i, (point, l)) in d.latest.iter().enumerate() {
            let val = l.value.as_ref().map_or("BAD".to_owned(), short_value);
            let cell = format!(" {point}={val}{}", l.unit.as_deref().unwrap_or(""));
            line.push_str(&format!("{cell:<30}"));
            if i % 3 == 2 {
                let _ = writeln!(o, "{line}");
                line = String::from(" ");
            }
        }
        if !line.trim().is_empty() {
            let _ = writeln!(o, "{line}");
        }
    }
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "PIPELINE  raw {}  filtered {}  aggregates {}  anomaly events {}  cloud records {}  \
         kinesis {}  s3 objects {}",
        v.raw_readings,
        v.filtered_readings,
        v.aggregate_messages,
        v.anomaly_events,
        v.cloud_records,
        v.local_cloud.kinesis_records,
        v.local_cloud.s3_objects
    );
    for (dev, s) in &v.scores {
        let flag = if s.is_anomaly { "  ANOMALY" } else { "" };
        let _ = writeln!(
            o,
            "ANOMALY   {dev}: score {:.3} / threshold {:.3}{flag}",
            s.score, s.threshold
        );
    }
    let u = &v.uploader;
    let depth = u.queue_depth.values().fold(0.0, |a, b| a + b);
    let oldest = u.oldest_record_age_ms.values().copied().fold(0.0, f64::max);
    let _ = writeln!(
        o,
        "UPLOADER  queue {depth:.0} records, oldest {:.1}s, sent {:.0}, dropped {:.0}",
        oldest / 1000.0,
        u.sent,
        v.uploader_dropped()
    );
    let _ = writeln!(o);
    if v.active_alarms.is_empty() {
        let _ = writeln!(
            o,
            "ALARMS    none active ({} raised so far)",
            v.alarms_raised
        );
    } else {
        let _ = writeln!(
            o,
            "ALARMS    {} ACTIVE ({} raised so far)",
            v.active_alarms.len(),
            v.alarms_raised
        );
        for a in v.active_alarms.values() {
            let _ = writeln!(
                o,
                "  [{}] {}: {}",
                a.severity.as_str().unwrap_or("?"),
                a.device,
                a.message
            );
        }
    }
    o
}

/// One line about the simulator: faults acting, parts.
pub fn simulator_line(sim: Option<&Value>) -> String {
    let Some(s) = sim else {
        return "not reachable".to_owned();
    };
    let faults: Vec<&str> = s["faults"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    format!(
        "state {}, parts good {} / bad {}, faults: {}",
        s["state"].as_str().unwrap_or("?"),
        s["goodParts"],
        s["badParts"],
        if faults.is_empty() {
            "none".to_owned()
        } else {
            faults.join(", ")
        }
    )
}

fn short_value(v: &Value) -> String {
    match v.as_f64() {
        Some(f) if v.is_f64() => format!("{f:.2}"),
        _ => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_missing_components_and_the_simulator() {
        let mut v = ViewState::default();
        v.components
            .insert("com.smartfactory.ModbusAdapter".into(), "RUNNING".into());
        v.memory_bytes.insert(
            "com.smartfactory.ModbusAdapter".into(),
            6.5 * 1024.0 * 1024.0,
        );
        v.set_simulator(Some(json!({"state": "running", "goodParts": 3, "badParts": 1, "faults": ["cavitation"]})), 1);
        let text = dashboard(&v, "http://127.0.0.1:8088/", 12);
        assert!(
            text.contains("ModbusAdapter      RUNNING    6.5 MiB resident"),
            "{text}"
        );
        assert!(text.contains("AnomalyDetector    not deployed"), "{text}");
        assert!(text.contains("faults: cavitation"), "{text}");
        assert!(text.contains("none active"), "{text}");
    }
}
