//! Deadband, heartbeat, change-only and rate limit, as properties over random streams.

use crate::{engine, reading, run};
use edge_model::{Quality, Value};
use proptest::prelude::*;
use serde_json::json;

/// Increasing timestamps with gaps of 1..=`max_gap` ms, and values in a band.
fn stream(max_gap: i64) -> impl Strategy<Value = Vec<(i64, f64)>> {
    prop::collection::vec((1..=max_gap, -50.0..50.0_f64), 1..300).prop_map(|steps| {
        let mut t = 1_000_000;
        steps
            .into_iter()
            .map(|(gap, x)| {
                t += gap;
                (t, x)
            })
            .collect()
    })
}

fn published_times(out: &filter_aggregator::engine::Outputs) -> Vec<i64> {
    out.filtered.iter().map(|r| r.gateway_time_ms()).collect()
}

proptest! {
    #[test]
    fn deadband_and_heartbeat_publish_exactly_what_they_promise(
        input in stream(2_000),
        band in 0.0..20.0_f64,
        heartbeat in 1_000..20_000_i64,
    ) {
        let mut engine = engine(json!({"r": {"deadband": {"absolute": band}, "heartbeatMs": heartbeat}}));
        let out = run(&mut engine, input.iter().map(|(t, x)| reading("p", *x, *t)));
        let published = published_times(&out);
        // Walk the input against the output: the first reading is published; afterwards a
        // reading is published if and only if it left the band around the last published
        // value or the heartbeat was due.
        let mut last: Option<(i64, f64)> = None;
        let mut next = published.iter().peekable();
        for (t, x) in &input {
            let was_published = next.peek() == Some(&t);
            let due = match last {
                None => true,
                Some((lt, lx)) => (x - lx).abs() > band || t - lt >= heartbeat,
            };
            prop_assert_eq!(was_published, due, "reading at {} value {} after {:?}", t, x, last);
            if was_published {
                next.next();
                last = Some((*t, *x));
            }
        }
        prop_assert!(next.next().is_none(), "published something not in the input");
    }

    #[test]
    fn the_gap_between_publications_never_exceeds_the_heartbeat_plus_the_input_gap(
        input in stream(500),
        heartbeat in 1_000..5_000_i64,
    ) {
        let mut engine = engine(json!({"r": {"deadband": {"absolute": 1e9}, "heartbeatMs": heartbeat}}));
        let out = run(&mut engine, input.iter().map(|(t, x)| reading("p", *x, *t)));
        let published = published_times(&out);
        for pair in published.windows(2) {
            prop_assert!(pair[1] - pair[0] >= heartbeat, "{:?}", pair);
            prop_assert!(pair[1] - pair[0] < heartbeat + 500, "{:?}", pair);
        }
    }

    #[test]
    fn change_only_publishes_each_change_and_nothing_else(
        input in prop::collection::vec(0..3_i64, 1..200),
    ) {
        let mut engine = engine(json!({"r": {"changeOnly": true}}));
        let out = run(&mut engine, input.iter().enumerate().map(|(i, v)| reading("state", *v, i as i64)));
        let mut expected = Vec::new();
        for (i, v) in input.iter().enumerate() {
            if i == 0 || input[i - 1] != *v {
                expected.push(Value::Int(*v));
            }
        }
        let got: Vec<Value> = out.filtered.iter().filter_map(|r| r.value().cloned()).collect();
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn the_rate_limit_keeps_publications_apart(input in stream(300), limit in 1..2_000_i64) {
        let mut engine = engine(json!({"r": {"minIntervalMs": limit}}));
        let out = run(&mut engine, input.iter().map(|(t, x)| reading("p", *x, *t)));
        let published = published_times(&out);
        prop_assert_eq!(published[0], input[0].0);
        for pair in published.windows(2) {
            prop_assert!(pair[1] - pair[0] >= limit);
        }
        // Greedy: every reading at least `limit` after the last publication was published.
        let mut last = input[0].0;
        let mut want = vec![last];
        for (t, _) in &input[1..] {
            if t - last >= limit {
                want.push(*t);
                last = *t;
            }
        }
        prop_assert_eq!(published, want);
    }
}

#[test]
fn percent_deadband_and_quality_filter_work_together() {
    let mut engine = engine(json!({"r": {"deadband": {"percent": 5}, "badQuality": "drop"}}));
    let bad = edge_model::Reading::failed(reading("p", 0.0, 0).source().clone(), "timeout", 3);
    let out = run(
        &mut engine,
        [
            reading("p", 100.0, 1),
            reading("p", 104.0, 2),
            bad,
            reading("p", 106.0, 4),
        ],
    );
    let values: Vec<f64> = out
        .filtered
        .iter()
        .filter_map(|r| r.value().and_then(Value::as_f64))
        .collect();
    assert_eq!(values, [100.0, 106.0]);
    assert!(out.filtered.iter().all(|r| r.quality() == Quality::Good));
    let stats = engine.stats().next().unwrap().1;
    assert_eq!((stats.received, stats.published, stats.dropped), (4, 2, 2));
}
