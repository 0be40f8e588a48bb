//! MQTT sensors next to the PLC: a room climate sensor and a wireless bearing temperature
//! sensor, published to a local broker when one is reachable. Topics:
//! `factory-sim/{device}/room` (`{"temperature", "humidity", "timeMs"}`) and
//! `factory-sim/{device}/bearing` (`{"temperature", "timeMs"}`), QoS 0, every second.

use std::net::SocketAddr;
use std::time::Duration;

use rumqttc::{AsyncClient, MqttOptions, QoS};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::plant::SharedPlant;

/// Whether something accepts TCP connections at `addr` within a second.
pub async fn broker_reachable(addr: SocketAddr) -> bool {
    matches!(
        tokio::time::timeout(Duration::from_secs(1), tokio::net::TcpStream::connect(addr)).await,
        Ok(Ok(_))
    )
}

/// Publishes the sensors to the broker at `addr` until `cancel`.
pub async fn run(addr: SocketAddr, device: String, plant: SharedPlant, cancel: CancellationToken) {
    let mut opts = MqttOptions::new(
        format!("factory-sim-{device}-{}", std::process::id()),
        addr.ip().to_string(),
        addr.port(),
    );
    opts.set_keep_alive(Duration::from_secs(30));
    let (client, mut events) = AsyncClient::new(opts, 16);
    let publisher = publish_loop(client, device, plant);
    let driver = async {
        let mut failures = 0u32;
        loop {
            if let Err(e) = events.poll().await {
                if failures == 0 {
                    eprintln!("factory-sim: MQTT broker {addr}: {e}; retrying every 2 s");
                }
                failures += 1;
                tokio::time::sleep(Duration::from_secs(2)).await;
            } else if failures > 0 {
                eprintln!("factory-sim: MQTT broker {addr} reachable again");
                failures = 0;
            }
        }
    };
    tokio::select! {
        () = cancel.cancelled() => {}
        () = publisher => {}
        () = driver => {}
    }
}

async fn publish_loop(client: AsyncClient, device: String, plant: SharedPlant) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let room = format!("factory-sim/{device}/room");
    let bearing = format!("factory-sim/{device}/bearing");
    loop {
        tick.tick().await;
        let s = plant.snapshot();
        if !s.online {
            continue;
        }
        let now = edge_model::time::now_ms();
        let r = json!({"temperature": round2(s.ambient_temp_c), "humidity": round2(s.humidity_pct), "timeMs": now});
        let b = json!({"temperature": round2(s.bearing_temp_c), "timeMs": now});
        // try_publish: a full queue while the broker is away drops the sample, as a sensor would.
        let _ = client.try_publish(&room, QoS::AtMostOnce, false, r.to_string());
        let _ = client.try_publish(&bearing, QoS::AtMostOnce, false, b.to_string());
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}
