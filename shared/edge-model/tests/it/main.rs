//! The one integration test binary of edge-model: messages against their JSON Schemas, the
//! batch splitter, and the topic filter matcher.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly by design"
)]

mod batching;
mod rejects;
mod round_trip;
mod schemas;
mod strategies;
mod topics;

use std::sync::LazyLock;

use edge_model::{MessageKind, schema_for};
use jsonschema::Validator;

/// One compiled validator per kind, in [`MessageKind::ALL`] order.
static VALIDATORS: LazyLock<Vec<Validator>> = LazyLock::new(|| {
    MessageKind::ALL
        .iter()
        .map(|kind| {
            let schema: serde_json::Value = serde_json::from_str(schema_for(*kind)).unwrap();
            jsonschema::validator_for(&schema).unwrap()
        })
        .collect()
});

/// The validator for the schema of `kind`.
fn validator(kind: MessageKind) -> &'static Validator {
    let index = MessageKind::ALL.iter().position(|k| *k == kind).unwrap();
    &VALIDATORS[index]
}

/// Panics with every schema error if `instance` does not satisfy the schema of `kind`.
fn assert_valid(kind: MessageKind, instance: &serde_json::Value) {
    let validator = validator(kind);
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{kind} instance {instance} is invalid: {errors:#?}"
    );
}
