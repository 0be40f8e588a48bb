//! The PLC's register map: which snapshot value sits at which Modbus address, and how it is
//! encoded. The same table renders the ModbusAdapter configuration for the demo
//! ([`adapter_points`]), so map and configuration cannot disagree.
//!
//! | table | address | point | type | unit |
//! |---|---|---|---|---|
//! | input | 0–1 | `speedRpm` | f32 | rpm |
//! | input | 2–3 | `flow` | f32 | m3/h |
//! | input | 4–5 | `suctionPressure` | f32 | bar |
//! | input | 6–7 | `dischargePressure` | f32 | bar |
//! | input | 8–9 | `motorCurrent` | f32 | A |
//! | input | 10–11 | `voltage` | f32 | V |
//! | input | 12–13 | `vibrationRms` | f32 | mm/s |
//! | input | 14–15 | `vibration1x` | f32 | mm/s |
//! | input | 16–17 | `vibration2x` | f32 | mm/s |
//! | input | 18–19 | `valveOpening` | f32 | % |
//! | input | 20 | `motorTemp` | i16 × 0.1 | degC |
//! | input | 21 | `bearingTemp` | i16 × 0.1 | degC |
//! | input | 22 | `fluidTemp` | i16 × 0.1 | degC |
//! | holding | 0 | `machineState` | u16 (0 stopped, 1 starting, 2 running, 3 warning) | |
//! | holding | 1–2 | `goodParts` | u32 | |
//! | holding | 3–4 | `badParts` | u32 | |
//! | holding | 10–11 | `speedSetpoint` | f32, writable | rpm |
//! | coil | 0 | `runCommand` | bool, writable | |
//! | discrete input | 0 | `highVibration` | bool (vibration > 4.5 mm/s) | |
//! | discrete input | 1 | `lowSuction` | bool (suction < 0.6 bar) | |
//!
//! Multi-register values are big endian, high word first (`ABCD`).

use serde_json::{Map, Value, json};

use crate::model::Snapshot;

/// A Modbus data table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// Read/write bits (FC 1, 5, 15).
    Coil,
    /// Read-only bits (FC 2).
    DiscreteInput,
    /// Read/write registers (FC 3, 6, 16).
    Holding,
    /// Read-only registers (FC 4).
    Input,
}

impl Table {
    fn config_name(self) -> &'static str {
        match self {
            Self::Coil => "coil",
            Self::DiscreteInput => "discreteInput",
            Self::Holding => "holding",
            Self::Input => "input",
        }
    }
}

/// How a value is encoded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Encoding {
    /// IEEE 754 single, two registers.
    F32,
    /// Signed 16-bit, raw = value / scale.
    I16Scaled(f64),
    /// Unsigned 16-bit.
    U16,
    /// Unsigned 32-bit, two registers.
    U32,
    /// One bit.
    Bool,
}

impl Encoding {
    /// Registers (or bits) the value takes.
    pub fn width(self) -> u16 {
        match self {
            Self::F32 | Self::U32 => 2,
            Self::I16Scaled(_) | Self::U16 | Self::Bool => 1,
        }
    }
}

/// One point of the map.
#[derive(Debug, Clone, Copy)]
pub struct MapEntry {
    /// Point id, as the adapter publishes it.
    pub id: &'static str,
    /// Table.
    pub table: Table,
    /// First address, 0-based.
    pub address: u16,
    /// Encoding.
    pub encoding: Encoding,
    /// Engineering unit.
    pub unit: Option<&'static str>,
    /// Whether the PLC accepts writes here.
    pub writable: bool,
    /// The value from a snapshot.
    pub read: fn(&Snapshot) -> f64,
}

const fn entry(
    id: &'static str,
    table: Table,
    address: u16,
    encoding: Encoding,
    unit: Option<&'static str>,
    read: fn(&Snapshot) -> f64,
) -> MapEntry {
    MapEntry {
        id,
        table,
        address,
        encoding,
        unit,
        writable: false,
        read,
    }
}

