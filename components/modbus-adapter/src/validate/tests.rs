use super::*;
use crate::config::ModbusAdapterConfig;
use serde_json::json;

fn parse(v: serde_json::Value) -> ModbusAdapterConfig {
    serde_json::from_value(v).expect("parses")
}

fn device_with(points: serde_json::Value) -> serde_json::Value {
    json!({"transport": {"type": "tcp", "host": "10.0.0.5", "port": "502"}, "points": points})
}

#[test]
fn the_default_is_valid_and_has_one_device() {
    let v = validate(ModbusAdapterConfig::default()).expect("valid");
    assert_eq!(v.devices.len(), 1);
    assert!(v.rejected.is_empty());
    assert_eq!(v.devices[0].points.len(), 5);
}

#[test]
fn accepts_numbers_as_strings_and_floats() {
    let c = parse(json!({"devices": {"plc1": {
        "transport": {"type": "rtu", "serialPort": "/dev/ttyUSB0", "baudRate": "9600.0",
                      "parity": "none", "dataBits": 8.0, "stopBits": "2"},
        "unitId": "3", "pollIntervalMs": 250.0,
        "points": {"t": {"table": "input", "address": "7", "type": "f32", "byteOrder": "cdab",
                         "scale": "0.5", "unit": "bar", "pollGroup": "slow"}}
    }}}));
    let v = validate(c).expect("valid");
    let d = &v.devices[0];
    assert_eq!(d.unit_id, 3);
    assert_eq!(d.fast_interval, Duration::from_millis(250));
    assert!(matches!(&d.transport, Transport::Rtu(s) if s.baud_rate == 9600 && s.stop_bits == 2));
    let p = &d.points[0];
    assert_eq!(
        (p.address, p.data_type, p.byte_order),
        (7, DataType::F32, ByteOrder::Cdab)
    );
    assert_eq!(p.group, PollGroup::Slow);
}

fn rejected_reason(points: serde_json::Value) -> String {
    let c = parse(json!({"devices": {
        "good": device_with(json!({"a": {"address": 0}})),
        "bad": device_with(points),
    }}));
    let v = validate(c).expect("the good device keeps the config valid");
    assert_eq!(v.devices.len(), 1);
    assert_eq!(v.devices[0].id.as_str(), "good");
    assert_eq!(v.rejected.len(), 1);
    v.rejected[0].to_string()
}

#[test]
fn a_bad_device_is_rejected_alone_with_device_and_point_named() {
    let e = rejected_reason(json!({"x": {"address": 0, "type": "u32"}, "y": {"address": 1}}));
    assert!(
        e.contains("devices.bad.points.") && e.contains("overlaps"),
        "{e}"
    );
    let e = rejected_reason(json!({"x": {"address": 65535, "type": "u32"}}));
    assert!(e.contains("devices.bad.points.x.address"), "{e}");
    let e = rejected_reason(json!({"x": {"type": "float128"}}));
    assert!(
        e.contains("devices.bad.points.x.type") && e.contains("unknown type"),
        "{e}"
    );
    let e = rejected_reason(json!({"x": {"type": "bool"}}));
    assert!(e.contains("devices.bad.points.x.type"), "{e}");
    let e = rejected_reason(json!({"x": {"type": "string"}}));
    assert!(e.contains("devices.bad.points.x.length"), "{e}");
    let e = rejected_reason(json!({"x": {"type": "string", "length": 126}}));
    assert!(e.contains("devices.bad.points.x"), "{e}");
}

#[test]
fn two_bits_of_one_register_do_not_overlap() {
    let c = parse(json!({"devices": {"d": device_with(json!({
        "b0": {"address": 4, "type": "bit", "bit": 0},
        "b1": {"address": 4, "type": "bit", "bit": 1},
    }))}}));
    assert!(validate(c).is_ok());
    let c = parse(json!({"devices": {"d": device_with(json!({
        "b0": {"address": 4, "type": "bit", "bit": 3},
        "b1": {"address": 4, "type": "bit", "bit": 3},
    }))}}));
    assert!(validate(c).is_err());
}

