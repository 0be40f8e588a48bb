//! Live reload: changed rules apply to new data; unchanged rules keep their open windows.

use crate::{config, engine, reading};
use filter_aggregator::engine::Outputs;
use serde_json::json;

fn rules(deadband: f64) -> serde_json::Value {
    json!({
        "temps": {"points": "temp", "windows": {"1m": {"lengthMs": 60000}}},
        "pressure": {"points": "pressure", "deadband": {"absolute": deadband},
            "windows": {"1m": {"lengthMs": 60000}}},
    })
}

#[test]
fn an_unchanged_rule_keeps_its_open_window_and_a_changed_one_starts_afresh() {
    let mut engine = engine(rules(1.0));
    let mut out = Outputs::default();
    for (t, x) in [(1_000, 10.0), (2_000, 20.0)] {
        engine.ingest(reading("temp", x, t), t, &mut out);
        engine.ingest(reading("pressure", x, t), t, &mut out);
    }
    let new = config(rules(5.0));
    let report = engine.reload(new.rules, new.pass_unmatched, 2_500);
    assert_eq!((report.points_kept, report.points_reset), (1, 1));
    engine.ingest(reading("temp", 30.0, 3_000), 3_000, &mut out);
    engine.ingest(reading("pressure", 23.0, 3_000), 3_000, &mut out);
    engine.ingest(reading("pressure", 26.0, 4_000), 4_000, &mut out);
    engine.tick(60_000, &mut out);
    let mean_of = |point: &str| {
        out.aggregates
            .iter()
            .find(|(_, a)| a.point() == point)
            .map(|(_, a)| (a.stats().count, a.stats().mean))
            .unwrap()
    };
    assert_eq!(
        mean_of("temp"),
        (3, Some(20.0)),
        "the window spans the reload"
    );
    assert_eq!(
        mean_of("pressure"),
        (2, Some(24.5)),
        "the changed rule's window restarted"
    );
    // The new deadband (5) applies to new data: 23 is the first after the reset, 26 is inside.
    let pressures: Vec<f64> = out
        .filtered
        .iter()
        .filter(|r| r.source().point() == "pressure")
        .filter_map(|r| r.value().and_then(edge_model::Value::as_f64))
        .collect();
    assert_eq!(pressures, [10.0, 20.0, 23.0]);
    let temps = engine
        .stats()
        .find(|(id, _)| id.is_some_and(|i| &**i == "temps"))
        .unwrap()
        .1;
    assert_eq!(temps.received, 3, "counters carry over");
}

#[test]
fn a_point_moves_to_a_new_rule_that_selects_it_first() {
    let mut engine = engine(json!({"all": {}}));
    let mut out = Outputs::default();
    engine.ingest(reading("temp", 1.0, 1), 1, &mut out);
    let new = config(
        json!({"all": {}, "temps": {"priority": 1, "points": "temp", "validate": {"max": 0}}}),
    );
    let report = engine.reload(new.rules, new.pass_unmatched, 2);
    assert_eq!(report.points_reset, 1);
    engine.ingest(reading("temp", 5.0, 3), 3, &mut out);
    assert_eq!(out.rejected.len(), 1);
    assert_eq!(&*out.rejected[0].rule, "temps");
}

#[test]
fn a_point_leaving_an_unchanged_rule_takes_no_window_of_it_along() {
    let window = json!({"1m": {"lengthMs": 60000, "stats": ["count", "max"]}});
    let mut engine = engine(json!({"all": {"priority": 5, "windows": window}}));
    let mut out = Outputs::default();
    for point in ["a", "b"] {
        engine.ingest(reading(point, 1.0, 1_000), 1_000, &mut out);
    }
    let new = config(json!({
        "all": {"priority": 5, "windows": window},
        "bs": {"priority": 1, "points": "b", "windows": window},
    }));
    let report = engine.reload(new.rules, new.pass_unmatched, 2_000);
    assert_eq!((report.points_kept, report.points_reset), (1, 1));
    for point in ["a", "b", "c"] {
        engine.ingest(reading(point, 7.0, 3_000), 3_000, &mut out);
    }
    engine.tick(60_000, &mut out);
    let mut got: Vec<(String, String, u64, Option<f64>)> = out
        .aggregates
        .iter()
        .map(|(_, a)| {
            let s = a.stats();
            (a.point().to_owned(), a.rule().to_owned(), s.count, s.max)
        })
        .collect();
    got.sort_by(|x, y| (&x.0, &x.1).cmp(&(&y.0, &y.1)));
    let want = [
        ("a", "all.1m", 2, Some(7.0)),
        ("b", "bs.1m", 1, Some(7.0)),
        ("c", "all.1m", 1, Some(7.0)),
    ]
    .map(|(p, r, n, m)| (p.to_owned(), r.to_owned(), n, m));
    assert_eq!(got, want);
}
