//! Integration tests of the Modbus adapter against a real pymodbus server.

mod peer;

use edge_model::{Quality, Reading, Value};
use modbus_adapter::config::{DeviceConfig, validate_device};
use modbus_adapter::cycle::run_cycle;
use modbus_adapter::device::Device;
use modbus_adapter::link::connect;
use modbus_adapter::plan::plan;
use modbus_adapter::point::PollGroup;
use peer::Peer;
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;
use tokio_modbus::client::Reader;

mod corrupt;
mod e2e;
mod failures;
mod proxy;
mod quirks;
mod recipe;
mod reconnect;
mod schemas;
mod serial;
mod writes;

/// Every test ends within this.
const TEST_DEADLINE: Duration = Duration::from_secs(30);

async fn bounded<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(TEST_DEADLINE, f)
        .await
        .expect("test ran past its deadline")
}

fn device(port: u16, extra: Json, points: Json) -> Device {
    framed_device("tcp", port, extra, points)
}

fn framed_device(transport: &str, port: u16, extra: Json, points: Json) -> Device {
    let mut config = json!({
        "transport": {"type": transport, "host": "127.0.0.1", "port": port},
        "timeoutMs": 2000,
        "pollIntervalMs": 100,
        "points": points,
    });
    if let (Some(c), Some(e)) = (config.as_object_mut(), extra.as_object()) {
        c.extend(e.clone());
    }
    let config: DeviceConfig = serde_json::from_value(config).expect("device config parses");
    validate_device("sim", config).expect("device config is valid")
}

/// A poller environment for tests: readings and statuses go to `tx`, fast backoff.
fn test_env(
    tx: tokio::sync::mpsc::UnboundedSender<(String, Json)>,
    metrics: &component_kit::Metrics,
    device: &str,
) -> modbus_adapter::poller::PollerEnv<component_kit::outlet::ChannelOutlet> {
    modbus_adapter::poller::PollerEnv {
        outlet: component_kit::outlet::ChannelOutlet(tx),
        component: edge_model::ComponentName::new("com.smartfactory.ModbusAdapter").expect("name"),
        gateway: edge_model::GatewayId::new("test-gateway").expect("gateway"),
        metrics: modbus_adapter::poller::DeviceMetrics::new(metrics, device),
        backoff: component_kit::backoff::Backoff::new(
            Duration::from_millis(100),
            Duration::from_millis(400),
        ),
    }
}

fn by_point(readings: Vec<Reading>) -> BTreeMap<String, Reading> {
    readings
        .into_iter()
        .map(|r| (r.source().point().to_owned(), r))
        .collect()
}

pub(crate) fn all_types() -> Json {
    json!({
        "u16": {"address": 0, "type": "u16"},
        "i16": {"address": 1, "type": "i16"},
        "i16Badc": {"address": 2, "type": "i16", "byteOrder": "BADC"},
        "u32Abcd": {"address": 10, "type": "u32"},
        "u32Cdab": {"address": 12, "type": "u32", "byteOrder": "CDAB"},
        "u32Badc": {"address": 14, "type": "u32", "byteOrder": "BADC"},
        "u32Dcba": {"address": 16, "type": "u32", "byteOrder": "DCBA"},
        "i32Abcd": {"address": 20, "type": "i32"},
        "i32Cdab": {"address": 22, "type": "i32", "byteOrder": "CDAB"},
        "f32Abcd": {"address": 30, "type": "f32"},
        "f32Cdab": {"address": 32, "type": "f32", "byteOrder": "CDAB"},
        "f32Badc": {"address": 34, "type": "f32", "byteOrder": "BADC"},
        "f32Dcba": {"address": 36, "type": "f32", "byteOrder": "DCBA"},
        "f64Abcd": {"address": 40, "type": "f64"},
        "f64Cdab": {"address": 44, "type": "f64", "byteOrder": "CDAB"},
        "f64Badc": {"address": 48, "type": "f64", "byteOrder": "BADC"},
        "f64Dcba": {"address": 52, "type": "f64", "byteOrder": "DCBA"},
        "u64": {"address": 60, "type": "u64"},
        "i64Dcba": {"address": 64, "type": "i64", "byteOrder": "DCBA"},
        "i64Cdab": {"address": 68, "type": "i64", "byteOrder": "CDAB"},
        "f16": {"address": 74, "type": "f16"},
        "bit0": {"address": 75, "type": "bit", "bit": 0},
        "bit1": {"address": 75, "type": "bit", "bit": 1},
        "bit15": {"address": 75, "type": "bit", "bit": 15},
        "scaled": {"address": 76, "type": "i16", "scale": 0.1, "offset": -40, "unit": "degC"},
        "name": {"address": 80, "type": "string", "length": 8},
        "line": {"address": 90, "type": "string", "length": 4, "byteOrder": "BADC"},
        "inputWord": {"table": "input", "address": 0, "type": "u16"},
        "temperature": {"table": "input", "address": 1, "type": "i16", "scale": 0.1},
        "coil0": {"table": "coil", "address": 0, "type": "bool"},
        "coil1": {"table": "coil", "address": 1, "type": "bool"},
        "coil2": {"table": "coil", "address": 2, "type": "bool"},
        "di2": {"table": "discreteInput", "address": 2, "type": "bool"},
        "di5": {"table": "discreteInput", "address": 5, "type": "bool"},
    })
}