fn bit(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

use Encoding::{Bool, F32, I16Scaled, U16, U32};
use Table::{Coil, DiscreteInput, Holding, Input};

/// The register map.
pub const MAP: &[MapEntry] = &[
    entry("speedRpm", Input, 0, F32, Some("rpm"), |s| s.speed_rpm),
    entry("flow", Input, 2, F32, Some("m3/h"), |s| s.flow_m3h),
    entry("suctionPressure", Input, 4, F32, Some("bar"), |s| {
        s.suction_bar
    }),
    entry("dischargePressure", Input, 6, F32, Some("bar"), |s| {
        s.discharge_bar
    }),
    entry("motorCurrent", Input, 8, F32, Some("A"), |s| {
        s.motor_current_a
    }),
    entry("voltage", Input, 10, F32, Some("V"), |s| s.voltage_v),
    entry("vibrationRms", Input, 12, F32, Some("mm/s"), |s| {
        s.vibration_rms_mms
    }),
    entry("vibration1x", Input, 14, F32, Some("mm/s"), |s| {
        s.vibration_1x_mms
    }),
    entry("vibration2x", Input, 16, F32, Some("mm/s"), |s| {
        s.vibration_2x_mms
    }),
    entry("valveOpening", Input, 18, F32, Some("%"), |s| {
        s.valve_opening_pct
    }),
    entry("motorTemp", Input, 20, I16Scaled(0.1), Some("degC"), |s| {
        s.motor_temp_c
    }),
    entry(
        "bearingTemp",
        Input,
        21,
        I16Scaled(0.1),
        Some("degC"),
        |s| s.bearing_temp_c,
    ),
    entry("fluidTemp", Input, 22, I16Scaled(0.1), Some("degC"), |s| {
        s.fluid_temp_c
    }),
    entry("machineState", Holding, 0, U16, None, |s| {
        f64::from(s.state as u16)
    }),
    entry("goodParts", Holding, 1, U32, None, |s| {
        f64::from(s.good_parts)
    }),
    entry("badParts", Holding, 3, U32, None, |s| {
        f64::from(s.bad_parts)
    }),
    MapEntry {
        writable: true,
        ..entry("speedSetpoint", Holding, 10, F32, Some("rpm"), |s| {
            s.speed_setpoint_rpm
        })
    },
    MapEntry {
        writable: true,
        ..entry("runCommand", Coil, 0, Bool, None, |s| bit(s.run_command))
    },
    entry("highVibration", DiscreteInput, 0, Bool, None, |s| {
        bit(s.vibration_rms_mms > 4.5)
    }),
    entry("lowSuction", DiscreteInput, 1, Bool, None, |s| {
        bit(s.suction_bar < 0.6)
    }),
];

/// Address of the writable speed setpoint (holding, f32).
pub const SPEED_SETPOINT_ADDR: u16 = 10;
/// Address of the writable run command (coil).
pub const RUN_COMMAND_ADDR: u16 = 0;

/// Register and bit values of every table at one instant.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegisterImage {
    /// Input registers.
    pub input: Vec<u16>,
    /// Holding registers.
    pub holding: Vec<u16>,
    /// Coils.
    pub coils: Vec<bool>,
    /// Discrete inputs.
    pub discrete: Vec<bool>,
}

impl RegisterImage {
    /// Encodes `snap` with [`MAP`].
    pub fn encode(snap: &Snapshot) -> Self {
        let mut img = Self::default();
        for e in MAP {
            let v = (e.read)(snap);
            match e.table {
                Coil => put_bit(&mut img.coils, e.address, v != 0.0),
                DiscreteInput => put_bit(&mut img.discrete, e.address, v != 0.0),
                Holding => put_words(&mut img.holding, e.address, &words(e.encoding, v)),
                Input => put_words(&mut img.input, e.address, &words(e.encoding, v)),
            }
        }
        img
    }

