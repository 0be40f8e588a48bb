//! The pump line: a centrifugal pump driven by an induction motor, feeding a filling station
//! through a discharge valve. [`PumpLine::step`] advances it by a time step and returns what its
//! sensors read. Everything is deterministic for a given seed.

mod faults;
mod hydraulics;
mod lag;
mod machine;
mod noise;
mod snapshot;

pub use faults::Faults;
pub use hydraulics::{OperatingPoint, efficiency, hydraulic_power_kw, operating_point};
pub use machine::{MachineState, PartCounter};
pub use snapshot::Snapshot;

use std::time::Duration;

use crate::fault::{FaultKind, FaultSpec};
use lag::Lag;
use noise::Noise;

/// Nominal motor speed, rpm.
pub const NOMINAL_RPM: f64 = 2950.0;
/// Supply line-to-line voltage, V.
const SUPPLY_V: f64 = 400.0;
/// Motor efficiency and power factor.
const MOTOR_EFF: f64 = 0.9;
const POWER_FACTOR: f64 = 0.85;
/// Magnetising current, A.
const MAGNETISING_A: f64 = 4.0;
/// Rated motor current, A (the load at the best efficiency point).
const RATED_A: f64 = 16.0;
/// Suction pressure with a clean strainer, bar.
const SUCTION_BAR: f64 = 1.5;
/// Suction pressure below which the pump cavitates, bar.
const NPSH_LIMIT_BAR: f64 = 0.6;
/// Discharge valve opening while the valve-closure fault is at full severity.
const CLOSED_OPENING: f64 = 0.2;
/// Drift of the pressure transmitter at full severity, bar per second.
const DRIFT_BAR_PER_S: f64 = 0.02;

/// The pump line's state.
#[derive(Debug, Clone)]
pub struct PumpLine {
    time: Duration,
    noise: Noise,
    faults: Faults,
    run: bool,
    setpoint_rpm: f64,
    speed: Lag,
    valve: Lag,
    motor_temp: Lag,
    bearing_temp: Lag,
    fluid_temp: Lag,
    parts: PartCounter,
    /// The next step puts the temperatures at their targets instead of lagging towards them.
    settle_temperatures: bool,
}

impl PumpLine {
    /// A line at rest that starts as soon as it is stepped, with `schedule` faults.
    pub fn new(seed: u64, schedule: Vec<FaultSpec>) -> Self {
        let ambient = 22.0;
        Self {
            time: Duration::ZERO,
            noise: Noise::new(seed),
            faults: Faults::new(schedule),
            run: true,
            setpoint_rpm: NOMINAL_RPM,
            speed: Lag::new(0.0, 2.0),
            valve: Lag::new(1.0, 1.5),
            motor_temp: Lag::new(ambient, 240.0),
            bearing_temp: Lag::new(ambient, 150.0),
            fluid_temp: Lag::new(18.0, 300.0),
            parts: PartCounter::default(),
            settle_temperatures: false,
        }
    }

    /// A line that has been running for hours: at its speed setpoint, temperatures in thermal
    /// steady state from the first step, so normal data looks the same from the first second
    /// on (a detector fitting its baseline at start sees no warm-up trend).
    pub fn warm(seed: u64, schedule: Vec<FaultSpec>) -> Self {
        Self {
            speed: Lag::new(NOMINAL_RPM, 2.0),
            settle_temperatures: true,
            ..Self::new(seed, schedule)
        }
    }

    /// Simulation time since start.
    pub fn time(&self) -> Duration {
        self.time
    }

    /// The faults, to inject or clear at run time.
    pub fn faults_mut(&mut self) -> &mut Faults {
        &mut self.faults
    }

    /// The faults.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Starts (`true`) or stops the motor.
    pub fn set_run(&mut self, run: bool) {
        self.run = run;
    }

    /// Sets the speed setpoint, clamped to 0..=110 % of nominal.
    pub fn set_speed_setpoint(&mut self, rpm: f64) {
        self.setpoint_rpm = if rpm.is_finite() {
            rpm.clamp(0.0, 1.1 * NOMINAL_RPM)
        } else {
            self.setpoint_rpm
        };
    }