#[tokio::test]
async fn every_type_and_byte_order_decodes_to_the_values_the_server_holds() {
    let peer = Peer::start();
    check_all_types(device(peer.port, json!({}), all_types())).await;
}

#[tokio::test]
async fn rtu_over_tcp_decodes_the_same_values() {
    let peer = Peer::start_rtu_over_tcp();
    check_all_types(framed_device(
        "rtuOverTcp",
        peer.port,
        json!({}),
        all_types(),
    ))
    .await;
}

pub(crate) async fn check_all_types(dev: Device) {
    bounded(async {
        let mut ctx = connect(&dev).await.expect("connects");
        let requests = plan(&dev.points, &dev.limits);
        let out = run_cycle(&mut ctx, &dev, &requests, PollGroup::Fast, dev.timeout).await;
        assert_eq!(out.link_error, None);
        let got = by_point(out.readings);
        assert_eq!(got.len(), dev.points.len());
        let expected: Vec<(&str, Value)> = vec![
            ("u16", Value::Int(0xBEEF)),
            ("i16", Value::Int(-1234)),
            ("i16Badc", Value::Int(-1234)),
            ("u32Abcd", Value::Int(3_000_000_000)),
            ("u32Cdab", Value::Int(3_000_000_000)),
            ("u32Badc", Value::Int(3_000_000_000)),
            ("u32Dcba", Value::Int(3_000_000_000)),
            ("i32Abcd", Value::Int(-123_456_789)),
            ("i32Cdab", Value::Int(-123_456_789)),
            ("f32Abcd", Value::Float(21.5)),
            ("f32Cdab", Value::Float(21.5)),
            ("f32Badc", Value::Float(21.5)),
            ("f32Dcba", Value::Float(21.5)),
            ("f64Abcd", Value::Float(-1234.5678)),
            ("f64Cdab", Value::Float(-1234.5678)),
            ("f64Badc", Value::Float(-1234.5678)),
            ("f64Dcba", Value::Float(-1234.5678)),
            ("u64", Value::Int(1_234_567_890_123_456_789)),
            ("i64Dcba", Value::Int(-9_876_543_210)),
            ("i64Cdab", Value::Int(-9_876_543_210)),
            ("f16", Value::Float(21.5)),
            ("bit0", Value::Bool(true)),
            ("bit1", Value::Bool(false)),
            ("bit15", Value::Bool(true)),
            ("name", Value::from("PUMP-7 rev B")),
            ("line", Value::from("LINE2")),
            ("inputWord", Value::Int(0xBEEF)),
            ("coil0", Value::Bool(true)),
            ("coil1", Value::Bool(false)),
            ("coil2", Value::Bool(true)),
            ("di2", Value::Bool(true)),
            ("di5", Value::Bool(false)),
        ];
        for (id, value) in expected {
            let r = &got[id];
            assert_eq!(r.quality(), Quality::Good, "{id}: {r:?}");
            assert_eq!(r.value(), Some(&value), "{id}");
        }
        let close = |id: &str, want: f64| {
            let x = got[id].value().and_then(Value::as_f64).expect("a number");
            assert!(
                matches!(got[id].value(), Some(Value::Float(_))),
                "{id} is a float"
            );
            assert!((x - want).abs() < 1e-9, "{id}: {x} vs {want}");
        };
        close("scaled", 653.0 * 0.1 - 40.0);
        close("temperature", 25.3);
        assert_eq!(got["scaled"].unit(), Some("degC"));
    })
    .await;
}