    /// The registers of `table` (input or holding).
    pub fn registers(&self, table: Table) -> &[u16] {
        match table {
            Input => &self.input,
            _ => &self.holding,
        }
    }

    /// The bits of `table` (coil or discrete input).
    pub fn bits(&self, table: Table) -> &[bool] {
        match table {
            Coil => &self.coils,
            _ => &self.discrete,
        }
    }
}

/// The registers of one value. Casts saturate: a value out of the type's range becomes its
/// limit, as a PLC's conversion would clamp it.
fn words(enc: Encoding, v: f64) -> Vec<u16> {
    match enc {
        F32 => {
            let b = (v as f32).to_bits();
            vec![(b >> 16) as u16, b as u16]
        }
        I16Scaled(scale) => vec![((v / scale).round() as i16) as u16],
        U16 => vec![v.round() as u16],
        U32 => {
            let b = v.round() as u32;
            vec![(b >> 16) as u16, b as u16]
        }
        Bool => vec![u16::from(v != 0.0)],
    }
}

fn put_words(table: &mut Vec<u16>, addr: u16, w: &[u16]) {
    let end = usize::from(addr) + w.len();
    if table.len() < end {
        table.resize(end, 0);
    }
    table[usize::from(addr)..end].copy_from_slice(w);
}

fn put_bit(table: &mut Vec<bool>, addr: u16, b: bool) {
    let i = usize::from(addr);
    if table.len() <= i {
        table.resize(i + 1, false);
    }
    table[i] = b;
}

/// Decodes an f32 from two registers, high word first.
pub fn f32_from_words(hi: u16, lo: u16) -> f32 {
    f32::from_bits((u32::from(hi) << 16) | u32::from(lo))
}

/// The `points` map of a ModbusAdapter device that reads this PLC.
pub fn adapter_points() -> Value {
    let mut points = Map::new();
    for e in MAP {
        let mut p = Map::new();
        p.insert("table".into(), json!(e.table.config_name()));
        p.insert("address".into(), json!(e.address.to_string()));
        let ty = match e.encoding {
            F32 => "f32",
            I16Scaled(_) => "i16",
            U16 => "u16",
            U32 => "u32",
            Bool => "bool",
        };
        p.insert("type".into(), json!(ty));
        if let I16Scaled(scale) = e.encoding {
            p.insert("scale".into(), json!(scale.to_string()));
        }
        if let Some(u) = e.unit {
            p.insert("unit".into(), json!(u));
        }
        if e.writable {
            p.insert("writable".into(), json!(true));
        }
        points.insert(e.id.into(), Value::Object(p));
    }
    Value::Object(points)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PumpLine;
    use std::time::Duration;

    #[test]
    fn no_two_points_share_an_address() {
        for (i, a) in MAP.iter().enumerate() {
            for b in &MAP[i + 1..] {
                let same_space = a.table == b.table;
                let overlap = a.address < b.address + b.encoding.width()
                    && b.address < a.address + a.encoding.width();
                assert!(!(same_space && overlap), "{} overlaps {}", a.id, b.id);
            }
        }
    }

    #[test]
    fn image_decodes_back_to_the_snapshot() {
        let mut line = PumpLine::new(1, vec![]);
        let mut snap = line.step(Duration::from_millis(100));
        for _ in 0..300 {
            snap = line.step(Duration::from_millis(100));
        }
        let img = RegisterImage::encode(&snap);
        let flow = f32_from_words(img.input[2], img.input[3]);
        assert_eq!(flow, snap.flow_m3h as f32);
        let motor = f64::from(img.input[20] as i16) * 0.1;
        assert!((motor - snap.motor_temp_c).abs() <= 0.05 + 1e-9);
        assert_eq!(img.holding[0], snap.state as u16);
        let good = (u32::from(img.holding[1]) << 16) | u32::from(img.holding[2]);
        assert_eq!(good, snap.good_parts);
        assert!(img.coils[0]);
    }
}
