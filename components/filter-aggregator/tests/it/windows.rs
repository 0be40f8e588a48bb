//! Window maths against a naive reference over random streams, out-of-order input included.

use crate::{engine, reading};
use edge_model::Aggregate;
use filter_aggregator::engine::Outputs;
use proptest::prelude::*;
use serde_json::json;
use std::collections::BTreeMap;

/// Readings (timestamp, value) in arrival order: timestamps spread over a few windows,
/// arriving out of order by at most `grace` ms (each one before the newest timestamp passes
/// its own by more than `grace`).
fn disordered(grace: i64) -> impl Strategy<Value = Vec<(i64, f64)>> {
    prop::collection::vec((0..40_000_i64, -1e3..1e3_f64, 0..=grace), 1..250).prop_map(
        |mut items| {
            items.sort_by_key(|(t, _, jitter)| t + jitter);
            items
                .into_iter()
                .map(|(t, x, _)| (1_700_000_000_000 + t, x))
                .collect()
        },
    )
}

/// What a naive computation says about one window.
#[derive(Debug)]
struct Expected {
    count: u64,
    min: f64,
    max: f64,
    mean: f64,
    stddev: f64,
    first: f64,
    last: f64,
    p50: f64,
    p90: f64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = (sorted.len() - 1) as f64 * p / 100.0;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f64)
}

