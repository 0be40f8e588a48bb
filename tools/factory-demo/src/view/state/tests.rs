//! The view's counting rules, fed with messages built by edge-model.

use edge_model::{
    AlarmEvent, AlarmState, AnomalyEvent, BatchBuilder, DeviceId, GatewayId, ModelRef, Quality,
    Reading, Severity, Source, TimeWindow,
};
use serde_json::{Value, json};

use super::ViewState;

fn dev() -> DeviceId {
    DeviceId::new("pump1").unwrap_or_else(|e| panic!("{e}"))
}

fn batch(n: usize) -> Value {
    let gw = GatewayId::new("gw").unwrap_or_else(|e| panic!("{e}"));
    let mut b = BatchBuilder::new(gw, dev(), 0);
    for i in 0..n {
        let r = Reading::new(Source::new(dev(), format!("p{i}")), 1.5, Quality::Good, 1)
            .with_unit("bar");
        assert!(b.push(r).unwrap_or_else(|e| panic!("{e}")).is_none());
    }
    json!(b.finish())
}

fn alarm(state: AlarmState) -> Value {
    json!(AlarmEvent::new(
        "highVibration",
        dev(),
        state,
        Severity::High,
        "vibration high",
        5
    ))
}

#[test]
fn raw_batches_count_readings_and_keep_the_latest_value() {
    let mut v = ViewState::default();
    v.ingest("factory/raw/pump1", &batch(3), 1000);
    v.ingest("factory/raw/pump1", &batch(3), 2000);
    assert_eq!(v.raw_readings, 6);
    let d = &v.devices["pump1"];
    assert_eq!(d.latest["p2"].value, Some(json!(1.5)));
    assert_eq!(d.latest["p2"].unit.as_deref(), Some("bar"));
    v.refresh_rates(2500);
    assert!((v.devices["pump1"].points_per_sec - 1.2).abs() < 1e-9);
    let status = edge_model::ComponentStatus::new(
        edge_model::ComponentName::new("com.smartfactory.ModbusAdapter")
            .unwrap_or_else(|e| panic!("{e}")),
        edge_model::LinkState::Online,
        1,
    )
    .with_device(dev());
    v.ingest(
        "factory/status/com.smartfactory.ModbusAdapter",
        &json!(status),
        2600,
    );
    assert_eq!(v.devices["pump1"].link.as_deref(), Some("online"));
    assert!((v.adapter_rates()["ModbusAdapter"] - 1.2).abs() < 1e-9);
}

#[test]
fn an_adapters_configuration_names_its_devices_without_a_status_message() {
    // The adapter went online before the view subscribed: readings, but no status.
    let mut v = ViewState::default();
    v.ingest("factory/raw/pump1", &batch(3), 1000);
    assert_eq!(v.adapter_readings().get("?"), Some(&3));
    v.set_adapter_devices(
        "com.smartfactory.ModbusAdapter",
        &["pump1".to_owned(), "plc2".to_owned()],
    );
    let by_adapter = v.adapter_readings();
    assert_eq!(by_adapter.get("ModbusAdapter"), Some(&3), "{by_adapter:?}");
    assert!(!by_adapter.contains_key("?"), "{by_adapter:?}");
    assert_eq!(
        v.devices["plc2"].adapter.as_deref(),
        Some("com.smartfactory.ModbusAdapter")
    );
}

#[test]
fn an_alarm_is_raised_once_until_it_returns_to_normal() {
    let mut v = ViewState::default();
    v.ingest("factory/alarm/pump1", &alarm(AlarmState::Pending), 10);
    assert_eq!(v.alarms_raised, 0);
    v.ingest("factory/alarm/pump1", &alarm(AlarmState::Active), 20);
    v.ingest("factory/alarm/pump1", &alarm(AlarmState::Acknowledged), 30);
    assert_eq!(v.alarms_raised, 1);
    assert_eq!(v.first_alarm_ms, Some(20));
    assert_eq!(v.active_alarms.len(), 1);
    v.ingest("factory/alarm/pump1", &alarm(AlarmState::Normal), 40);
    assert!(v.active_alarms.is_empty());
    v.ingest("factory/alarm/pump1", &alarm(AlarmState::Active), 50);
    assert_eq!(v.alarms_raised, 2);
    assert_eq!(v.first_alarm_ms, Some(20));
    // No fault was seen yet: both are false alarms.
    assert_eq!(v.alarms_before_fault, 2);
    v.ingest("factory/alarm/pump1", &alarm(AlarmState::Normal), 60);
    v.set_simulator(Some(json!({"faults": ["cavitation"]})), 70);
    v.ingest("factory/alarm/pump1", &alarm(AlarmState::Active), 80);
    assert_eq!(v.alarms_raised, 3);
    assert_eq!(v.alarms_before_fault, 2);
}

