use super::*;

fn spec(window: usize, hop: usize, ffill_limit: usize) -> WindowSpec {
    WindowSpec {
        step_ms: 1000,
        window,
        hop,
        ffill_limit,
        max_lateness_ms: 1500,
    }
}

/// Pushes (point, time, value) readings and returns everything emitted.
fn feed(a: &mut Assembler, readings: &[(usize, i64, f64)]) -> Vec<Emitted> {
    let mut out = Vec::new();
    for &(p, t, v) in readings {
        a.push(p, t, v, &mut out).unwrap();
    }
    out
}

fn complete(e: &Emitted) -> &Window {
    match e {
        Emitted::Complete(w) => w,
        other => panic!("expected a complete window, got {other:?}"),
    }
}

#[test]
fn regular_readings_make_windows_in_time_order() {
    let mut a = Assembler::new(spec(3, 1, 0), 2);
    let readings: Vec<_> = (0..7)
        .flat_map(|s| {
            [
                (0, s * 1000 + 100, s as f64),
                (1, s * 1000 + 200, 10.0 + s as f64),
            ]
        })
        .collect();
    let out = feed(&mut a, &readings);
    // Slot s closes once a reading at >= (s+1)*1000 + 1500 arrives: slots 0..=3 close by t=6200.
    assert_eq!(out.len(), 2);
    let w = complete(&out[0]);
    assert_eq!((w.start_ms, w.end_ms), (0, 3000));
    assert_eq!(w.values, vec![0.0, 10.0, 1.0, 11.0, 2.0, 12.0]);
    assert_eq!(w.filled_cells, 0);
    assert_eq!(complete(&out[1]).values[4..], [3.0, 13.0]);
}

#[test]
fn out_of_order_readings_land_in_their_slots() {
    let mut a = Assembler::new(spec(2, 1, 0), 1);
    let out = feed(
        &mut a,
        &[
            (0, 1100, 1.0),
            (0, 100, 0.0),
            (0, 2100, 2.0),
            (0, 1900, 1.5),
            (0, 4000, 9.0),
        ],
    );
    // Slot 1 holds 1.0 (t=1100) and 1.5 (t=1900): the later timestamp wins, whatever the order.
    assert_eq!(complete(&out[0]).values, vec![0.0, 1.5]);
}

#[test]
fn a_reading_for_a_closed_slot_is_refused_as_late() {
    let mut a = Assembler::new(spec(2, 1, 0), 1);
    let mut out = Vec::new();
    a.push(0, 100, 0.0, &mut out).unwrap();
    a.push(0, 3000, 3.0, &mut out).unwrap(); // closes slot 0 (3000 >= 1000 + 1500)
    assert_eq!(a.push(0, 900, 0.5, &mut out), Err(Refused::Late));
    assert_eq!(a.push(5, 3100, 0.5, &mut out), Err(Refused::UnknownPoint));
    assert_eq!(
        a.push(0, 3100, f64::NAN, &mut out),
        Err(Refused::NotANumber)
    );
}

#[test]
fn a_short_gap_is_forward_filled_and_counted() {
    let mut a = Assembler::new(spec(4, 4, 2), 1);
    // Slots 0, 1 have data, 2 and 3 do not, 4.. again.
    let out = feed(
        &mut a,
        &[(0, 0, 1.0), (0, 1000, 2.0), (0, 4000, 5.0), (0, 6000, 7.0)],
    );
    let w = complete(&out[0]);
    assert_eq!(w.values, vec![1.0, 2.0, 2.0, 2.0]);
    assert_eq!(w.filled_cells, 2);
}

#[test]
fn a_gap_longer_than_the_fill_limit_is_reported_per_point() {
    let mut a = Assembler::new(spec(4, 1, 1), 2);
    let mut readings = vec![];
    for s in 0..8 {
        readings.push((0, s * 1000, 1.0));
        if !(2..5).contains(&s) {
            readings.push((1, s * 1000 + 10, 2.0));
        }
    }
    let out = feed(&mut a, &readings);
    // Point 1 misses slots 2, 3, 4: slot 2 is filled (1 slot old), 3 and 4 are missing.
    let incomplete: Vec<_> = out
        .iter()
        .filter_map(|e| match e {
            Emitted::Incomplete { missing, .. } => Some(missing.clone()),
            Emitted::Complete(_) => None,
        })
        .collect();
    assert!(!incomplete.is_empty());
    assert!(incomplete.iter().all(|m| m.iter().all(|&(p, _)| p == 1)));
    assert_eq!(incomplete[0], vec![(1, 1)]);
    assert!(incomplete.iter().any(|m| m == &vec![(1, 2)]));
}

#[test]
fn windows_come_every_hop_slots() {
    let mut a = Assembler::new(spec(3, 2, 0), 1);
    let readings: Vec<_> = (0..12).map(|s| (0, s * 1000, s as f64)).collect();
    let out = feed(&mut a, &readings);
    let starts: Vec<i64> = out.iter().map(|e| complete(e).start_ms).collect();
    assert_eq!(starts, vec![0, 2000, 4000, 6000]);
}

#[test]
fn a_long_silence_restarts_the_window() {
    let mut a = Assembler::new(spec(2, 1, 0), 1);
    let mut readings: Vec<_> = (0..4).map(|s| (0, s * 1000, s as f64)).collect();
    readings.extend((100..105).map(|s| (0, s * 1000, s as f64)));
    let out = feed(&mut a, &readings);
    let last = complete(out.last().unwrap());
    assert_eq!(last.values, vec![100.0, 101.0]);
    // The slots just before the data resumed are reported missing, not skipped silently.
    assert!(out.iter().any(|e| matches!(e, Emitted::Incomplete { .. })));
}
