//! Each fault moves the signals the way the physics says, and a seed fixes every value.

use std::time::Duration;

use super::{MachineState, PumpLine, Snapshot};
use crate::fault::{FaultKind, FaultSpec};

const DT: Duration = Duration::from_millis(100);

/// Runs a line for `secs` seconds and returns every snapshot.
fn run(seed: u64, schedule: Vec<FaultSpec>, secs: u64) -> Vec<Snapshot> {
    let mut line = PumpLine::new(seed, schedule);
    (0..secs * 10).map(|_| line.step(DT)).collect()
}

/// Mean of `f` over snapshots with time in `[from_s, to_s)`.
fn mean(snaps: &[Snapshot], from_s: u64, to_s: u64, f: impl Fn(&Snapshot) -> f64) -> f64 {
    let picked: Vec<f64> = snaps
        .iter()
        .filter(|s| s.time_ms >= from_s * 1000 && s.time_ms < to_s * 1000)
        .map(f)
        .collect();
    assert!(!picked.is_empty(), "no samples in {from_s}..{to_s}s");
    picked.iter().sum::<f64>() / picked.len() as f64
}

/// Standard deviation of `f` over `[from_s, to_s)`.
fn std_dev(snaps: &[Snapshot], from_s: u64, to_s: u64, f: impl Fn(&Snapshot) -> f64) -> f64 {
    let m = mean(snaps, from_s, to_s, &f);
    mean(snaps, from_s, to_s, |s| (f(s) - m).powi(2)).sqrt()
}

fn fault(kind: FaultKind, start_s: u64, dur_s: u64) -> FaultSpec {
    FaultSpec {
        kind,
        severity: 1.0,
        start: Duration::from_secs(start_s),
        duration: Some(Duration::from_secs(dur_s)),
    }
}

#[test]
fn same_seed_same_signals_other_seed_other_noise() {
    let a = run(7, vec![fault(FaultKind::Cavitation, 20, 10)], 40);
    let b = run(7, vec![fault(FaultKind::Cavitation, 20, 10)], 40);
    assert_eq!(a, b);
    let c = run(8, vec![fault(FaultKind::Cavitation, 20, 10)], 40);
    assert_ne!(a, c);
}

#[test]
fn healthy_line_sits_at_its_design_point() {
    let s = run(1, vec![], 60);
    assert_eq!(s.last().map(|s| s.state), Some(MachineState::Running));
    let flow = mean(&s, 30, 60, |s| s.flow_m3h);
    let dp = mean(&s, 30, 60, |s| s.discharge_bar - s.suction_bar);
    let vib = mean(&s, 30, 60, |s| s.vibration_rms_mms);
    let amps = mean(&s, 30, 60, |s| s.motor_current_a);
    assert!((47.0..53.0).contains(&flow), "flow {flow}");
    assert!((3.7..4.3).contains(&dp), "dp {dp}");
    assert!((0.6..2.0).contains(&vib), "vibration {vib}");
    assert!((10.0..20.0).contains(&amps), "current {amps}");
    let last = &s[s.len() - 1];
    assert!(last.good_parts > 0 && last.bad_parts == 0, "{last:?}");
}

#[test]
fn start_up_ramps_speed_then_runs() {
    let s = run(1, vec![], 20);
    assert_eq!(s[0].state, MachineState::Starting);
    assert!(s[0].speed_rpm < 500.0);
    assert_eq!(s[s.len() - 1].state, MachineState::Running);
}

#[test]
fn a_warm_line_starts_in_thermal_steady_state_a_cold_one_warms_up() {
    let temps = |s: &Snapshot| [s.motor_temp_c, s.bearing_temp_c, s.fluid_temp_c];
    let mut warm = PumpLine::warm(1, vec![]);
    let w: Vec<Snapshot> = (0..1200).map(|_| warm.step(DT)).collect();
    assert_eq!(w[0].state, MachineState::Running);
    // Where a cold line settles after an hour (the ambient swing is back at its start then).
    let cold = run(1, vec![], 3600);
    let settled = temps(&cold[cold.len() - 1]);
    for (i, name) in ["motor", "bearing", "fluid"].into_iter().enumerate() {
        let first = temps(&w[0])[i];
        assert!(
            (first - settled[i]).abs() < 1.0,
            "{name}: warm start {first}, settled {}",
            settled[i]
        );
        let (lo, hi) = w
            .iter()
            .map(|s| temps(s)[i])
            .fold((f64::MAX, f64::MIN), |(lo, hi), t| (lo.min(t), hi.max(t)));
        assert!(hi - lo < 0.5, "{name} moved {} degC in 2 min", hi - lo);
    }
    // The cold line is still warming up in its first two minutes.
    assert!(cold[1199].motor_temp_c > cold[0].motor_temp_c + 5.0);
}

