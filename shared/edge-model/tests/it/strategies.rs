//! proptest strategies that build random messages through the public API.

use edge_model::{
    AlarmEvent, AlarmState, AnomalyEvent, ComponentName, ComponentStatus, DeviceId, LinkState,
    ModelRef, Quality, Reading, Severity, Source, TimeWindow, Value,
};
use proptest::prelude::*;

/// Any valid identifier: up to 32 characters of any script, none of `/`, `+`, `#` or controls.
pub(crate) fn id_text() -> impl Strategy<Value = String> {
    "[^/+#\\p{Cc}]{1,32}"
}

pub(crate) fn device_id() -> impl Strategy<Value = DeviceId> {
    id_text().prop_map(|id| DeviceId::new(id).unwrap())
}

pub(crate) fn component_name() -> impl Strategy<Value = ComponentName> {
    id_text().prop_map(|id| ComponentName::new(id).unwrap())
}

pub(crate) fn finite_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |x| x.is_finite()),
        (-1.0e6..1.0e6_f64),
        (-1000_i32..1000).prop_map(f64::from),
    ]
}

pub(crate) fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        finite_f64().prop_map(Value::Float),
        any::<i64>().prop_map(Value::Int),
        any::<bool>().prop_map(Value::Bool),
        ".{0,40}".prop_map(Value::Text),
    ]
}

pub(crate) fn quality() -> impl Strategy<Value = Quality> {
    prop_oneof![
        Just(Quality::Good),
        Just(Quality::Uncertain),
        Just(Quality::Bad),
    ]
}

/// A reading of `device`, with or without a value and each optional field.
pub(crate) fn reading_of(device: DeviceId) -> impl Strategy<Value = Reading> {
    (
        ".{0,24}",
        proptest::option::weighted(0.9, (value(), quality())),
        proptest::option::of("[a-zA-Z%/]{1,6}"),
        proptest::option::of(".{0,60}"),
        proptest::option::of(any::<i64>()),
        any::<i64>(),
    )
        .prop_map(
            move |(point, value_quality, unit, detail, device_time, gateway_time)| {
                let source = Source::new(device.clone(), point);
                let mut reading = match value_quality {
                    Some((value, quality)) => Reading::new(source, value, quality, gateway_time),
                    None => Reading::failed(source, "read failed", gateway_time),
                };
                if let Some(unit) = unit {
                    reading = reading.with_unit(unit);
                }
                if let Some(detail) = detail {
                    reading = reading.with_quality_detail(detail);
                }
                if let Some(device_time) = device_time {
                    reading = reading.with_device_time_ms(device_time);
                }
                reading
            },
        )
}

pub(crate) fn window() -> impl Strategy<Value = TimeWindow> {
    (any::<i64>(), any::<i64>()).prop_map(|(a, b)| TimeWindow::new(a.min(b), a.max(b)).unwrap())
}

pub(crate) fn anomaly_event() -> impl Strategy<Value = AnomalyEvent> {
    (
        device_id(),
        (".{0,20}", ".{0,10}"),
        window(),
        finite_f64(),
        finite_f64(),
        proptest::collection::btree_map(".{0,12}", finite_f64(), 0..6),
    )
        .prop_map(
            |(device, (name, version), window, score, threshold, contributions)| {
                contributions.into_iter().fold(
                    AnomalyEvent::new(
                        device,
                        ModelRef::new(name, version),
                        window,
                        score,
                        threshold,
                    ),
                    |event, (feature, share)| event.with_contribution(feature, share),
                )
            },
        )
}

pub(crate) fn alarm_state() -> impl Strategy<Value = AlarmState> {
    prop_oneof![
        Just(AlarmState::Normal),
        Just(AlarmState::Pending),
        Just(AlarmState::Active),
        Just(AlarmState::Acknowledged),
    ]
}

pub(crate) fn severity() -> impl Strategy<Value = Severity> {
    prop_oneof![
        Just(Severity::Low),
        Just(Severity::Medium),
        Just(Severity::High),
        Just(Severity::Critical),
    ]
}

pub(crate) fn alarm_event() -> impl Strategy<Value = AlarmEvent> {
    (
        (".{0,20}", device_id(), alarm_state(), severity()),
        (".{0,60}", any::<i64>()),
        (
            proptest::option::of(any::<i64>()),
            proptest::option::of(".{0,20}"),
            proptest::option::of(value()),
        ),
    )
        .prop_map(
            |((id, device, state, severity), (message, time), (since, point, value))| {
                let mut event = AlarmEvent::new(id, device, state, severity, message, time);
                if let Some(since) = since {
                    event = event.with_active_since_ms(since);
                }
                if let Some(point) = point {
                    event = event.with_point(point);
                }
                if let Some(value) = value {
                    event = event.with_value(value);
                }
                event
            },
        )
}

pub(crate) fn link_state() -> impl Strategy<Value = LinkState> {
    prop_oneof![
        Just(LinkState::Online),
        Just(LinkState::Offline),
        Just(LinkState::Backoff),
    ]
}

pub(crate) fn component_status() -> impl Strategy<Value = ComponentStatus> {
    (
        component_name(),
        link_state(),
        any::<i64>(),
        proptest::option::of(device_id()),
        proptest::option::of(".{0,60}"),
    )
        .prop_map(|(component, state, time, device, detail)| {
            let mut status = ComponentStatus::new(component, state, time);
            if let Some(device) = device {
                status = status.with_device(device);
            }
            if let Some(detail) = detail {
                status = status.with_detail(detail);
            }
            status
        })
}
