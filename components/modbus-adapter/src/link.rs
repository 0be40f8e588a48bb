//! Opening the connection to a device: Modbus TCP (with an optional backup host), RTU on a
//! serial line, or RTU framing over TCP.

use crate::device::{Device, Parity, SerialSettings, Transport};
use std::io;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_modbus::Slave;
use tokio_modbus::client::{Context, rtu, tcp};

/// Connects to `device` within three request timeouts (at least 3 s), then waits the device's
/// `pauseAfterConnectMs`; the error names the endpoint and what failed.
pub async fn open(device: &Device) -> Result<Context, String> {
    let deadline = device.timeout.max(Duration::from_secs(1)) * 3;
    let ctx = match tokio::time::timeout(deadline, connect(device)).await {
        Ok(Ok(ctx)) => ctx,
        Ok(Err(e)) => return Err(e.to_string()),
        Err(_) => {
            return Err(format!(
                "connect timed out after {} ms",
                deadline.as_millis()
            ));
        }
    };
    if !device.quirks.pause_after_connect.is_zero() {
        tokio::time::sleep(device.quirks.pause_after_connect).await;
    }
    Ok(ctx)
}

/// Connects to `device`; the error names the endpoint that failed.
pub async fn connect(device: &Device) -> io::Result<Context> {
    let slave = Slave(device.unit_id);
    match &device.transport {
        Transport::Tcp {
            host,
            port,
            backup_host,
        } => match open_tcp(host, *port).await {
            Ok(stream) => Ok(tcp::attach_slave(stream, slave)),
            Err(primary) => match backup_host {
                Some(backup) => {
                    tracing::debug!(device = device.id.as_str(), error = %primary, "Primary host failed; trying the backup host.");
                    let stream = open_tcp(backup, *port).await.map_err(|e| {
                        io::Error::new(e.kind(), format!("{primary}; backup {backup}:{port}: {e}"))
                    })?;
                    Ok(tcp::attach_slave(stream, slave))
                }
                None => Err(primary),
            },
        },
        Transport::RtuOverTcp { host, port } => {
            let stream = open_tcp(host, *port).await?;
            Ok(rtu::attach_slave(stream, slave))
        }
        Transport::Rtu(settings) => {
            let port = open_serial(settings)?;
            Ok(rtu::attach_slave(port, slave))
        }
    }
}

async fn open_tcp(host: &str, port: u16) -> io::Result<TcpStream> {
    let stream = TcpStream::connect((host, port))
        .await
        .map_err(|e| io::Error::new(e.kind(), format!("{host}:{port}: {e}")))?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

fn open_serial(s: &SerialSettings) -> io::Result<tokio_serial::SerialStream> {
    let data_bits = match s.data_bits {
        5 => tokio_serial::DataBits::Five,
        6 => tokio_serial::DataBits::Six,
        7 => tokio_serial::DataBits::Seven,
        _ => tokio_serial::DataBits::Eight,
    };
    let stop_bits = if s.stop_bits == 2 {
        tokio_serial::StopBits::Two
    } else {
        tokio_serial::StopBits::One
    };
    let parity = match s.parity {
        Parity::None => tokio_serial::Parity::None,
        Parity::Even => tokio_serial::Parity::Even,
        Parity::Odd => tokio_serial::Parity::Odd,
    };
    let builder = tokio_serial::new(&s.path, s.baud_rate)
        .data_bits(data_bits)
        .stop_bits(stop_bits)
        .parity(parity);
    tokio_serial::SerialStream::open(&builder)
        .map_err(|e| io::Error::other(format!("serial port {}: {e}", s.path)))
}
