//! Every message this crate writes satisfies its JSON Schema.

use edge_model::{
    AlarmEvent, AlarmState, AnomalyEvent, BatchBuilder, ComponentName, ComponentStatus, DeviceId,
    GatewayId, LinkState, MessageKind, ModelRef, Quality, Reading, Severity, Source, TimeWindow,
    schema_for,
};
use proptest::prelude::*;

use crate::{assert_valid, strategies};

fn device(id: &str) -> DeviceId {
    DeviceId::new(id).unwrap()
}

fn press_readings() -> Vec<Reading> {
    let press = device("press-1");
    let at = |point: &str| Source::new(press.clone(), point);
    let t = 1_718_000_000_000;
    vec![
        Reading::new(at("oilTemp"), 71.25, Quality::Good, t)
            .with_unit("degC")
            .with_device_time_ms(t - 12),
        Reading::new(at("strokeCount"), 1_204_331_i64, Quality::Good, t),
        Reading::new(at("pressure"), 1.0, Quality::Good, t).with_unit("bar"),
        Reading::new(at("doorClosed"), true, Quality::Good, t),
        Reading::new(at("mode"), "AUTO", Quality::Good, t),
        Reading::new(at("motorCurrent"), 0.0, Quality::Uncertain, t)
            .with_unit("A")
            .with_quality_detail("value frozen for 60 s"),
        Reading::failed(
            at("hr40017"),
            "modbus exception 0x02 (illegal data address)",
            t,
        ),
    ]
}

#[test]
fn every_schema_is_a_valid_draft_2020_12_schema() {
    for kind in MessageKind::ALL {
        let schema: serde_json::Value = serde_json::from_str(schema_for(kind)).unwrap();
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        jsonschema::meta::validate(&schema).unwrap();
    }
}

#[test]
fn shared_definitions_are_identical_in_every_schema() {
    let schemas: Vec<serde_json::Value> = MessageKind::ALL
        .iter()
        .map(|kind| serde_json::from_str(schema_for(*kind)).unwrap())
        .collect();
    for name in ["id", "epochMs", "value"] {
        let copies: Vec<&serde_json::Value> = schemas
            .iter()
            .filter_map(|schema| schema["$defs"].get(name))
            .collect();
        assert!(copies.len() >= 2, "{name} is shared");
        assert!(copies.windows(2).all(|pair| pair[0] == pair[1]), "{name}");
    }
}

#[test]
fn a_realistic_press_batch_satisfies_the_schema() {
    let mut builder = BatchBuilder::new(GatewayId::new("line3-gw").unwrap(), device("press-1"), 17);
    let batches = builder.split(press_readings()).unwrap();
    assert_eq!(batches.len(), 1);
    let json = serde_json::to_value(&batches[0]).unwrap();
    assert_eq!(json["readings"][1]["value"], 1_204_331);
    assert_valid(MessageKind::Readings, &json);
}

#[test]
fn realistic_anomaly_events_satisfy_the_schema() {
    let window = TimeWindow::new(1_718_000_000_000, 1_718_000_060_000).unwrap();
    let model = ModelRef::new("press-vibration-iforest", "2.1.0");
    let quiet = AnomalyEvent::new(device("press-1"), model.clone(), window, 0.12, 0.7);
    let loud = AnomalyEvent::new(device("press-1"), model, window, 0.93, 0.7)
        .with_contribution("vibRms", 0.61)
        .with_contribution("oilTemp", 0.27)
        .with_contribution("motorCurrent", 0.05)
        .with_filled_cells(4);
    for event in [quiet, loud] {
        assert_valid(MessageKind::Anomaly, &serde_json::to_value(&event).unwrap());
    }
}

#[test]
fn realistic_alarm_events_satisfy_the_schema() {
    let press = device("press-1");
    let raised = AlarmEvent::new(
        "press-1.oilTemp.high",
        press.clone(),
        AlarmState::Active,
        Severity::High,
        "Oil temperature above 80 degC.",
        1_718_000_005_000,
    )
    .with_active_since_ms(1_718_000_000_000)
    .with_point("oilTemp")
    .with_value(83.4);
    let acknowledged = AlarmEvent::new(
        "press-1.door.open",
        press.clone(),
        AlarmState::Acknowledged,
        Severity::Critical,
        "Guard door open while running.",
        1_718_000_009_000,
    )
    .with_point("doorClosed")
    .with_value(false);
    let cleared = AlarmEvent::new(
        "press-1.oilTemp.high",
        press,
        AlarmState::Normal,
        Severity::High,
        "Oil temperature back to normal.",
        1_718_000_100_000,
    );
    for event in [raised, acknowledged, cleared] {
        assert_valid(MessageKind::Alarm, &serde_json::to_value(&event).unwrap());
    }
}

