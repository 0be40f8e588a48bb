//! A TCP proxy in front of the pymodbus server that damages traffic on demand: cuts answers
//! short, flips a byte (a CRC error on RTU framing), or answers "server busy" itself. It also
//! counts the connections it accepted.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;

/// What the proxy does to the server's answers.
#[derive(Clone, Copy)]
#[repr(u8)]
pub enum Damage {
    None = 0,
    /// Forward all but the last 3 bytes, then nothing more on this connection.
    Truncate = 1,
    /// Flip the bits of the last byte (the CRC's high byte on RTU framing).
    FlipLastByte = 2,
}

#[derive(Default)]
struct Shared {
    damage: AtomicU8,
    /// Modbus TCP requests still to be answered with exception 6 instead of forwarded.
    busy_left: AtomicUsize,
    connections: AtomicUsize,
}

pub struct FaultProxy {
    pub port: u16,
    shared: Arc<Shared>,
}

impl FaultProxy {
    pub async fn start(upstream: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let shared = Arc::new(Shared::default());
        let state = shared.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                state.connections.fetch_add(1, Ordering::SeqCst);
                let server = TcpStream::connect(("127.0.0.1", upstream))
                    .await
                    .expect("connect upstream");
                tokio::spawn(relay(client, server, state.clone()));
            }
        });
        Self { port, shared }
    }

    pub fn set(&self, damage: Damage) {
        self.shared.damage.store(damage as u8, Ordering::SeqCst);
    }

    /// Answers the next `n` Modbus TCP requests with exception 6 (server device busy).
    pub fn busy_for(&self, n: usize) {
        self.shared.busy_left.store(n, Ordering::SeqCst);
    }

    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }
}

async fn relay(client: TcpStream, server: TcpStream, shared: Arc<Shared>) {
    let (mut client_rx, client_tx) = client.into_split();
    let (mut server_rx, mut server_tx) = server.into_split();
    let client_tx = Arc::new(Mutex::new(client_tx));
    let to_client = client_tx.clone();
    let requests_shared = shared.clone();
    tokio::spawn(async move {
        let mut buf = [0u8; 1024];
        while let Ok(n) = client_rx.read(&mut buf).await {
            if n == 0 {
                break;
            }
            let request = &buf[..n];
            if take_one(&requests_shared.busy_left) && request.len() >= 8 {
                answer_busy(request, &to_client).await;
                continue;
            }
            if server_tx.write_all(request).await.is_err() {
                break;
            }
        }
    });
    let mut buf = [0u8; 1024];
    let mut silenced = false;
    while let Ok(n) = server_rx.read(&mut buf).await {
        if n == 0 {
            break;
        }
        if silenced {
            continue;
        }
        let chunk = &mut buf[..n];
        let out: &[u8] = match shared.damage.load(Ordering::SeqCst) {
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
        if client_tx.lock().await.write_all(out).await.is_err() {
            break;
        }
    }
}

fn take_one(counter: &AtomicUsize) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

/// A Modbus TCP exception response to `request`: same transaction and unit, code 6.
async fn answer_busy(request: &[u8], client: &Mutex<OwnedWriteHalf>) {
    let (tid, unit, function) = ([request[0], request[1]], request[6], request[7]);
    let reply = [tid[0], tid[1], 0, 0, 0, 3, unit, function | 0x80, 6];
    let _ = client.lock().await.write_all(&reply).await;
}
