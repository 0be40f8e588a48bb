//! Validation of the configuration: each device on its own, so one bad device never stops the
//! others. Every error names the device and, where it applies, the point.

use crate::config::{
    DeviceConfig, MAX_BITS_PER_READ, MAX_REGISTERS_PER_READ, ModbusAdapterConfig, PointConfig,
    TransportConfig,
};
use crate::device::{Device, Parity, Quirks, SerialSettings, Transport};
use crate::plan::Limits;
use crate::point::{ByteOrder, DataType, Point, PollGroup, Scaling, Table};
use component_kit::ConfigError;
use edge_model::DeviceId;
use std::time::Duration;

/// The validated configuration: the usable devices, and one error per device left out.
#[derive(Debug, Clone)]
pub struct ModbusAdapter {
    /// Devices that passed validation.
    pub devices: Vec<Device>,
    /// Devices left out, with the reason (key path and why).
    pub rejected: Vec<ConfigError>,
    /// Whether write commands are executed.
    pub writes_enabled: bool,
}

/// Validates every device on its own; fails only if none is usable.
pub fn validate(config: ModbusAdapterConfig) -> Result<ModbusAdapter, ConfigError> {
    let mut disabled = 0;
    let mut devices = Vec::new();
    let mut rejected = Vec::new();
    for (id, device) in config.devices {
        if !device.enabled {
            disabled += 1;
            continue;
        }
        match validate_device(&id, device) {
            Ok(d) => devices.push(d),
            Err(e) => rejected.push(e),
        }
    }
    if devices.is_empty() && rejected.is_empty() {
        let why = if disabled > 0 {
            "every device is disabled"
        } else {
            "no device configured"
        };
        return Err(ConfigError::new("devices", why));
    }
    if devices.is_empty() {
        let reasons: Vec<String> = rejected.iter().map(ToString::to_string).collect();
        return Err(ConfigError::new(
            "devices",
            format!("no usable device: {}", reasons.join("; ")),
        ));
    }
    Ok(ModbusAdapter {
        devices,
        rejected,
        writes_enabled: config.writes_enabled,
    })
}

/// Validates one device and its points.
pub fn validate_device(id: &str, config: DeviceConfig) -> Result<Device, ConfigError> {
    let at = |key: &str| format!("devices.{id}.{key}");
    let device_id =
        DeviceId::new(id).map_err(|e| ConfigError::new(format!("devices.{id}"), e.to_string()))?;
    let transport = validate_transport(id, &config.transport)?;
    if config.unit_id > 247 {
        return Err(ConfigError::new(at("unitId"), "must be 0..=247"));
    }
    for (key, value) in [
        ("timeoutMs", config.timeout_ms),
        ("pollIntervalMs", config.poll_interval_ms),
        ("slowPollIntervalMs", config.slow_poll_interval_ms),
    ] {
        if value < Duration::from_millis(10) {
            return Err(ConfigError::new(at(key), "must be at least 10"));
        }
    }
    if !(1..=MAX_REGISTERS_PER_READ).contains(&config.max_registers_per_read) {
        return Err(ConfigError::new(
            at("maxRegistersPerRead"),
            "must be 1..=125",
        ));
    }
    if !(1..=MAX_BITS_PER_READ).contains(&config.max_bits_per_read) {
        return Err(ConfigError::new(at("maxBitsPerRead"), "must be 1..=2000"));
    }
    if config.address_base > 1 {
        return Err(ConfigError::new(at("addressBase"), "must be 0 or 1"));
    }
    if config.points.is_empty() {
        return Err(ConfigError::new(at("points"), "no point configured"));
    }
    let mut points = Vec::with_capacity(config.points.len());
    for (point_id, point) in config.points {
        let p = validate_point(&point_id, point, config.unit_id, config.address_base)
            .map_err(|(key, why)| ConfigError::new(at(&format!("points.{point_id}.{key}")), why))?;
        let limit = if p.table.is_bits() {
            config.max_bits_per_read
        } else {
            config.max_registers_per_read
        };
        if p.data_type.width() > limit {
            return Err(ConfigError::new(
                at(&format!("points.{point_id}")),
                format!(
                    "{} addresses do not fit in one read (limit {limit})",
                    p.data_type.width()
                ),
            ));
        }
        points.push(p);
    }
    let limits = Limits {
        max_gap: config.max_gap,
        max_registers: config.max_registers_per_read,
        max_bits: config.max_bits_per_read,
        no_merge_across: config
            .no_merge_across
            .iter()
            .map(|a| a.0.saturating_sub(config.address_base))
            .collect(),
        one_request_per_point: config.one_request_per_point,
    };
    if let Some(p) = points
        .iter()
        .find(|p| limits.crosses_boundary(u32::from(p.address), p.end()))
    {
        return Err(ConfigError::new(
            at(&format!("points.{}", p.id)),
            "spans a noMergeAcross address",
        ));
    }
    check_overlaps(&points).map_err(|(a, b)| {
        ConfigError::new(
            at(&format!("points.{a}")),
            format!("overlaps point {b} in the same table"),
        )
    })?;
    Ok(Device {
        id: device_id,
        transport,
        unit_id: config.unit_id,
        timeout: config.timeout_ms,
        fast_interval: config.poll_interval_ms,
        slow_interval: config.slow_poll_interval_ms,
        limits,
        quirks: Quirks {
            pause_after_connect: config.pause_after_connect_ms,
            inter_request_delay: config.inter_request_delay_ms,
            close_after_poll: config.close_after_poll,
            busy_retries: config.busy_retries,
            busy_retry_delay: config.busy_retry_delay_ms,
        },
        points,
    })
}