/// Every window start (multiple of `hop`) whose `[start, start + length)` holds readings.
fn reference(input: &[(i64, f64)], length: i64, hop: i64) -> BTreeMap<i64, Expected> {
    let mut starts: Vec<i64> = input
        .iter()
        .flat_map(|(t, _)| {
            let last = t.div_euclid(hop) * hop;
            (0..length / hop).map(move |k| last - k * hop)
        })
        .collect();
    starts.sort_unstable();
    starts.dedup();
    starts
        .into_iter()
        .map(|s| {
            // In arrival order, as the engine saw them.
            let inside: Vec<(i64, f64)> = input
                .iter()
                .copied()
                .filter(|(t, _)| *t >= s && *t < s + length)
                .collect();
            let n = inside.len() as f64;
            let mean = inside.iter().map(|(_, x)| x).sum::<f64>() / n;
            let var = inside.iter().map(|(_, x)| (x - mean).powi(2)).sum::<f64>() / n;
            let min_t = inside.iter().map(|(t, _)| *t).min().unwrap();
            let max_t = inside.iter().map(|(t, _)| *t).max().unwrap();
            let mut sorted: Vec<f64> = inside.iter().map(|(_, x)| *x).collect();
            sorted.sort_by(f64::total_cmp);
            let expected = Expected {
                count: inside.len() as u64,
                min: sorted[0],
                max: sorted[sorted.len() - 1],
                mean,
                stddev: var.sqrt(),
                first: inside.iter().find(|(t, _)| *t == min_t).unwrap().1,
                last: inside.iter().rev().find(|(t, _)| *t == max_t).unwrap().1,
                p50: percentile(&sorted, 50.0),
                p90: percentile(&sorted, 90.0),
            };
            (s, expected)
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// Every statistic of the numbers.
const ALL: [&str; 6] = ["min", "max", "mean", "stddev", "first", "last"];

fn window_rule(kind: &str, length: i64, hop: i64, grace: i64) -> serde_json::Value {
    window_rule_with(kind, length, hop, grace, &ALL, true)
}

/// A rule with one window reporting the count, `stats` and, if `percentiles`, p50 and p90.
fn window_rule_with(
    kind: &str,
    length: i64,
    hop: i64,
    grace: i64,
    stats: &[&str],
    percentiles: bool,
) -> serde_json::Value {
    let mut names = vec!["count"];
    names.extend_from_slice(stats);
    let mut window = json!({
        "type": kind, "lengthMs": length, "graceMs": grace, "stats": names,
    });
    if percentiles {
        window["percentiles"] = json!([50, 90]);
    }
    if kind == "sliding" {
        window["hopMs"] = json!(hop);
    }
    json!({"r": {"windows": {"w": window}}})
}

/// Runs the input with no gateway ticks, then closes what is left.
fn aggregates(rules: serde_json::Value, input: &[(i64, f64)]) -> (Vec<Aggregate>, u64) {
    let mut engine = engine(rules);
    let mut out = Outputs::default();
    for (t, x) in input {
        engine.ingest(reading("p", *x, *t), *t, &mut out);
    }
    engine.flush(&mut out);
    let late = engine.stats().next().unwrap().1.late;
    (out.aggregates.into_iter().map(|(_, a)| a).collect(), late)
}

fn check_against_reference(
    got: &[Aggregate],
    want: &BTreeMap<i64, Expected>,
) -> Result<(), TestCaseError> {
    check_asked(got, want, &ALL, true)
}

/// Checks the statistics asked for against the reference, and that no other is reported.
fn check_asked(
    got: &[Aggregate],
    want: &BTreeMap<i64, Expected>,
    asked: &[&str],
    percentiles: bool,
) -> Result<(), TestCaseError> {
    let starts: Vec<i64> = got.iter().map(|a| a.window().start_ms()).collect();
    prop_assert_eq!(
        starts,
        want.keys().copied().collect::<Vec<_>>(),
        "windows emitted, in order"
    );
    for aggregate in got {
        let w = &want[&aggregate.window().start_ms()];
        let s = aggregate.stats();
        let on = |name: &str| asked.contains(&name);
        prop_assert_eq!(s.count, w.count);
        prop_assert_eq!(s.min, on("min").then_some(w.min));
        prop_assert_eq!(s.max, on("max").then_some(w.max));
        prop_assert_eq!(s.first, on("first").then_some(w.first));
        prop_assert_eq!(s.last, on("last").then_some(w.last));
        prop_assert_eq!(s.mean.is_some(), on("mean"));
        if let Some(mean) = s.mean {
            prop_assert!(close(mean, w.mean), "mean {} vs {}", mean, w.mean);
        }
        prop_assert_eq!(s.stddev.is_some(), on("stddev"));
        if let Some(stddev) = s.stddev {
            prop_assert!(close(stddev, w.stddev), "stddev {} vs {}", stddev, w.stddev);
        }
        if percentiles {
            prop_assert_eq!(s.percentiles["p50"], w.p50);
            prop_assert_eq!(s.percentiles["p90"], w.p90);
        } else {
            prop_assert!(s.percentiles.is_empty());
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn tumbling_windows_equal_the_reference_with_out_of_order_input(
        input in disordered(3_000),
        length in prop::sample::select(vec![1_000_i64, 5_000, 7_000, 10_000]),
    ) {
        let (got, late) = aggregates(window_rule("tumbling", length, length, 3_000), &input);
        prop_assert_eq!(late, 0);
        check_against_reference(&got, &reference(&input, length, length))?;
    }

    #[test]
    fn sliding_windows_equal_the_reference_with_out_of_order_input(
        input in disordered(2_000),
        // The last: 100 panes and 10 more for the grace, over the 64 slots a ring has at
        // most, so panes leave the ring for the spill as it moves on.
        (length, hop) in prop::sample::select(vec![(10_000_i64, 2_000_i64), (6_000, 3_000), (4_000, 1_000), (5_000, 5_000), (20_000, 200)]),
    ) {
        let (got, late) = aggregates(window_rule("sliding", length, hop, 2_000), &input);
        prop_assert_eq!(late, 0);
        check_against_reference(&got, &reference(&input, length, hop))?;
    }

    #[test]
    fn any_choice_of_statistics_equals_the_reference(
        input in disordered(2_000),
        asked in prop::sample::subsequence(ALL.to_vec(), 0..=ALL.len()),
        percentiles in any::<bool>(),
        (length, hop) in prop::sample::select(vec![(6_000_i64, 2_000_i64), (5_000, 5_000)]),
    ) {
        // Each choice keeps the smallest accumulator that has its statistics (none, the
        // mean with one bound, the spread, or everything); all must agree with the reference.
        let rule = window_rule_with("sliding", length, hop, 2_000, &asked, percentiles);
        let (got, late) = aggregates(rule, &input);
        prop_assert_eq!(late, 0);
        check_asked(&got, &reference(&input, length, hop), &asked, percentiles)?;
    }

    #[test]
    fn readings_later_than_the_grace_are_counted_and_left_out(
        input in disordered(0),
        extra in 1..10_000_i64,
    ) {
        // A reading far behind the newest one, after its window closed.
        let newest = input.iter().map(|(t, _)| *t).max().unwrap();
        let mut with_late = input.clone();
        with_late.push((newest - 1_000 - extra - 1_000, 12_345.0));
        let (got, late) = aggregates(window_rule("tumbling", 1_000, 1_000, 1_000), &with_late);
        prop_assert_eq!(late, 1);
        check_against_reference(&got, &reference(&input, 1_000, 1_000))?;
    }
}

#[test]
fn the_gateway_clock_closes_windows_of_a_point_that_went_quiet() {
    let mut engine = engine(window_rule("tumbling", 60_000, 60_000, 5_000));
    let mut out = Outputs::default();
    engine.ingest(reading("p", 1.0, 10_000), 10_000, &mut out);
    engine.ingest(reading("p", 3.0, 20_000), 20_000, &mut out);
    engine.tick(64_999, &mut out);
    assert!(out.aggregates.is_empty(), "grace not over yet");
    engine.tick(65_000, &mut out);
    assert_eq!(out.aggregates.len(), 1);
    let (device, aggregate) = &out.aggregates[0];
    assert_eq!(device.as_str(), "press-1");
    assert_eq!(aggregate.rule(), "r.w");
    assert_eq!(aggregate.stats().mean, Some(2.0));
    assert_eq!(
        (aggregate.window().start_ms(), aggregate.window().end_ms()),
        (0, 60_000)
    );
}
