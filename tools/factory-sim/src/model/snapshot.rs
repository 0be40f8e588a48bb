//! What the line's sensors read at one instant.

use serde::Serialize;

use super::MachineState;
use crate::fault::FaultKind;

/// Sensor readings, machine state and counters at one simulation time.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// Simulation time, ms since start.
    pub time_ms: u64,
    /// False while the device-offline fault acts.
    pub online: bool,
    /// The run command (false after a stop command).
    pub run_command: bool,
    /// The machine state.
    pub state: MachineState,
    /// Motor speed, rpm.
    pub speed_rpm: f64,
    /// Speed setpoint, rpm.
    pub speed_setpoint_rpm: f64,
    /// Discharge valve opening, %.
    pub valve_opening_pct: f64,
    /// Flow, m³/h.
    pub flow_m3h: f64,
    /// Suction pressure, bar.
    pub suction_bar: f64,
    /// Discharge pressure as the transmitter reads it (drift included), bar.
    pub discharge_bar: f64,
    /// Motor current, A.
    pub motor_current_a: f64,
    /// Supply voltage, V.
    pub voltage_v: f64,
    /// Vibration velocity, overall RMS, mm/s.
    pub vibration_rms_mms: f64,
    /// Vibration at 1× running speed, mm/s.
    pub vibration_1x_mms: f64,
    /// Vibration at 2× running speed, mm/s.
    pub vibration_2x_mms: f64,
    /// Motor winding temperature, °C.
    pub motor_temp_c: f64,
    /// Pump bearing temperature, °C.
    pub bearing_temp_c: f64,
    /// Fluid temperature, °C.
    pub fluid_temp_c: f64,
    /// Ambient temperature, °C (the MQTT room sensor).
    pub ambient_temp_c: f64,
    /// Relative humidity, % (the MQTT room sensor).
    pub humidity_pct: f64,
    /// Good parts since start.
    pub good_parts: u32,
    /// Bad parts since start.
    pub bad_parts: u32,
    /// Faults acting now.
    pub faults: Vec<FaultKind>,
}
