//! A validated device: transport, unit id, timing, merge limits and points.

use crate::plan::Limits;
use crate::point::Point;
use edge_model::DeviceId;
use std::fmt;
use std::time::Duration;

/// Serial parity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parity {
    /// No parity bit.
    None,
    /// Even parity.
    Even,
    /// Odd parity.
    Odd,
}

impl Parity {
    /// Parses `none`, `even` or `odd` (case-insensitive).
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "none" => Some(Self::None),
            "even" => Some(Self::Even),
            "odd" => Some(Self::Odd),
            _ => None,
        }
    }
}

/// Serial line settings for RTU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialSettings {
    /// Device path.
    pub path: String,
    /// Baud rate.
    pub baud_rate: u32,
    /// Parity.
    pub parity: Parity,
    /// Data bits, 5..=8.
    pub data_bits: u8,
    /// Stop bits, 1 or 2.
    pub stop_bits: u8,
}

/// How the device is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// Modbus TCP (MBAP framing).
    Tcp {
        /// Host name or address.
        host: String,
        /// Port.
        port: u16,
        /// Tried when `host` fails.
        backup_host: Option<String>,
    },
    /// RTU framing over a serial line.
    Rtu(SerialSettings),
    /// RTU framing over a TCP stream (serial gateways).
    RtuOverTcp {
        /// Host name or address.
        host: String,
        /// Port.
        port: u16,
    },
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tcp {
                host,
                port,
                backup_host: None,
            } => write!(f, "tcp://{host}:{port}"),
            Self::Tcp {
                host,
                port,
                backup_host: Some(b),
            } => {
                write!(f, "tcp://{host}:{port} (backup {b})")
            }
            Self::Rtu(s) => write!(f, "rtu://{}@{}", s.path, s.baud_rate),
            Self::RtuOverTcp { host, port } => write!(f, "rtu+tcp://{host}:{port}"),
        }
    }
}

/// A validated device.
#[derive(Debug, Clone)]
pub struct Device {
    /// Device id (topic and readings).
    pub id: DeviceId,
    /// How to reach it.
    pub transport: Transport,
    /// Modbus unit id.
    pub unit_id: u8,
    /// Timeout of one request.
    pub timeout: Duration,
    /// Interval of the fast group.
    pub fast_interval: Duration,
    /// Interval of the slow group.
    pub slow_interval: Duration,
    /// Request merging limits.
    pub limits: Limits,
    /// Timing workarounds for particular devices.
    pub quirks: Quirks,
    /// The points, sorted by id.
    pub points: Vec<Point>,
}

/// Per-device timing workarounds (all off by default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Quirks {
    /// Wait after connecting before the first request.
    pub pause_after_connect: Duration,
    /// Wait between two requests of one cycle.
    pub inter_request_delay: Duration,
    /// Reconnect for every cycle.
    pub close_after_poll: bool,
    /// Retries of a request answered "busy" (exception 5 or 6).
    pub busy_retries: u8,
    /// Wait before a busy retry.
    pub busy_retry_delay: Duration,
}