#[test]
fn valve_closure_lowers_flow_and_current_raises_pressure() {
    let base = run(3, vec![], 90);
    let f = run(3, vec![fault(FaultKind::ValveClosure, 40, 50)], 90);
    let field = |s: &Snapshot| s.flow_m3h;
    assert!(mean(&f, 60, 90, field) < 0.6 * mean(&base, 60, 90, field));
    let p = |s: &Snapshot| s.discharge_bar;
    assert!(mean(&f, 60, 90, p) > mean(&base, 60, 90, p) + 0.8);
    let i = |s: &Snapshot| s.motor_current_a;
    assert!(mean(&f, 60, 90, i) < mean(&base, 60, 90, i) - 1.0);
    // Before the fault the two runs agree exactly.
    assert_eq!(base[..390], f[..390]);
    // The fill pressure leaves its band: bad parts appear.
    assert!(f[f.len() - 1].bad_parts > 0);
}

#[test]
fn imbalance_raises_1x_vibration_and_bearing_temperature() {
    let base = run(4, vec![], 400);
    let f = run(4, vec![fault(FaultKind::Imbalance, 60, 1000)], 400);
    let v1 = |s: &Snapshot| s.vibration_1x_mms;
    assert!(mean(&f, 100, 400, v1) > 4.0 * mean(&base, 100, 400, v1));
    let rms = |s: &Snapshot| s.vibration_rms_mms;
    assert!(mean(&f, 100, 400, rms) > 4.5);
    let bt = |s: &Snapshot| s.bearing_temp_c;
    assert!(mean(&f, 380, 400, bt) > mean(&base, 380, 400, bt) + 5.0);
    let amps = |s: &Snapshot| s.motor_current_a;
    assert!(mean(&f, 100, 400, amps) > mean(&base, 100, 400, amps));
    assert_eq!(f[f.len() - 1].state, MachineState::Warning);
}

#[test]
fn cavitation_drops_pressures_and_makes_vibration_noisy() {
    let base = run(5, vec![], 90);
    let f = run(5, vec![fault(FaultKind::Cavitation, 40, 50)], 90);
    let suc = |s: &Snapshot| s.suction_bar;
    assert!(mean(&f, 50, 90, suc) < 0.5);
    let dis = |s: &Snapshot| s.discharge_bar;
    assert!(mean(&f, 50, 90, dis) < mean(&base, 50, 90, dis) - 1.0);
    let vib = |s: &Snapshot| s.vibration_rms_mms;
    assert!(mean(&f, 50, 90, vib) > 2.0 * mean(&base, 50, 90, vib));
    assert!(std_dev(&f, 50, 90, vib) > 3.0 * std_dev(&base, 50, 90, vib));
    let flow = |s: &Snapshot| s.flow_m3h;
    assert!(mean(&f, 50, 90, flow) < mean(&base, 50, 90, flow));
}

#[test]
fn drift_moves_only_the_pressure_reading_and_grows_with_time() {
    let base = run(6, vec![], 120);
    let f = run(6, vec![fault(FaultKind::SensorDrift, 60, 1000)], 120);
    let gap = |t: usize| f[t].discharge_bar - base[t].discharge_bar;
    assert!((gap(1199) - 0.02 * 59.9).abs() < 0.01, "gap {}", gap(1199));
    assert!(gap(1199) > 2.0 * gap(899));
    let flows_equal = f.iter().zip(&base).all(|(a, b)| a.flow_m3h == b.flow_m3h);
    assert!(flows_equal, "drift must not change the process");
}

#[test]
fn offline_is_reported_only_while_it_acts() {
    let f = run(9, vec![fault(FaultKind::DeviceOffline, 10, 5)], 20);
    let offline: Vec<u64> = f.iter().filter(|s| !s.online).map(|s| s.time_ms).collect();
    assert_eq!(offline.first(), Some(&10_000));
    assert_eq!(offline.last(), Some(&14_900));
    assert_eq!(f[f.len() - 1].faults, Vec::<FaultKind>::new());
}

#[test]
fn stop_command_coasts_down_and_stops_counting() {
    let mut line = PumpLine::new(2, vec![]);
    for _ in 0..300 {
        line.step(DT);
    }
    line.set_run(false);
    let mut last = line.step(DT);
    for _ in 0..200 {
        last = line.step(DT);
    }
    assert_eq!(last.state, MachineState::Stopped);
    assert!(last.speed_rpm < 50.0);
    let parts = last.good_parts;
    for _ in 0..50 {
        last = line.step(DT);
    }
    assert_eq!(last.good_parts, parts);
}