#[test]
fn anomaly_scores_are_kept_per_device() {
    let mut v = ViewState::default();
    let w = TimeWindow::new(0, 1000).unwrap_or_else(|e| panic!("{e}"));
    let ev = AnomalyEvent::new(dev(), ModelRef::new("pump", "1"), w, 0.9, 0.5);
    v.ingest("factory/anomaly/pump1", &json!(ev), 1);
    assert_eq!(v.anomalies_flagged, 1);
    assert!(v.scores["pump1"].is_anomaly);
    v.set_simulator(Some(json!({"faults": ["imbalance"]})), 2);
    v.ingest("factory/anomaly/pump1", &json!(ev), 3);
    assert_eq!((v.anomaly_events, v.anomaly_events_before_fault), (2, 1));
}

#[test]
fn uploader_metrics_sum_counters_and_keep_gauges() {
    let mut v = ViewState::default();
    let metric = |name: &str, value: f64, extra: Value| {
        let mut dims =
            vec![json!({"name": "Component", "value": "com.smartfactory.StreamUploader"})];
        if !extra.is_null() {
            dims.push(extra);
        }
        json!({"request": {"namespace": "SmartFactory/Edge", "metricData": {
            "metricName": name, "dimensions": dims, "value": value, "unit": "Count", "timestamp": 1}}})
    };
    let export = json!({"name": "Export", "value": "iotCore"});
    v.ingest(
        "cloudwatch/metric/put",
        &metric("sent_total", 10.0, export.clone()),
        1,
    );
    v.ingest(
        "cloudwatch/metric/put",
        &metric("sent_total", 5.0, export.clone()),
        2,
    );
    v.ingest(
        "cloudwatch/metric/put",
        &metric("queue_depth_records", 7.0, export.clone()),
        3,
    );
    v.ingest(
        "cloudwatch/metric/put",
        &metric("queue_depth_records", 2.0, export),
        4,
    );
    assert_eq!(v.uploader.sent, 15.0);
    assert_eq!(v.uploader.queue_depth["iotCore"], 2.0);
    assert_eq!(v.uploader_dropped(), 0.0);
    let reason = json!({"name": "Reason", "value": "queue_full"});
    v.ingest(
        "cloudwatch/metric/put",
        &metric("dropped_total", 3.0, reason),
        5,
    );
    assert_eq!(v.uploader_dropped(), 3.0);
}

#[test]
fn s3_upload_reports_are_counted_not_unreadable() {
    let mut v = ViewState::default();
    let topic = "factory/status/com.smartfactory.StreamUploader";
    let report = |status: &str| json!({"export": "s3", "status": status, "bucket": "b", "key": "k", "records": 3});
    v.ingest(topic, &report("Success"), 1);
    v.ingest(topic, &report("Failure"), 2);
    v.ingest(topic, &report("Maybe"), 3);
    assert_eq!(v.uploader.s3_uploads, (1, 1));
    assert_eq!(v.unreadable.get(topic), Some(&1));
}

#[test]
fn unreadable_messages_are_counted_not_fatal() {
    let mut v = ViewState::default();
    v.ingest("factory/raw/pump1", &json!({"nonsense": true}), 1);
    v.ingest("factory/alarm/pump1", &json!([1, 2]), 1);
    assert_eq!(v.unreadable["factory/raw/pump1"], 1);
    assert_eq!(v.unreadable["factory/alarm/pump1"], 1);
    assert_eq!(v.raw_readings, 0);
}

#[test]
fn missing_components_show_as_not_deployed_and_the_first_fault_is_timed() {
    let mut v = ViewState::default();
    v.components
        .insert("com.smartfactory.ModbusAdapter".into(), "RUNNING".into());
    assert_eq!(
        v.component_state("com.smartfactory.ModbusAdapter"),
        "RUNNING"
    );
    assert_eq!(
        v.component_state("com.smartfactory.AnomalyDetector"),
        "not deployed"
    );
    v.set_simulator(Some(json!({"faults": []})), 5);
    assert_eq!(v.first_fault_ms, None);
    v.set_simulator(Some(json!({"faults": ["cavitation"]})), 9);
    v.set_simulator(Some(json!({"faults": ["cavitation"]})), 12);
    assert_eq!(v.first_fault_ms, Some(9));
}

#[test]
fn every_component_memory_comes_from_its_footprint_metric() {
    let mut v = ViewState::default();
    let resident = |component: &str, bytes: f64| {
        json!({"request": {"namespace": "SmartFactory/Edge", "metricData": {
            "metricName": "process_resident_bytes", "unit": "Bytes", "timestamp": 1, "value": bytes,
            "dimensions": [{"name": "Component", "value": component},
                {"name": "ThingName", "value": "demo-gateway"}]}}})
    };
    let fa = "com.smartfactory.FilterAggregator";
    v.ingest("cloudwatch/metric/put", &resident(fa, 8.0 * 1048576.0), 1);
    v.ingest("cloudwatch/metric/put", &resident(fa, 9.5 * 1048576.0), 2);
    // A gauge: the latest value, not a sum.
    assert_eq!(v.component_memory_mib(fa), Some(9.5));
    assert_eq!(
        v.component_memory_mib("com.smartfactory.ModbusAdapter"),
        None
    );
    // Not the uploader's: its queue metrics are untouched.
    assert_eq!(v.uploader.metric_messages, 0);
    assert!(v.unreadable.is_empty());
}
