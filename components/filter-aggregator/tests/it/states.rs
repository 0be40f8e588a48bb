//! State-duration counters of machine state points against a naive timeline.

use crate::{engine, reading};
use filter_aggregator::engine::Outputs;
use proptest::prelude::*;
use serde_json::json;
use std::collections::BTreeMap;

const LENGTH: i64 = 10_000;
const GRACE: i64 = 2_000;

fn rules() -> serde_json::Value {
    json!({"machine": {"points": "state", "windows": {"1m": {
        "lengthMs": LENGTH, "graceMs": GRACE, "stats": ["count", "stateDurations"],
        "states": {"1": "running", "2": "idle", "3": "down"},
    }}}})
}

/// Naive: the state at any instant is the latest reading at or before it (ties: the later
/// arrival); sum each window's milliseconds by state, for windows holding a reading.
fn reference(input: &[(i64, i64)]) -> BTreeMap<i64, BTreeMap<String, i64>> {
    let mut timeline: Vec<(i64, usize, i64)> = input
        .iter()
        .enumerate()
        .map(|(i, (t, v))| (*t, i, *v))
        .collect();
    timeline.sort();
    let name = |v: i64| ["", "running", "idle", "down"][v as usize].to_owned();
    let mut windows = BTreeMap::new();
    for (t, _) in input {
        let start = t.div_euclid(LENGTH) * LENGTH;
        windows.entry(start).or_insert_with(BTreeMap::new);
    }
    for (start, totals) in &mut windows {
        let end = *start + LENGTH;
        for (i, (t, _, v)) in timeline.iter().enumerate() {
            let until = timeline.get(i + 1).map_or(i64::MAX, |next| next.0);
            let (from, to) = ((*t).max(*start), until.min(end));
            if to > from {
                *totals.entry(name(*v)).or_insert(0) += to - from;
            }
        }
    }
    windows
}

proptest! {
    #[test]
    fn state_durations_equal_the_reference_timeline(
        items in prop::collection::vec((0..60_000_i64, 1..=3_i64, 0..=GRACE), 1..120),
    ) {
        let mut items = items;
        items.sort_by_key(|(t, _, jitter)| t + jitter);
        let input: Vec<(i64, i64)> = items.into_iter().map(|(t, v, _)| (t, v)).collect();
        let mut engine = engine(rules());
        let mut out = Outputs::default();
        for (t, v) in &input {
            engine.ingest(reading("state", *v, *t), *t, &mut out);
        }
        engine.flush(&mut out);
        let got: BTreeMap<i64, BTreeMap<String, i64>> = out
            .aggregates
            .iter()
            .map(|(_, a)| (a.window().start_ms(), a.stats().state_durations_ms))
            .collect();
        let want = reference(&input);
        // Zero-length stays are not listed by the reference; drop them from the engine's too.
        let got: BTreeMap<_, _> = got
            .into_iter()
            .map(|(s, d)| (s, d.into_iter().filter(|(_, ms)| *ms > 0).collect::<BTreeMap<_, _>>()))
            .collect();
        prop_assert_eq!(got, want);
    }
}

#[test]
fn a_shift_of_running_idle_and_down_adds_up_to_the_window() {
    let mut engine = engine(rules());
    let mut out = Outputs::default();
    for (t, v) in [(0, 1), (4_000, 2), (5_000, 3), (8_000, 1), (12_000, 1)] {
        engine.ingest(reading("state", v, t), t, &mut out);
    }
    engine.tick(LENGTH + GRACE, &mut out);
    assert_eq!(out.aggregates.len(), 1);
    let durations = out.aggregates[0].1.stats().state_durations_ms;
    assert_eq!(durations["running"], 4_000 + 2_000);
    assert_eq!(durations["idle"], 1_000);
    assert_eq!(durations["down"], 3_000);
    assert_eq!(durations.values().sum::<i64>(), LENGTH);
}

#[test]
fn states_past_the_bound_of_a_window_spec_count_under_other() {
    use filter_aggregator::window::{MAX_STATES, OTHER};
    let mut engine = engine(rules());
    let mut out = Outputs::default();
    // Unmapped values count under their own text: 300 of them, 10 ms each, in one window.
    let values = 4..304_i64;
    for v in values.clone() {
        engine.ingest(reading("state", v, v * 10), v * 10, &mut out);
    }
    engine.ingest(reading("state", 1, 12_000), 12_000, &mut out);
    engine.tick(LENGTH + GRACE, &mut out);
    assert_eq!(out.aggregates.len(), 1);
    let durations = out.aggregates[0].1.stats().state_durations_ms;
    // The three mapped names hold their places in the table, and the last is kept for OTHER.
    let named = MAX_STATES - 1 - 3;
    assert_eq!(durations.len(), named + 1);
    assert_eq!(durations["4"], 10);
    assert!(!durations.contains_key(&(4 + named as i64).to_string()));
    let others = values.end - 4 - named as i64;
    assert_eq!(durations[OTHER], (others - 1) * 10 + (LENGTH - 303 * 10));
    assert_eq!(durations.values().sum::<i64>(), LENGTH - 40);
    // Mapped values still count under their names.
    engine.tick(2 * LENGTH + GRACE, &mut out);
    assert_eq!(
        out.aggregates[1].1.stats().state_durations_ms["running"],
        LENGTH - 2_000
    );
}