    /// Advances the line by `dt` and returns the sensor readings at the new time.
    pub fn step(&mut self, dt: Duration) -> Snapshot {
        self.time += dt;
        let dt_s = dt.as_secs_f64();
        let now = self.time;
        // Draw every noise value first, in a fixed order, whatever the faults.
        let n = [
            self.noise.gauss(1.0),
            self.noise.gauss(1.0),
            self.noise.gauss(1.0),
            self.noise.gauss(1.0),
            self.noise.gauss(1.0),
            self.noise.gauss(1.0),
            self.noise.gauss(1.0),
            self.noise.gauss(1.0),
            self.noise.gauss(1.0),
            self.noise.gauss(1.0),
            self.noise.uniform(),
        ];
        let valve_sev = self.faults.severity(FaultKind::ValveClosure, now);
        let imbalance = self.faults.severity(FaultKind::Imbalance, now);
        let cavitation = self.faults.severity(FaultKind::Cavitation, now);
        let drift = self.faults.severity(FaultKind::SensorDrift, now);
        let offline = self.faults.severity(FaultKind::DeviceOffline, now) > 0.0;

        // Motor speed follows the setpoint; a stopped motor coasts down.
        let target_rpm = if self.run { self.setpoint_rpm } else { 0.0 };
        let rpm = self.speed.step(target_rpm, dt_s).max(0.0);
        let r = rpm / NOMINAL_RPM;

        // Valve: the closure fault drives the opening towards CLOSED_OPENING.
        let opening = self
            .valve
            .step(1.0 - valve_sev * (1.0 - CLOSED_OPENING), dt_s);

        // Suction: a clogging strainer (cavitation fault) pulls suction pressure below the NPSH
        // limit; below it the pump loses head, unsteadily.
        let suction = SUCTION_BAR - 1.2 * cavitation - 0.0001 * 2500.0 * r * r + 0.02 * n[0];
        let deficit = ((NPSH_LIMIT_BAR - suction) / NPSH_LIMIT_BAR).clamp(0.0, 1.0);
        let head_factor = (1.0 - 0.35 * deficit - 0.08 * deficit * n[1].abs()).max(0.3);
        let point = operating_point(r, opening, head_factor);
        let flow = point.flow_m3h;
        let discharge = suction + point.dp_bar;

        // Power and current: hydraulic power over pump and motor efficiency, plus friction
        // and the extra load of an unbalanced rotor.
        let shaft_kw =
            hydraulic_power_kw(point) / efficiency(flow) + 0.4 * r + 0.6 * imbalance * r * r * r;
        let elec_kw = shaft_kw / MOTOR_EFF;
        let voltage = SUPPLY_V - 0.25 * self.motor_current_estimate(elec_kw) + 0.8 * n[2];
        let load_a = elec_kw * 1000.0 / (3f64.sqrt() * voltage * POWER_FACTOR);
        let magnetising = if rpm > 1.0 { MAGNETISING_A } else { 0.0 };
        let current = (load_a * load_a + magnetising * magnetising).sqrt() * (1.0 + 0.005 * n[3]);

        // Vibration velocity, mm/s RMS: residual unbalance and imbalance at 1×, misalignment
        // at 2×, broadband from flow turbulence and cavitation; all scale with speed².
        let v1x = (0.7 + 6.0 * imbalance) * r * r * (1.0 + 0.03 * n[4]);
        let v2x = 0.35 * r * r * (1.0 + 0.05 * n[5]);
        let broadband = (0.45 + 3.5 * deficit * (0.6 + 0.6 * n[6].abs())) * r;
        let vibration = (v1x * v1x + v2x * v2x + broadband * broadband).sqrt();

        // Temperatures with thermal lag: winding from copper losses, bearings from speed and
        // vibration, fluid from the pump's losses over the flow that carries the heat away.
        // A warm line's first step lands on the targets (an infinite step of the lag).
        let thermal_dt_s = if std::mem::take(&mut self.settle_temperatures) {
            f64::INFINITY
        } else {
            dt_s
        };
        let ambient = 22.0 + 2.0 * (now.as_secs_f64() / 3600.0 * std::f64::consts::TAU).sin();
        let motor_t = self
            .motor_temp
            .step(ambient + 45.0 * (current / RATED_A).powi(2), thermal_dt_s);
        let bearing_t = self.bearing_temp.step(
            ambient + 18.0 * r + 2.5 * (vibration - 1.0).max(0.0),
            thermal_dt_s,
        );
        let loss_kw = (shaft_kw - hydraulic_power_kw(point)).max(0.0);
        let fluid_t = self
            .fluid_temp
            .step(18.0 + 4.0 * loss_kw / flow.max(3.0), thermal_dt_s);

        // Parts: filled while producing; bad when the fill pressure or the vibration is out of
        // limits.
        let in_limits = (machine::GOOD_PRESSURE_BAR.0..=machine::GOOD_PRESSURE_BAR.1)
            .contains(&discharge)
            && vibration <= machine::GOOD_VIBRATION_MAX;
        let limit_exceeded = vibration > machine::GOOD_VIBRATION_MAX || suction < NPSH_LIMIT_BAR;
        let state = MachineState::decide(self.run, rpm, self.setpoint_rpm, limit_exceeded);
        if state.producing() {
            self.parts.add(flow, dt_s, in_limits);
        }

        // Sensor drift offsets the pressure transmitter only.
        let drift_offset =
            DRIFT_BAR_PER_S * drift * self.faults.active_for_s(FaultKind::SensorDrift, now);

        Snapshot {
            time_ms: u64::try_from(now.as_millis()).unwrap_or(u64::MAX),
            online: !offline,
            run_command: self.run,
            state,
            speed_rpm: rpm + 2.0 * n[7],
            speed_setpoint_rpm: self.setpoint_rpm,
            valve_opening_pct: opening * 100.0,
            flow_m3h: (flow * (1.0 + 0.01 * n[8])).max(0.0),
            suction_bar: suction,
            discharge_bar: discharge + 0.02 * n[9] + drift_offset,
            motor_current_a: current,
            voltage_v: voltage,
            vibration_rms_mms: vibration,
            vibration_1x_mms: v1x,
            vibration_2x_mms: v2x,
            motor_temp_c: motor_t,
            bearing_temp_c: bearing_t,
            fluid_temp_c: fluid_t,
            ambient_temp_c: ambient,
            humidity_pct: 45.0 + 5.0 * n[10],
            good_parts: self.parts.good,
            bad_parts: self.parts.bad,
            faults: self.faults.active(now),
        }
    }

    /// Current drawn for `elec_kw` at the nominal voltage, for the supply's voltage drop.
    fn motor_current_estimate(&self, elec_kw: f64) -> f64 {
        elec_kw * 1000.0 / (3f64.sqrt() * SUPPLY_V * POWER_FACTOR)
    }
}

#[cfg(test)]
mod tests;
