//! Damaged answers: a proxy between the adapter and the pymodbus server cuts responses short or
//! flips a byte (a CRC error on RTU framing). The affected points go BAD with the link error,
//! never a wrong value, and a fresh connection through a healed proxy reads good values again.

use crate::peer::Peer;
use crate::{bounded, by_point, framed_device};
use edge_model::{Quality, Value};
use modbus_adapter::cycle::run_cycle;
use modbus_adapter::device::Device;
use modbus_adapter::link::connect;
use modbus_adapter::plan::plan;
use modbus_adapter::point::PollGroup;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy does to each chunk the server sends back.
#[derive(Clone, Copy)]
#[repr(u8)]
enum Damage {
    None = 0,
    /// Forward all but the last 3 bytes, then nothing more on this connection.
    Truncate = 1,
    /// Flip the bits of the last byte (the CRC's high byte on RTU framing).
    FlipLastByte = 2,
}

struct FaultProxy {
    port: u16,
    damage: Arc<AtomicU8>,
}

impl FaultProxy {
    async fn start(upstream: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let damage = Arc::new(AtomicU8::new(Damage::None as u8));
        let mode = damage.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let server = TcpStream::connect(("127.0.0.1", upstream))
                    .await
                    .expect("connect upstream");
                tokio::spawn(relay(client, server, mode.clone()));
            }
        });
        Self { port, damage }
    }

    fn set(&self, damage: Damage) {
        self.damage.store(damage as u8, Ordering::SeqCst);
    }
}

async fn relay(client: TcpStream, server: TcpStream, damage: Arc<AtomicU8>) {
    let (mut client_rx, mut client_tx) = client.into_split();
    let (mut server_rx, mut server_tx) = server.into_split();
    tokio::spawn(async move {
        let _ = tokio::io::copy(&mut client_rx, &mut server_tx).await;
    });
    let mut buf = [0u8; 1024];
    let mut silenced = false;
    while let Ok(n) = server_rx.read(&mut buf).await {
        if n == 0 || silenced {
            if n == 0 {
                break;
            }
            continue;
        }
        let chunk = &mut buf[..n];
        let out: &[u8] = match damage.load(Ordering::SeqCst) {
            1 => {
                silenced = true;
                &chunk[..n.saturating_sub(3)]
            }
            2 => {
                chunk[n - 1] ^= 0xFF;
                chunk
            }
            _ => chunk,
        };
        if client_tx.write_all(out).await.is_err() {
            break;
        }
    }
}

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
