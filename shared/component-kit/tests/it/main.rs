//! The kit's integration tests: the harness against an in-process ggipc server.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns panic on setup failures"
)]

mod gg;
mod harness;
mod logs;
mod metrics;
mod probe;