async fn requests_served(ctx: &mut tokio_modbus::client::Context) -> u16 {
    let words = ctx
        .read_input_registers(10, 1)
        .await
        .expect("link")
        .expect("no exception");
    words[0]
}

#[tokio::test]
async fn requests_per_cycle_equal_the_plan() {
    let peer = Peer::start();
    let dev = device(peer.port, json!({"maxGap": 8}), all_types());
    bounded(async {
        let requests = plan(&dev.points, &dev.limits);
        // holding 0..94 in one read (gaps ≤ 8), input 0..2, coils 0..3, discrete inputs 2..6.
        assert_eq!(requests.len(), 4, "{requests:?}");
        assert!(requests.len() < dev.points.len());
        let mut ctx = connect(&dev).await.expect("connects");
        for _ in 0..3 {
            let before = requests_served(&mut ctx).await;
            let out = run_cycle(&mut ctx, &dev, &requests, PollGroup::Fast, dev.timeout).await;
            let after = requests_served(&mut ctx).await;
            assert_eq!(out.requests, 4);
            // `after` counts its own read too.
            assert_eq!(
                after - before - 1,
                4,
                "requests the server saw in one cycle"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn an_illegal_address_marks_exactly_its_points_bad_with_code_2() {
    let peer = Peer::start();
    let points = json!({
        "good": {"address": 0, "type": "u16"},
        "missingA": {"address": 5000, "type": "u16"},
        "missingB": {"address": 5001, "type": "u32"},
        "coil": {"table": "coil", "address": 0, "type": "bool"},
    });
    let dev = device(peer.port, json!({}), points);
    bounded(async {
        let mut ctx = connect(&dev).await.expect("connects");
        let requests = plan(&dev.points, &dev.limits);
        assert_eq!(requests.len(), 3);
        let out = run_cycle(&mut ctx, &dev, &requests, PollGroup::Fast, dev.timeout).await;
        assert_eq!(out.link_error, None);
        assert_eq!(out.exceptions, 1);
        let got = by_point(out.readings);
        for id in ["missingA", "missingB"] {
            let r = &got[id];
            assert_eq!(r.quality(), Quality::Bad, "{id}");
            assert_eq!(r.value(), None);
            let detail = r.quality_detail().unwrap_or_default();
            assert!(detail.starts_with("modbus exception 2 "), "{id}: {detail}");
        }
        assert_eq!(got["good"].quality(), Quality::Good);
        assert_eq!(got["good"].value(), Some(&Value::Int(0xBEEF)));
        assert_eq!(got["coil"].value(), Some(&Value::Bool(true)));
    })
    .await;
}

#[tokio::test]
async fn two_unit_ids_on_one_link_are_read_in_separate_requests() {
    let peer = Peer::start_rtu_over_tcp();
    let points = json!({
        "unit1Word": {"address": 0, "type": "u16"},
        "unit1Float": {"address": 30, "type": "f32"},
        "unit2Word": {"address": 0, "type": "u16", "unitId": 2},
        "unit2Float": {"address": 30, "type": "f32", "unitId": "2"},
    });
    let dev = framed_device("rtuOverTcp", peer.port, json!({"maxGap": 40}), points);
    bounded(async {
        let requests = plan(&dev.points, &dev.limits);
        let units: Vec<u8> = requests.iter().map(|r| r.unit).collect();
        assert_eq!(units, [1, 2], "one request per unit: {requests:?}");
        let mut ctx = connect(&dev).await.expect("connects");
        let out = run_cycle(&mut ctx, &dev, &requests, PollGroup::Fast, dev.timeout).await;
        assert_eq!(out.link_error, None);
        let got = by_point(out.readings);
        assert_eq!(got["unit1Word"].value(), Some(&Value::Int(0xBEEF)));
        assert_eq!(got["unit2Word"].value(), Some(&Value::Int(0x0202)));
        assert_eq!(got["unit2Float"].value(), Some(&Value::Float(21.5)));
    })
    .await;
}
