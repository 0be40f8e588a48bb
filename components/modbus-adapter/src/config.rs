//! Configuration as deployed: maps keyed by id, units in names, lenient numbers.
//!
//! Validation is in `validate.rs`: a device with a bad setting or point is left out with one
//! error naming the device and the point; the other devices still run.

use component_kit::lenient::{self, Lenient, option};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// Largest register count of one read (Modbus function 3/4 limit).
pub const MAX_REGISTERS_PER_READ: u16 = 125;
/// Largest bit count of one read (Modbus function 1/2 limit).
pub const MAX_BITS_PER_READ: u16 = 2000;

/// The component configuration.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct ModbusAdapterConfig {
    /// Devices keyed by device id (used in topics and readings).
    pub devices: BTreeMap<String, DeviceConfig>,
    /// Whether write commands on the command topic are executed (only for `writable` points).
    /// Default false.
    #[serde(deserialize_with = "lenient::bool")]
    pub writes_enabled: bool,
}

/// One device (PLC, meter, gateway port).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct DeviceConfig {
    /// Whether the device is polled. Default true. A deployment cannot delete a key (a merge only
    /// adds, a reset restores the recipe's default), so `"enabled": "false"` is how a fleet
    /// turns off the recipe's example device.
    #[serde(deserialize_with = "lenient::bool")]
    pub enabled: bool,
    /// How to reach the device.
    pub transport: TransportConfig,
    /// Modbus unit (slave) id, 0..=247. Default 1.
    #[serde(deserialize_with = "lenient::u8")]
    pub unit_id: u8,
    /// Timeout of one request, ms (≥ 10). Default 1000.
    #[serde(deserialize_with = "lenient::duration_ms")]
    pub timeout_ms: Duration,
    /// Poll interval of the `fast` group, ms (≥ 10). Default 1000.
    #[serde(deserialize_with = "lenient::duration_ms")]
    pub poll_interval_ms: Duration,
    /// Poll interval of the `slow` group, ms (≥ 10). Default 10000.
    #[serde(deserialize_with = "lenient::duration_ms")]
    pub slow_poll_interval_ms: Duration,
    /// Largest number of unused addresses read to merge two points into one request. Default 8.
    #[serde(deserialize_with = "lenient::u16")]
    pub max_gap: u16,
    /// Register limit of one read, 1..=125 (lower it for devices that need it). Default 125.
    #[serde(deserialize_with = "lenient::u16")]
    pub max_registers_per_read: u16,
    /// Bit limit of one read, 1..=2000. Default 2000.
    #[serde(deserialize_with = "lenient::u16")]
    pub max_bits_per_read: u16,
    /// Addresses no request may span: points before and from such an address are never merged,
    /// and the address is never read as gap filler.
    pub no_merge_across: Vec<Lenient<u16>>,
    /// Read each point with a request of its own (devices that refuse reads spanning several
    /// fields). Default false.
    #[serde(deserialize_with = "lenient::bool")]
    pub one_request_per_point: bool,
    /// Whether point addresses are 0-based (the protocol's, default) or 1-based (as many device
    /// manuals number registers: holding 1 is protocol address 0). 0 or 1.
    #[serde(deserialize_with = "lenient::u16")]
    pub address_base: u16,
    /// Wait after connecting before the first request, ms (devices that drop early requests).
    /// Default 0.
    #[serde(deserialize_with = "lenient::duration_ms")]
    pub pause_after_connect_ms: Duration,
    /// Wait between two requests of one cycle, ms (slow devices, RS-485 turnaround). Default 0.
    #[serde(deserialize_with = "lenient::duration_ms")]
    pub inter_request_delay_ms: Duration,
    /// Close the connection after each poll cycle and reconnect for the next (devices with few
    /// connection slots shared with other masters). Default false.
    #[serde(deserialize_with = "lenient::bool")]
    pub close_after_poll: bool,
    /// How often a request answered "server busy" (exception 6) or "acknowledge" (5) is retried
    /// before its points go BAD. Default 0.
    #[serde(deserialize_with = "lenient::u8")]
    pub busy_retries: u8,
    /// Wait before a busy retry, ms. Default 100.
    #[serde(deserialize_with = "lenient::duration_ms")]
    pub busy_retry_delay_ms: Duration,
    /// Points keyed by point id.
    pub points: BTreeMap<String, PointConfig>,
}

impl Default for DeviceConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            transport: TransportConfig::default(),
            unit_id: 1,
            timeout_ms: Duration::from_millis(1000),
            poll_interval_ms: Duration::from_millis(1000),
            slow_poll_interval_ms: Duration::from_millis(10_000),
            max_gap: 8,
            max_registers_per_read: MAX_REGISTERS_PER_READ,
            max_bits_per_read: MAX_BITS_PER_READ,
            no_merge_across: Vec::new(),
            one_request_per_point: false,
            address_base: 0,
            pause_after_connect_ms: Duration::ZERO,
            inter_request_delay_ms: Duration::ZERO,
            close_after_poll: false,
            busy_retries: 0,
            busy_retry_delay_ms: Duration::from_millis(100),
            points: BTreeMap::new(),
        }
    }
}

