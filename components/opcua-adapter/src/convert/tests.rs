use super::*;
use edge_model::DeviceId;
use opcua::types::{DataValue, DateTime, StatusCode, Variant};

fn source() -> Source {
    Source::new(DeviceId::new("plc1").expect("id"), "temp")
}

fn dv(value: Variant, status: StatusCode) -> DataValue {
    DataValue {
        value: Some(value),
        status: Some(status),
        source_timestamp: Some(DateTime::ymd_hms(2026, 1, 2, 3, 4, 5)),
        server_timestamp: Some(DateTime::ymd_hms(2026, 1, 2, 3, 4, 6)),
        ..Default::default()
    }
}

const SOURCE_MS: i64 = 1_767_323_045_000;

#[test]
fn scalars_become_values_with_good_quality_and_the_source_time() {
    let cases = [
        (Variant::Double(1.5), Value::Float(1.5)),
        (Variant::Float(0.25), Value::Float(0.25)),
        (Variant::UInt32(7), Value::Int(7)),
        (Variant::Int64(-3), Value::Int(-3)),
        (Variant::Boolean(true), Value::Bool(true)),
        (Variant::String("on".into()), Value::Text("on".to_owned())),
        (Variant::UInt64(u64::MAX), Value::Float(u64::MAX as f64)),
    ];
    for (variant, expected) in cases {
        let r = reading(
            source(),
            &dv(variant, StatusCode::Good),
            TimestampSource::Source,
            Some("degC"),
            9,
        );
        assert_eq!(r.value(), Some(&expected));
        assert_eq!(r.quality(), Quality::Good);
        assert_eq!(r.device_time_ms(), Some(SOURCE_MS));
        assert_eq!(r.gateway_time_ms(), 9);
        assert_eq!(r.unit(), Some("degC"));
    }
}

#[test]
fn timestamp_source_picks_server_or_none() {
    let d = dv(Variant::Double(1.0), StatusCode::Good);
    let server = reading(source(), &d, TimestampSource::Server, None, 0);
    assert_eq!(server.device_time_ms(), Some(SOURCE_MS + 1000));
    let gateway = reading(source(), &d, TimestampSource::Gateway, None, 0);
    assert_eq!(gateway.device_time_ms(), None);
    let mut no_source = d.clone();
    no_source.source_timestamp = None;
    let fallback = reading(source(), &no_source, TimestampSource::Source, None, 0);
    assert_eq!(fallback.device_time_ms(), Some(SOURCE_MS + 1000));
}

#[test]
fn status_codes_map_to_quality_with_the_status_named() {
    let bad = reading(
        source(),
        &dv(Variant::Double(1.0), StatusCode::BadNodeIdUnknown),
        TimestampSource::Source,
        None,
        0,
    );
    assert_eq!(bad.quality(), Quality::Bad);
    assert_eq!(bad.value(), None);
    assert_eq!(bad.quality_detail(), Some("BadNodeIdUnknown"));
    let unsure = reading(
        source(),
        &dv(Variant::Double(2.0), StatusCode::UncertainLastUsableValue),
        TimestampSource::Source,
        None,
        0,
    );
    assert_eq!(unsure.quality(), Quality::Uncertain);
    assert_eq!(unsure.value(), Some(&Value::Float(2.0)));
    assert_eq!(unsure.quality_detail(), Some("UncertainLastUsableValue"));
}

#[test]
fn nan_null_and_arrays_are_kept_readably() {
    let nan = reading(
        source(),
        &dv(Variant::Double(f64::NAN), StatusCode::Good),
        TimestampSource::Source,
        None,
        0,
    );
    assert_eq!(
        (nan.quality(), nan.value(), nan.quality_detail()),
        (Quality::Uncertain, None, Some("NaN"))
    );
    let null = reading(
        source(),
        &dv(Variant::Empty, StatusCode::Good),
        TimestampSource::Source,
        None,
        0,
    );
    assert_eq!(null.quality_detail(), Some("null"));
    let array = Variant::from(vec![1.5f64, 2.0]);
    assert_eq!(
        value(&array),
        Converted::Value(Value::Text("[1.5,2.0]".to_owned()))
    );
    let when = Variant::from(DateTime::ymd_hms(2026, 1, 2, 3, 4, 5));
    assert_eq!(value(&when), Converted::Value(Value::Int(SOURCE_MS)));
    let json = serde_json::to_value(&nan).expect("serialises");
    assert!(json.get("value").is_none());
}