fn validate_transport(id: &str, t: &TransportConfig) -> Result<Transport, ConfigError> {
    let at = |key: &str| format!("devices.{id}.transport.{key}");
    let host = || {
        if t.host.trim().is_empty() {
            Err(ConfigError::new(at("host"), "must not be empty"))
        } else {
            Ok(t.host.clone())
        }
    };
    match t.kind.as_str() {
        "tcp" => Ok(Transport::Tcp {
            host: host()?,
            port: t.port,
            backup_host: t.backup_host.clone().filter(|h| !h.trim().is_empty()),
        }),
        "rtuOverTcp" => Ok(Transport::RtuOverTcp {
            host: host()?,
            port: t.port,
        }),
        "rtu" => {
            if t.serial_port.trim().is_empty() {
                return Err(ConfigError::new(
                    at("serialPort"),
                    "must name a serial device",
                ));
            }
            // A missing device is only known at connect time (USB adapters come and go), but a
            // relative path is always a mistake.
            if !t.serial_port.starts_with('/') {
                return Err(ConfigError::new(
                    at("serialPort"),
                    format!(
                        "{:?} is not an absolute device path (like /dev/ttyUSB0)",
                        t.serial_port
                    ),
                ));
            }
            let parity = Parity::parse(&t.parity)
                .ok_or_else(|| ConfigError::new(at("parity"), "must be none, even or odd"))?;
            if !(5..=8).contains(&t.data_bits) {
                return Err(ConfigError::new(at("dataBits"), "must be 5..=8"));
            }
            if !(1..=2).contains(&t.stop_bits) {
                return Err(ConfigError::new(at("stopBits"), "must be 1 or 2"));
            }
            if t.baud_rate == 0 {
                return Err(ConfigError::new(at("baudRate"), "must be positive"));
            }
            Ok(Transport::Rtu(SerialSettings {
                path: t.serial_port.clone(),
                baud_rate: t.baud_rate,
                parity,
                data_bits: t.data_bits,
                stop_bits: t.stop_bits,
            }))
        }
        other => Err(ConfigError::new(
            at("type"),
            format!("unknown transport {other:?} (tcp, rtu or rtuOverTcp)"),
        )),
    }
}

