//! Damaged answers: a proxy between the adapter and the pymodbus server cuts responses short or
//! flips a byte (a CRC error on RTU framing). The affected points go BAD with the link error,
//! never a wrong value, and a fresh connection through a healed proxy reads good values again.

use crate::peer::Peer;
use crate::proxy::{Damage, FaultProxy};
use crate::{bounded, by_point, framed_device};
use edge_model::{Quality, Value};
use modbus_adapter::cycle::run_cycle;
use modbus_adapter::device::Device;
use modbus_adapter::link::connect;
use modbus_adapter::plan::plan;
use modbus_adapter::point::PollGroup;
use serde_json::json;

fn points() -> serde_json::Value {
    json!({
        "u16": {"address": 0, "type": "u16"},
        "f32": {"address": 30, "type": "f32"},
    })
}

/// One cycle under `damage` fails with a link error and only BAD readings; then, healed, a new
/// connection reads the server's values.
async fn damaged_then_healed(dev: &Device, proxy: &FaultProxy, damage: Damage) {
    let requests = plan(&dev.points, &dev.limits);
    proxy.set(damage);
    let mut ctx = connect(dev).await.expect("connects through the proxy");
    let out = run_cycle(&mut ctx, dev, &requests, PollGroup::Fast, dev.timeout).await;
    assert!(out.link_error.is_some(), "a damaged answer is a link error");
    assert_eq!(out.readings.len(), 2);
    for r in &out.readings {
        assert_eq!(r.quality(), Quality::Bad, "{r:?}");
        assert_eq!(r.value(), None, "no value from a damaged frame: {r:?}");
    }

    proxy.set(Damage::None);
    let mut ctx = connect(dev).await.expect("reconnects");
    let out = run_cycle(&mut ctx, dev, &requests, PollGroup::Fast, dev.timeout).await;
    assert_eq!(out.link_error, None);
    let got = by_point(out.readings);
    assert_eq!(got["u16"].value(), Some(&Value::Int(0xBEEF)));
    assert_eq!(got["f32"].value(), Some(&Value::Float(21.5)));
}

#[tokio::test]
async fn a_truncated_tcp_frame_marks_the_points_bad_and_the_link_recovers() {
    let peer = Peer::start();
    let proxy = FaultProxy::start(peer.port).await;
    let dev = framed_device("tcp", proxy.port, json!({"timeoutMs": 300}), points());
    bounded(damaged_then_healed(&dev, &proxy, Damage::Truncate)).await;
}

#[tokio::test]
async fn a_truncated_rtu_frame_marks_the_points_bad_and_the_link_recovers() {
    let peer = Peer::start_rtu_over_tcp();
    let proxy = FaultProxy::start(peer.port).await;
    let dev = framed_device(
        "rtuOverTcp",
        proxy.port,
        json!({"timeoutMs": 300}),
        points(),
    );
    bounded(damaged_then_healed(&dev, &proxy, Damage::Truncate)).await;
}

#[tokio::test]
async fn an_rtu_crc_error_marks_the_points_bad_and_the_link_recovers() {
    let peer = Peer::start_rtu_over_tcp();
    let proxy = FaultProxy::start(peer.port).await;
    let dev = framed_device(
        "rtuOverTcp",
        proxy.port,
        json!({"timeoutMs": 300}),
        points(),
    );
    bounded(damaged_then_healed(&dev, &proxy, Damage::FlipLastByte)).await;
}