#[test]
fn realistic_status_events_satisfy_the_schema() {
    let adapter = ComponentName::new("com.example.ModbusAdapter").unwrap();
    let statuses = [
        ComponentStatus::new(adapter.clone(), LinkState::Online, 1_718_000_000_000)
            .with_device(device("press-1")),
        ComponentStatus::new(adapter.clone(), LinkState::Backoff, 1_718_000_001_000)
            .with_device(device("press-2"))
            .with_detail("connection refused, next attempt in 4000 ms"),
        ComponentStatus::new(adapter, LinkState::Offline, 1_718_000_002_000),
    ];
    for status in statuses {
        assert_valid(MessageKind::Status, &serde_json::to_value(&status).unwrap());
    }
}

proptest! {
    #[test]
    fn random_batches_satisfy_the_schema(
        (device, readings) in strategies::device_id().prop_flat_map(|device| {
            let readings = proptest::collection::vec(strategies::reading_of(device.clone()), 1..40);
            (Just(device), readings)
        }),
        gateway in strategies::id_text(),
        first_sequence in any::<u64>(),
    ) {
        let gateway = GatewayId::new(gateway).unwrap();
        let mut builder = BatchBuilder::new(gateway, device, first_sequence);
        for batch in builder.split(readings).unwrap() {
            assert_valid(MessageKind::Readings, &serde_json::to_value(&batch).unwrap());
        }
    }

    #[test]
    fn random_anomaly_events_satisfy_the_schema(event in strategies::anomaly_event()) {
        assert_valid(MessageKind::Anomaly, &serde_json::to_value(&event).unwrap());
    }

    #[test]
    fn random_alarm_events_satisfy_the_schema(event in strategies::alarm_event()) {
        assert_valid(MessageKind::Alarm, &serde_json::to_value(&event).unwrap());
    }

    #[test]
    fn random_status_events_satisfy_the_schema(status in strategies::component_status()) {
        assert_valid(MessageKind::Status, &serde_json::to_value(&status).unwrap());
    }
}

#[test]
fn realistic_aggregate_batches_satisfy_the_schema() {
    use edge_model::{Aggregate, AggregateBatchBuilder, Stats};
    let window = TimeWindow::new(1_718_000_000_000, 1_718_000_060_000).unwrap();
    let temps = Stats {
        count: 60,
        min: Some(70.5),
        max: Some(72.25),
        mean: Some(71.4),
        stddev: Some(0.31),
        first: Some(70.5),
        last: Some(72.0),
        percentiles: [("p50".to_owned(), 71.3), ("p99.9".to_owned(), 72.2)].into(),
        ..Stats::default()
    };
    let states = Stats {
        count: 4,
        state_durations_ms: [("running".to_owned(), 45_000), ("down".to_owned(), 15_000)].into(),
        ..Stats::default()
    };
    let mut builder =
        AggregateBatchBuilder::new(GatewayId::new("line3-gw").unwrap(), device("press-1"), 0);
    assert!(
        builder
            .push(Aggregate::new("oilTemp", "temps", window, temps).with_unit("degC"))
            .unwrap()
            .is_none()
    );
    assert!(
        builder
            .push(Aggregate::new("machineState", "states", window, states))
            .unwrap()
            .is_none()
    );
    let json = serde_json::to_value(builder.finish().unwrap()).unwrap();
    assert_valid(MessageKind::Aggregates, &json);
}

#[test]
fn realistic_dead_letters_satisfy_the_schema() {
    use edge_model::DeadLetter;
    let component = ComponentName::new("com.smartfactory.FilterAggregator").unwrap();
    let rejected = DeadLetter::new(component.clone(), "value 912.0 above max 200.0", 5)
        .with_topic("factory/raw/press-1")
        .with_rule("temps")
        .with_reading(press_readings()[0].clone());
    let unreadable = DeadLetter::new(component, "malformed JSON: expected value", 6)
        .with_topic("factory/raw/press-1")
        .with_payload("{\"schemaVersion\": 1, \"readings\": [NaN]}");
    for letter in [rejected, unreadable] {
        assert_valid(
            MessageKind::DeadLetter,
            &serde_json::to_value(&letter).unwrap(),
        );
    }
}