#[test]
fn no_usable_device_is_an_error_naming_each() {
    let c = parse(json!({"devices": {
        "d1": {"transport": {"type": "carrier-pigeon"}, "points": {"a": {}}},
        "d2": {"transport": {"type": "rtu"}, "points": {"a": {}}},
    }}));
    let e = validate(c).expect_err("nothing usable").to_string();
    assert!(e.contains("devices.d1.transport.type"), "{e}");
    assert!(e.contains("devices.d2.transport.serialPort"), "{e}");
}

#[test]
fn limits_are_checked() {
    for (key, value) in [
        ("maxRegistersPerRead", 126),
        ("maxBitsPerRead", 2001),
        ("unitId", 248),
    ] {
        let mut d = device_with(json!({"a": {}}));
        d[key] = json!(value);
        let e = validate(parse(json!({"devices": {"d": d}})))
            .expect_err("limit")
            .to_string();
        assert!(e.contains(key), "{e}");
    }
}

#[test]
fn a_point_across_a_no_merge_address_is_refused() {
    let mut d = device_with(json!({"a": {"address": 9, "type": "u32"}}));
    d["noMergeAcross"] = json!([10]);
    let e = validate(parse(json!({"devices": {"d": d}})))
        .expect_err("spans")
        .to_string();
    assert!(e.contains("devices.d.points.a"), "{e}");
}

#[test]
fn a_relative_serial_path_is_refused_naming_the_device() {
    let c = parse(json!({"devices": {
        "good": {"transport": {"type": "tcp", "host": "127.0.0.1"}, "points": {"a": {}}},
        "serial": {"transport": {"type": "rtu", "serialPort": "ttyUSB0"}, "points": {"a": {}}},
    }}));
    let v = validate(c).expect("the good device still runs");
    assert_eq!(v.devices.len(), 1);
    let e = v.rejected[0].to_string();
    assert!(e.contains("devices.serial.transport.serialPort"), "{e}");
    assert!(e.contains("not an absolute device path"), "{e}");
}

#[test]
fn points_on_different_unit_ids_do_not_overlap() {
    let shared = rejected_reason(json!({
        "a": {"address": 0}, "b": {"address": 0, "unitId": 2}, "c": {"address": 0, "unitId": 2},
    }));
    assert!(
        shared.contains("points.c") || shared.contains("points.b"),
        "{shared}"
    );
    let c = parse(json!({"devices": {"bus": device_with(json!({
        "a": {"address": 0}, "b": {"address": 0, "unitId": 2},
    }))}}));
    assert!(validate(c).is_ok());
    let bad = rejected_reason(json!({"a": {"address": 0, "unitId": 248}}));
    assert!(bad.contains("unitId"), "{bad}");
}

#[test]
fn one_based_addresses_are_shifted_and_address_zero_is_refused() {
    let c = parse(json!({"devices": {"plc": device_with(json!({"a": {"address": 40}}))}}));
    let mut c2 = c.clone();
    if let Some(d) = c2.devices.get_mut("plc") {
        d.address_base = 1;
    }
    assert_eq!(validate(c).expect("valid").devices[0].points[0].address, 40);
    assert_eq!(
        validate(c2).expect("valid").devices[0].points[0].address,
        39
    );
    let mut zero = device_with(json!({"a": {"address": 0}}));
    zero["addressBase"] = json!(1);
    let e = validate(parse(json!({"devices": {"plc": zero}})))
        .expect_err("nothing usable")
        .to_string();
    assert!(
        e.contains("points.a.address") && e.contains("below addressBase"),
        "{e}"
    );
}

#[test]
fn a_disabled_device_is_not_polled() {
    let c = parse(json!({"devices": {
        "example": {"enabled": "false", "transport": {"type": "tcp"}, "points": {"a": {}}},
        "press": device_with(json!({"a": {"address": 1}})),
    }}));
    let v = validate(c).expect("valid");
    let ids: Vec<&str> = v.devices.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["press"]);
    assert!(v.rejected.is_empty());
    let only_disabled =
        parse(json!({"devices": {"example": {"enabled": false, "points": {"a": {}}}}}));
    let e = validate(only_disabled)
        .expect_err("nothing to poll")
        .to_string();
    assert!(e.contains("every device is disabled"), "{e}");
}