/// Transport settings; `type` picks which of the other keys apply.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct TransportConfig {
    /// `tcp`, `rtu` or `rtuOverTcp`. Default `tcp`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Host name or IP (tcp, rtuOverTcp). Default `127.0.0.1`.
    pub host: String,
    /// TCP port (tcp, rtuOverTcp). Default 502.
    #[serde(deserialize_with = "lenient::u16")]
    pub port: u16,
    /// A second host tried when the first one fails (tcp).
    pub backup_host: Option<String>,
    /// Serial device path (rtu), such as `/dev/ttyUSB0`.
    pub serial_port: String,
    /// Baud rate (rtu). Default 19200.
    #[serde(deserialize_with = "lenient::u32")]
    pub baud_rate: u32,
    /// `none`, `even` or `odd` (rtu). Default `even`.
    pub parity: String,
    /// 5..=8 (rtu). Default 8.
    #[serde(deserialize_with = "lenient::u8")]
    pub data_bits: u8,
    /// 1 or 2 (rtu). Default 1.
    #[serde(deserialize_with = "lenient::u8")]
    pub stop_bits: u8,
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            kind: "tcp".to_owned(),
            host: "127.0.0.1".to_owned(),
            port: 502,
            backup_host: None,
            serial_port: String::new(),
            baud_rate: 19_200,
            parity: "even".to_owned(),
            data_bits: 8,
            stop_bits: 1,
        }
    }
}

/// One data point.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct PointConfig {
    /// `coil`, `discreteInput`, `holding` or `input`. Default `holding`.
    pub table: String,
    /// First address, 0-based.
    #[serde(deserialize_with = "lenient::u16")]
    pub address: u16,
    /// `bool`, `bit`, `u8h`/`u8l`/`i8h`/`i8l` (the high or low byte of a register), `u16`, `i16`,
    /// `u32`, `i32`, `u64`, `i64`, `f16`, `f32`, `f64` or `string`. Default `u16`.
    #[serde(rename = "type")]
    pub data_type: String,
    /// Bit index 0..=15 (0 = least significant) for `bit`.
    #[serde(deserialize_with = "option::u8")]
    pub bit: Option<u8>,
    /// Length in registers (two characters each) for `string`.
    #[serde(deserialize_with = "option::u16")]
    pub length: Option<u16>,
    /// `ABCD` (default), `DCBA`, `BADC` or `CDAB`.
    pub byte_order: String,
    /// Multiplier; with `offset`, turns the value into a float `raw * scale + offset`.
    #[serde(deserialize_with = "option::f64")]
    pub scale: Option<f64>,
    /// Added after `scale`.
    #[serde(deserialize_with = "option::f64")]
    pub offset: Option<f64>,
    /// Engineering unit, such as `degC`.
    pub unit: Option<String>,
    /// `fast` (default) or `slow`.
    pub poll_group: String,
    /// Whether the point may be written through the command topic. Default false.
    #[serde(deserialize_with = "lenient::bool")]
    pub writable: bool,
    /// Unit id (slave address) of this point when it differs from the device's: several slaves
    /// behind one link (an RS-485 bus, a serial gateway) share one connection.
    #[serde(deserialize_with = "option::u8")]
    pub unit_id: Option<u8>,
}

impl Default for PointConfig {
    fn default() -> Self {
        Self {
            table: "holding".to_owned(),
            address: 0,
            data_type: "u16".to_owned(),
            bit: None,
            length: None,
            byte_order: "ABCD".to_owned(),
            scale: None,
            offset: None,
            unit: None,
            poll_group: "fast".to_owned(),
            writable: false,
            unit_id: None,
        }
    }
}

impl Default for ModbusAdapterConfig {
    /// One simulated PLC on 127.0.0.1:5020 (`tests/peers/modbus_sim.py 127.0.0.1 5020`); the
    /// recipe's DefaultConfiguration is the same.
    fn default() -> Self {
        let point = |table: &str, address: u16, data_type: &str| PointConfig {
            table: table.to_owned(),
            address,
            data_type: data_type.to_owned(),
            ..PointConfig::default()
        };
        let mut points = BTreeMap::new();
        points.insert("statusWord".to_owned(), point("holding", 0, "u16"));
        points.insert(
            "setpoint".to_owned(),
            PointConfig {
                unit: Some("degC".to_owned()),
                ..point("holding", 30, "f32")
            },
        );
        points.insert(
            "temperature".to_owned(),
            PointConfig {
                scale: Some(0.1),
                unit: Some("degC".to_owned()),
                ..point("input", 1, "i16")
            },
        );
        points.insert("running".to_owned(), point("coil", 0, "bool"));
        points.insert(
            "doorOpen".to_owned(),
            PointConfig {
                poll_group: "slow".to_owned(),
                ..point("discreteInput", 0, "bool")
            },
        );
        let device = DeviceConfig {
            transport: TransportConfig {
                port: 5020,
                ..TransportConfig::default()
            },
            points,
            ..DeviceConfig::default()
        };
        Self {
            devices: BTreeMap::from([("sim-plc1".to_owned(), device)]),
            writes_enabled: false,
        }
    }
}

pub use crate::validate::{ModbusAdapter, validate, validate_device};
