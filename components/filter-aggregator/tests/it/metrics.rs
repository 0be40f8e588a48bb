//! Per-rule metrics in the kit's registry: in, out, dropped, rejected, and the reduction ratio.

use crate::{engine, reading, run};
use component_kit::metrics::names;
use component_kit::{Metrics, Unit};
use filter_aggregator::telemetry::{REDUCTION_PERCENT, Telemetry, UNMATCHED_RULE};
use serde_json::json;

#[test]
fn counters_follow_the_engine_per_rule_and_add_only_what_is_new() {
    let mut engine =
        engine(json!({"temps": {"points": "temp", "changeOnly": true, "validate": {"max": 100}}}));
    let metrics = Metrics::new();
    let mut telemetry = Telemetry::new(metrics.clone());
    run(
        &mut engine,
        [
            reading("temp", 1.0, 1),
            reading("temp", 1.0, 2),
            reading("temp", 1.0, 3),
            reading("temp", 500.0, 4),
            reading("other", 7.0, 5),
        ],
    );
    telemetry.sync(&engine);
    telemetry.sync(&engine);
    let counter = |name, rule| metrics.counter_with(name, &[("Rule", rule)]).get();
    assert_eq!(counter(names::RECEIVED_TOTAL, "temps"), 4);
    assert_eq!(counter(names::SENT_TOTAL, "temps"), 1);
    assert_eq!(counter(names::DROPPED_TOTAL, "temps"), 2);
    assert_eq!(counter(names::ERRORS_TOTAL, "temps"), 1);
    assert_eq!(counter(names::RECEIVED_TOTAL, UNMATCHED_RULE), 1);
    assert_eq!(counter(names::SENT_TOTAL, UNMATCHED_RULE), 1);
    let reduction = metrics
        .gauge_with(REDUCTION_PERCENT, Unit::Percent, &[("Rule", "temps")])
        .get();
    assert!((reduction - 75.0).abs() < 1e-9, "{reduction}");
    run(&mut engine, [reading("temp", 2.0, 6)]);
    telemetry.sync(&engine);
    assert_eq!(counter(names::RECEIVED_TOTAL, "temps"), 5);
    assert_eq!(counter(names::SENT_TOTAL, "temps"), 2);
}
