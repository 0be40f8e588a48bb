//! The filter/aggregator's integration tests: property tests of the reduction and window maths
//! against naive references, bad input, live reload, the recipe, and the binary under gg-local.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly by design"
)]

mod bad_input;
mod e2e;
mod metrics;
mod outputs;
mod recipe;
mod reduction;
mod reload;
mod states;
mod windows;

use edge_model::{DeviceId, Quality, Reading, Source, Value};
use filter_aggregator::config::FilterAggregatorConfig;
use filter_aggregator::engine::{Engine, Outputs};
use filter_aggregator::validate::{FilterAggregator, validate};
use serde_json::{Value as Json, json};

/// The validated configuration with `rules` (JSON, as deployed) and default top-level keys.
fn config(rules: Json) -> FilterAggregator {
    let config: FilterAggregatorConfig = serde_json::from_value(json!({ "rules": rules })).unwrap();
    let validated = validate(config).unwrap();
    assert!(validated.rejected.is_empty(), "{:?}", validated.rejected);
    validated
}

/// An engine running `rules`, loaded at time 0.
fn engine(rules: Json) -> Engine {
    let c = config(rules);
    Engine::new(c.rules, c.pass_unmatched, 0)
}

/// A good reading of `point` on device `press-1`, taken at `t`.
fn reading(point: &str, value: impl Into<Value>, t: i64) -> Reading {
    Reading::new(
        Source::new(DeviceId::new("press-1").unwrap(), point),
        value,
        Quality::Good,
        t,
    )
}

/// Feeds `readings` (each checked at its own timestamp) and returns what came out.
fn run(engine: &mut Engine, readings: impl IntoIterator<Item = Reading>) -> Outputs {
    let mut out = Outputs::default();
    for r in readings {
        let now = r.gateway_time_ms();
        engine.ingest(r, now, &mut out);
    }
    out
}
