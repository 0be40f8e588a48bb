//! Integration tests of the anomaly detector: bad models, parity with onnxruntime and with the
//! Python fit, the scoring pipeline, the recipe, and end to end under gg-local.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers panic on setup failures; the message is the test's failure"
)]

mod bad_models;
mod e2e;
mod parity;
mod pipeline;
mod recipe;
mod support;
