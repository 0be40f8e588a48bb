//! The operating point of a centrifugal pump against a pipe with a throttling valve.
//!
//! Pump curve (affinity laws): `dp_pump = SHUTOFF_BAR * r² - PUMP_LOSS * Q²`, with `r` the speed
//! ratio n/n₀ and Q in m³/h. System curve: `dp_sys = STATIC_BAR + (PIPE_K / v²) * Q²`, with `v`
//! the valve opening (0..1]. The operating point is where they meet. At full speed and an open
//! valve this gives 50 m³/h at 4 bar, the pump's best efficiency point.

/// Differential pressure at zero flow and nominal speed, bar.
pub const SHUTOFF_BAR: f64 = 6.0;
/// Pump curve droop, bar per (m³/h)².
pub const PUMP_LOSS: f64 = 0.0008;
/// Static head of the line, bar.
pub const STATIC_BAR: f64 = 1.0;
/// Friction of the open line, bar per (m³/h)².
pub const PIPE_K: f64 = 0.0012;
/// Flow at the best efficiency point, m³/h.
pub const BEP_FLOW: f64 = 50.0;
/// Smallest valve opening the model accepts (a closed valve still leaks).
pub const MIN_OPENING: f64 = 0.05;

/// Flow and differential pressure at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OperatingPoint {
    /// Flow, m³/h.
    pub flow_m3h: f64,
    /// Pressure rise across the pump, bar.
    pub dp_bar: f64,
}

/// Solves pump curve = system curve. `head_factor` (0..1] scales the head the pump can develop
/// (cavitation lowers it).
pub fn operating_point(speed_ratio: f64, valve_opening: f64, head_factor: f64) -> OperatingPoint {
    let shutoff = SHUTOFF_BAR * speed_ratio * speed_ratio * head_factor;
    let opening = valve_opening.clamp(MIN_OPENING, 1.0);
    let k_sys = PIPE_K / (opening * opening);
    let flow = ((shutoff - STATIC_BAR) / (PUMP_LOSS + k_sys))
        .max(0.0)
        .sqrt();
    let dp = if flow > 0.0 {
        shutoff - PUMP_LOSS * flow * flow
    } else {
        shutoff
    };
    OperatingPoint {
        flow_m3h: flow,
        dp_bar: dp.max(0.0),
    }
}

/// Pump efficiency at `flow_m3h`: 0.75 at the best efficiency point, falling off either side.
pub fn efficiency(flow_m3h: f64) -> f64 {
    let off = (flow_m3h - BEP_FLOW) / 60.0;
    (0.75 * (1.0 - off * off)).max(0.2)
}

/// Hydraulic power, kW, from flow (m³/h) and pressure rise (bar).
pub fn hydraulic_power_kw(point: OperatingPoint) -> f64 {
    point.flow_m3h * point.dp_bar / 36.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_valve_at_nominal_speed_is_the_best_efficiency_point() {
        let p = operating_point(1.0, 1.0, 1.0);
        assert!((p.flow_m3h - 50.0).abs() < 1e-9, "{p:?}");
        assert!((p.dp_bar - 4.0).abs() < 1e-9, "{p:?}");
    }

    #[test]
    fn throttling_lowers_flow_and_raises_pressure() {
        let open = operating_point(1.0, 1.0, 1.0);
        let throttled = operating_point(1.0, 0.3, 1.0);
        assert!(throttled.flow_m3h < open.flow_m3h * 0.5);
        assert!(throttled.dp_bar > open.dp_bar);
    }

    #[test]
    fn below_static_head_there_is_no_flow() {
        let p = operating_point(0.3, 1.0, 1.0);
        assert_eq!(p.flow_m3h, 0.0);
    }
}