/// Validates one point; the error is (key under the point, reason).
fn validate_point(
    id: &str,
    p: PointConfig,
    device_unit_id: u8,
    address_base: u16,
) -> Result<Point, (&'static str, String)> {
    let address = p.address.checked_sub(address_base).ok_or((
        "address",
        format!("address {} is below addressBase {address_base}", p.address),
    ))?;
    let table = Table::parse(&p.table).ok_or((
        "table",
        format!(
            "unknown table {:?} (coil, discreteInput, holding or input)",
            p.table
        ),
    ))?;
    let data_type = match p.data_type.as_str() {
        "bool" => DataType::Bool,
        "bit" => match p.bit {
            Some(b) if b < 16 => DataType::Bit(b),
            _ => return Err(("bit", "a bit point needs bit 0..=15".to_owned())),
        },
        "u8h" => DataType::U8 { high: true },
        "u8l" => DataType::U8 { high: false },
        "i8h" => DataType::I8 { high: true },
        "i8l" => DataType::I8 { high: false },
        "u16" => DataType::U16,
        "i16" => DataType::I16,
        "u32" => DataType::U32,
        "i32" => DataType::I32,
        "u64" => DataType::U64,
        "i64" => DataType::I64,
        "f16" => DataType::F16,
        "f32" => DataType::F32,
        "f64" => DataType::F64,
        "string" => match p.length {
            Some(len) if len > 0 => DataType::Text(len),
            _ => {
                return Err((
                    "length",
                    "a string point needs length ≥ 1 (registers)".to_owned(),
                ));
            }
        },
        other => {
            return Err((
                "type",
                format!(
                    "unknown type {other:?} (bool, bit, u8h, u8l, i8h, i8l, u16, i16, u32, i32, u64, i64, f16, f32, f64, string)"
                ),
            ));
        }
    };
    if table.is_bits() != data_type.is_bit_table_type() {
        return Err((
            "type",
            format!(
                "type {} cannot be read from table {}",
                p.data_type,
                table.as_str()
            ),
        ));
    }
    let byte_order = ByteOrder::parse(&p.byte_order).ok_or((
        "byteOrder",
        format!(
            "unknown byte order {:?} (ABCD, DCBA, BADC, CDAB)",
            p.byte_order
        ),
    ))?;
    let group = PollGroup::parse(&p.poll_group).ok_or((
        "pollGroup",
        format!("unknown poll group {:?} (fast or slow)", p.poll_group),
    ))?;
    let scaling = match (p.scale, p.offset) {
        (None, None) => None,
        (scale, offset) => {
            let s = Scaling {
                scale: scale.unwrap_or(1.0),
                offset: offset.unwrap_or(0.0),
            };
            if !s.scale.is_finite() || !s.offset.is_finite() {
                return Err(("scale", "scale and offset must be finite".to_owned()));
            }
            if matches!(
                data_type,
                DataType::Bool | DataType::Bit(_) | DataType::Text(_)
            ) {
                return Err(("scale", "only numeric points can be scaled".to_owned()));
            }
            Some(s)
        }
    };
    if p.writable && matches!(table, Table::DiscreteInput | Table::Input) {
        return Err(("writable", format!("table {} is read-only", table.as_str())));
    }
    let point = Point {
        id: id.to_owned(),
        table,
        address,
        data_type,
        byte_order,
        scaling,
        unit: p.unit.filter(|u| !u.is_empty()),
        group,
        writable: p.writable,
        unit_id: p.unit_id.unwrap_or(device_unit_id),
    };
    if point.unit_id > 247 {
        return Err(("unitId", "must be 0..=247".to_owned()));
    }
    if point.end() > 65_536 {
        return Err((
            "address",
            format!(
                "address {} + {} addresses runs past 65535",
                p.address,
                data_type.width()
            ),
        ));
    }
    Ok(point)
}

/// Finds two points that share an address in the same table of the same unit (two `bit` points on
/// different bits of one register do not clash).
fn check_overlaps(points: &[Point]) -> Result<(), (String, String)> {
    let mut sorted: Vec<&Point> = points.iter().collect();
    sorted.sort_by_key(|p| (p.unit_id, p.table, p.address));
    for (i, a) in sorted.iter().enumerate() {
        for b in sorted[i + 1..].iter().take_while(|b| {
            b.unit_id == a.unit_id && b.table == a.table && u32::from(b.address) < a.end()
        }) {
            let masks = (a.data_type.register_mask(), b.data_type.register_mask());
            let disjoint = matches!(masks, (Some(x), Some(y)) if x & y == 0);
            if !disjoint {
                return Err((b.id.clone(), a.id.clone()));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
