//! The machine state a PLC reports, and the good/bad part counters of the filling station.

use serde::Serialize;

/// Liters of product per part.
pub const PART_VOLUME_L: f64 = 20.0;
/// Discharge pressure band for a good fill, bar.
pub const GOOD_PRESSURE_BAR: (f64, f64) = (4.6, 6.0);
/// Vibration above which fills come out bad (splashing), mm/s RMS.
pub const GOOD_VIBRATION_MAX: f64 = 4.5;

/// What the PLC says the line is doing. Its register value is the discriminant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MachineState {
    /// Motor off.
    Stopped = 0,
    /// Ramping up to the set speed.
    Starting = 1,
    /// At speed, within limits.
    Running = 2,
    /// At speed, but a protection limit is exceeded (vibration, low suction pressure).
    Warning = 3,
}

impl MachineState {
    /// Decides the state from the run command, the speed reached and the protection checks.
    pub fn decide(run: bool, speed_rpm: f64, setpoint_rpm: f64, limit_exceeded: bool) -> Self {
        if !run {
            Self::Stopped
        } else if speed_rpm < 0.95 * setpoint_rpm {
            Self::Starting
        } else if limit_exceeded {
            Self::Warning
        } else {
            Self::Running
        }
    }

    /// Whether the line is filling parts.
    pub fn producing(self) -> bool {
        matches!(self, Self::Running | Self::Warning)
    }
}

/// Counts parts as product flows: one part per [`PART_VOLUME_L`].
#[derive(Debug, Clone, Default)]
pub struct PartCounter {
    filled_l: f64,
    /// Parts within limits.
    pub good: u32,
    /// Parts filled out of limits.
    pub bad: u32,
}

impl PartCounter {
    /// Adds `flow_m3h` over `dt_s` seconds; each completed part is good if `in_limits`.
    pub fn add(&mut self, flow_m3h: f64, dt_s: f64, in_limits: bool) {
        self.filled_l += flow_m3h * 1000.0 / 3600.0 * dt_s;
        while self.filled_l >= PART_VOLUME_L {
            self.filled_l -= PART_VOLUME_L;
            if in_limits {
                self.good = self.good.wrapping_add(1);
            } else {
                self.bad = self.bad.wrapping_add(1);
            }
        }
    }
}
