//! The enrichment handler against moto's DynamoDB and S3 (and a SiteWise stub that follows the
//! API's documented shapes), fed Kinesis events in the shape Lambda delivers them.

#![allow(clippy::unwrap_used, reason = "tests")]

mod bad_input;
mod failures;
mod lake;
mod pipeline;
mod runtime;
mod sitewise;

use aws_edge::testing::{moto, stub_http};
use std::future::Future;
use std::time::Duration;

/// Bounds a test: a hung peer fails the test instead of the CI job.
pub async fn bounded<F: Future<Output = ()>>(test: F) {
    tokio::time::timeout(Duration::from_secs(120), test)
        .await
        .expect("test took over 120 s");
}
